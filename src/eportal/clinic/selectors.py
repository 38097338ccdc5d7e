"""Read queries on the clinic's registry."""

import datetime

from django.conf import settings
from django.utils import timezone

from eportal.core.prepared import Prepared

from .ages import has_own_access
from .models import Clinic, ListPatient

# Every page reads these two (compiled once: core/prepared.py).
_CLINIC = Prepared(lambda: Clinic.objects.filter(pk=Clinic.SINGLETON_ID)[:1])
_LISTED = Prepared(
    lambda national_id, today: (
        ListPatient.objects.on_list(today).select_related("gp").filter(national_id=national_id)[:1]
    )
)


def get_clinic() -> Clinic:
    """The clinic's row, made from the EPORTAL_CLINIC_* settings the first time it is asked for."""
    clinic = next(iter(_CLINIC()), None)
    if clinic is None:
        clinic, _ = Clinic.objects.get_or_create(
            pk=Clinic.SINGLETON_ID,
            defaults={
                "name": settings.EPORTAL_CLINIC_NAME,
                "street_address": settings.EPORTAL_CLINIC_ADDRESS,
                "phone": settings.EPORTAL_CLINIC_PHONE,
                "email": settings.EPORTAL_CLINIC_EMAIL,
            },
        )
    return clinic


def listed_patient(national_id: str):
    """The patient with this number if they are on the clinic's list today, else None."""
    return next(iter(_LISTED(national_id=national_id, today=timezone.localdate())), None)


def own_listed_patient(actor):
    """listed_patient() of the logged-in person, read once per request (the actor is the request's: Min side
    asks in several parts), or None."""
    number = getattr(actor.user, "national_id", "")
    if not number:
        return None
    key = ("own_listed_patient", number)
    if key not in actor.memo:
        actor.memo[key] = listed_patient(number)
    return actor.memo[key]


def registered_mobiles(patient, *, day: datetime.date | None = None) -> list[str]:
    """The mobiles the clinic has registered on this patient on the day (today): their own first (for a child,
    often a guardian's mobile registered on the child), then those registered for each guardian. From 16
    (ages.has_own_access) the data is the young person's own: a guardian's mobile (any guardian_mobile of the
    patient) no longer counts, not even where it stands as the patient's own."""
    day = day or timezone.localdate()
    guardians = list(patient.guardianships.values_list("guardian_mobile", flat=True))
    if has_own_access(patient.national_id, day):
        return [patient.mobile] if patient.mobile and patient.mobile not in guardians else []
    mobiles = [patient.mobile] if patient.mobile else []
    for mobile in guardians:
        if mobile not in mobiles:
            mobiles.append(mobile)
    return mobiles
