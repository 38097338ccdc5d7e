"""Messaging's part of «Min side»: how many of the clinic's messages the patient has not read."""

from eportal.core.actor import Actor
from eportal.representation.policy import Capability, Grant, grant

from .models import Message


def unread_count(granted: Grant) -> int:
    """The clinic's messages to the patient not yet read on the patient's side, in all threads (one query)."""
    granted.require(Capability.MESSAGES)
    return Message.objects.filter(
        thread__patient=granted.patient, author_role=Message.Role.STAFF, read_by_patient_at__isnull=True
    ).count()


def unread_messages(actor: Actor, context: dict) -> dict:
    if not context.get("hub_can", {}).get(Capability.MESSAGES):
        return {}
    return {"hub_unread": unread_count(grant(actor, Capability.MESSAGES))}
