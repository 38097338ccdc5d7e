"""The capacity page in a real browser around Christmas: it names 1. juledag and the clinic's own closed day,
warns of the appointment still booked on 1. juledag with a link to that day list, passes axe-core's WCAG 2.1
AA rules and fits a 320 px screen.

The clock stands at Tuesday 1 December 2026, 09:00 in Oslo (the live server runs in this process and reads
the time through django.utils.timezone), so that 1. juledag 2026 is a coming day whenever the suite runs."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from eportal.booking.models import Slot
from eportal.booking.services.appointments import book_slot
from eportal.clinic.models import ClosedDay
from tests import factories
from tests.factories import grant_for

from .account_steps import h1, listed_patient, main
from .browser import SCREENS, PageChecks, save_screenshot
from .test_staff_browser import staff, staff_log_in, staff_nav  # noqa: F401  (staff is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=OSLO)


@pytest.fixture
def christmas(clinic, monkeypatch):
    """Sigrid's GP works weekdays 08:00–09:00; a time on 1. juledag made before the rule is booked by Sigrid,
    and the clinic closes Monday 28 December for «Romjulen»."""
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(datetime.UTC))
    ClosedDay.objects.create(date=datetime.date(2026, 12, 28), reason="Romjulen")
    sigrid = listed_patient()
    slots = factories.schedule(sigrid.gp, datetime.date(2026, 12, 21), days=14, weekdays=range(5))
    starts = datetime.datetime(2026, 12, 25, 8, 0, tzinfo=OSLO)
    held = Slot.objects.create(
        practitioner=sigrid.gp,
        appointment_type=slots[0].appointment_type,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=20),
    )
    book_slot(grant=grant_for(sigrid), slot_id=held.pk, reason="Kontroll")
    return {"gp": sigrid.gp}


@pytest.mark.parametrize("screen", SCREENS)
def test_capacity_page_names_closed_days_and_warns_of_a_booking_on_one(open_page, christmas, staff, screen):  # noqa: F811
    check = PageChecks(screen, prefix="stengte-dager")
    page = open_page("/personale/logg-inn/", SCREENS[screen][0], bypass_csp=True)
    staff_log_in(page, staff)
    staff_nav(page).get_by_role("link", name="Belegg", exact=True).click()
    expect(h1(page)).to_have_text("Bestilte og ledige nettimer")

    warning = main(page).get_by_role("alert")
    expect(warning).to_contain_text("Bestilte timer på dager legekontoret er stengt")
    expect(warning).to_contain_text("fredag 25. desember, 1. juledag")
    closed = main(page).get_by_role("region", name="Stengte dager i perioden")
    expect(closed).to_contain_text("fredag 25. desember: 1. juledag")
    expect(closed).to_contain_text("mandag 28. desember: Romjulen")
    check("belegg", page)
    save_screenshot(page, f"stengte-dager-belegg-{screen}")  # kept as an artefact of the run

    warning.get_by_role("link", name=f"08:00 {christmas['gp'].full_name}", exact=True).click()
    expect(page).to_have_url(re.compile(r"day=2026-12-25"))
    expect(main(page)).to_contain_text("Sigrid")  # the day list shows who, to move or cancel the time
    check.assert_clean("closed days")
