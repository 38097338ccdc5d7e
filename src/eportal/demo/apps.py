"""The demo app: above every other app, imported by none of them."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "eportal.demo"
