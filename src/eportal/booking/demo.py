"""The demo clinic's appointment types and weekly schedule (issue 5's examples), and its slots."""

import datetime

from django.conf import settings
from django.utils import timezone

from eportal.clinic.models import Practitioner

from .models import AppointmentType, WeeklySchedule
from .services import generate_slots

TYPES = [
    # name, minutes, role, online, reason required
    ("Vanlig konsultasjon", 20, Practitioner.Role.GP, True, True),
    ("Dobbelttime", 40, Practitioner.Role.GP, True, True),
    ("Videokonsultasjon", 20, Practitioner.Role.GP, True, True),
    ("Vaksinasjon", 15, Practitioner.Role.NURSE, True, False),
    ("Blodprøve", 10, Practitioner.Role.NURSE, True, False),
]
# Weekday blocks: (from, to, type name, released online)
GP_DAY = [
    (datetime.time(8, 0), datetime.time(11, 20), "Vanlig konsultasjon", True),
    (datetime.time(12, 0), datetime.time(13, 20), "Dobbelttime", True),
    (datetime.time(13, 20), datetime.time(14, 0), "Videokonsultasjon", True),
    (datetime.time(14, 0), datetime.time(15, 0), "Vanlig konsultasjon", False),  # kept for the phone
]
NURSE_DAY = [
    (datetime.time(8, 0), datetime.time(10, 0), "Blodprøve", True),
    (datetime.time(10, 0), datetime.time(12, 0), "Vaksinasjon", True),
]


def seed_booking() -> int:
    types = {}
    for name, minutes, role, online, reason in TYPES:
        types[name], _ = AppointmentType.objects.update_or_create(
            name=name,
            defaults={
                "duration_minutes": minutes,
                "practitioner_role": role,
                "bookable_online": online,
                "reason_required": reason,
            },
        )
    for practitioner in Practitioner.objects.filter(active=True).exclude(role=Practitioner.Role.OTHER):
        day = GP_DAY if practitioner.role == Practitioner.Role.GP else NURSE_DAY
        for weekday in range(5):
            for starts, ends, name, online in day:
                WeeklySchedule.objects.get_or_create(
                    practitioner=practitioner,
                    weekday=weekday,
                    starts=starts,
                    defaults={"ends": ends, "appointment_type": types[name], "online": online},
                )
    return generate_slots(first_day=timezone.localdate(), days=settings.EPORTAL_BOOKING_HORIZON_DAYS)
