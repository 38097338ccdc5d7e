"""Fixes from the security review of the account code, each proven by the behaviour it guards."""

import functools
import time

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from eportal.accounts.models import User
from eportal.gunicorn_logging import redact
from eportal.notifications import backends
from eportal.notifications.models import SmsLedgerEntry
from tests import factories
from tests.accounts_fixtures import PASSWORD, log_in
from tests.helpers import last_sms_code, run_concurrently, run_tasks
from tests.oidc_fixtures import provider_login

NEW_PASSWORD = "ny og bedre setning"


def test_a_stranger_cannot_lock_a_patient_out_from_elsewhere(family, kari_account):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(12):
        attacker.post("/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": "gjett1234"})
    assert (
        attacker.post(
            "/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": PASSWORD}
        ).status_code
        == 429
    )
    log_in(Client(REMOTE_ADDR="198.51.100.7"), family["kari"])


def test_the_lockout_tables_hold_no_fodselsnummer(client, family, kari_account):
    client.post("/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": "feil passord"})
    attempt = AccessAttempt.objects.get()
    assert family["kari"].national_id not in f"{attempt.username} {attempt.post_data} {attempt.get_data}"


def test_a_password_change_voids_a_pending_login_attempt(family, kari_account):
    attacker = Client()
    attacker.post("/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": PASSWORD})
    code = last_sms_code()
    user = User.objects.get()
    user.set_password(NEW_PASSWORD)
    user.save()
    assert attacker.post("/logg-inn/kode/ny/")["Location"] == "/logg-inn/engangspassord/"  # no new SMS
    response = attacker.post("/logg-inn/kode/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/logg-inn/engangspassord/"
    assert "_auth_user_id" not in attacker.session
    assert len(backends.sms_outbox) == 1


def test_a_disabled_account_gets_no_code_and_no_login(family, kari_account):
    browser = Client()
    browser.post("/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": PASSWORD})
    code = last_sms_code()
    User.objects.update(is_active=False)
    browser.post("/logg-inn/kode/", {"code": code})
    assert "_auth_user_id" not in browser.session


class SlowMemorySmsBackend(backends.MemorySmsBackend):
    def send(self, *, to, text):
        time.sleep(0.3)
        return super().send(to=to, text=text)


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_cannot_pass_the_sms_cap_together(settings):
    from eportal.notifications.sms import SmsLimitReached, send_sms

    settings.EPORTAL_SMS_BACKEND = "tests.test_review_fixes.SlowMemorySmsBackend"
    settings.EPORTAL_SMS_CAP_ACCOUNT_15MIN = 3
    user = User.objects.create_user("personale-b")
    send = functools.partial(send_sms, to="+4791234567", text="kode", purpose="login_code", user=user, ip="10.1.1.1")
    outcomes = run_concurrently([send] * 12, error=SmsLimitReached)
    outcomes = ["capped" if isinstance(outcome, SmsLimitReached) else "sent" for outcome in outcomes]
    assert outcomes.count("sent") == 3 and outcomes.count("capped") == 9
    assert SmsLedgerEntry.objects.filter(user=user).count() == 3


def test_reset_requests_for_one_number_are_capped(client, family, kari_account):
    for _ in range(5):
        client.post("/hjelp-til-innlogging/", {"national_id": family["kari"].national_id})
    run_tasks()
    assert len(mail.outbox) == 3


def test_bankid_at_the_high_level_can_change_password_and_email_without_the_old_password(
    client, family, kari_account, bankid
):
    provider_login(client, family["kari"].national_id)
    assert 'name="current_password"' not in client.get("/min-side/passord/").content.decode()
    response = client.post("/min-side/passord/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and User.objects.get().check_password(NEW_PASSWORD)
    response = client.post("/min-side/opplysninger/", {"email-new_email": "min@example.com"})
    assert response.status_code == 302 and User.objects.get().pending_email == "min@example.com"


def test_a_substantial_session_still_needs_the_current_password(logged_in):
    response = logged_in.post("/min-side/passord/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400 and User.objects.get().check_password(PASSWORD)


def test_bankid_refuses_an_account_whose_patient_left_the_list(client, family, kari_account, bankid):
    from django.utils import timezone

    family["kari"].on_list_to = timezone.localdate()
    family["kari"].save()
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and "står ikke lenger på listen" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_bankid_first_login_page_is_not_cached(client, family, bankid):
    provider_login(client, family["emma"].national_id)
    response = client.get("/logg-inn/bankid/ny-bruker/")
    assert "no-store" in response["Cache-Control"]


def test_access_log_lines_lose_the_link_tokens():
    assert redact("GET /aktiver/MTI/d3k1-abcdef0123/ HTTP/1.1") == "GET /aktiver/MTI/[token]/ HTTP/1.1"
    assert redact("/nytt-passord/MTI/xyz/") == "/nytt-passord/MTI/[token]/"
    assert redact("/e-post/MTI/xyz/") == "/e-post/MTI/[token]/"
    assert redact("/aktiver/MTI/") == "/aktiver/MTI/"  # the page the token moved from carries none
    assert redact("/timer/12/avbestill/") == "/timer/12/avbestill/"


def test_ipv6_clients_are_counted_per_64(rf):
    from eportal.web.actor import client_network

    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert client_network(one) == client_network(other) == "2001:db8:1:2::"
    assert client_network(rf.get("/", REMOTE_ADDR="192.0.2.4")) == "192.0.2.4"


def test_patient_numbers_in_factories_are_unique():
    assert len({factories.national_id() for _ in range(300)}) == 300
