"""Login with «Engangspassord på mobil»: personnummer + password, then a code by SMS."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from eportal.accounts.models import AccountSession, OneTimeCode, User
from eportal.audit.models import AuditEvent
from eportal.notifications import backends
from eportal.notifications.models import SmsLedgerEntry
from tests import factories
from tests.accounts_fixtures import NEW_PASSWORD, PASSWORD, log_in, password_step, registration
from tests.helpers import last_sms_code


def test_login_choice_and_password_pages_have_the_seeds_words(client, family):
    choice = client.get("/logg-inn/").content.decode()
    assert "Velg en elektronisk ID for å identifisere deg:" in choice and "VELG" in choice
    assert 'href="/logg-inn/engangspassord/"' in choice
    html = client.get("/logg-inn/engangspassord/").content.decode()
    for text in [
        "Eksisterende bruker",
        "LOGG INN",
        "Hjelp til innlogging",
        "Ny bruker?",
        "REGISTRER DEG",
        "Første gang her? Vennligst opprett en bruker",
        "Prisen for tjenesten er kr.1,- per mottatt melding.",
    ]:
        assert text in html, text
    assert re.search(r'<label for="id_national_id">Personnummer \(11 siffer\)</label>', html)
    assert re.search(r'<label for="id_password">Passord \(minst 8 tegn\)</label>', html)


def test_full_login_gives_a_new_session_with_the_method_and_substantial_level(client, family, kari_account):
    client.get("/logg-inn/engangspassord/")
    before = client.session.session_key
    assert password_step(client, family["kari"]).status_code == 302
    sms = backends.sms_outbox[-1]
    assert sms["to"] == family["kari"].mobile
    assert re.fullmatch(
        r"Engangspassordet ditt for e-portalen til Gjerdrum legesenter er \d{6}\. Det gjelder i 5 minutter\.",
        sms["text"],
    )
    response = client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert response.status_code == 302 and response["Location"] == "/min-side/"
    assert client.session.session_key != before
    assert client.session["eportal.auth"]["method"] == "password+sms"
    assert client.session["eportal.auth"]["level"] == "substantial"
    page = client.get("/min-side/")
    assert "Hei, Kari Nordmann" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["code_sent", "login_succeeded"]
    assert AuditEvent.objects.get(action="login_succeeded").details == {"factor": "password+sms"}


def test_wrong_password_sends_no_sms_and_says_nothing_about_the_account(client, family, kari_account):
    wrong = password_step(client, family["kari"], password="feil passord")
    unknown = client.post("/logg-inn/engangspassord/", {"national_id": factories.national_id(), "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 400
    message = "Feil personnummer eller passord, eller brukeren er ikke aktivert ennå."
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert backends.sms_outbox == [] and not SmsLedgerEntry.objects.exists()


def test_code_goes_to_the_mobile_the_clinic_has_registered_now(client, family, kari_account):
    kari = family["kari"]
    kari.mobile = "+4748000001"
    kari.save()
    password_step(client, kari)
    assert backends.sms_outbox[-1]["to"] == "+4748000001"


def test_code_works_once_and_only_in_the_browser_that_asked_for_it(client, family, kari_account):
    password_step(client, family["kari"])
    code = last_sms_code()
    other = Client()
    other.get("/")
    assert other.post("/logg-inn/kode/", {"code": code}).status_code == 302  # no attempt here: back to step one
    assert "_auth_user_id" not in other.session
    assert client.post("/logg-inn/kode/", {"code": code}).status_code == 302
    client.post("/logg-ut/")
    response = client.post("/logg-inn/kode/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/logg-inn/engangspassord/"


def test_code_expires_after_five_minutes(client, family, kari_account):
    password_step(client, family["kari"])
    OneTimeCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert response.status_code == 400 and "Koden har gått ut på tid eller er brukt." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_codes_void_the_code_and_a_new_code_keeps_the_account_count(client, family, kari_account):
    password_step(client, family["kari"])
    code = last_sms_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in range(1, 6):
        response = client.post("/logg-inn/kode/", {"code": wrong})
        expected = "Feil kode for mange ganger." if attempt == 5 else "Feil kode. Sjekk SMS-en og prøv igjen."
        assert expected in response.content.decode()
    assert "Koden har gått ut" in client.post("/logg-inn/kode/", {"code": code}).content.decode()
    assert User.objects.get().code_failures == 5
    client.post("/logg-inn/kode/ny/")
    assert User.objects.get().code_failures == 5  # a new code does not reset the account's count
    client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert "_auth_user_id" in client.session and User.objects.get().code_failures == 0


def test_account_code_failure_limit_stops_new_codes(client, family, kari_account, settings):
    settings.EPORTAL_CODE_ACCOUNT_FAILURE_LIMIT = 3
    User.objects.update(code_failures=3)
    response = password_step(client, family["kari"])
    assert response.status_code == 400 and "For mange feil koder" in response.content.decode()
    assert not backends.sms_outbox


def test_resending_is_capped_per_account(client, family, kari_account, settings):
    settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN = 3
    password_step(client, family["kari"])
    client.post("/logg-inn/kode/ny/")
    client.post("/logg-inn/kode/ny/")
    page = client.post("/logg-inn/kode/ny/", follow=True).content.decode()
    assert "For mange SMS er sendt" in page
    assert len(backends.sms_outbox) == 3
    assert SmsLedgerEntry.objects.filter(purpose="login_code", status="sent").count() == 3
    # The refused resend leaves the code already on the phone working.
    response = client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert response.status_code == 302 and response["Location"] == "/min-side/"


def test_when_the_sms_cannot_be_sent_the_page_says_so_and_offers_bankid(client, family, kari_account, settings):
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.UnconfiguredSmsBackend"
    response = password_step(client, family["kari"])
    html = response.content.decode()
    assert response.status_code == 400 and "Vi fikk ikke sendt SMS akkurat nå." in html
    assert "Logg inn med BankID i stedet" in html
    assert AuditEvent.objects.filter(action="code_not_sent").exists()


def test_patient_who_left_the_list_cannot_log_in(client, family, kari_account):
    kari = family["kari"]
    kari.on_list_to = timezone.localdate()
    kari.save()
    response = password_step(client, kari)
    assert "står ikke lenger på listen" in response.content.decode()
    assert not backends.sms_outbox


def test_wrong_passwords_lock_the_personnummer_for_a_while_but_not_bankid_or_others(client, family, kari_account):
    kari = family["kari"]
    for _ in range(10):
        password_step(client, kari, password="feil passord")
    response = password_step(client, kari)  # even the right password
    assert response.status_code == 429
    assert (
        "For mange mislykkede forsøk. Prøv igjen om 15 minutter, eller logg inn med BankID."
        in response.content.decode()
    )
    assert not backends.sms_outbox
    assert AuditEvent.objects.filter(action="lockout").exists()


def test_wrong_passwords_from_one_address_lock_that_address(family, kari_account):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(10):
        attacker.post("/logg-inn/engangspassord/", {"national_id": factories.national_id(), "password": "gjett1234"})
    response = password_step(attacker, family["kari"])
    assert response.status_code == 429
    # Kari, elsewhere, is not locked out by a stranger's guesses on other numbers.
    log_in(Client(REMOTE_ADDR="198.51.100.2"), family["kari"])


def test_a_stranger_cannot_lock_a_patient_out_from_elsewhere(family, kari_account):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(12):
        password_step(attacker, family["kari"], password="gjett1234")
    assert password_step(attacker, family["kari"]).status_code == 429
    log_in(Client(REMOTE_ADDR="198.51.100.7"), family["kari"])


def test_the_lockout_tables_hold_no_fodselsnummer(client, family, kari_account):
    password_step(client, family["kari"], password="feil passord")
    attempt = AccessAttempt.objects.get()
    assert family["kari"].national_id not in f"{attempt.username} {attempt.post_data} {attempt.get_data}"


def test_a_password_change_voids_a_pending_login_attempt(family, kari_account):
    attacker = Client()
    password_step(attacker, family["kari"])
    code = last_sms_code()
    user = User.objects.get()
    user.set_password(NEW_PASSWORD)
    user.save()
    assert attacker.post("/logg-inn/kode/ny/")["Location"] == "/logg-inn/engangspassord/"  # no new SMS
    response = attacker.post("/logg-inn/kode/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/logg-inn/engangspassord/"
    assert "_auth_user_id" not in attacker.session
    assert len(backends.sms_outbox) == 1


def test_a_code_sent_before_the_account_was_disabled_does_not_log_in(family, kari_account):
    browser = Client()
    password_step(browser, family["kari"])
    code = last_sms_code()
    User.objects.update(is_active=False)
    browser.post("/logg-inn/kode/", {"code": code})
    assert "_auth_user_id" not in browser.session


def test_code_form_rejects_non_digits_with_a_message(client, family, kari_account):
    password_step(client, family["kari"])
    for value in ["12345", "abcdef", "١٢٣٤٥٦", "1234567"]:
        response = client.post("/logg-inn/kode/", {"code": value})
        assert response.status_code == 400 and "Koden har 6 siffer." in response.content.decode()
    assert OneTimeCode.objects.get().tries == 0


def test_inactive_account_cannot_log_in(client, family):
    client.post("/registrer/", registration(family["kari"]))
    assert password_step(client, family["kari"]).status_code == 400
    assert not backends.sms_outbox


def test_no_password_code_or_token_in_the_audit_log(client, family, kari_account):
    log_in(client, family["kari"])
    code = last_sms_code()
    for event in AuditEvent.objects.all():
        text = f"{event.details} {event.actor} {event.user_agent}"
        assert PASSWORD not in text and code not in text


@pytest.mark.parametrize("path", ["/min-side/", "/min-side/opplysninger/", "/min-side/passord/"])
def test_personal_pages_need_login(client, family, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/?next=")


def test_login_returns_to_the_page_that_asked_for_it(client, family, kari_account):
    client.get("/logg-inn/engangspassord/?next=/min-side/opplysninger/")
    password_step(client, family["kari"])
    response = client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert response["Location"] == "/min-side/opplysninger/"
    client.post("/logg-ut/")
    client.get("/logg-inn/engangspassord/?next=https://evil.example/")
    password_step(client, family["kari"])
    assert client.post("/logg-inn/kode/", {"code": last_sms_code()})["Location"] == "/min-side/"


def test_sessions_are_listed_and_can_be_ended_from_another_browser(family, kari_account):
    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
    windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
    phone, laptop = Client(HTTP_USER_AGENT=android), Client(HTTP_USER_AGENT=windows)
    log_in(phone, family["kari"])
    log_in(laptop, family["kari"])
    page = laptop.get("/min-side/").content.decode()
    assert "Chrome på Android" in page and "Firefox på Windows <strong>(denne enheten)</strong>" in page
    phone_session = AccountSession.objects.get(user_agent=android)
    laptop.post(f"/min-side/okter/{phone_session.pk}/avslutt/")
    assert phone.get("/min-side/").status_code == 302
    assert laptop.get("/min-side/").status_code == 200


def test_logout_ends_the_session_on_the_server(client, family, kari_account):
    log_in(client, family["kari"])
    session_key = client.session.session_key
    client.post("/logg-ut/")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert not AccountSession.objects.exists()


def test_session_ends_after_twelve_hours_whatever_the_activity(logged_in, settings):
    session = logged_in.session
    session["eportal.auth"] = {**session["eportal.auth"], "at": session["eportal.auth"]["at"] - 12 * 3600 - 1}
    session.save()
    response = logged_in.get("/min-side/")
    assert response.status_code == 302
    assert logged_in.get("/min-side/").status_code == 302


def test_session_ends_after_thirty_idle_minutes_and_each_request_renews_it(logged_in):
    from django.contrib.sessions.models import Session

    key = logged_in.session.session_key
    logged_in.get("/min-side/")
    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert logged_in.get("/min-side/").status_code == 302


def test_disabling_an_account_ends_its_sessions(logged_in):
    user = User.objects.get()
    user.is_active = False
    user.save()
    assert logged_in.get("/min-side/").status_code == 302
    assert not AccountSession.objects.exists()


def test_forms_need_the_csrf_token(family, kari_account):
    strict = Client(enforce_csrf_checks=True)
    response = password_step(strict, family["kari"])
    assert response.status_code == 403
