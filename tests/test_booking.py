"""Slots from the weekly schedule, booking and cancelling (the domain layer of issue 5)."""

import datetime
import functools
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from eportal.booking.models import Absence, Appointment, AppointmentType, Slot, WeeklySchedule
from eportal.booking.services import BookingError, book_slot, cancel_appointment, generate_slots
from eportal.core.actor import system_actor
from tests import factories
from tests.helpers import run_concurrently

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def clinic_day(db):
    gp = factories.practitioner("9100011")
    consultation = AppointmentType.objects.create(name="Vanlig konsultasjon", duration_minutes=20)
    for weekday in range(7):
        WeeklySchedule.objects.create(
            practitioner=gp,
            weekday=weekday,
            starts=datetime.time(8),
            ends=datetime.time(9),
            appointment_type=consultation,
        )
    return {"gp": gp, "type": consultation}


def local_starts(day):
    return [
        slot.starts_at.astimezone(OSLO).strftime("%H:%M %z")
        for slot in Slot.objects.filter(starts_at__date=day).order_by("starts_at")
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (datetime.date(2026, 3, 28), datetime.date(2026, 3, 29)),
        (datetime.date(2026, 10, 24), datetime.date(2026, 10, 25)),
    ],
    ids=["last-sunday-of-march", "last-sunday-of-october"],
)
def test_slots_keep_the_wall_clock_across_daylight_saving_changes(clinic_day, before, after):
    assert generate_slots(first_day=before, days=2) == 6
    offsets = {"+0100", "+0200"}
    assert {s.split()[0] for s in local_starts(before)} == {"08:00", "08:20", "08:40"}
    assert {s.split()[0] for s in local_starts(after)} == {"08:00", "08:20", "08:40"}
    assert {local_starts(before)[0].split()[1], local_starts(after)[0].split()[1]} == offsets
    for slot in Slot.objects.all():
        assert slot.ends_at - slot.starts_at == datetime.timedelta(minutes=20)


def test_generation_is_idempotent_and_skips_absences_and_holidays(clinic_day):
    start = datetime.date(2026, 12, 21)
    Absence.objects.create(practitioner=clinic_day["gp"], first_day=start, last_day=start, note="kurs")
    Absence.objects.create(first_day=datetime.date(2026, 12, 24), last_day=datetime.date(2026, 12, 26), note="jul")
    made = generate_slots(first_day=start, days=7)
    assert made == 3 * 3  # 7 days, less one absence and three clinic holidays
    assert generate_slots(first_day=start, days=7) == 0


@pytest.fixture
def future_slots(clinic_day):
    generate_slots(first_day=timezone.localdate() + datetime.timedelta(days=3), days=3)
    return list(Slot.objects.order_by("starts_at"))


def test_booking_and_cancelling_before_the_deadline(future_slots, clinic_day, django_user_model):
    patient = factories.list_patient(clinic_day["gp"])
    appointment = book_slot(patient=patient, slot_id=future_slots[0].pk, reason="Vondt i ryggen", actor=system_actor())
    assert appointment.slot == future_slots[0]
    cancel_appointment(appointment_id=appointment.pk, patient=patient, actor=system_actor())
    # The slot is free again.
    other = factories.list_patient(clinic_day["gp"])
    assert book_slot(patient=other, slot_id=future_slots[0].pk, reason="Kontroll", actor=system_actor())


def test_rules_refuse_with_a_norwegian_message(future_slots, clinic_day):
    patient = factories.list_patient(clinic_day["gp"])
    book_slot(patient=patient, slot_id=future_slots[0].pk, reason="a", actor=system_actor())
    other = factories.list_patient(clinic_day["gp"])
    with pytest.raises(BookingError, match="Timen er dessverre ikke lenger ledig"):
        book_slot(patient=other, slot_id=future_slots[0].pk, reason="b", actor=system_actor())
    with pytest.raises(BookingError, match="kort grunn"):
        book_slot(patient=patient, slot_id=future_slots[1].pk, reason="  ", actor=system_actor())
    book_slot(patient=patient, slot_id=future_slots[1].pk, reason="b", actor=system_actor())
    with pytest.raises(BookingError, match="2 fremtidige timer"):
        book_slot(patient=patient, slot_id=future_slots[2].pk, reason="c", actor=system_actor())
    elsewhere = factories.list_patient(factories.practitioner("9100022"))
    with pytest.raises(BookingError, match="egen fastlege"):
        book_slot(patient=elsewhere, slot_id=future_slots[3].pk, reason="d", actor=system_actor())
    Slot.objects.filter(pk=future_slots[4].pk).update(online=False)
    with pytest.raises(BookingError, match="kan ikke bestilles på nett"):
        book_slot(patient=other, slot_id=future_slots[4].pk, reason="e", actor=system_actor())
    with pytest.raises(BookingError, match="kan ikke bestilles på nett"):
        book_slot(patient=other, slot_id=999999, reason="e", actor=system_actor())
    assert Appointment.objects.count() == 2


