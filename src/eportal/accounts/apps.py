"""The accounts app: portal users, login, sessions; connects its signal handlers when Django starts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "eportal.accounts"
    verbose_name = _("Users")

    def ready(self):
        from . import signals  # noqa: F401
