"""Whom a logged-in person may act for. Every patient page resolves its patient here, never from an id
in the URL alone, so that acting for a child, when it comes, changes this one place."""

from django.core.exceptions import PermissionDenied

from eportal.clinic.selectors import listed_patient
from eportal.core.actor import Actor


def acting_patient(actor: Actor):
    """The list patient the actor acts for now: for the time being, themselves."""
    patient = listed_patient(actor.user.national_id) if actor.user is not None else None
    if patient is None:
        raise PermissionDenied
    return patient