def test_no_overlapping_bookings_for_one_patient(clinic_day):
    day = timezone.localdate() + datetime.timedelta(days=4)
    double = AppointmentType.objects.create(name="Dobbelttime", duration_minutes=40)
    second_gp_block = WeeklySchedule.objects.create(
        practitioner=clinic_day["gp"],
        weekday=day.weekday(),
        starts=datetime.time(10),
        ends=datetime.time(11),
        appointment_type=double,
    )
    generate_slots(first_day=day, days=1)
    nurse = factories.practitioner("9100077", role="nurse", has_patient_list=False)
    vaccine = AppointmentType.objects.create(name="Vaksinasjon", duration_minutes=15, practitioner_role="nurse")
    WeeklySchedule.objects.create(
        practitioner=nurse,
        weekday=day.weekday(),
        starts=datetime.time(8),
        ends=datetime.time(9),
        appointment_type=vaccine,
    )
    generate_slots(first_day=day, days=1)
    patient = factories.list_patient(clinic_day["gp"])
    gp_slot = (
        Slot.objects.filter(practitioner=clinic_day["gp"], appointment_type=clinic_day["type"])
        .order_by("starts_at")
        .first()
    )
    nurse_slot = Slot.objects.filter(
        practitioner=nurse, starts_at__lt=gp_slot.ends_at, ends_at__gt=gp_slot.starts_at
    ).first()
    book_slot(patient=patient, slot_id=gp_slot.pk, reason="a", actor=system_actor())
    with pytest.raises(BookingError, match="allerede en time på det tidspunktet"):
        book_slot(patient=patient, slot_id=nurse_slot.pk, reason="b", actor=system_actor())
    assert second_gp_block


def test_cancelling_after_the_deadline_or_someone_elses_appointment_is_refused(clinic_day, settings):
    generate_slots(first_day=timezone.localdate() + datetime.timedelta(days=1), days=1)
    slot = Slot.objects.order_by("starts_at").first()
    patient = factories.list_patient(clinic_day["gp"])
    appointment = book_slot(patient=patient, slot_id=slot.pk, reason="a", actor=system_actor())
    stranger = factories.list_patient(clinic_day["gp"])
    with pytest.raises(BookingError, match="fant ikke"):
        cancel_appointment(appointment_id=appointment.pk, patient=stranger, actor=system_actor())
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = 72
    with pytest.raises(BookingError, match="Fristen for å avbestille"):
        cancel_appointment(appointment_id=appointment.pk, patient=patient, actor=system_actor())
    assert Appointment.objects.get().cancelled_at is None


@pytest.mark.django_db(transaction=True)
def test_one_hundred_concurrent_bookings_of_one_slot_give_exactly_one_appointment():
    gp = factories.practitioner("9100011")
    consultation = AppointmentType.objects.create(name="Vanlig konsultasjon", duration_minutes=20)
    slot = Slot.objects.create(
        practitioner=gp,
        appointment_type=consultation,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        ends_at=timezone.now() + datetime.timedelta(days=2, minutes=20),
    )
    patients = [factories.list_patient(gp) for _ in range(100)]
    outcomes = run_concurrently(
        [
            functools.partial(book_slot, patient=patient, slot_id=slot.pk, reason="samtidig", actor=system_actor())
            for patient in patients
        ],
        error=BookingError,
    )
    outcomes = ["booked" if isinstance(outcome, Appointment) else str(outcome) for outcome in outcomes]
    assert outcomes.count("booked") == 1, outcomes[:5]
    assert outcomes.count("Timen er dessverre ikke lenger ledig") == 99
    assert Appointment.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1
