"""The demo clinic's appointment types and weekly schedule, its slots, and other patients' bookings."""

import datetime
import random

from django.conf import settings
from django.utils import timezone

from eportal.booking.models import Appointment, AppointmentType, Slot, WeeklySchedule
from eportal.booking.services.schedule import generate_slots
from eportal.clinic.models import ClosedDay, ListPatient, Practitioner

TYPES = [
    # name, minutes, role, online, reason required; patients see them in this order
    ("Vanlig konsultasjon", 20, Practitioner.Role.GP, True, True),
    ("Dobbelttime", 40, Practitioner.Role.GP, True, True),
    ("Videokonsultasjon", 20, Practitioner.Role.GP, True, True),
    ("Blodprøve", 10, Practitioner.Role.NURSE, True, False),
    ("Vaksinasjon", 15, Practitioner.Role.NURSE, True, False),
]
# What patients read under each type's name (AppointmentType.description).
DESCRIPTIONS = {
    "Vanlig konsultasjon": "Hos fastlegen, for én ting du trenger hjelp med.",
    "Dobbelttime": "Hos fastlegen, når du har flere ting eller trenger mer tid.",
    "Videokonsultasjon": "Samtale med fastlegen på video, når du ikke trenger å bli undersøkt.",
    "Blodprøve": "Hos sykepleier, når legen har bedt om prøver.",
    "Vaksinasjon": "Hos sykepleier, for vaksiner som influensa- og reisevaksiner.",
}
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


BOOKED_SHARE = 0.4  # of the online times in the coming two weeks, booked by other demo patients


def _book_some(*, seed: int = 5) -> None:
    """Other patients' bookings, so the staff pages show a working clinic and a cancelled earlier time can
    go to the waiting list. Written directly: the demo's outbox should not fill with their notices."""
    if Appointment.objects.exists():
        return
    rng = random.Random(seed)
    start = timezone.now() + datetime.timedelta(hours=1)
    slots = Slot.objects.filter(online=True, starts_at__gt=start, starts_at__lt=start + datetime.timedelta(days=14))
    patients_by_gp: dict[int, list[int]] = {}
    for patient_id, gp_id in ListPatient.objects.exclude(last_name="Nordmann").values_list("id", "gp_id"):
        patients_by_gp.setdefault(gp_id, []).append(patient_id)
    nurses_patients = [patient for patients in patients_by_gp.values() for patient in patients]
    bookings = []
    for slot in slots.select_related("practitioner"):
        pool = patients_by_gp.get(slot.practitioner_id) or nurses_patients
        if pool and rng.random() < BOOKED_SHARE:
            bookings.append(Appointment(slot=slot, patient_id=rng.choice(pool), reason=rng.choice(REASONS)))
    Appointment.objects.bulk_create(bookings, batch_size=1000)


REASONS = ["Kontroll", "Vondt i ryggen", "Fornye resept", "Hoste i to uker", "Svimmelhet", "Oppfølging"]


# Days the demo clinic closes itself (staff add such days in the admin, «Stengte dager»).
CLOSED_DAYS = [(12, 24, "Julaften"), (12, 31, "Nyttårsaften")]


def seed_booking() -> int:
    types = {}
    for position, (name, minutes, role, online, reason) in enumerate(TYPES, start=1):
        types[name], _ = AppointmentType.objects.update_or_create(
            name=name,
            defaults={
                "position": position * 10,
                "description": DESCRIPTIONS[name],
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
    today = timezone.localdate()
    for year in (today.year, today.year + 1):  # closed days of the clinic's own, as many clinics have them
        for month, day, reason in CLOSED_DAYS:
            ClosedDay.objects.get_or_create(date=datetime.date(year, month, day), defaults={"reason": reason})
    made = generate_slots(first_day=today, days=settings.EPORTAL_BOOKING_HORIZON_DAYS)
    _book_some()
    return made
