"""The BankID button end to end in Chromium, against a real OpenID Connect provider on loopback."""

import re

import pytest
from playwright.sync_api import expect

from eportal.accounts.models import User

from .account_steps import bankid_pick_person, h1, local_mobile, session_cookie

pytestmark = pytest.mark.e2e


def test_bankid_first_login_then_min_side_then_logout_at_the_provider(new_context, live_server, patient, bankid):
    provider = bankid.base_url
    origin = live_server.url.rstrip("/")
    context = new_context(locale="nb-NO", viewport={"width": 1280, "height": 800})
    # Only the portal and the provider: the provider page's CDN stylesheet is not fetched.
    context.route(lambda url: not url.startswith((origin + "/", provider + "/")), lambda route: route.abort())
    page = context.new_page()

    page.goto(origin + "/")
    page.get_by_role("link", name="Logg inn").first.click()
    bankid = page.locator("section", has=page.get_by_role("heading", name="BankID", exact=True))
    expect(bankid.get_by_text("NB ! BankID er påkrevd for bruk av eKonsultasjon")).to_be_visible()
    bankid.get_by_role("link", name="VELG").click()

    bankid_pick_person(page, provider, patient)  # the demo's test BankID: the patient's fødselsnummer

    expect(page).to_have_url(re.compile(r"/logg-inn/bankid/ny-bruker/$"))
    expect(h1(page)).to_have_text("Mine opplysninger")
    expect(page.get_by_text(patient.national_id)).to_be_visible()
    page.get_by_label("E-post", exact=True).fill("sigrid@example.com")
    page.get_by_label("Mobiltelefon", exact=True).fill(local_mobile(patient.mobile))
    page.get_by_label(re.compile(r"^\*Jeg godkjenner bruk av e-post og SMS")).check()
    before = session_cookie(context)
    page.get_by_role("button", name="OPPRETT NY BRUKER").click()

    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(page.get_by_text("Hei, Sigrid Bakken")).to_be_visible()
    expect(page.get_by_text("BankID", exact=True)).to_be_visible()  # how this session logged in
    assert session_cookie(context) != before
    user = User.objects.get(national_id=patient.national_id)
    assert user.is_active and user.pending_email == "sigrid@example.com"

    # Logging out ends the provider's session too (a form posted there: the ID token, which names the person,
    # never travels in a URL), then comes back to the portal.
    page.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(f"{provider}/oauth2/end_session")
    expect(page.get_by_role("heading", name="Logg ut av test-BankID")).to_be_visible()
    assert patient.national_id not in page.content()  # the test BankID does not print the ID token it got
    page.get_by_role("button", name="Logg ut").click()
    expect(page).to_have_url(origin + "/")
    expect(page.get_by_text("Du er logget ut.")).to_be_visible()  # kept for the page the provider sent us back to
    page.goto(origin + "/min-side/")
    expect(page).to_have_url(re.compile(r"/logg-inn/\?next=/min-side/$"))
    context.close()
