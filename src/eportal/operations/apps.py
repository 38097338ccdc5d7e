"""The operations app: what an operator runs and watches (the worker's schedule, health, backups)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "eportal.operations"
    verbose_name = _("Operations")
