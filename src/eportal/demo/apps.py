"""The demo app: above every other app, imported by none of them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "eportal.demo"
    verbose_name = _("Demo")
