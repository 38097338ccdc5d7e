"""The clinic app: the registry (clinic, practitioners, list patients, guardianships) and the public pages."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicConfig(AppConfig):
    name = "eportal.clinic"
    verbose_name = _("Clinic registry")
