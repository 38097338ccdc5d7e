"""E-mails about a person's account: capped per person whichever addresses ask, with links only under
EPORTAL_PUBLIC_URL, sent by jobs that hold references, never an address, a link or a fødselsnummer."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.cache import cache
from django_tasks_db.models import DBTaskResult

from eportal.notifications.models import QueuedMessage
from eportal.notifications.services import queue_email
from tests import factories
from tests.accounts_fixtures import PASSWORD, register_and_activate, registration
from tests.helpers import client_for, last_email_link, make_staff, page_without_csrf, run_tasks

HOURLY_CAP = 5  # EPORTAL_MAIL_CAP_PERSON_HOUR's default


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def hashing(settings):
    """Counts the password-hashing work (Argon2 outside the tests) that registrations spend."""
    settings.PASSWORD_HASHERS = ["tests.test_account_mail.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def mails_to(address: str) -> int:
    run_tasks()
    return sum(address in message.to for message in mail.outbox)


def from_address(number: int) -> dict:
    return {"REMOTE_ADDR": f"198.51.100.{number}"}


def test_registration_emails_to_one_person_are_capped_whichever_addresses_ask(client, family, hashing):
    register_and_activate(client, family["kari"])
    cache.clear()
    hashing.calls = 0
    answers = set()
    for number in range(20):
        response = client.post(
            "/registrer/", registration(family["kari"], email="x@example.net"), **from_address(number)
        )
        answers.add((response.status_code, response["Location"]))
    assert answers == {(302, "/registrer/sendt/")}  # the page says the same, capped or not
    assert mails_to("kari@example.com") == HOURLY_CAP  # «you already have a user», five times, not twenty
    assert hashing.calls == HOURLY_CAP  # a capped registration is dropped before the hashing work


def test_a_throttled_address_spends_no_hashing_work(client, family, hashing):
    strangers = [factories.national_id() for _ in range(25)]
    pages = set()
    for number in strangers:
        response = client.post("/registrer/", registration(family["kari"], national_id=number), follow=True)
        pages.add(page_without_csrf(response))
    assert len(pages) == 1
    assert hashing.calls == 20  # the address's 20 an hour; the other five cost nothing


def test_reset_emails_to_one_person_are_capped_whichever_addresses_ask(client, family):
    register_and_activate(client, family["kari"])
    cache.clear()
    stranger = factories.national_id()
    pages = set()
    for number in range(40):
        for national_id in (family["kari"].national_id, stranger):
            response = client.post("/hjelp-til-innlogging/", {"national_id": national_id}, **from_address(number))
            pages.add((response.status_code, page_without_csrf(response)))
    assert len(pages) == 1 and next(iter(pages))[0] == 200  # the same page for her, a stranger, capped or not
    assert mails_to("kari@example.com") == HOURLY_CAP
    assert len(mail.outbox) == HOURLY_CAP


def test_the_daily_cap_counts_every_kind_of_account_email(client, family, settings):
    register_and_activate(client, family["kari"])
    cache.clear()
    settings.EPORTAL_MAIL_CAP_PERSON_HOUR, settings.EPORTAL_MAIL_CAP_PERSON_DAY = 100, 7
    for number in range(5):
        client.post("/hjelp-til-innlogging/", {"national_id": family["kari"].national_id}, **from_address(number))
        client.post("/registrer/", registration(family["kari"], email="x@example.net"), **from_address(50 + number))
    assert mails_to("kari@example.com") == 7


def test_asking_for_a_new_address_too_often_is_refused_with_a_message(logged_in):
    cache.clear()
    for number in range(HOURLY_CAP):
        data = {"email-new_email": f"ny{number}@example.com", "email-password": PASSWORD}
        assert logged_in.post("/min-side/opplysninger/", data).status_code == 302
    response = logged_in.post(
        "/min-side/opplysninger/", {"email-new_email": "ny@example.com", "email-password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Det er sendt for mange e-poster. Vent litt og prøv igjen." in response.content.decode()
    assert mails_to("ny@example.com") == 0


def test_links_lead_to_the_public_address_whatever_the_host_header_says(client, family, settings, bankid):
    settings.EPORTAL_PUBLIC_URL = "https://portal.example/"
    forged = {"HTTP_HOST": "127.0.0.1:6666"}  # ALLOWED_HOSTS does not look at the port
    client.post("/registrer/", registration(family["kari"]), **forged)
    activation = last_email_link("kari@example.com")
    assert activation.startswith("https://portal.example/aktiver/")
    path = urlsplit(activation).path
    client.get(path)
    client.post(path.rsplit("/", 2)[0] + "/")
    mail.outbox.clear()
    client.post("/hjelp-til-innlogging/", {"national_id": family["kari"].national_id}, **forged)
    assert last_email_link("kari@example.com").startswith("https://portal.example/nytt-passord/")
    to_provider = client.get("/logg-inn/bankid/", **forged)["Location"]
    redirect_uri = parse_qs(urlsplit(to_provider).query)["redirect_uri"]
    assert redirect_uri == ["https://portal.example/logg-inn/bankid/retur/"]


def test_jobs_hold_references_and_finished_jobs_keep_nothing(client, family):
    kari, stranger = family["kari"], factories.national_id()
    client.post("/registrer/", registration(kari, mobile="+4799999999", email="x@example.net"))  # a notice to Kari
    client.post("/registrer/", registration(kari))  # an activation link
    client.post("/hjelp-til-innlogging/", {"national_id": stranger})
    queued = str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))
    assert DBTaskResult.objects.count() == 3
    for secret in ("@", "http", kari.national_id, stranger, kari.mobile, "aktiver"):
        assert secret not in queued, secret
    run_tasks()
    assert sorted(message.to[0] for message in mail.outbox) == ["kari@example.com", "kari@example.com"]
    assert re.search(r"https?://\S+/aktiver/", mail.outbox[-1].body)  # the link was made by the worker
    finished = list(DBTaskResult.objects.values_list("status", "args_kwargs", "return_value"))
    assert finished == [("SUCCESSFUL", {"args": [], "kwargs": {}}, None)] * 3
    assert not QueuedMessage.objects.exists()


def test_the_job_admin_shows_no_arguments(db):
    admin = client_for(make_staff("drift", is_superuser=True))
    queue_email(to="x@example.net", subject="Varsel", body="Du har en ny melding.")
    job = DBTaskResult.objects.get()
    page = admin.get(f"/personale/admin/django_tasks_database/dbtaskresult/{job.pk}/change/").content.decode()
    assert "send_message_task" in page
    assert "message_id" not in page and "Args kwargs" not in page
