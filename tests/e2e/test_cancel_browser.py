"""Cancelling in a real browser, by keyboard alone, on a desktop (1280 px) and a phone (375 px): «Avbestill» on
«Mine timer» asks once more (the time, the practitioner, the type and the rule), «AVBESTILL TIME» cancels and
shows the receipt, and the time is then under «Tidligere timer», marked «Avbestilt». Each page passes axe-core's
WCAG 2.1 AA rules; the question and the receipt are kept as screenshots (in the temp folder, not the repository).
«Behold timen» leads back with nothing changed."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from eportal.booking.models import Appointment
from eportal.booking.services.appointments import book_slot
from tests import factories
from tests.factories import grant_for

from .account_steps import activated_user, h1, listed_patient, log_in, main
from .booking_steps import coming_appointments, shown_date
from .browser import DESKTOP, MOBILE, PageChecks, save_screenshot, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPE_NAME = "Vanlig konsultasjon"
SCREENS = {"desktop": DESKTOP, "mobil": MOBILE}  # 1280 and 375 px, both checked with axe
CANCEL_LINK = re.compile(r"^Avbestill timen ")


@pytest.fixture
def booked(clinic, live_server):
    """Sigrid (activated, on Marte Kvam's list) has booked 09:20 in four days."""
    sigrid = listed_patient()
    sigrid.user = activated_user(sigrid)
    day = timezone.localdate() + datetime.timedelta(days=4)
    slots = factories.schedule(
        sigrid.gp, day, blocks=[(datetime.time(8), datetime.time(10), True)], type_name=TYPE_NAME
    )
    appointment = book_slot(grant=grant_for(sigrid), slot_id=slots[4].pk, reason="Vondt i kneet")
    return {"patient": sigrid, "appointment": appointment}


def at(appointment: Appointment) -> str:
    starts = timezone.localtime(appointment.slot.starts_at)
    return f"{shown_date(starts)} kl. {starts:%H:%M}"


def press_on(page: Page, target) -> int:
    """Tab to the target as a keyboard user would, check that they can see it, and press Enter."""
    presses = tab_to(page, target)
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    page.keyboard.press("Enter")
    return presses


@pytest.mark.parametrize("screen", SCREENS)
def test_cancelling_asks_once_more_by_keyboard_and_the_time_moves_to_the_history(
    open_page, live_server, booked, screen
):
    origin = live_server.url.rstrip("/")
    patient, appointment = booked["patient"], booked["appointment"]
    check = PageChecks(screen, prefix="avbestill")
    starts = timezone.localtime(appointment.slot.starts_at)

    page = log_in(open_page, origin, patient, SCREENS[screen], bypass_csp=True)
    page.goto(origin + "/timer/")
    appointments = coming_appointments(page)
    expect(appointments).to_have_count(1)
    expect(appointments).to_contain_text(at(appointment))
    check("mine-timer", page)

    # «Avbestill» names the time it cancels to a screen reader; a GET asks, it does not cancel.
    press_on(page, appointments.get_by_role("link", name=CANCEL_LINK))
    expect(page).to_have_url(re.compile(rf"/timer/{appointment.pk}/avbestill/$"))
    expect(h1(page)).to_have_text("Vil du avbestille timen?")
    facts = main(page).locator("dl.facts")
    expect(facts).to_contain_text(f"Dag og dato{shown_date(starts)}")
    expect(facts).to_contain_text(f"Tidspunktkl. {starts:%H:%M}")
    expect(facts).to_contain_text(f"Hos{patient.gp.full_name}")
    expect(facts).to_contain_text(f"Type{TYPE_NAME}")
    expect(main(page)).to_contain_text("Avbestill senest 24 timer før, ellers kan legekontoret kreve gebyr")
    expect(main(page).get_by_role("link", name="Behold timen", exact=True)).to_have_attribute("href", "/timer/")
    appointment.refresh_from_db()
    assert appointment.cancelled_at is None
    check("bekreft", page)
    save_screenshot(page, f"avbestill-bekreft-{screen}")

    press_on(page, main(page).get_by_role("button", name="AVBESTILL TIME", exact=True))
    expect(page).to_have_url(re.compile(rf"/timer/{appointment.pk}/avbestilt/$"))
    expect(h1(page)).to_have_text("Timen er avbestilt")
    expect(main(page).locator(".lead")).to_contain_text(f"{at(appointment)}, {patient.gp.full_name}")
    expect(main(page)).to_contain_text(re.compile(r"Kvittering: avbestilt \d{1,2}\. \w+ \d{4} kl\. \d\d:\d\d\."))
    check("kvittering", page)
    save_screenshot(page, f"avbestill-kvittering-{screen}")
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None and appointment.cancelled_by_id == patient.user.pk

    # «Mine timer»: nothing coming; the time is under «Tidligere timer», marked «Avbestilt».
    press_on(page, main(page).get_by_role("link", name="Mine timer", exact=True))
    expect(h1(page)).to_have_text("Mine timer")
    expect(coming_appointments(page)).to_have_count(0)
    expect(main(page)).to_contain_text("Du har ingen kommende timer.")
    history = page.get_by_role("region", name="Tidligere timer").get_by_role("listitem")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(f"{shown_date(starts, 'j. F Y')} kl. {starts:%H:%M}")
    expect(history).to_contain_text("Avbestilt")
    check("mine-timer-etterpaa", page)

    check.assert_clean("cancelling")


def test_behold_timen_leads_back_and_keeps_the_appointment(open_page, live_server, booked):
    origin = live_server.url.rstrip("/")
    appointment = booked["appointment"]
    page = log_in(open_page, origin, booked["patient"])
    page.goto(origin + "/timer/")

    press_on(page, coming_appointments(page).get_by_role("link", name=CANCEL_LINK))
    expect(h1(page)).to_have_text("Vil du avbestille timen?")
    press_on(page, main(page).get_by_role("link", name="Behold timen", exact=True))

    expect(page).to_have_url(re.compile(r"/timer/$"))
    expect(coming_appointments(page)).to_have_count(1)
    expect(coming_appointments(page)).to_contain_text(at(appointment))
    appointment.refresh_from_db()
    assert appointment.cancelled_at is None
