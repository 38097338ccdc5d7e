from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A message the demo pretended to send, for the demo's outbox page. Never used in production."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

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
