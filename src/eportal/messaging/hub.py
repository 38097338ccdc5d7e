"""Messaging's part of «Min side»: how many of the clinic's messages the patient has not read."""

from eportal.core.actor import Actor
from eportal.representation.policy import Capability, grant

from .selectors import unread_for_patient


def unread_messages(actor: Actor, context: dict) -> dict:
    if not context.get("hub_can", {}).get(Capability.MESSAGES):
        return {}
    return {"hub_unread": unread_for_patient(grant(actor, Capability.MESSAGES))}
