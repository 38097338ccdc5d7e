"""«Bestill time» and «Mine timer» in a real browser: a logged-in patient books the first free time, adds it to
the calendar and cancels it; and every booking page passes axe-core's WCAG 2.1 AA rules on a desktop and a
phone and fits a 320 px screen without sideways scrolling (WCAG 1.4.10 Reflow)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories

from .account_steps import activated_user, h1, listed_patient, log_in, main
from .booking_steps import open_my_appointments
from .browser import DESKTOP, SCREENS, PageChecks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPE_NAME = "Vanlig konsultasjon"
REASON_LABEL = "Kort grunn for timen"
REASON = "Vondt i kneet"
REASON_MAX_LENGTH = 300
FREE_TIME = 'a[href^="/timer/bestill/tid/"]'  # a time of the week shown, or «Første ledige time»


@pytest.fixture
def patient(clinic):
    """Sigrid, activated, on Marte Kvam's list; Marte has 08:00–09:00 (three 20-minute slots) every day from
    the day after tomorrow, and another patient already has the very first slot."""
    from eportal.booking.services.appointments import book_slot

    patient = listed_patient()
    patient.user = activated_user(patient)
    factories.schedule(patient.gp, timezone.localdate() + datetime.timedelta(days=2), days=3, type_name=TYPE_NAME)
    book_slot(
        grant=factories.grant_for(factories.list_patient(patient.gp)), slot_id=first_slot().pk, reason="Allerede tatt"
    )
    return patient


def first_slot():
    from eportal.booking.models import Slot

    return Slot.objects.order_by("starts_at").first()


def earliest_free_slot():
    """The soonest slot with no active appointment, found without the code under test."""
    from eportal.booking.models import Slot

    return next(
        slot
        for slot in Slot.objects.order_by("starts_at")
        if not slot.appointments.filter(cancelled_at__isnull=True).exists()
    )


def local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def test_patient_books_the_first_free_time_gets_the_calendar_file_and_cancels(
    open_page, live_server, patient, tmp_path
):
    from eportal.booking.models import Appointment

    origin = live_server.url.rstrip("/")
    expected = earliest_free_slot()
    assert expected != first_slot(), "the set-up should leave the very first slot taken"
    starts = local(expected.starts_at)

    page = log_in(open_page, origin, patient)

    # Min side → "Bestill time".
    main(page).get_by_role("link", name="Bestill time", exact=True).click()
    expect(page).to_have_url(re.compile(r"/timer/bestill/$"))
    expect(h1(page)).to_have_text("Bestill time")
    expect(main(page)).to_contain_text("Hva slags time trenger du?")
    main(page).get_by_role("link", name=TYPE_NAME, exact=True).click()

    # "Velg tidspunkt": this week, days as headings; the first time offered (in a week without times, «Første
    # ledige time») is the earliest free slot.
    expect(page).to_have_url(re.compile(r"/timer/bestill/\d+/$"))
    expect(h1(page)).to_have_text(re.compile(r"^Velg tidspunkt"))
    expect(main(page)).to_contain_text(TYPE_NAME)
    first_time = main(page).locator(FREE_TIME).first
    expect(first_time).to_have_attribute("href", f"/timer/bestill/tid/{expected.pk}/")
    expect(first_time).to_contain_text(f"{starts:%H:%M}")
    # The slot another patient has is not offered at all.
    taken_href = f"/timer/bestill/tid/{first_slot().pk}/"
    expect(main(page).locator(f'a[href="{taken_href}"]')).to_have_count(0)
    first_time.click()

    # "Bekreft timen": the time, the GP and the type, then a short reason.
    expect(page).to_have_url(re.compile(rf"/timer/bestill/tid/{expected.pk}/$"))
    expect(h1(page)).to_have_text("Bekreft timen")
    facts = main(page).locator("dl.facts")
    expect(facts).to_contain_text(f"{starts:%H:%M}")
    expect(facts).to_contain_text(f"{starts.day}.")
    expect(facts).to_contain_text(patient.gp.full_name)
    expect(facts).to_contain_text(TYPE_NAME)
    page.get_by_label(REASON_LABEL, exact=True).fill(REASON)
    page.get_by_role("button", name="BESTILL TIME", exact=True).click()

    # "Timen er bestilt".
    expect(page).to_have_url(re.compile(r"/timer/\d+/bestilt/$"))
    expect(h1(page)).to_have_text("Timen er bestilt")
    expect(main(page).locator(".lead")).to_contain_text(f"{starts:%H:%M}")
    expect(main(page).locator(".lead")).to_contain_text(patient.gp.full_name)
    appointment = Appointment.objects.get(patient=patient, cancelled_at__isnull=True)
    assert appointment.slot_id == expected.pk
    assert appointment.reason == REASON
    assert appointment.booked_by_id == patient.user.pk

    # The calendar file: a download, whose event starts when the slot does.
    with page.expect_download() as download_info:
        main(page).get_by_role("link", name="Legg i kalenderen (.ics)", exact=True).click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename == f"time-{appointment.pk}.ics"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    calendar = saved.read_bytes().decode("utf-8")  # as sent: RFC 5545 lines end in CRLF
    assert calendar.startswith("BEGIN:VCALENDAR\r\n"), calendar[:200]
    assert "BEGIN:VEVENT" in calendar and "STATUS:CONFIRMED" in calendar, calendar
    dtstart = re.search(r"^DTSTART:(\S+)\r?$", calendar, re.MULTILINE)
    assert dtstart, calendar
    assert dtstart.group(1) == expected.starts_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    dtend = re.search(r"^DTEND:(\S+)\r?$", calendar, re.MULTILINE).group(1)
    assert dtend == expected.ends_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert REASON not in calendar  # never the reason
    # The download did not navigate away.
    expect(h1(page)).to_have_text("Timen er bestilt")

    # "Mine timer" lists the appointment under "Kommende timer".
    appointments = open_my_appointments(page)
    expect(appointments).to_have_count(1)
    expect(appointments).to_contain_text(f"{starts:%H:%M}")
    expect(appointments).to_contain_text(patient.gp.full_name)
    expect(appointments).to_contain_text(TYPE_NAME)
    appointments.get_by_role("link", name=re.compile(r"^Avbestill timen ")).click()
    expect(h1(page)).to_have_text("Vil du avbestille timen?")
    page.get_by_role("button", name="AVBESTILL TIME", exact=True).click()

    # The receipt.
    expect(h1(page)).to_have_text("Timen er avbestilt")
    expect(main(page).locator(".lead")).to_contain_text(f"{starts:%H:%M}")
    expect(main(page)).to_contain_text(re.compile(r"Kvittering: avbestilt \d{1,2}\. \w+ \d{4} kl\. \d\d:\d\d\."))
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None
    assert appointment.cancelled_by_id == patient.user.pk

    # The time is free again: it is once more the first one offered.
    page.goto(origin + f"/timer/bestill/{expected.appointment_type_id}/")
    expect(main(page).locator(FREE_TIME).first).to_have_attribute("href", f"/timer/bestill/tid/{expected.pk}/")


@pytest.mark.parametrize("screen", SCREENS)
def test_booking_pages_are_accessible_and_fit_the_screen(open_page, live_server, patient, screen):
    device = SCREENS[screen][0]
    origin = live_server.url.rstrip("/")
    check = PageChecks(screen, prefix="timer")

    page = log_in(open_page, origin, patient, device, bypass_csp=True)

    main(page).get_by_role("link", name="Bestill time", exact=True).click()
    expect(h1(page)).to_have_text("Bestill time")
    check("velg-type", page)

    main(page).get_by_role("link", name=TYPE_NAME, exact=True).click()
    expect(h1(page)).to_have_text(re.compile(r"^Velg tidspunkt"))
    check("velg-tidspunkt", page)

    main(page).locator(FREE_TIME).first.click()
    expect(h1(page)).to_have_text("Bekreft timen")
    check("bekreft", page)

    # The same page refused: no reason given (this type needs one).
    page.get_by_role("button", name="BESTILL TIME", exact=True).click()
    expect(main(page).get_by_role("alert")).to_have_text("Skriv en kort grunn for timen.")
    check("bekreft-uten-grunn", page)

    page.get_by_label(REASON_LABEL, exact=True).fill(REASON)
    page.get_by_role("button", name="BESTILL TIME", exact=True).click()
    expect(h1(page)).to_have_text("Timen er bestilt")
    check("bestilt", page)

    expect(open_my_appointments(page)).to_have_count(1)
    check("mine-timer", page)

    main(page).get_by_role("link", name=re.compile(r"^Avbestill timen ")).click()
    expect(h1(page)).to_have_text("Vil du avbestille timen?")
    check("avbestill-bekreft", page)

    page.get_by_role("button", name="AVBESTILL TIME", exact=True).click()
    expect(h1(page)).to_have_text("Timen er avbestilt")
    check("avbestilt", page)

    check.assert_clean("booking")


def test_the_reason_field_stops_at_300_characters(open_page, live_server, patient):
    """A person cannot type a longer reason than the server accepts: the field itself stops at 300."""
    origin = live_server.url.rstrip("/")
    slot = earliest_free_slot()
    page = log_in(open_page, origin, patient, DESKTOP, bypass_csp=True)
    page.goto(origin + f"/timer/bestill/tid/{slot.pk}/")
    expect(h1(page)).to_have_text("Bekreft timen")
    reason = page.get_by_label(REASON_LABEL, exact=True)
    reason.fill("x" * (REASON_MAX_LENGTH + 1))
    assert len(reason.input_value()) == REASON_MAX_LENGTH
