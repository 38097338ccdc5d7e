"""A small clinic with a family on its list, the steps to get a logged-in patient, and a clock for the
e-mailed links that only the test moves."""

import datetime
import time

import pytest
from django.core import mail

from eportal.accounts import tokens
from eportal.accounts.models import User
from eportal.clinic.models import Clinic, Guardianship
from tests import factories
from tests.helpers import last_email_link, last_sms_code

PASSWORD = "lang nok setning"
NEW_PASSWORD = "ny og bedre setning"


@pytest.fixture
def family(db):
    Clinic.objects.create(name="Gjerdrum legesenter", phone="63 99 10 00")
    gp = factories.practitioner("9100011")
    kari = factories.list_patient(gp, first_name="Kari", last_name="Nordmann", email="kari@example.com")
    emma = factories.list_patient(
        gp,
        national_id=factories.national_id(factories.born_years_ago(11)),
        first_name="Emma",
        last_name="Nordmann",
        mobile=kari.mobile,
    )
    ola_mobile = factories.mobile()
    Guardianship.objects.create(child=emma, guardian_national_id=kari.national_id, guardian_mobile=kari.mobile)
    Guardianship.objects.create(child=emma, guardian_national_id=factories.national_id(), guardian_mobile=ola_mobile)
    return {"gp": gp, "kari": kari, "emma": emma, "ola_mobile": ola_mobile}


def registration(patient, **overrides):
    data = {
        "national_id": patient.national_id,
        "email": "kari@example.com",
        "mobile": patient.mobile,
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        "consent": "on",
    }
    return {**data, **overrides}


def register_and_activate(client, patient, **overrides) -> User:
    response = client.post("/registrer/", registration(patient, **overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    link = last_email_link()
    client.get(link)
    response = client.post(link.rsplit("/", 2)[0] + "/")
    assert response.status_code == 302
    client.get(response["Location"])  # the login page, showing "activated"
    mail.outbox.clear()
    return User.objects.get(national_id=patient.national_id)


def password_step(client, patient, password=PASSWORD):
    """The first step of «Engangspassord på mobil»: personnummer and password."""
    return client.post("/logg-inn/engangspassord/", {"national_id": patient.national_id, "password": password})


def log_in(client, patient, password=PASSWORD):
    response = password_step(client, patient, password)
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post("/logg-inn/kode/", {"code": last_sms_code()})
    assert response.status_code == 302 and response["Location"] == "/min-side/", response
    return response


def act_for(client, patient_id):
    """Choose, on Min side, the person to act for («Handle på vegne av …»); the id may be anything a form
    could carry."""
    return client.post("/min-side/handle-for/", {"patient": patient_id})


@pytest.fixture
def kari_account(client, family):
    return register_and_activate(client, family["kari"])


@pytest.fixture
def logged_in(client, family, kari_account):
    log_in(client, family["kari"])
    return client


class LinkClock:
    """The time as the e-mailed links see it: stopped when the test starts, moved only by `advance`."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, **delta) -> None:
        """Move the clock on, e.g. `advance(hours=48, seconds=1)`."""
        self.now += datetime.timedelta(**delta).total_seconds()


@pytest.fixture
def link_clock(monkeypatch):
    """The clock of the activation, reset and e-mail change links, for a test to move past their age limits."""
    clock = LinkClock(time.time())
    for token in (tokens.activation_token, tokens.reset_token, tokens.email_change_token):
        monkeypatch.setattr(token, "clock", clock)
    return clock
