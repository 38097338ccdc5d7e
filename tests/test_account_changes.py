"""«Hjelp til innlogging» (forgotten password), and the changes a logged-in patient makes on «Min side»."""

import re

import pytest
from django.core import mail
from django.test import Client

from eportal.accounts.models import AccountSession, User
from eportal.audit.models import AuditEvent
from eportal.notifications import backends
from tests import factories
from tests.accounts_fixtures import NEW_PASSWORD, PASSWORD, log_in
from tests.helpers import last_email_link, last_sms_code, page_without_csrf, run_tasks


def start_reset(client, patient):
    response = client.post("/hjelp-til-innlogging/", {"national_id": patient.national_id})
    assert response.status_code == 200
    link = last_email_link(patient.email)
    confirm = client.get(link)
    assert confirm.status_code == 302
    return link, confirm["Location"]


def test_reset_needs_the_email_link_and_the_sms_code(client, family, kari_account):
    link, page = start_reset(client, family["kari"])
    assert family["kari"].national_id not in link
    html = client.get(page).content.decode()
    assert "SEND KODE PÅ SMS" in html and 'name="new_password1"' not in html
    client.post(page, {"send_code": "1"})
    assert backends.sms_outbox[-1]["to"] == family["kari"].mobile
    # Without the right code the password stays.
    wrong = client.post(page, {"code": "000000", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert User.objects.get().check_password(PASSWORD)
    response = client.post(
        page, {"code": last_sms_code(), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.check_password(NEW_PASSWORD)
    run_tasks()
    assert mail.outbox[-1].subject == "Brukeren din i e-portalen er endret"
    assert AuditEvent.objects.filter(action="password_reset").exists()
    # The link works once.
    client.get(link)
    assert client.get(page).status_code == 400


def test_reset_ends_the_sessions_of_the_account(family, kari_account):
    elsewhere = Client()
    log_in(elsewhere, family["kari"])
    client = Client()
    _, page = start_reset(client, family["kari"])
    client.post(page, {"send_code": "1"})
    client.post(page, {"code": last_sms_code(), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert elsewhere.get("/min-side/").status_code == 302
    assert not AccountSession.objects.exists()


def test_reset_request_answers_alike_for_unknown_numbers(client, family, kari_account):
    known = client.post("/hjelp-til-innlogging/", {"national_id": family["kari"].national_id})
    unknown = client.post("/hjelp-til-innlogging/", {"national_id": factories.national_id()})
    assert known.status_code == unknown.status_code == 200
    assert page_without_csrf(known) == page_without_csrf(unknown)
    run_tasks()
    assert [m.to for m in mail.outbox] == [["kari@example.com"]]


def test_reset_requests_for_one_number_are_capped(client, family, kari_account):
    for _ in range(5):
        client.post("/hjelp-til-innlogging/", {"national_id": family["kari"].national_id})
    run_tasks()
    assert len(mail.outbox) == 3


def test_reset_applies_the_password_rules_with_the_registrys_name(client, family, kari_account):
    _, page = start_reset(client, family["kari"])
    client.post(page, {"send_code": "1"})
    response = client.post(
        page, {"code": last_sms_code(), "new_password1": "nordmann-kari", "new_password2": "nordmann-kari"}
    )
    assert response.status_code == 400 and "navnet ditt" in response.content.decode()


def test_change_password_needs_the_current_one_and_tells_the_person(logged_in):
    data = {"current_password": "feil", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = logged_in.post("/min-side/passord/", data)
    assert response.status_code == 400 and "Nåværende passord er feil." in response.content.decode()
    response = logged_in.post("/min-side/passord/", {**data, "current_password": PASSWORD})
    assert response.status_code == 302
    assert User.objects.get().check_password(NEW_PASSWORD)
    assert logged_in.get("/min-side/").status_code == 200  # still logged in here, with a new session id
    run_tasks()
    assert "Passordet ditt i e-portalen er endret." in mail.outbox[-1].body


def test_a_substantial_session_still_needs_the_current_password(logged_in):
    response = logged_in.post("/min-side/passord/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400 and User.objects.get().check_password(PASSWORD)


def request_email_change(client, new_email="ny@example.com") -> str:
    """Ask on «Mine opplysninger» for a new address; returns the link e-mailed to it."""
    response = client.post("/min-side/opplysninger/", {"email-new_email": new_email, "email-password": PASSWORD})
    assert response.status_code == 302
    return last_email_link(new_email)


def emails_now() -> tuple[str, str]:
    user = User.objects.get()
    return user.email, user.pending_email


def test_email_change_needs_the_password_and_a_link_to_the_new_address(logged_in):
    response = logged_in.post(
        "/min-side/opplysninger/", {"email-new_email": "ny@example.com", "email-password": "feil"}
    )
    assert response.status_code == 400 and "Passordet er feil." in response.content.decode()
    link = request_email_change(logged_in)
    assert emails_now() == ("kari@example.com", "ny@example.com")
    page = logged_in.get(link)["Location"]
    assert logged_in.get(page).status_code == 200
    response = logged_in.post(page)
    assert response.status_code == 302 and response["Location"] == "/min-side/opplysninger/"
    assert emails_now() == ("ny@example.com", "")
    assert AuditEvent.objects.filter(action="email_changed").exists()
    run_tasks()
    assert any(m.to == ["kari@example.com"] and "E-postadressen" in m.body for m in mail.outbox)
    assert logged_in.get(link, follow=True).status_code == 400  # used


def test_following_the_email_change_link_changes_nothing(logged_in):
    """A link scanner or prefetcher at the new address only GETs: the link, then the page it leads to."""
    link = request_email_change(logged_in)
    uid = link.rstrip("/").split("/")[-2]
    scanner = Client()
    response = scanner.get(link)
    assert response.status_code == 302 and response["Location"] == f"/e-post/{uid}/"  # the token leaves the URL
    for _ in range(2):
        page = scanner.get(response["Location"])
        assert page.status_code == 200
    assert "ny@example.com" not in page.content.decode()  # whoever opens the link is not told the address
    assert emails_now() == ("kari@example.com", "ny@example.com")
    assert not AuditEvent.objects.filter(action="email_changed").exists()
    run_tasks()
    assert not any(m.to == ["kari@example.com"] for m in mail.outbox)


def test_email_change_is_confirmed_by_the_pages_button_with_csrf_also_logged_out(logged_in):
    link = request_email_change(logged_in)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link, follow=True)
    html = page.content.decode()
    form = re.search(r'<form method="post">(.*?)</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1) and '<button type="submit">' in form.group(1)
    url = page.redirect_chain[-1][0]
    assert browser.post(url).status_code == 403  # no CSRF token
    assert emails_now() == ("kari@example.com", "ny@example.com")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1)).group(1)
    response = browser.post(url, {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302 and response["Location"] == "/"
    assert emails_now() == ("ny@example.com", "")
    assert "E-postadressen din er endret." in browser.get("/").content.decode()
    run_tasks()
    assert any(m.to == ["kari@example.com"] and "E-postadressen" in m.body for m in mail.outbox)


@pytest.mark.parametrize("how", ["used", "replaced", "expired", "forged token", "forged user", "no token"])
def test_a_link_that_does_not_work_shows_the_bad_link_page_and_changes_nothing(logged_in, link_clock, how):
    link = request_email_change(logged_in)
    uid, token = link.rstrip("/").split("/")[-2:]
    if how == "used":
        confirmer = Client()
        page = confirmer.get(link)["Location"]
        assert confirmer.post(page).status_code == 302
        expected = ("ny@example.com", "")
    else:
        expected = ("kari@example.com", "ny@example.com")
    if how == "replaced":
        request_email_change(logged_in, "nyere@example.com")
        expected = ("kari@example.com", "nyere@example.com")
    if how == "expired":
        link_clock.advance(hours=48, seconds=1)
    link = {
        "forged token": f"/e-post/{uid}/{token[:-3]}abc/",
        "forged user": f"/e-post/AAAA/{token}/",
        "no token": None,
    }.get(how, link)
    run_tasks()
    mail.outbox.clear()
    client = Client()
    page = client.get(link)["Location"] if link else f"/e-post/{uid}/"
    for response in (client.get(page), client.post(page)):
        assert response.status_code == 400
        assert "Lenken er brukt, har gått ut på tid eller er ikke komplett." in response.content.decode()
    assert emails_now() == expected
    run_tasks()
    assert not mail.outbox


def test_mobile_is_the_clinics_and_cannot_be_changed_here(logged_in, family):
    html = logged_in.get("/min-side/opplysninger/").content.decode()
    assert "Mobilnummeret er det Gjerdrum legesenter har registrert. Kontakt legekontoret for å endre det" in html
    assert 'name="mobile"' not in html
    logged_in.post("/min-side/opplysninger/", {"mobile": "+4799999999", "notice-notify_by_sms": "on"})
    family["kari"].refresh_from_db()
    assert family["kari"].mobile != "+4799999999"


def test_notice_choices_are_saved(logged_in):
    logged_in.post("/min-side/opplysninger/", {"notice-notify_by_email": "on"})
    user = User.objects.get()
    assert (user.notify_by_sms, user.notify_by_email) == (False, True)
    assert AuditEvent.objects.filter(action="consent_changed").exists()
