"""Registration («Mine opplysninger», OPPRETT NY BRUKER) and e-mail activation."""

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.notifications import backends
from tests.accounts_fixtures import PASSWORD, register_and_activate, registration
from tests.helpers import last_email_link, page_without_csrf, run_tasks


def test_registration_page_has_the_seeds_labels_and_consent_text(client, family):
    html = client.get("/registrer/").content.decode()
    for label in ["Personnummer (11 siffer)*", "E-post*", "Mobiltelefon*", "Nytt passord*", "Gjenta passord*"]:
        assert re.search(rf'<label for="id_\w+"[^>]*>{re.escape(label)}</label>', html), label
    assert (
        "*Jeg godkjenner bruk av e-post og SMS i kontakt med meg som pasient/pårørende ved Gjerdrum legesenter." in html
    )
    assert (
        "Samtykket gjelder for bruk av e-post og SMS til følgende formål: varsel om timeavtale, engangspassord for "
        "pålogging, varsel om melding" in html
    )
    assert "OPPRETT NY BRUKER" in html and "<h1>Mine opplysninger</h1>" in html


def test_listed_patient_with_the_registered_mobile_gets_an_activation_link(client, family):
    kari = family["kari"]
    response = client.post("/registrer/", registration(kari, mobile=" +47 " + kari.mobile[3:]))
    assert response.status_code == 302 and response["Location"] == "/registrer/sendt/"
    user = User.objects.get(national_id=kari.national_id)
    assert not user.is_active and user.email == "kari@example.com"
    assert user.consent_version == 1 and user.consent_given_at is not None
    assert user.password.startswith("argon2$") or user.check_password(PASSWORD)
    link = last_email_link("kari@example.com")
    assert kari.national_id not in link and kari.national_id not in mail.outbox[-1].body
    assert mail.outbox[-1].subject == "Aktiver brukeren din i e-portalen til Gjerdrum legesenter"


def test_activation_link_works_once_and_keeps_the_token_out_of_the_address(client, family):
    client.post("/registrer/", registration(family["kari"]))
    link = last_email_link()
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].count("/") == 3  # /aktiver/<uid>/
    page = client.get(response["Location"])
    assert "AKTIVER" in page.content.decode()
    assert not User.objects.get().is_active  # a GET (a link scanner) does not activate
    assert client.post(response["Location"]).status_code == 302
    assert User.objects.get().is_active
    client.get(link)
    again = client.post(response["Location"])
    assert again.status_code == 400
    assert "Lenken er brukt, har gått ut på tid eller er ikke komplett." in again.content.decode()
    assert "SEND NY LENKE" in again.content.decode()


def test_garbled_activation_links_offer_a_new_link(client, family):
    client.post("/registrer/", registration(family["kari"]))
    link = last_email_link()
    uid, token = link.rstrip("/").split("/")[-2:]
    for bad in [
        f"/aktiver/{uid}/{token[:-3]}abc/",
        f"/aktiver/{uid}/nonsense/",
        "/aktiver/%C3%A6%00/x/",
        f"/aktiver/AAAA/{token}/",
    ]:
        response = client.get(bad, follow=True)
        assert response.status_code == 400 and "Ny aktiveringslenke" in response.content.decode(), bad


