"""Slots from the weekly schedule, booking and cancelling: the services and the rules they share with the pages."""

import datetime
import functools
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from eportal.booking import selectors
from eportal.booking.errors import BookingError
from eportal.booking.models import Absence, Appointment, AppointmentType, Slot
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_appointment
from eportal.booking.services.schedule import generate_slots
from eportal.clinic.models import Practitioner
from tests import factories
from tests.factories import grant_for
from tests.helpers import run_concurrently

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def clinic_day(db):
    """A GP with 08:00–09:00 online every day (three 20-minute times); no slots made yet."""
    gp = factories.practitioner("9100011")
    factories.schedule(gp)
    return {"gp": gp, "type": factories.appointment_type()}


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
    """The GP's nine times of the three days from three days ahead."""
    return factories.schedule(clinic_day["gp"], factories.open_day(3, days=3), days=3)


def test_booking_and_cancelling_before_the_deadline(future_slots, clinic_day, django_user_model):
    patient = factories.list_patient(clinic_day["gp"])
    appointment = book_slot(grant=grant_for(patient), slot_id=future_slots[0].pk, reason="Vondt i ryggen")
    assert appointment.slot == future_slots[0]
    cancel_appointment(appointment_id=appointment.pk, grant=grant_for(patient))
    # The slot is free again.
    other = factories.list_patient(clinic_day["gp"])
    assert book_slot(grant=grant_for(other), slot_id=future_slots[0].pk, reason="Kontroll")


def test_rules_refuse_with_a_norwegian_message(future_slots, clinic_day):
    patient = factories.list_patient(clinic_day["gp"])
    book_slot(grant=grant_for(patient), slot_id=future_slots[0].pk, reason="a")
    other = factories.list_patient(clinic_day["gp"])
    with pytest.raises(BookingError, match="Timen er dessverre ikke lenger ledig"):
        book_slot(grant=grant_for(other), slot_id=future_slots[0].pk, reason="b")
    with pytest.raises(BookingError, match="kort grunn"):
        book_slot(grant=grant_for(patient), slot_id=future_slots[1].pk, reason="  ")
    book_slot(grant=grant_for(patient), slot_id=future_slots[1].pk, reason="b")
    with pytest.raises(BookingError, match="2 fremtidige timer"):
        book_slot(grant=grant_for(patient), slot_id=future_slots[2].pk, reason="c")
    elsewhere = factories.list_patient(factories.practitioner("9100022"))
    with pytest.raises(BookingError, match="egen fastlege"):
        book_slot(grant=grant_for(elsewhere), slot_id=future_slots[3].pk, reason="d")
    Slot.objects.filter(pk=future_slots[4].pk).update(online=False)
    with pytest.raises(BookingError, match="kan ikke bestilles på nett"):
        book_slot(grant=grant_for(other), slot_id=future_slots[4].pk, reason="e")
    with pytest.raises(BookingError, match="kan ikke bestilles på nett"):
        book_slot(grant=grant_for(other), slot_id=999999, reason="e")
    assert Appointment.objects.count() == 2


def test_no_overlapping_bookings_for_one_patient(clinic_day):
    day = factories.open_day(4)
    gp_slot = factories.schedule(clinic_day["gp"], day)[0]  # 08:00–08:20
    nurse = factories.practitioner("9100077", role="nurse", has_patient_list=False)
    factories.schedule(nurse, day, type_name="Vaksinasjon", duration_minutes=15, practitioner_role="nurse")
    nurse_slot = Slot.objects.filter(
        practitioner=nurse, starts_at__lt=gp_slot.ends_at, ends_at__gt=gp_slot.starts_at
    ).first()
    patient = factories.list_patient(clinic_day["gp"])
    book_slot(grant=grant_for(patient), slot_id=gp_slot.pk, reason="a")
    with pytest.raises(BookingError, match="allerede en time på det tidspunktet"):
        book_slot(grant=grant_for(patient), slot_id=nurse_slot.pk, reason="b")
    assert not Appointment.objects.filter(slot=nurse_slot).exists()


def test_a_booked_double_length_time_blocks_the_patients_overlapping_time(clinic_day):
    """A 40-minute «Dobbelttime» 10:00–10:40 overlaps a 20-minute time 10:20–10:40 with the nurse: the patient
    cannot have both; the time right after it (10:40) is theirs to book."""
    day = factories.open_day(4)
    ten_to_ten_forty = (datetime.time(10), datetime.time(10, 40), True)
    factories.schedule(clinic_day["gp"], day, blocks=[ten_to_ten_forty], type_name="Dobbelttime", duration_minutes=40)
    double = Slot.objects.get(appointment_type__name="Dobbelttime")
    nurse = factories.practitioner("9100077", role="nurse", has_patient_list=False)
    twenty_past_ten_to_eleven = (datetime.time(10, 20), datetime.time(11), True)
    overlapping, after = factories.schedule(
        nurse, day, blocks=[twenty_past_ten_to_eleven], type_name="Sårskift", practitioner_role="nurse"
    )
    assert double.ends_at - double.starts_at == datetime.timedelta(minutes=40)
    assert overlapping.starts_at < double.ends_at and overlapping.ends_at - overlapping.starts_at == (
        datetime.timedelta(minutes=20)
    )
    patient = factories.list_patient(clinic_day["gp"])
    book_slot(grant=grant_for(patient), slot_id=double.pk, reason="Sammensatte plager")
    with pytest.raises(BookingError, match="allerede en time på det tidspunktet"):
        book_slot(grant=grant_for(patient), slot_id=overlapping.pk, reason="Sår")
    assert not Appointment.objects.filter(slot=overlapping).exists()
    assert book_slot(grant=grant_for(patient), slot_id=after.pk, reason="Sår").slot == after


