"""A new patient, in a real browser and by the words on the pages: register, activate from the e-mail, log in
with password and SMS code, see Min side, and log out."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from eportal.notifications import backends
from tests.helpers import last_email_link, last_sms_code, run_tasks

from .account_steps import (
    CONSENT_LABEL,
    EMAIL,
    PASSWORD,
    REGISTRATION_LABELS,
    h1,
    local_mobile,
    session_cookie,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_patient_registers_activates_logs_in_and_out(open_page, live_server, patient):
    origin = live_server.url.rstrip("/")
    name = f"{patient.first_name} {patient.last_name}"

    # The front page: the way in is "Logg inn".
    page = open_page("/")
    expect(h1(page)).to_have_text("Velkommen til e-portalen til Gjerdrum legesenter")
    page.get_by_role("navigation").get_by_role("link", name="Logg inn", exact=True).click()

    # Choose how to log in: one-time password on mobile.
    expect(page).to_have_url(re.compile(r"/logg-inn/$"))
    expect(h1(page)).to_have_text("Logg inn")
    page.get_by_role("region", name="Engangspassord på mobil").get_by_role("link", name="VELG").click()

    # First time here: register.
    expect(page).to_have_url(re.compile(r"/logg-inn/engangspassord/$"))
    expect(page.get_by_role("heading", name="Ny bruker?")).to_be_visible()
    page.get_by_role("link", name="REGISTRER DEG").click()

    expect(page).to_have_url(re.compile(r"/registrer/$"))
    expect(h1(page)).to_have_text("Mine opplysninger")
    page.get_by_label(REGISTRATION_LABELS["national_id"], exact=True).fill(patient.national_id)
    page.get_by_label(REGISTRATION_LABELS["email"], exact=True).fill(EMAIL)
    page.get_by_label(REGISTRATION_LABELS["mobile"], exact=True).fill(local_mobile(patient.mobile))
    page.get_by_label(REGISTRATION_LABELS["new_password1"], exact=True).fill(PASSWORD)
    page.get_by_label(REGISTRATION_LABELS["new_password2"], exact=True).fill(PASSWORD)
    page.get_by_label(CONSENT_LABEL).check()
    page.get_by_role("button", name="OPPRETT NY BRUKER").click()

    expect(page).to_have_url(re.compile(r"/registrer/sendt/$"))
    expect(h1(page)).to_have_text("Sjekk e-posten din")
    expect(page.get_by_role("main")).to_contain_text("e-post med en lenke")

    # The activation e-mail (sent by the background worker, run here in the test's thread).
    run_tasks()
    assert [message.to for message in mail.outbox] == [[EMAIL]], [m.subject for m in mail.outbox]
    link = last_email_link(to=EMAIL)
    assert link.startswith(origin + "/aktiver/"), f"The activation link does not lead to this site: {link}"

    page.goto(link)
    # The token leaves the address bar at once; the page asks for a click (a link scanner must not activate).
    expect(page).to_have_url(re.compile(r"/aktiver/[^/]+/$"))
    expect(h1(page)).to_have_text("Aktiver bruker")
    page.get_by_role("button", name="AKTIVER").click()

    expect(page).to_have_url(re.compile(r"/logg-inn/engangspassord/$"))
    expect(page.get_by_role("status")).to_have_text("Brukeren din er aktivert. Nå kan du logge inn.")

    # Log in: personnummer and password, then the code from the SMS.
    page.get_by_label("Personnummer (11 siffer)", exact=True).fill(patient.national_id)
    page.get_by_label("Passord (minst 8 tegn)", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="LOGG INN").click()

    expect(page).to_have_url(re.compile(r"/logg-inn/kode/$"))
    expect(h1(page)).to_have_text("Engangspassord")
    assert [sms["to"] for sms in backends.sms_outbox] == [patient.mobile], backends.sms_outbox
    code = last_sms_code(to=patient.mobile)
    cookie_before_login = session_cookie(page.context)
    assert cookie_before_login, "the code page should run in a session (the code works only in this browser)"

    page.get_by_label("Engangspassord (6 siffer)", exact=True).fill(code)
    page.get_by_role("button", name="LOGG INN").click()

    # Min side, greeting the patient by the name the clinic has registered.
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(h1(page)).to_have_text("Min side")
    expect(page.get_by_text(f"Hei, {name}", exact=True)).to_be_visible()
    expect(page.get_by_text("Fastlegen din: Marte Kvam", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"på .*\(denne enheten\)$"))).to_be_visible()  # «Chrome på Linux»
    cookie_after_login = session_cookie(page.context)
    assert cookie_after_login and cookie_after_login != cookie_before_login, (
        "The session id must change at login (session fixation)"
    )
    header = page.get_by_role("navigation")
    expect(header.get_by_role("link", name="Min side")).to_have_attribute("aria-current", "page")
    expect(header.get_by_role("link", name="Logg inn", exact=True)).to_have_count(0)

    # Log out from the header.
    header.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(origin + "/")
    expect(page.get_by_role("status")).to_have_text("Du er logget ut.")
    expect(page.get_by_role("navigation").get_by_role("button", name="Logg ut")).to_have_count(0)
    expect(page.get_by_role("navigation").get_by_role("link", name="Logg inn", exact=True)).to_be_visible()

    # Min side is closed now: the browser is sent to the login page.
    page.goto(origin + "/min-side/")
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next=(/|%2F)min-side(/|%2F)$"))
    expect(h1(page)).to_have_text("Logg inn")
    expect(page.get_by_text(f"Hei, {name}")).to_have_count(0)
