"""Notices waiting for the worker, the SMS ledger (every SMS with its price), the demo's outbox, and the lock
that serialises SMS caps."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class QueuedMessage(models.Model):
    """A notice by SMS or e-mail on its way: written in the caller's transaction, handed over by the worker
    (notifications.tasks), deleted once handed over. Its job holds only this row's id. A notice the gateway
    or mail server refuses is tried again with growing waits; after EPORTAL_NOTICE_GIVE_UP_HOURS it is kept as
    not delivered, for staff («Varsler som ikke kom fram»), until they send it again or remove it."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SENDING = "sending", _("being handed over")
        FAILED = "failed", _("not delivered")

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    user = models.ForeignKey(  # for the SMS caps
        "accounts.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    # The same on every attempt: the SMS gateway's idempotency reference and the e-mail's Message-ID, so a
    # notice tried again after a timeout is recognised as the same one.
    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sending_since = models.DateTimeField(_("handed over since"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=100, blank=True)  # the kind only, never a reply's text
    gave_up_at = models.DateTimeField(_("given up"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice waiting to be sent")
        verbose_name_plural = _("notices waiting to be sent")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} {self.pk}"

    def last_error_text(self) -> str:
        """The last failure in words for staff: `last_error` keeps its kind (notifications.tasks)."""
        kind = self.last_error
        if kind.startswith("HTTP "):
            return _("The SMS gateway answered with an error (%(status)s)") % {"status": kind}
        if kind.startswith("e-mail: "):
            return _("The mail server did not take it (%(error)s)") % {"error": kind.removeprefix("e-mail: ")}
        words = {
            "timeout": _("The SMS gateway did not answer in time"),
            "no connection": _("No connection to the SMS gateway"),
            "no SMS gateway configured": _("No SMS gateway is set up"),
            "sms_limit": _("Too many SMS (the limit against misuse)"),
            "worker stopped": _("The worker stopped while sending"),
        }
        return str(words.get(kind, kind))


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
    # A notice's reference (QueuedMessage.reference), on each attempt to send it; none for login codes.
    reference = models.UUIDField(_("reference"), null=True, blank=True, db_index=True)

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
