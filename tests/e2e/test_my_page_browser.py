"""«Min side» as the hub in a real browser, on a desktop (1280 px) and a phone (375 px): whose page it is, the
next appointment with its practitioner, unread messages and the services as links that lead there, the session
of this browser marked; axe-core's WCAG 2.1 AA rules pass and the phone does not scroll sideways. Screenshots
of both are kept under the temp folder (browser.save_screenshot)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.factories import grant_for

from .account_steps import h1, log_in, main
from .browser import DESKTOP, MOBILE, format_violations, overflow, run_axe, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = {"1280px": DESKTOP, "375px": MOBILE}


@pytest.fixture
def booked_and_answered(patient_with_user):
    """Sigrid has an appointment the day after tomorrow and an unread answer from the clinic."""
    from eportal.accounts.models import User
    from eportal.booking.services.appointments import book_slot
    from eportal.core.actor import system_actor
    from eportal.messaging import services
    from eportal.representation.policy import Capability

    slots = factories.schedule(patient_with_user.gp, timezone.localdate() + datetime.timedelta(days=2), days=1)
    appointment = book_slot(grant=grant_for(patient_with_user), slot_id=slots[0].pk, reason="Kontroll")
    thread = services.start_thread(
        grant=grant_for(patient_with_user, Capability.MESSAGES), kind="reception", subject="Resept", body="Hei"
    ).thread
    staff = User.objects.create_user("resepsjon", is_staff=True, is_superuser=True)
    services.reply(actor=system_actor(user=staff), thread_id=thread.pk, body="Resepten er fornyet.")
    return appointment


@pytest.mark.parametrize("screen", SCREENS)
def test_min_side_is_the_hub(open_page, live_server, patient_with_user, booked_and_answered, screen):
    page = log_in(open_page, live_server.url.rstrip("/"), patient_with_user, SCREENS[screen], bypass_csp=True)
    hub = main(page)
    expect(hub).to_contain_text("Hei, Sigrid Bakken")
    starts = timezone.localtime(booked_and_answered.slot.starts_at)
    next_time = hub.get_by_role("region", name="Neste time")
    expect(next_time).to_contain_text(f"kl. {starts:%H:%M}")
    expect(next_time).to_contain_text("hos Marte Kvam")
    unread = hub.get_by_role("region", name="Meldinger")
    expect(unread.get_by_role("link", name="1 ulest melding", exact=True)).to_be_visible()
    services = hub.get_by_role("region", name="Tjenester")
    for name in ("Bestill time", "Meldinger", "Reseptfornyelse", "eKonsultasjon"):
        expect(services.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(hub.get_by_role("link", name="Mine opplysninger", exact=True)).to_be_visible()
    sessions = hub.get_by_role("region", name="Her er du logget inn")
    expect(sessions).to_contain_text("(denne enheten)")
    expect(sessions).not_to_contain_text("Mozilla")

    shot = save_screenshot(page, f"min-side-hub-{screen}")
    violations = run_axe(page)
    assert not violations, f"axe-core on Min side ({screen}, screenshot {shot}):\n{format_violations(violations)}"
    assert overflow(page) is None, f"Min side scrolls sideways on {screen} (screenshot {shot}): {overflow(page)}"

    unread.get_by_role("link", name="1 ulest melding", exact=True).click()
    expect(page).to_have_url(re.compile(r"/meldinger/$"))
    page.go_back()
    next_time.get_by_role("link", name="Mine timer", exact=True).click()
    expect(h1(page)).to_have_text("Mine timer")
