"""Public holidays and the clinic's own closed days: no times are made on them, free times already made are
withdrawn (booked ones kept and shown to staff), and the capacity page names them.

The clock stands at Tuesday 1 December 2026, 09:00 in Oslo, so that 1. juledag 2026 is a coming day whenever
the suite runs (every part reads the time through django.utils.timezone)."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from eportal.audit.models import AuditEvent
from eportal.booking.models import Appointment, Slot, WaitlistEntry, WaitlistOffer
from eportal.booking.selectors import local_day_bounds
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_for_clinic
from eportal.booking.services.closed_days import withdraw_free_slots
from eportal.booking.services.schedule import generate_slots
from eportal.clinic.models import ClosedDay
from eportal.clinic.working_days import closed_days
from eportal.core.actor import system_actor
from tests import factories
from tests.factories import grant_for
from tests.helpers import staff_login
from tests.test_staff_pages import make_staff

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=OSLO)
CHRISTMAS = datetime.date(2026, 12, 25)  # 1. juledag, a Friday
NEW_YEAR = datetime.date(2027, 1, 1)  # 1. nyttårsdag, a Friday
EASTER_2027 = [datetime.date(2027, 3, day) for day in (25, 26, 28, 29)]  # skjærtorsdag to 2. påskedag
CONSTITUTION_DAY = datetime.date(2027, 5, 17)  # a Monday
INVENTORY = datetime.date(2026, 12, 28)  # a Monday the clinic closes itself


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(datetime.UTC))


def days_with_slots(practitioner) -> set[datetime.date]:
    return {timezone.localdate(starts) for starts in practitioner.slots.values_list("starts_at", flat=True)}


def slots_on(day: datetime.date):
    start, end = local_day_bounds(day)
    return Slot.objects.filter(starts_at__gte=start, starts_at__lt=end)


def test_no_times_are_made_on_public_holidays_or_the_clinics_closed_days(family):
    factories.schedule(family["gp"], weekdays=range(5))  # the weekly schedule, Monday to Friday
    ClosedDay.objects.create(date=INVENTORY, reason="Varetelling")
    generate_slots(first_day=datetime.date(2026, 12, 21), days=200)
    made = days_with_slots(family["gp"])
    for closed in [CHRISTMAS, NEW_YEAR, *EASTER_2027, CONSTITUTION_DAY, INVENTORY]:
        assert closed not in made, closed
    # The days around them are worked: julaften (a Thursday) is no public holiday, nor is onsdag før skjærtorsdag.
    for open_day in [datetime.date(2026, 12, 24), datetime.date(2026, 12, 29), datetime.date(2027, 3, 24)]:
        assert open_day in made, open_day


def test_holidays_are_named_in_norwegian_and_a_closed_day_by_its_reason(db):
    ClosedDay.objects.create(date=INVENTORY, reason="Romjulen")
    names = closed_days(datetime.date(2026, 12, 21), datetime.date(2027, 5, 17))
    assert names[CHRISTMAS] == "1. juledag"
    assert names[datetime.date(2026, 12, 26)] == "2. juledag"
    assert names[NEW_YEAR] == "1. nyttårsdag"
    assert names[datetime.date(2027, 3, 26)] == "Langfredag"
    assert names[CONSTITUTION_DAY] == "17. mai · 2. pinsedag"  # both fall on Monday 17 May 2027
    assert names[INVENTORY] == "Romjulen"
    assert datetime.date(2026, 12, 24) not in names


def slots_made_before_the_rule(practitioner, *days):
    """Times on the days as a schedule run before holidays were left out would have made them."""
    kind = factories.appointment_type()
    for day in days:
        for hour in (8, 9):
            starts = datetime.datetime.combine(day, datetime.time(hour), tzinfo=OSLO)
            Slot.objects.create(
                practitioner=practitioner,
                appointment_type=kind,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=20),
            )


def test_withdrawal_removes_free_times_on_closed_days_and_keeps_booked_ones(family):
    factories.schedule(family["gp"], weekdays=range(5))
    ClosedDay.objects.create(date=INVENTORY, reason="Varetelling")
    slots_made_before_the_rule(family["gp"], CHRISTMAS, NEW_YEAR, INVENTORY)
    generate_slots(first_day=datetime.date(2026, 12, 21), days=14)  # and an ordinary week around them
    christmas_morning = slots_on(CHRISTMAS).order_by("starts_at").first()
    booked = book_slot(grant=grant_for(family["kari"]), slot_id=christmas_morning.pk, reason="Kontroll")
    ordinary = slots_on(datetime.date(2026, 12, 23)).count()

    result = withdraw_free_slots(
        actor=system_actor(operator="test"), first_day=datetime.date(2026, 12, 21), last_day=NEW_YEAR
    )

    assert result.withdrawn == 5 and result.kept_booked == 1
    assert list(slots_on(CHRISTMAS)) == [christmas_morning]  # the booked time is kept
    assert Appointment.objects.get(pk=booked.pk).cancelled_at is None
    assert not slots_on(NEW_YEAR).exists() and not slots_on(INVENTORY).exists()
    assert slots_on(datetime.date(2026, 12, 23)).count() == ordinary > 0  # open days are left alone
    assert AuditEvent.objects.filter(action="closed_day_slots_withdrawn").count() == 1


def test_a_withdrawn_time_with_a_history_is_blocked_and_its_waiting_list_hold_withdrawn(family):
    """A cancelled appointment (PROTECT) or a waiting-list offer keeps the slot's row: it is blocked instead."""
    gp = family["gp"]
    factories.schedule(gp, datetime.date(2026, 12, 30), days=1)
    later = slots_on(datetime.date(2026, 12, 30)).order_by("starts_at").last()
    slots_made_before_the_rule(gp, CHRISTMAS)
    first, second = slots_on(CHRISTMAS).order_by("starts_at")
    grant = grant_for(family["kari"])
    entry = WaitlistEntry.objects.create(appointment=book_slot(grant=grant, slot_id=later.pk, reason="Kontroll"))
    cancelled = book_slot(grant=grant_for(family["emma"]), slot_id=first.pk, reason="Kontroll")
    cancel_for_clinic(actor=system_actor(operator="test"), appointment_id=cancelled.pk)
    # The freed 1. juledag time is held for Kari on the waiting list (as it could be before this rule).
    offer = WaitlistOffer.objects.create(entry=entry, slot=first, expires_at=NOW + datetime.timedelta(hours=2))

    withdraw_free_slots(actor=system_actor(operator="test"), first_day=CHRISTMAS, last_day=CHRISTMAS)

    first.refresh_from_db()
    assert first.blocked
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.WITHDRAWN
    assert not WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OPEN).exists()  # not offered on
    assert not Slot.objects.filter(pk=second.pk).exists()


