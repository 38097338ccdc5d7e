"""The representation app: acting for others under one policy."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepresentationConfig(AppConfig):
    name = "eportal.representation"
    verbose_name = _("Representation")

    def ready(self):
        from eportal.accounts import hub

        from .hub import who

        hub.register(who, order=0)
