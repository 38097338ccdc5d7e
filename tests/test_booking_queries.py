"""The booking pages make the same number of queries however much data there is (docs/architecture.md: selectors are
built for a constant number of queries per page). Counted, not timed: the count does not depend on the
machine. bench/booking_bench.py measures the time."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eportal.booking.models import Appointment, Slot
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.waitlist import join_waitlist
from tests import factories
from tests.factories import grant_for
from tests.test_staff_pages import staff, staff_client  # noqa: F401 - fixtures

DAY = datetime.time(8), datetime.time(16), True  # 24 twenty-minute online times a day


@pytest.fixture
def first_day(db):
    return factories.open_day(2)


def queries(client, url) -> int:
    client.get(url)  # the first request may warm caches (clinic row, session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(gp, first_day, patient, *, days=14, others=40):
    """More of everything the pages read: days of slots, other patients' bookings, the patient's own past
    and future appointments (cancelled ones too) and waiting-list entries."""
    factories.schedule(gp, first_day + datetime.timedelta(days=1), days=days, blocks=[DAY])
    slots = list(Slot.objects.filter(appointments__isnull=True).order_by("starts_at"))
    for slot in slots[1:others:2]:
        book_slot(grant=grant_for(factories.list_patient(gp)), slot_id=slot.pk, reason="x")
    past = timezone.now() - datetime.timedelta(days=30)
    for index in range(30):
        old = Slot.objects.create(
            practitioner=gp,
            appointment_type=slots[0].appointment_type,
            starts_at=past - datetime.timedelta(days=index),
            ends_at=past - datetime.timedelta(days=index) + datetime.timedelta(minutes=20),
        )
        Appointment.objects.create(slot=old, patient=patient, reason="x", cancelled_at=past if index % 3 else None)
    coming = book_slot(grant=grant_for(patient), slot_id=slots[-1].pk, reason="x")
    join_waitlist(appointment_id=coming.pk, grant=grant_for(patient))


def week_of(day: datetime.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_free_times_and_mine_timer_do_not_grow_with_the_data(logged_in, family, first_day, settings):
    settings.EPORTAL_BOOKING_MAX_FUTURE = 5  # grow() books more for Kari: the pages must still list times
    slots = factories.schedule(family["gp"], first_day, blocks=[DAY])
    book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="x")  # each list has one
    type_id = slots[0].appointment_type_id
    far = first_day + datetime.timedelta(days=70)  # a week without times: the page looks up the first free one
    pages = [
        "/timer/bestill/",
        f"/timer/bestill/{type_id}/?uke={week_of(first_day)}",
        f"/timer/bestill/{type_id}/?uke={week_of(far)}",
        "/timer/",
    ]
    before = [queries(logged_in, url) for url in pages]
    grow(family["gp"], first_day, family["kari"])
    after = [queries(logged_in, url) for url in pages]
    assert Appointment.objects.count() > 50 and Slot.objects.count() > 250
    assert after == before, f"queries before {before}, after {after} (types, a week, an empty week, Mine timer)"
    # At the limit on future bookings the pages say so, with no more queries than with times to show.
    settings.EPORTAL_BOOKING_MAX_FUTURE = 2
    at_limit = [queries(logged_in, url) for url in pages[:2]]
    assert at_limit[0] <= before[0] and at_limit[1] <= before[1]


def test_the_staff_day_list_does_not_grow_with_the_bookings(staff_client, family, first_day):  # noqa: F811
    slots = factories.schedule(family["gp"], first_day, blocks=[DAY])
    url = f"/personale/dagsliste/?practitioner={family['gp'].pk}&day={first_day.isoformat()}"
    book_slot(grant=grant_for(factories.list_patient(family["gp"])), slot_id=slots[0].pk, reason="x")
    before = queries(staff_client, url)
    for slot in slots[1:]:
        book_slot(grant=grant_for(factories.list_patient(family["gp"])), slot_id=slot.pk, reason="x")
    assert queries(staff_client, url) == before


def test_a_week_of_free_times_walks_the_practitioners_own_times(family, first_day):
    """The week's query reads one GP's times of the type through the (practitioner, type, starts_at) index, not
    every practitioner's times of the type that week (which grows with the clinic: bench/README.md)."""
    from eportal.booking import selectors

    slots = factories.schedule(family["gp"], first_day, blocks=[DAY])
    monday = first_day - datetime.timedelta(days=first_day.weekday())
    with CaptureQueriesContext(connection) as captured:
        rows = selectors.free_slots_in_week(
            patient=family["kari"], appointment_type=slots[0].appointment_type, monday=monday
        )
    assert [row["pk"] for row in rows] == [slot.pk for slot in slots]
    assert rows[0]["practitioner_name"] == family["gp"].full_name
    (query,) = [query for query in captured.captured_queries if 'FROM "booking_slot"' in query["sql"]]
    if connection.vendor == "sqlite":  # PostgreSQL's planner reads a table this small whole, rightly
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX slot_practitioner_type_time" in plan, plan