def test_the_daily_generate_slots_run_withdraws_free_times_on_closed_days(family):
    from django.core.management import call_command

    factories.schedule(family["gp"], weekdays=range(5))
    slots_made_before_the_rule(family["gp"], CHRISTMAS, NEW_YEAR)
    call_command("generate_slots", days=56)
    assert not slots_on(CHRISTMAS).exists() and not slots_on(NEW_YEAR).exists()
    assert slots_on(datetime.date(2026, 12, 23)).exists()


@pytest.fixture
def staff_client(client, django_user_model):
    staff_login(client, make_staff(django_user_model, is_superuser=True))
    return client


def test_capacity_page_names_holidays_and_closed_days_and_warns_of_appointments_booked_on_them(family, staff_client):
    factories.schedule(family["gp"], weekdays=range(5))
    slots_made_before_the_rule(family["gp"], CHRISTMAS)
    christmas_morning = slots_on(CHRISTMAS).order_by("starts_at").first()
    book_slot(grant=grant_for(family["kari"]), slot_id=christmas_morning.pk, reason="Kontroll")
    ClosedDay.objects.create(date=INVENTORY, reason="Romjulen")
    generate_slots(first_day=timezone.localdate(), days=56)

    html = staff_client.get("/personale/belegg/?weeks=6").content.decode()

    closed = re.search(r'<section aria-labelledby="closed-days">(.*?)</section>', html, re.S).group(1)
    assert "Stengte dager i perioden" in closed
    assert re.search(r"fredag 25\. desember</time>: 1\. juledag", closed)
    assert re.search(r"lørdag 26\. desember</time>: 2\. juledag", closed)
    assert re.search(r"mandag 28\. desember</time>: Romjulen", closed)
    assert re.search(r"fredag 1\. januar</time>: 1\. nyttårsdag", closed)
    warning = re.search(r'<div class="notice" role="alert" id="booked-on-closed-days">(.*?)</div>', html, re.S)
    assert warning, "no warning of the appointment booked on 1. juledag"
    assert "Bestilte timer på dager legekontoret er stengt" in warning.group(1)
    assert "fredag 25. desember, 1. juledag" in warning.group(1)
    link = re.search(r'<a href="([^"]+)">08:00 ' + family["gp"].full_name + "</a>", warning.group(1))
    assert link and link.group(1).replace("&amp;", "&").endswith(f"practitioner={family['gp'].pk}&day=2026-12-25")
    assert family["kari"].first_name not in warning.group(1)  # no patient on this page
    # The booked online time's row in the table says the day is closed.
    assert re.search(r"fre 25\. desember <span class=\"helptext\">\(stengt: 1\. juledag\)</span>", html)


def test_capacity_page_without_bookings_on_closed_days_has_no_warning(family, staff_client):
    factories.schedule(family["gp"], weekdays=range(5))
    generate_slots(first_day=timezone.localdate(), days=56)
    html = staff_client.get("/personale/belegg/").content.decode()  # four weeks: to 28 December
    assert "booked-on-closed-days" not in html
    assert "1. juledag" in html


