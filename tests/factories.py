"""Small builders for tests: synthetic people and a clinic registry."""

import datetime
import itertools
import random

from eportal.clinic.models import ListPatient, Practitioner
from eportal.identity.synthetic import synthetic_national_id

_rng = random.Random(4711)
_mobiles = itertools.count(91000001)


_used: set[str] = set()


def national_id(born: datetime.date | None = None) -> str:
    """A synthetic fødselsnummer not handed out before in this test run (an adult's unless `born`)."""
    while True:
        day = born or datetime.date(1950, 1, 1) + datetime.timedelta(days=_rng.randrange(50 * 365))
        number = synthetic_national_id(day, rng=_rng)
        if number not in _used:
            _used.add(number)
            return number


def mobile() -> str:
    return f"+47{next(_mobiles)}"


def practitioner(hpr="9100011", **fields) -> Practitioner:
    defaults = {
        "first_name": "Ingrid",
        "last_name": "Haugen",
        "role": Practitioner.Role.GP,
        "has_patient_list": True,
    }
    return Practitioner.objects.create(hpr_number=hpr, **{**defaults, **fields})


def list_patient(gp: Practitioner, **fields) -> ListPatient:
    defaults = {
        "national_id": national_id(),
        "first_name": "Kari",
        "last_name": "Nordmann",
        "mobile": mobile(),
    }
    return ListPatient.objects.create(gp=gp, **{**defaults, **fields})


def schedule_day(practitioner: Practitioner, day: datetime.date, blocks, type_name="Vanlig konsultasjon"):
    """One day's slots for the practitioner: blocks of (from, to, online) times; returns them in order."""
    from eportal.booking.models import AppointmentType, Slot, WeeklySchedule
    from eportal.booking.services import generate_slots

    consultation, _ = AppointmentType.objects.get_or_create(name=type_name, defaults={"duration_minutes": 20})
    for starts, ends, online in blocks:
        WeeklySchedule.objects.create(
            practitioner=practitioner,
            weekday=day.weekday(),
            starts=starts,
            ends=ends,
            appointment_type=consultation,
            online=online,
        )
    generate_slots(first_day=day, days=1)
    return list(Slot.objects.filter(practitioner=practitioner).order_by("starts_at"))
