"""«Gi meg beskjed om en tidligere time» in a real browser: a patient puts a booked appointment on the waiting
list from «Mine timer», another patient's earlier time is cancelled, and the patient follows the link in the SMS
and takes the earlier time; and the offer page and «Mine timer» with an offer pass axe-core's WCAG 2.1 AA rules
on a desktop and a phone and fit a 320 px screen without sideways scrolling (WCAG 1.4.10 Reflow)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from eportal.booking.models import Appointment, WaitlistEntry, WaitlistOffer
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_appointment
from eportal.notifications import backends
from tests import factories
from tests.factories import grant_for
from tests.helpers import run_tasks

from .account_steps import activated_user, h1, listed_patient, log_in, main
from .booking_steps import coming_appointments, open_my_appointments, shown_date
from .browser import SCREENS, PageChecks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPE_NAME = "Vanlig konsultasjon"
REASON = "Vondt i kneet"
JOIN = "Gi meg beskjed om en tidligere time"
LEAVE = "Fjern meg fra ventelisten"
OFFER_HEADING = "En tidligere time er ledig for deg"


@pytest.fixture
def waiting(clinic, live_server):
    """Sigrid (activated, on Marte Kvam's list) has 09:20 in four days; Ola, also on Marte's list, has 08:20.
    Marte has six online times that day, 08:00–10:00."""
    sigrid = listed_patient()
    sigrid.user = activated_user(sigrid)
    ola = factories.list_patient(sigrid.gp, first_name="Ola", last_name="Nordmann")
    day = timezone.localdate() + datetime.timedelta(days=4)
    slots = factories.schedule(
        sigrid.gp, day, blocks=[(datetime.time(8), datetime.time(10), True)], type_name=TYPE_NAME
    )
    return {
        "patient": sigrid,
        "own": book_slot(grant=grant_for(sigrid), slot_id=slots[4].pk, reason=REASON),
        "ola": ola,
        "earlier": book_slot(grant=grant_for(ola), slot_id=slots[1].pk, reason="Kontroll"),
    }


def at(appointment: Appointment) -> str:
    """'søndag 29. november 2026 kl. 08:20', as the pages write an appointment's time."""
    starts = timezone.localtime(appointment.slot.starts_at)
    return f"{shown_date(starts)} kl. {starts:%H:%M}"


def join_the_waiting_list(page: Page) -> None:
    """On «Mine timer» with one coming appointment: ask to be told of an earlier time."""
    coming_appointments(page).get_by_role("button", name=JOIN, exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Du står på venteliste. Vi sender deg SMS hvis en tidligere time blir ledig."
    )
    expect(coming_appointments(page).get_by_role("button", name=LEAVE, exact=True)).to_be_visible()


def free_the_earlier_time(waiting) -> str:
    """Ola cancels his earlier time; returns the link in the SMS it sends Sigrid (sent by the background worker)."""
    run_tasks()
    backends.sms_outbox.clear()
    cancel_appointment(appointment_id=waiting["earlier"].pk, grant=grant_for(waiting["ola"]))
    run_tasks()
    texts = [sms["text"] for sms in backends.sms_outbox if sms["to"] == waiting["patient"].mobile]
    assert len(texts) == 1, backends.sms_outbox
    assert "tidligere time er ledig for deg" in texts[0], texts[0]
    return re.search(r"https?://\S+", texts[0]).group(0)


def take_the_earlier_time(page: Page) -> None:
    page.get_by_role("button", name="TA DEN TIDLIGERE TIMEN", exact=True).click()
    expect(page).to_have_url(re.compile(r"/timer/\d+/bestilt/$"))
    expect(h1(page)).to_have_text("Timen er bestilt")


def test_patient_joins_the_waiting_list_and_takes_the_earlier_time_from_the_sms(open_page, live_server, waiting):
    origin = live_server.url.rstrip("/")
    patient, own, earlier = waiting["patient"], waiting["own"], waiting["earlier"]

    page = log_in(open_page, origin, patient)

    # «Mine timer»: the booked time, and the button that puts it on the waiting list.
    appointments = open_my_appointments(page)
    expect(appointments).to_have_count(1)
    expect(appointments).to_contain_text(at(own))
    join_the_waiting_list(page)
    expect(appointments).to_contain_text(
        "Du står på venteliste for en tidligere time. Vi sender deg SMS hvis en blir ledig."
    )
    expect(appointments.get_by_role("button", name=JOIN, exact=True)).to_have_count(0)
    assert WaitlistEntry.objects.filter(appointment=own, ended_at__isnull=True).count() == 1

    # Ola's earlier time is cancelled: it is held for Sigrid, and the SMS links to the offer.
    link = free_the_earlier_time(waiting)
    offer = WaitlistOffer.objects.get(entry__appointment=own, status="open")
    assert link == f"{origin}/timer/tilbud/{offer.pk}/"
    page.goto(link)

    expect(h1(page)).to_have_text(OFFER_HEADING)
    facts = main(page).locator("dl.facts")
    expect(facts).to_contain_text(f"Ny time{at(earlier)}")
    expect(facts).to_contain_text(patient.gp.full_name)
    expect(facts).to_contain_text(TYPE_NAME)
    expect(facts).to_contain_text(f"Timen du har nå{at(own)}")
    expect(main(page)).to_contain_text(f"Timen holdes av for deg til kl. {timezone.localtime(offer.expires_at):%H:%M}")
    take_the_earlier_time(page)
    expect(main(page).locator(".lead")).to_contain_text(f"{at(earlier)}, {patient.gp.full_name}")

    # The appointment moved: the earlier time is booked with the same reason, the later one is cancelled.
    moved = Appointment.objects.get(patient=patient, cancelled_at__isnull=True)
    assert moved.slot_id == earlier.slot_id and moved.reason == REASON
    own.refresh_from_db()
    assert own.cancelled_at is not None

    # «Mine timer»: the earlier time is the only one still coming; the old one is in the history, cancelled.
    appointments = open_my_appointments(page)
    expect(appointments).to_have_count(1)
    expect(appointments).to_contain_text(at(earlier))
    history = page.get_by_role("region", name="Tidligere timer").get_by_role("listitem")
    own_starts = timezone.localtime(own.slot.starts_at)
    expect(history.filter(has_text=f"{shown_date(own_starts, 'j. F Y')} kl. {own_starts:%H:%M}")).to_contain_text(
        "Avbestilt"
    )
    expect(page.get_by_text(OFFER_HEADING)).to_have_count(0)


@pytest.mark.parametrize("screen", SCREENS)
def test_waiting_list_pages_are_accessible_and_fit_the_screen(open_page, live_server, waiting, screen):
    origin = live_server.url.rstrip("/")
    check = PageChecks(screen, prefix="venteliste")

    page = log_in(open_page, origin, waiting["patient"], SCREENS[screen][0], bypass_csp=True)
    open_my_appointments(page)
    join_the_waiting_list(page)
    check("mine-timer-venteliste", page)

    free_the_earlier_time(waiting)
    page.reload()
    expect(main(page).get_by_role("status")).to_contain_text(OFFER_HEADING)
    check("mine-timer-tilbud", page)

    main(page).get_by_role("link", name="Se den tidligere timen", exact=True).click()
    expect(h1(page)).to_have_text(OFFER_HEADING)
    check("tilbud", page)

    take_the_earlier_time(page)
    open_my_appointments(page)
    check("mine-timer-flyttet", page)

    check.assert_clean("waiting-list")
