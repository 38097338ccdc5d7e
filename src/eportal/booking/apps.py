"""The booking app: appointment types, schedules, slots, appointments and the waiting list."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "eportal.booking"
    verbose_name = _("Appointments")

    def ready(self):
        from eportal.accounts import hub

        from .hub import next_appointment

        hub.register(next_appointment, order=10)
