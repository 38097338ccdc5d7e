"""«Hjelp til innlogging» (forgotten password), and the changes a logged-in patient makes on «Min side»."""

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


def test_email_change_needs_the_password_and_a_link_to_the_new_address(logged_in):
    response = logged_in.post(
        "/min-side/opplysninger/", {"email-new_email": "ny@example.com", "email-password": "feil"}
    )
    assert response.status_code == 400 and "Passordet er feil." in response.content.decode()
    logged_in.post("/min-side/opplysninger/", {"email-new_email": "ny@example.com", "email-password": PASSWORD})
    assert User.objects.get().email == "kari@example.com"
    link = last_email_link("ny@example.com")
    logged_in.get(link, follow=True)
    assert User.objects.get().email == "ny@example.com"
    run_tasks()
    assert any(m.to == ["kari@example.com"] and "E-postadressen" in m.body for m in mail.outbox)
    assert logged_in.get(link, follow=True).status_code == 400  # used


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
