"""The account pages a patient sees pass axe-core's WCAG 2.1 AA rules on a desktop and a phone, and fit a
320 px screen without sideways scrolling (WCAG 1.4.10 Reflow): also with form errors shown, and logged in."""

import re

import pytest
from playwright.sync_api import expect

from .account_steps import finish_login, h1, start_login
from .browser import SCREENS, PageChecks

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("screen", SCREENS)
def test_account_pages_are_accessible_and_fit_the_screen(open_page, live_server, patient_with_user, screen):
    device = SCREENS[screen][0]
    origin = live_server.url.rstrip("/")
    check = PageChecks(screen, prefix="konto")

    page = open_page("/logg-inn/engangspassord/", device, bypass_csp=True)
    expect(h1(page)).to_have_text("Logg inn")
    check("logg-inn-engangspassord", page)

    page.goto(origin + "/registrer/")
    expect(h1(page)).to_have_text("Mine opplysninger")
    check("registrer", page)

    # The same form after an empty submit, every field showing its error.
    page.get_by_role("button", name="OPPRETT NY BRUKER").click()
    expect(page.get_by_text("Skriv personnummeret ditt.")).to_be_visible()
    check("registrer-med-feil", page)

    page.goto(origin + "/hjelp-til-innlogging/")
    expect(h1(page)).to_have_text("Hjelp til innlogging")
    check("hjelp-til-innlogging", page)

    start_login(page, origin, patient_with_user)
    check("logg-inn-kode", page)

    finish_login(page, patient_with_user)
    expect(page.get_by_text(f"Hei, {patient_with_user.first_name} {patient_with_user.last_name}")).to_be_visible()
    check("min-side", page)

    page.goto(origin + "/min-side/opplysninger/")
    expect(h1(page)).to_have_text("Mine opplysninger")
    expect(page).to_have_url(re.compile(r"/min-side/opplysninger/$"))
    check("min-side-opplysninger", page)

    check.assert_clean("account")
