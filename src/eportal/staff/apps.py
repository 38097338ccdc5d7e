"""The staff app: the clinic staff's workspace pages."""

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "eportal.staff"
    label = "staff"
