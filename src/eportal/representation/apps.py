"""The representation app: acting for others under one policy."""

from django.apps import AppConfig


class RepresentationConfig(AppConfig):
    name = "eportal.representation"
    verbose_name = "Representasjon"
