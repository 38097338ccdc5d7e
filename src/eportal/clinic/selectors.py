"""Read queries on the clinic's registry."""

from django.conf import settings

from .models import Clinic, ListPatient


def get_clinic() -> Clinic:
    """The clinic's row, made from the EPORTAL_CLINIC_* settings the first time it is asked for."""
    clinic = Clinic.objects.filter(pk=Clinic.SINGLETON_ID).first()
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
    return ListPatient.objects.on_list().select_related("gp").filter(national_id=national_id).first()


def registered_mobiles(patient) -> list[str]:
    """The mobiles the clinic registered on this patient: their own first (for a child, a guardian's
    mobile registered on the child), then those registered for each guardian."""
    mobiles = [patient.mobile] if patient.mobile else []
    for mobile in patient.guardianships.values_list("guardian_mobile", flat=True):
        if mobile not in mobiles:
            mobiles.append(mobile)
    return mobiles
