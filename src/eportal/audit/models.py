"""The audit event: one row per event, written once and never changed or deleted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eportal.identity.fields import NationalIdField


class AuditEvent(models.Model):
    """One event. Rows are written once and never changed or deleted."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    action = models.CharField(_("event"), max_length=64)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor = models.CharField(_("done by"), max_length=150)
    subject_national_id = NationalIdField(_("patient concerned"), blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [
            # A patient's events newest first (read backwards), as «Hvem har sett opplysningene mine» pages them
            # and looks for an event's neighbours within a day.
            models.Index(fields=["subject_national_id", "at", "id"], name="audit_subject_at_id"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} ({self.actor})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