def test_activation_link_works_for_48_hours_and_not_after(client, family, link_clock):
    client.post("/registrer/", registration(family["kari"]))
    link = last_email_link()
    link_clock.advance(hours=48, seconds=-1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "AKTIVER" in page.content.decode()
    link_clock.advance(seconds=2)
    assert client.get(link, follow=True).status_code == 400
    assert not User.objects.get().is_active


def test_new_activation_link_on_request(client, family):
    client.post("/registrer/", registration(family["kari"]))
    mail.outbox.clear()
    response = client.post(
        "/aktiver-ny-lenke/", {"national_id": family["kari"].national_id, "email": "KARI@example.com"}
    )
    assert response.status_code == 302
    assert "/aktiver/" in last_email_link("kari@example.com")


def test_child_registered_with_the_parents_mobile_registered_on_the_child(client, family):
    emma = family["emma"]
    client.post("/registrer/", registration(emma, email="kari@example.com", mobile=family["kari"].mobile))
    assert User.objects.filter(national_id=emma.national_id).exists()
    # The other guardian's mobile, registered for them on the child, works too.
    User.objects.all().delete()
    client.post("/registrer/", registration(emma, email="ola@example.com", mobile=family["ola_mobile"]))
    assert User.objects.filter(national_id=emma.national_id, email="ola@example.com").exists()


class CountingHasher(PBKDF2PasswordHasher):
    algorithm = "counting_pbkdf2"
    iterations = 1000
    calls = 0

    def encode(self, password, salt, iterations=None):
        type(self).calls += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.test_registration.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def _difference(values):
    import difflib

    first, second = values[0], values[1]
    return (
        first[0],
        first[2],
        second[0],
        second[2],
        "".join(difflib.unified_diff(first[1].splitlines(True), second[1].splitlines(True))),
    )


def test_registration_answers_alike_whatever_the_registry_says(client, family, counting_hasher, django_user_model):
    """docs/security.md, no enumeration (ASVS 6.3.8): not on the list, wrong mobile, existing account and a new
    account get the same status, page and password-hashing work; what happened goes to registered channels."""
    kari, emma = family["kari"], family["emma"]
    register_and_activate(client, kari)
    backends.sms_outbox.clear()
    from tests import factories

    stranger = factories.national_id()
    attempts = {
        "not on list": registration(kari, national_id=stranger, email="x@example.net"),
        "wrong mobile": registration(emma, mobile="+4799999999", email="x@example.net"),
        "existing account": registration(kari, email="x@example.net"),
        "new account": registration(emma, email="x@example.net"),
    }
    answers = {}
    for name, data in attempts.items():
        counting_hasher.calls = 0
        response = client.post("/registrer/", data, follow=True)
        answers[name] = (response.status_code, page_without_csrf(response), counting_hasher.calls)
    distinct = {value: name for name, value in answers.items()}
    assert len(distinct) == 1, _difference(list(distinct))
    assert answers["new account"][2] == 1
    run_tasks()
    recipients = sorted(message.to[0] for message in mail.outbox)
    # Existing account: its own verified address; new account: the activation link; nobody else.
    assert recipients == ["kari@example.com", "x@example.net"]
    assert "Du har allerede en bruker" in next(m.body for m in mail.outbox if m.to == ["kari@example.com"])
    assert not backends.sms_outbox  # registration costs no SMS


def test_wrong_mobile_is_told_to_the_registry_email_of_the_patient(client, family):
    client.post("/registrer/", registration(family["kari"], mobile="+4799999999", email="x@example.net"))
    run_tasks()
    assert [m.to for m in mail.outbox] == [["kari@example.com"]]
    assert "mobilnummeret stemte ikke" in mail.outbox[0].body
    assert not User.objects.exists()


def test_pending_registration_is_replaced_not_blocking(client, family):
    client.post("/registrer/", registration(family["kari"], email="typo@example.com"))
    client.post("/registrer/", registration(family["kari"], email="kari@example.com"))
    assert User.objects.get().email == "kari@example.com"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kort123", "minst 8 tegn"),
        ("passord1", "for vanlig"),
        ("password1", "for vanlig"),
        ("12345678", "for vanlig"),
        ("gjerdrum legesenter", "navnet på legekontoret"),
        ("kari@example.com", "e-posten"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, family, password, reason):
    data = registration(family["kari"], new_password1=password, new_password2=password)
    response = client.post("/registrer/", data)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not User.objects.exists()


def test_password_containing_the_personal_number_is_refused(client, family):
    kari = family["kari"]
    password = f"x{kari.national_id}x"
    response = client.post("/registrer/", registration(kari, new_password1=password, new_password2=password))
    assert response.status_code == 400 and "personnummeret" in response.content.decode()


def test_eight_characters_without_composition_rules_and_64_plus_are_accepted_whole(client, family):
    kari = family["kari"]
    assert (
        client.post("/registrer/", registration(kari, new_password1="fjelltur", new_password2="fjelltur")).status_code
        == 302
    )
    long_password = "Dette er en veldig lang passordsetning om fjell, fjorder og brunost. " * 2
    assert len(long_password) > 128
    User.objects.all().delete()
    client.post("/registrer/", registration(kari, new_password1=long_password, new_password2=long_password))
    user = User.objects.get()
    assert user.check_password(long_password)
    assert not user.check_password(long_password[:72]) and not user.check_password(long_password.lower())


def test_mismatched_passwords_missing_consent_and_bad_fields_store_nothing(client, family):
    kari = family["kari"]
    cases = [
        (registration(kari, new_password2="noe annet helt"), "De to passordene er ikke like."),
        ({**registration(kari), "consent": ""}, "Du må godkjenne bruk av e-post og SMS"),
        (registration(kari, national_id="12345678901"), "Personnummeret er ikke gyldig"),
        (registration(kari, mobile="22 12 34 56"), "norsk mobilnummer"),
        (registration(kari, email="ikke-epost"), "e-post"),
    ]
    for data, message in cases:
        response = client.post("/registrer/", data)
        assert response.status_code == 400 and message in response.content.decode(), message
    assert not User.objects.exists()
    assert not AuditEvent.objects.exists()
