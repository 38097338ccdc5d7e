"""The audit app: the append-only log of who did what to whose data."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "eportal.audit"
    verbose_name = _("Audit log")
