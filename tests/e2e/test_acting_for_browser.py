"""A guardian in a real browser: logged in as herself, she chooses her child under «Personer du kan handle på
vegne av» on Min side, books a time for the child with «Du handler nå på vegne av» on every page, and goes back
to herself; every page on the way passes axe-core's WCAG 2.1 AA rules and fits a phone's screen."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories

from .account_steps import h1, log_in, main
from .booking_steps import open_my_appointments
from .browser import SCREENS, PageChecks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TYPE_NAME = "Vanlig konsultasjon"


@pytest.fixture
def child(patient_with_user):
    """Sigrid's son Emil, 7, on the same GP's list; the GP has free times from the day after tomorrow."""
    emil = factories.child_of(patient_with_user, first_name="Emil", years=7)
    factories.schedule(
        patient_with_user.gp, timezone.localdate() + datetime.timedelta(days=2), days=2, type_name=TYPE_NAME
    )
    return emil


@pytest.mark.parametrize("screen", SCREENS)
def test_a_guardian_switches_to_her_child_books_for_him_and_switches_back(
    open_page, live_server, patient_with_user, child, screen
):
    from eportal.booking.models import Appointment

    check = PageChecks(screen, prefix="handle-for")
    page = log_in(open_page, live_server.url.rstrip("/"), patient_with_user, SCREENS[screen][0], bypass_csp=True)
    people = main(page).get_by_role("region", name="Personer du kan handle på vegne av")
    expect(people).to_contain_text("Barn under 12 år")
    check("min-side", page)

    people.get_by_role("button", name="Handle på vegne av Emil Bakken", exact=True).click()
    banner = page.get_by_role("region", name="Handler på vegne av")
    expect(banner).to_contain_text("Du handler nå på vegne av Emil Bakken")
    check("valgt-barn", page)

    main(page).get_by_role("link", name="Bestill time", exact=True).click()
    expect(banner).to_contain_text("Emil Bakken")
    main(page).get_by_role("link", name=TYPE_NAME, exact=True).click()
    main(page).locator('a[href^="/timer/bestill/tid/"]').first.click()  # the week's first time, or the first free one
    expect(h1(page)).to_have_text("Bekreft timen")
    expect(banner).to_contain_text("Emil Bakken")
    check("bekreft-for-barn", page)
    page.get_by_label("Kort grunn for timen", exact=True).fill("Hoste")
    page.get_by_role("button", name="BESTILL TIME", exact=True).click()
    expect(h1(page)).to_have_text("Timen er bestilt")
    appointment = Appointment.objects.get()
    assert appointment.patient_id == child.pk

    expect(open_my_appointments(page)).to_have_count(1)
    expect(banner).to_contain_text("Emil Bakken")
    check("mine-timer-for-barn", page)

    banner.get_by_role("button", name="Tilbake til deg selv", exact=True).click()
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(page.get_by_role("region", name="Handler på vegne av")).to_have_count(0)
    expect(open_my_appointments(page)).to_have_count(0)  # Sigrid's own appointments: none
    check.assert_clean("acting-for")
