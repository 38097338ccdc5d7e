"""Read queries for accounts: the one way from a patient (their fødselsnummer) to their portal account."""

import datetime

from django.utils import timezone

from eportal.clinic.ages import has_own_access
from eportal.clinic.selectors import registered_mobiles

from .models import User


def account_of(national_id: str, *, active: bool | None = None) -> User | None:
    """The portal account of the person with this number: any, or only an active or an inactive one."""
    accounts = User.objects.filter(national_id=national_id)
    if active is not None:
        accounts = accounts.filter(is_active=active)
    return accounts.first()


def made_for_a_child(user: User, patient, day: datetime.date) -> bool:
    """The account was made before the patient turned 16 (the seed's way: by a guardian, with the guardian's
    mobile), and the patient is 16 now: that mobile no longer opens it; they register with their own."""
    return has_own_access(patient.national_id, day) and not has_own_access(
        patient.national_id, timezone.localtime(user.date_joined).date()
    )


# Why an account has no mobile for SMS codes (sms_route), for the refusal the person reads.
GROWN_UP = "grown_up"  # made for a child who is 16 now (made_for_a_child)
NO_LONGER_REGISTERED = "no_longer_registered"  # the mobile it was accepted with is no longer registered
NONE_REGISTERED = "none_registered"  # the clinic has no mobile registered on the patient


def sms_route(user: User, patient, *, day: datetime.date | None = None) -> tuple[str, str]:
    """Where the account's SMS (login codes, notices) go on the day (today), as (mobile, ""), or ("", why not).

    Under 16 several people's mobiles can be registered on the patient (the child's, each guardian's): the
    account's SMS go to the mobile its registration was accepted with (code_mobile), while the clinic still
    has it registered, never silently to another one. From 16 only the patient's own mobile counts as
    registered (clinic.selectors.registered_mobiles), so SMS go to the one the clinic has now, as for any
    adult. An account without code_mobile (made before it was stored) gets the first registered. An account
    made for a child who is 16 now gets none."""
    day = day or timezone.localdate()
    if made_for_a_child(user, patient, day):
        return "", GROWN_UP
    mobiles = registered_mobiles(patient, day=day)
    if user.code_mobile and not has_own_access(patient.national_id, day):
        return (user.code_mobile, "") if user.code_mobile in mobiles else ("", NO_LONGER_REGISTERED)
    return (mobiles[0], "") if mobiles else ("", NONE_REGISTERED)


def sms_mobile(user: User, patient, *, day: datetime.date | None = None) -> str:
    """sms_route's mobile: "" when there is none to send to."""
    return sms_route(user, patient, day=day)[0]
