"""Shared steps for the browser tests of the patient's account pages: a patient on the clinic's list, an
activated user for them, and logging in the way a person does (personnummer + password, then the SMS code)."""

import re

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from eportal.demo.clinic import STAFF_PASSWORD
from tests import factories
from tests.accounts_fixtures import PASSWORD
from tests.helpers import current_totp, last_sms_code

from .browser import DESKTOP

EMAIL = "sigrid@example.com"

# The registration form's labels, exactly as the page shows them (the star marks a required field).
REGISTRATION_LABELS = {
    "national_id": "Personnummer (11 siffer)*",
    "email": "E-post*",
    "mobile": "Mobiltelefon*",
    "new_password1": "Nytt passord*",
    "new_password2": "Gjenta passord*",
}
CONSENT_LABEL = "*Jeg godkjenner bruk av e-post og SMS"


def listed_patient():
    """A GP and a patient on that GP's list, with a synthetic fødselsnummer and a mobile the clinic registered.

    Needs the clinic's row (the `clinic` fixture) and a transactional database: the live server runs in
    another thread and sees only committed rows.
    """
    gp = factories.practitioner("9100099", first_name="Marte", last_name="Kvam")
    return factories.list_patient(gp, first_name="Sigrid", last_name="Bakken", email=EMAIL)


def activated_user(patient):
    """The user a registration + activation would leave behind, made directly (for tests about later pages)."""
    from eportal.accounts.models import User

    return User.objects.create_user(
        username=patient.national_id,
        national_id=patient.national_id,
        email=EMAIL,
        password=PASSWORD,
        is_active=True,
        consent_version=settings.EPORTAL_CONSENT_VERSION,
        consent_given_at=timezone.now(),
    )


def local_mobile(e164: str) -> str:
    """'+4791000001' -> '910 00 001', the way a person types their own number."""
    digits = e164.removeprefix("+47")
    return f"{digits[:3]} {digits[3:5]} {digits[5:]}"


def session_cookie(context: BrowserContext) -> str | None:
    for cookie in context.cookies():
        if cookie["name"] == settings.SESSION_COOKIE_NAME:
            return cookie["value"]
    return None


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def start_login(page: Page, origin: str, patient, password: str = PASSWORD) -> None:
    """Personnummer and password on /logg-inn/engangspassord/; ends on the page that asks for the SMS code."""
    page.goto(origin + "/logg-inn/engangspassord/")
    page.get_by_label("Personnummer (11 siffer)", exact=True).fill(patient.national_id)
    page.get_by_label("Passord (minst 8 tegn)", exact=True).fill(password)
    page.get_by_role("button", name="LOGG INN", exact=True).click()
    expect(page).to_have_url(re.compile(r"/logg-inn/kode/$"))
    expect(h1(page)).to_have_text("Engangspassord")


def finish_login(page: Page, patient) -> None:
    """Types the code from the SMS the patient just got; ends on Min side."""
    page.get_by_label("Engangspassord (6 siffer)", exact=True).fill(last_sms_code(to=patient.mobile))
    page.get_by_role("button", name="LOGG INN", exact=True).click()
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(h1(page)).to_have_text("Min side")


def bankid_pick_person(page: Page, provider: str, patient) -> None:
    """On the test BankID's login page (the demo's OpenID provider): type the person's fødselsnummer in the
    labelled field, then «Logg inn»."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider)}/oauth2/authorize\?"))
    page.get_by_label("Fødselsnummer").fill(patient.national_id)
    page.get_by_role("button", name="Logg inn", exact=True).click()


def log_in(open_page, origin: str, patient, device: dict = DESKTOP, *, bypass_csp: bool = False) -> Page:
    """A fresh browser context, logged in the way a person does it; ends on Min side."""
    page = open_page("/", device, bypass_csp=bypass_csp)
    start_login(page, origin, patient)
    finish_login(page, patient)
    return page


def staff_password_and_code(page: Page, staff) -> None:
    """Username, password and the authenticator app's code on /personale/logg-inn/, then LOGG INN."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Innlogging for personalet")
    page.get_by_label("Brukernavn", exact=True).fill(staff.username)
    page.get_by_label("Passord", exact=True).fill(STAFF_PASSWORD)
    page.get_by_label("Kode fra autentiseringsappen", exact=True).fill(current_totp(staff))
    page.get_by_role("button", name="LOGG INN", exact=True).click()
