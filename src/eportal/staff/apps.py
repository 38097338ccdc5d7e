from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "eportal.staff"
    label = "staff"