def test_cancelling_after_the_deadline_or_someone_elses_appointment_is_refused(clinic_day, settings):
    slot = factories.schedule(clinic_day["gp"], factories.open_day(1))[0]
    patient = factories.list_patient(clinic_day["gp"])
    appointment = book_slot(grant=grant_for(patient), slot_id=slot.pk, reason="a")
    stranger = factories.list_patient(clinic_day["gp"])
    with pytest.raises(BookingError, match="fant ikke"):
        cancel_appointment(appointment_id=appointment.pk, grant=grant_for(stranger))
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = 72
    with pytest.raises(BookingError, match="Fristen for å avbestille"):
        cancel_appointment(appointment_id=appointment.pk, grant=grant_for(patient))
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
            functools.partial(book_slot, grant=grant_for(patient), slot_id=slot.pk, reason="samtidig")
            for patient in patients
        ],
        error=BookingError,
    )
    outcomes = ["booked" if isinstance(outcome, Appointment) else str(outcome) for outcome in outcomes]
    assert outcomes.count("booked") == 1, outcomes[:5]
    assert outcomes.count("Timen er dessverre ikke lenger ledig") == 99
    assert Appointment.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1


def inactive_type(slot, patient):
    AppointmentType.objects.filter(pk=slot.appointment_type_id).update(active=False)


def type_not_shown_to_patients(slot, patient):
    AppointmentType.objects.filter(pk=slot.appointment_type_id).update(shown_to_patients=False)


def type_for_nurses(slot, patient):
    AppointmentType.objects.filter(pk=slot.appointment_type_id).update(practitioner_role=Practitioner.Role.NURSE)


def inactive_practitioner(slot, patient):
    Practitioner.objects.filter(pk=slot.practitioner_id).update(active=False)


def another_gps_patient(slot, patient):
    patient.gp = factories.practitioner("9100022", first_name="Per", last_name="Lien")
    patient.save(update_fields=["gp"])


NOT_ONLINE = "Denne timen kan ikke bestilles på nett.", "not_bookable"
OWN_GP_ONLY = "På nett kan du bestille time hos din egen fastlege.", "own_gp_only"
OUTSIDE_THE_RULE = [
    (inactive_type, NOT_ONLINE),
    (type_not_shown_to_patients, NOT_ONLINE),
    (type_for_nurses, NOT_ONLINE),
    (inactive_practitioner, NOT_ONLINE),
    (another_gps_patient, OWN_GP_ONLY),
]


@pytest.mark.parametrize(("change", "refusal"), OUTSIDE_THE_RULE, ids=[c.__name__ for c, _ in OUTSIDE_THE_RULE])
def test_a_time_the_free_time_page_leaves_out_is_refused_by_the_booking_service(
    future_slots, clinic_day, change, refusal
):
    message, code = refusal
    slot = future_slots[0]
    patient = factories.list_patient(clinic_day["gp"])
    assert slot in selectors.free_online_slots(patient=patient, appointment_type=slot.appointment_type)
    change(slot, patient)
    slot.refresh_from_db()
    assert slot not in selectors.free_online_slots(patient=patient, appointment_type=slot.appointment_type)
    with pytest.raises(BookingError, match=message) as refused:
        book_slot(grant=grant_for(patient), slot_id=slot.pk, reason="Kontroll")
    assert refused.value.code == code
    assert not Appointment.objects.exists()


def test_a_time_that_has_passed_is_refused_with_its_own_message(future_slots, clinic_day):
    slot = future_slots[0]
    past = timezone.now() - datetime.timedelta(minutes=5)
    Slot.objects.filter(pk=slot.pk).update(starts_at=past, ends_at=past + datetime.timedelta(minutes=20))
    patient = factories.list_patient(clinic_day["gp"])
    with pytest.raises(BookingError, match="Tidspunktet har passert") as refused:
        book_slot(grant=grant_for(patient), slot_id=slot.pk, reason="Kontroll")
    assert refused.value.code == "time_passed" and not Appointment.objects.exists()


def test_any_gp_may_be_booked_when_the_setting_allows_it(future_slots, clinic_day, settings):
    settings.EPORTAL_BOOKING_ANY_PRACTITIONER = True
    elsewhere = factories.list_patient(factories.practitioner("9100022"))
    slot = future_slots[0]
    assert slot in selectors.free_online_slots(patient=elsewhere, appointment_type=slot.appointment_type)
    assert book_slot(grant=grant_for(elsewhere), slot_id=slot.pk, reason="Kontroll").slot == slot


def test_cancelling_online_is_possible_until_the_deadline_and_not_after(future_slots, clinic_day, settings):
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = 24
    patient = factories.list_patient(clinic_day["gp"])
    appointment = book_slot(grant=grant_for(patient), slot_id=future_slots[0].pk, reason="a")
    deadline = selectors.cancellation_deadline(appointment.slot)
    assert deadline == appointment.slot.starts_at - datetime.timedelta(hours=24)
    assert selectors.can_cancel_online(appointment, deadline)
    assert not selectors.can_cancel_online(appointment, deadline + datetime.timedelta(microseconds=1))
    cancel_appointment(appointment_id=appointment.pk, grant=grant_for(patient))
    appointment.refresh_from_db()
    assert not selectors.can_cancel_online(appointment, deadline - datetime.timedelta(days=1))  # cancelled
