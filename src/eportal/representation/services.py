"""Whom a logged-in person may act for. Every patient page resolves its patient here, never from an id
in the URL alone, so that acting for a child (a later issue) changes this one place."""

from django.core.exceptions import PermissionDenied

from eportal.clinic.selectors import listed_patient


def acting_patient(request):
    """The list patient the logged-in person acts for now: for the time being, themselves."""
    patient = listed_patient(request.user.national_id) if request.user.is_authenticated else None
    if patient is None:
        raise PermissionDenied
    return patient
