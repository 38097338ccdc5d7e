"""The hottest read queries are compiled once (core/prepared.py): for every value they give what the ordinary
queryset gives, each call with its own values (also from several threads at once), and a builder whose SQL
is not fixed by its shape is refused the first time it runs, before it could answer wrongly."""

import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from eportal.booking import selectors
from eportal.booking.models import Appointment, AppointmentType, Slot, WaitlistEntry, WaitlistOffer
from eportal.clinic import selectors as clinic_selectors
from eportal.clinic.models import ListPatient, Practitioner
from eportal.core.prepared import Prepared, PreparedError
from tests import factories
from tests.helpers import run_concurrently

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
AFTERNOON = (datetime.time(12), datetime.time(13), True)


def make_clinic():
    """Two GPs and two nurses with two weeks of times, list patients (one gone from the list), appointments
    coming, begun and cancelled, a waiting-list entry and a held offer."""
    first = factories.open_day(1)
    gps = [factories.practitioner("9100011"), factories.practitioner("9100012", first_name="Per", last_name="Lie")]
    nurses = [
        factories.practitioner(f"91000{n}", first_name="Sara", last_name=f"Berg{n}", role=Practitioner.Role.NURSE)
        for n in (21, 22)
    ]
    for gp in gps:
        factories.schedule(gp, first, days=14, blocks=(factories.MORNING, AFTERNOON), weekdays=range(5))
    for nurse in nurses:
        factories.schedule(
            nurse, first, days=14, weekdays=range(5), type_name="Blodprøve", practitioner_role=Practitioner.Role.NURSE
        )
    joined = timezone.localdate() - 30 * DAY
    patients = [factories.list_patient(gps[n % 2], on_list_from=joined) for n in range(4)]
    gone = factories.list_patient(gps[0], on_list_from=joined, on_list_to=timezone.localdate() - DAY)
    slots = list(Slot.objects.order_by("starts_at", "pk"))
    for number, slot in enumerate(slots[:24]):
        appointment = Appointment.objects.create(slot=slot, patient=patients[number % 4], reason="")
        if number % 5 == 0:
            Appointment.objects.filter(pk=appointment.pk).update(cancelled_at=timezone.now())
    begun = Appointment.objects.filter(patient=patients[0]).first()
    Slot.objects.filter(pk=begun.slot_id).update(starts_at=timezone.now() - 3 * DAY, ends_at=timezone.now() - 2 * DAY)
    waiting = Appointment.objects.filter(patient=patients[1], cancelled_at__isnull=True).last()
    entry = WaitlistEntry.objects.create(appointment=waiting)
    WaitlistOffer.objects.create(entry=entry, slot=slots[-1], expires_at=timezone.now() + datetime.timedelta(hours=2))
    return patients, gone


def model_rows(objects):
    """Instances as comparable rows: their fields, the annotations and the related rows select_related read."""

    def row(obj):
        fields = {key: value for key, value in vars(obj).items() if not key.startswith("_")}
        related = {name: row(other) for name, other in obj._state.fields_cache.items() if other is not None}
        return (type(obj).__name__, sorted(fields.items()), sorted(related.items()))

    return [row(obj) for obj in objects]


def test_each_hot_query_gives_what_the_ordinary_queryset_gives():
    patients, gone = make_clinic()
    now = timezone.now()
    moments = [now, now + 3 * DAY, now + 10 * DAY, now - 5 * DAY]
    checked = 0

    def same(prepared, *, models=False, shape=None, **values):
        nonlocal checked
        fast, ordinary = prepared(shape, **values), list(prepared.queryset(shape, **values))
        if models:
            assert model_rows(fast) == model_rows(ordinary), values
        else:
            assert fast == ordinary, values
        checked += 1
        return fast

    shown_rows = 0
    for patient in [*patients, gone]:
        for at in moments:
            coming = same(selectors._COMING, models=True, patient_id=patient.pk, now=at)
            history = same(selectors._HISTORY, patient_id=patient.pk, now=at)
            same(selectors._AHEAD, shape={"most": 2}, patient_id=patient.pk, now=at)
            shown_rows += len(coming) + len(history)
            for kind in AppointmentType.objects.all():
                people = selectors.practitioners_for(patient, kind)
                for monday in (
                    timezone.localdate() - DAY * timezone.localdate().weekday() + 7 * DAY * w for w in range(3)
                ):
                    start, end = selectors.local_day_bounds(monday, 7)
                    shown_rows += len(
                        same(
                            selectors._FREE_IN_WEEK,
                            people=people,
                            type_id=kind.pk,
                            role=kind.practitioner_role,
                            now=at,
                            start=start,
                            end=end,
                        )
                    )
        for day in (timezone.localdate(), timezone.localdate() - 2 * DAY):
            found = same(clinic_selectors._LISTED, models=True, national_id=patient.national_id, today=day)
            assert bool(found) == (patient != gone or day < timezone.localdate())
    for kind in AppointmentType.objects.all():
        same(selectors._BOOKABLE_TYPE, models=True, type_id=kind.pk)
    same(selectors._BOOKABLE_TYPE, models=True, type_id=10**6)
    assert checked > 150 and shown_rows > 300  # the comparisons compared something


