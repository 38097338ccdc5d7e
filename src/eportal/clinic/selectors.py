"""Read queries on the clinic's registry."""

from django.conf import settings

from .models import Clinic


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
