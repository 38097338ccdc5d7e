"""When each scheduled job last ran, and which worker holds it now (a lease, so two workers never run the same
job at once)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """One job of the worker's schedule (operations.schedule.JOBS), by name."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_succeeded = models.BooleanField(_("last run succeeded"), null=True, blank=True)
    lease_owner = models.CharField(_("held by worker"), max_length=64, blank=True)
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self):
        return self.name
