"""Read queries for accounts: the one way from a patient (their fødselsnummer) to their portal account."""

import datetime

from django.db.models import Exists
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


def has_active_account(national_id) -> Exists:
    """For a query over patients: whether the number (an OuterRef) has an active account."""
    return Exists(User.objects.filter(national_id=national_id, is_active=True))


def made_for_a_child(user: User, patient, day: datetime.date) -> bool:
    """The account was made before the patient turned 16 (the seed's way: by a guardian, with the guardian's
    mobile), and the patient is 16 now: that mobile no longer opens it; they register with their own."""
    return has_own_access(patient.national_id, day) and not has_own_access(
        patient.national_id, timezone.localtime(user.date_joined).date()
    )


def sms_mobile(user: User, patient, *, day: datetime.date | None = None) -> str:
    """Where the account's SMS (login codes, notices) go: the mobile its registration was accepted with, while
    the clinic still has it registered on the patient (else none: never another registered mobile); for an
    account without one, the first registered. None ("") for an account made for a child who is now 16."""
    day = day or timezone.localdate()
    if made_for_a_child(user, patient, day):
        return ""
    mobiles = registered_mobiles(patient)
    if user.code_mobile:
        return user.code_mobile if user.code_mobile in mobiles else ""
    return mobiles[0] if mobiles else ""
