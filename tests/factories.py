"""Small builders for tests: synthetic people, a clinic registry and its schedule."""

import datetime
import io
import itertools
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from eportal.accounts.models import User
from eportal.booking.models import AppointmentType, Slot, WeeklySchedule
from eportal.booking.services.schedule import generate_slots
from eportal.clinic.models import Guardianship, ListPatient, Practitioner
from eportal.clinic.working_days import closed_days
from eportal.core.actor import HIGH, Actor, system_actor
from eportal.identity.synthetic import synthetic_national_id
from eportal.messaging import consultations
from eportal.representation.policy import Capability, grant

_rng = random.Random(4711)
_mobiles = itertools.count(91000001)


_used: set[str] = set()  # this test's numbers: one birth date has only some 400, and many tests share one


def forget_national_ids() -> None:
    """Before each test (conftest): its database starts empty, so every number is free again."""
    _used.clear()


def national_id(born: datetime.date | None = None) -> str:
    """A synthetic fødselsnummer not handed out before in this test (an adult's unless `born`)."""
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


def grant_for(patient: ListPatient, capability: str = Capability.APPOINTMENTS):
    """The policy's grant for the patient acting for themselves, through their user (an inactive one is made
    if they have none, so nobody is told more than before)."""
    user = User.objects.filter(national_id=patient.national_id).first() or User.objects.create_user(
        username=patient.national_id, national_id=patient.national_id, is_active=False
    )
    return grant(system_actor(user=user), capability)


def open_day(after: int = 1, *, days: int = 1) -> datetime.date:
    """The first day at least `after` days from today that starts `days` days in a row the clinic is open
    (no public holiday, no closed day): slots are made on those days whatever the date the tests run."""
    first = timezone.localdate() + datetime.timedelta(days=after)
    while closed := closed_days(first, first + datetime.timedelta(days=days - 1)):
        first = max(closed) + datetime.timedelta(days=1)
    return first


def open_day_in_week(monday: datetime.date) -> datetime.date | None:
    """The week's last weekday from Friday back that is after today and open (Friday unless a holiday or the
    clinic's closed day falls on it), or None when the week holds no such day."""
    closed = closed_days(monday, monday + datetime.timedelta(days=4))
    for offset in (4, 3, 2, 1, 0):
        day = monday + datetime.timedelta(days=offset)
        if day > timezone.localdate() and day not in closed:
            return day
    return None


MORNING = (datetime.time(8), datetime.time(9), True)  # 08:00–09:00 online: three 20-minute times


def appointment_type(name="Vanlig konsultasjon", **fields):
    """The appointment type of that name, made (20 minutes, with a GP, bookable online) if missing."""
    return AppointmentType.objects.get_or_create(name=name, defaults={"duration_minutes": 20, **fields})[0]


def schedule(
    practitioner: Practitioner,
    first_day: datetime.date | None = None,
    *,
    days: int = 1,
    blocks=(MORNING,),
    weekdays=None,
    type_name="Vanlig konsultasjon",
    **type_fields,
):
    """The practitioner's weekly schedule: `blocks` of (from, to, online) times of one appointment type
    (`type_name`, made with `type_fields` if missing) on `weekdays` (default: those of the days made, or
    every day). From `first_day`, the slots of `days` days are made (without it, the weekly schedule only,
    for a test of generate_slots). Returns all the practitioner's slots, in order."""
    kind = appointment_type(type_name, **type_fields)
    if weekdays is None and first_day is None:
        weekdays = range(7)
    elif weekdays is None:
        weekdays = {(first_day + datetime.timedelta(days=offset)).weekday() for offset in range(min(days, 7))}
    for weekday in sorted(weekdays):
        for starts, ends, online in blocks:
            WeeklySchedule.objects.get_or_create(
                practitioner=practitioner,
                weekday=weekday,
                starts=starts,
                ends=ends,
                appointment_type=kind,
                online=online,
            )
    if first_day is not None:
        generate_slots(first_day=first_day, days=days)
    return list(Slot.objects.filter(practitioner=practitioner).order_by("starts_at"))


def photo(name="utslett.jpg", size=(64, 48)):
    """A small JPEG as a browser uploads it, for a message's attachment."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def bankid_actor(patient: ListPatient, **fields) -> Actor:
    """The patient (or, with acting_for, someone acting for another) logged in with BankID, through their user."""
    user = User.objects.filter(national_id=patient.national_id).first() or User.objects.create_user(
        username=patient.national_id, national_id=patient.national_id
    )
    return Actor(user=user, level=HIGH, **fields)


def sent_ekonsultasjon(
    patient: ListPatient, *, declared="", actor=None, price_version=None, subject="Utslett", body="Utslett på armen."
):
    """An eKonsultasjon as the form sends it, with BankID: no urgent symptoms, the price shown confirmed. Its
    thread."""
    granted = grant(actor or bankid_actor(patient), Capability.EKONSULTASJON)
    return consultations.send_consultation(
        grant=granted,
        subject=subject,
        body=body,
        declared_exemption=declared,
        no_urgent_symptoms=True,
        price_confirmed=True,
        price_version=price_version or consultations.quote_for(granted).version,
    ).thread


def born_years_ago(years: int) -> datetime.date:
    """A birth date that makes one `years` old (and some weeks) today, whatever the day the tests run: the
    rules for guardians change at 12 and 16."""
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - datetime.timedelta(days=40)


def child_of(parent: ListPatient, *, first_name: str, years: int) -> ListPatient:
    """A child of `years` (and some weeks) on the parent's GP's list, with the parent's mobile, the parent their
    registered guardian."""
    child = list_patient(
        parent.gp,
        national_id=national_id(born_years_ago(years)),
        first_name=first_name,
        last_name=parent.last_name,
        mobile=parent.mobile,
        on_list_from=datetime.date(2020, 1, 1),
    )
    Guardianship.objects.create(child=child, guardian_national_id=parent.national_id, guardian_mobile=parent.mobile)
    return child