def test_saving_a_closed_day_in_the_admin_withdraws_that_days_free_times(family, staff_client):
    factories.schedule(family["gp"], weekdays=range(5))
    generate_slots(first_day=timezone.localdate(), days=56)
    day = datetime.date(2026, 12, 30)
    booked_slot = slots_on(day).order_by("starts_at").first()
    book_slot(grant=grant_for(family["kari"]), slot_id=booked_slot.pk, reason="Kontroll")
    assert slots_on(day).count() > 1

    response = staff_client.post(
        reverse("admin:clinic_closedday_add"), {"date": "30.12.2026", "reason": "Varetelling"}, follow=True
    )

    assert response.status_code == 200
    assert ClosedDay.objects.filter(date=day, reason="Varetelling").exists()
    assert list(slots_on(day)) == [booked_slot]  # the free times are gone, the booked one kept
    html = response.content.decode()
    assert "ledige timer den dagen ble trukket tilbake" in html
    assert "1 bestilt time den dagen er beholdt" in html
    # The admin page speaks Norwegian.
    page = staff_client.get(reverse("admin:clinic_closedday_changelist")).content.decode()
    assert "Stengte dager" in page and "Varetelling" in page


def test_deleting_a_closed_day_in_the_admin_makes_its_times_again(family, staff_client):
    factories.schedule(family["gp"], weekdays=range(5))
    generate_slots(first_day=timezone.localdate(), days=56)
    day = datetime.date(2026, 12, 30)
    made = slots_on(day).count()
    staff_client.post(reverse("admin:clinic_closedday_add"), {"date": "30.12.2026", "reason": "Varetelling"})
    assert not slots_on(day).exists()
    closed_day = ClosedDay.objects.get(date=day)
    staff_client.post(reverse("admin:clinic_closedday_delete", args=[closed_day.pk]), {"post": "yes"})
    assert not ClosedDay.objects.exists()
    assert slots_on(day).count() == made


def test_the_admin_refuses_a_second_closed_day_on_the_same_date_in_norwegian(db, staff_client):
    ClosedDay.objects.create(date=INVENTORY, reason="Romjulen")
    response = staff_client.post(reverse("admin:clinic_closedday_add"), {"date": "28.12.2026", "reason": "Annet"})
    assert response.status_code == 200
    assert "finnes allerede" in response.content.decode()
    assert ClosedDay.objects.count() == 1


def test_the_demo_has_no_times_on_holidays(db):
    from eportal.demo.clinic import seed_demo_clinic

    seed_demo_clinic()  # seeds the schedule and its slots (demo.schedule.seed_booking) for 56 days
    assert Slot.objects.exists()
    for holiday in (CHRISTMAS, datetime.date(2026, 12, 26), NEW_YEAR):
        assert not slots_on(holiday).exists(), holiday
    # Julaften and nyttårsaften are the demo clinic's own closed days, in the admin for staff to change.
    assert dict(ClosedDay.objects.filter(date__year=2026).values_list("date", "reason")) == {
        datetime.date(2026, 12, 24): "Julaften",
        datetime.date(2026, 12, 31): "Nyttårsaften",
    }
    assert not slots_on(datetime.date(2026, 12, 24)).exists()
    assert slots_on(datetime.date(2026, 12, 23)).exists()
    assert slots_on(datetime.date(2026, 12, 28)).exists()


def test_the_patients_week_names_a_holiday_and_says_the_clinic_is_closed_without_the_staff_reason(family, logged_in):
    factories.schedule(family["gp"], weekdays=range(5))
    ClosedDay.objects.create(date=INVENTORY, reason="Romjulen: varetelling")
    generate_slots(first_day=timezone.localdate(), days=56)
    type_id = Slot.objects.values_list("appointment_type_id", flat=True).first()

    christmas_week = logged_in.get(f"/timer/bestill/{type_id}/?uke=2026-W52").content.decode()
    friday = re.search(r'<h2 id="day-5">fredag 25\. desember</h2>\s*(.*?)</section>', christmas_week, re.S)
    assert friday and '<p class="helptext">Stengt: 1. juledag</p>' in friday.group(1)
    thursday = re.search(r'<h2 id="day-4">torsdag 24\. desember</h2>\s*(.*?)</section>', christmas_week, re.S)
    assert 'class="slot"' in thursday.group(1)  # julaften is not a public holiday

    next_week = logged_in.get(f"/timer/bestill/{type_id}/?uke=2026-W53").content.decode()
    monday = re.search(r'<h2 id="day-1">mandag 28\. desember</h2>\s*(.*?)</section>', next_week, re.S)
    assert '<p class="helptext">Legekontoret er stengt</p>' in monday.group(1)
    assert "varetelling" not in next_week.lower()
    friday = re.search(r'<h2 id="day-5">fredag 1\. januar</h2>\s*(.*?)</section>', next_week, re.S)
    assert "Stengt: 1. nyttårsdag" in friday.group(1)
