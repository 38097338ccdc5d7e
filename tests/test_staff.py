"""Staff log in separately, with password and a TOTP code; only they reach the admin."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.audit.models import AuditEvent
from tests.accounts_fixtures import PASSWORD
from tests.helpers import current_totp, staff_login


@pytest.fixture
def staff(db, django_user_model):
    user = django_user_model.objects.create_user(
        "anne", password="personalets passord", is_staff=True, is_superuser=True
    )
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


def test_staff_with_password_and_code_reach_the_admin(client, staff):
    staff_login(client, staff, password="personalets passord")
    assert client.get("/personale/admin/").status_code == 200
    assert client.session["eportal.auth"]["method"] == "password+totp"
    assert AuditEvent.objects.filter(action="login_succeeded", details__factor="password+totp").exists()


def test_wrong_code_or_password_is_refused_without_saying_which(client, staff):
    for data in [
        {"username": "anne", "password": "personalets passord", "otp_token": "000000"},
        {"username": "anne", "password": "feil", "otp_token": current_totp(staff)},
    ]:
        response = client.post("/personale/logg-inn/", data)
        assert response.status_code == 400
        assert "Feil brukernavn, passord eller kode." in response.content.decode()
    assert client.get("/personale/admin/").status_code == 302


def test_a_patient_cannot_use_the_staff_login_and_staff_cannot_use_the_patient_login(
    client, family, kari_account, staff
):
    response = client.post(
        "/personale/logg-inn/", {"username": family["kari"].national_id, "password": PASSWORD, "otp_token": "123456"}
    )
    assert response.status_code == 400
    response = client.post("/logg-inn/engangspassord/", {"national_id": "anne", "password": "personalets passord"})
    assert response.status_code == 400


def test_a_logged_in_patient_does_not_reach_the_admin(logged_in):
    response = logged_in.get("/personale/admin/clinic/listpatient/", follow=True)
    assert "Innlogging for personalet" in response.content.decode()


def test_staff_login_page_labels(client, db):
    html = client.get("/personale/logg-inn/").content.decode()
    for label in ["Brukernavn", "Passord", "Kode fra autentiseringsappen"]:
        assert f">{label}</label>" in html


def test_operator_gives_a_staff_user_an_authenticator_key(client, django_user_model, capsys):
    import base64

    from django.core.management import call_command
    from django_otp.oath import totp

    django_user_model.objects.create_user("ola", password="personalets passord", is_staff=True)
    call_command("add_staff_totp", "ola")
    secret = capsys.readouterr().out.split("Key for the authenticator app: ")[1].split()[0]
    code = f"{totp(base64.b32decode(secret)):06d}"
    response = client.post(
        "/personale/logg-inn/", {"username": "ola", "password": "personalets passord", "otp_token": code}
    )
    assert response.status_code == 302
