"""Booking's part of «Min side»: the next appointment of the patient the person acts for."""

from django.utils import timezone

from eportal.core.actor import Actor
from eportal.representation.policy import Capability, grant

from .selectors import next_appointment as next_appointment_of


def next_appointment(actor: Actor, context: dict) -> dict:
    if not context.get("hub_can", {}).get(Capability.APPOINTMENTS):
        return {}
    granted = grant(actor, Capability.APPOINTMENTS)
    return {"hub_next_appointment": next_appointment_of(granted.patient, timezone.now())}
