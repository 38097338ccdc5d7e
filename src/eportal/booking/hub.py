"""Booking's part of «Min side»: the next appointment of the patient the person acts for."""

from django.utils import timezone

from eportal.core.actor import Actor
from eportal.representation.policy import Capability, Grant, grant

from .models import Appointment


def next_appointment_for(granted: Grant, *, now=None):
    """The patient's next appointment that is not cancelled, with its practitioner, or None (one query)."""
    granted.require(Capability.APPOINTMENTS)
    return (
        Appointment.objects.select_related("slot__practitioner")
        .filter(patient=granted.patient, cancelled_at__isnull=True, slot__starts_at__gt=now or timezone.now())
        .order_by("slot__starts_at", "pk")
        .first()
    )


def next_appointment(actor: Actor, context: dict) -> dict:
    if not context.get("hub_can", {}).get(Capability.APPOINTMENTS):
        return {}
    return {"hub_next_appointment": next_appointment_for(grant(actor, Capability.APPOINTMENTS))}