def test_the_free_week_shows_each_patient_their_own_gps_times_and_the_nurses_to_all():
    patients, _gone = make_clinic()
    gp_type, nurse_type = (
        AppointmentType.objects.get(name="Vanlig konsultasjon"),
        AppointmentType.objects.get(name="Blodprøve"),
    )
    monday = factories.open_day(1) - DAY * factories.open_day(1).weekday()
    for patient in patients:
        own = selectors.free_slots_in_week(patient=patient, appointment_type=gp_type, monday=monday + 7 * DAY)
        assert own and {row["practitioner_id"] for row in own} == {patient.gp_id}
        nurses = selectors.free_slots_in_week(patient=patient, appointment_type=nurse_type, monday=monday + 7 * DAY)
        assert len({row["practitioner_id"] for row in nurses}) == 2
    with override_settings(EPORTAL_BOOKING_ANY_PRACTITIONER=True):  # a changed setting: both GPs
        rows = selectors.free_slots_in_week(patient=patients[0], appointment_type=gp_type, monday=monday + 7 * DAY)
        assert len({row["practitioner_id"] for row in rows}) == 2


@pytest.mark.django_db(transaction=True)
def test_threads_at_once_each_get_their_own_patients_rows():
    patients, _gone = make_clinic()
    now = timezone.now()

    def coming(patient):
        return lambda: [appointment.pk for appointment in selectors._COMING(patient_id=patient.pk, now=now)]

    outcomes = run_concurrently([coming(patients[n % 4]) for n in range(16)])
    for n, outcome in enumerate(outcomes):
        expected = Appointment.objects.filter(
            patient=patients[n % 4], cancelled_at__isnull=True, slot__starts_at__gt=now
        ).order_by("slot__starts_at", "pk")
        assert outcome == [appointment.pk for appointment in expected] and outcome


def test_a_changed_setting_compiles_the_query_again():
    factories.appointment_type("Lang time", duration_minutes=20)
    factories.appointment_type("Kort time", duration_minutes=30)
    by_setting = Prepared(
        lambda: AppointmentType.objects.filter(duration_minutes=settings.EPORTAL_BOOKING_MAX_FUTURE * 10).values_list(
            "name", flat=True
        )
    )
    with override_settings(EPORTAL_BOOKING_MAX_FUTURE=2):
        assert by_setting() == ["Lang time"]
    with override_settings(EPORTAL_BOOKING_MAX_FUTURE=3):
        assert by_setting() == ["Kort time"]


@pytest.mark.parametrize(
    ("build", "values", "says"),
    [
        # What the builder read from the database would be frozen into the SQL.
        (
            lambda: Slot.objects.filter(practitioner_id__in=list(Practitioner.objects.values_list("pk", flat=True))),
            {},
            "read the database",
        ),
        # A value computed from a value: the stand-ins would not show where it goes.
        (
            lambda now: Slot.objects.filter(starts_at__gt=now - datetime.timedelta(hours=1)),
            {"now": timezone.now()},
            "computed from the values",
        ),
        # The clock read inside: today would stay today.
        (lambda: ListPatient.objects.on_list(), {}, "not a value"),
        (
            lambda patient_id: Appointment.objects.filter(patient_id=patient_id, slot__starts_at__gt=timezone.now()),
            {"patient_id": 1},
            "computed from the values",
        ),  # fmt: skip
        # A value that changes the SQL itself.
        (lambda most: Slot.objects.all()[:most], {"most": 3}, "SQL depends on the values"),
        (lambda online: Slot.objects.filter(online=online), {"online": True}, "shape"),
        (lambda at: Slot.objects.filter(starts_at=at), {"at": datetime.datetime(2026, 12, 1)}, "aware"),
    ],
)
def test_a_builder_whose_sql_is_not_fixed_is_refused(build, values, says):
    with pytest.raises(PreparedError, match=says):
        Prepared(build)(**values)
