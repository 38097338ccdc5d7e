"""Notices waiting for the worker, the SMS ledger (every SMS with its price), the demo's outbox, and the lock
that serialises SMS caps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class QueuedMessage(models.Model):
    """A notice by SMS or e-mail waiting for the worker. Its job holds only this row's id, and the worker deletes
    the row once it has tried to send it: no address or text stays behind in either table."""

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    user = models.ForeignKey(  # for the SMS caps
        "accounts.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice waiting to be sent")
        verbose_name_plural = _("notices waiting to be sent")

    def __str__(self):
        return f"{self.get_channel_display()} {self.pk}"


class OutboxMessage(models.Model):
    """A message the demo pretended to send, for the demo's outbox page. Never used in production."""

    Channel = Channel

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("message in the demo outbox")
        verbose_name_plural = _("demo outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"


class SmsLedgerEntry(models.Model):
    """Every SMS the portal tried to send, with its price: the clinic's bill and the pumping monitor."""

    class Purpose(models.TextChoices):
        LOGIN_CODE = "login_code", _("login code")
        RESET_CODE = "reset_code", _("password reset code")
        NOTICE = "notice", _("notice")

    class Status(models.TextChoices):
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    recipient = models.CharField(_("recipient"), max_length=16)
    user = models.ForeignKey("accounts.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    price_nok = models.DecimalField(_("price (NOK)"), max_digits=6, decimal_places=2)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices)
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("SMS in the ledger")
        verbose_name_plural = _("SMS ledger")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"]), models.Index(fields=["ip", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_purpose_display()} {self.price_nok} kr"


class SendingLock(models.Model):
    """One row per kind of sending, locked while its caps are counted and its ledger row written, so
    parallel requests cannot all pass the same count."""

    name = models.CharField(_("name"), max_length=20, primary_key=True)

    class Meta:
        verbose_name = _("sending lock")
        verbose_name_plural = _("sending locks")

    def __str__(self):
        return self.name
