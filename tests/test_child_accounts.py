"""«The seed's way» of acting for a child: an account in the child's number, opened with a guardian's mobile
registered on the child. Codes go to the mobile the registration was accepted with; from 16 a guardian's
mobile no longer counts, and the young person's own registration replaces the account made for them."""

import datetime
import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from eportal.accounts.models import AccountSession, OneTimeCode, User
from eportal.accounts.selectors import made_for_a_child, sms_mobile
from eportal.audit.models import AuditEvent
from eportal.clinic.ages import age_on, has_own_access
from eportal.clinic.models import Guardianship
from eportal.clinic.selectors import registered_mobiles
from eportal.notifications import backends
from eportal.notifications.models import SmsLedgerEntry
from tests import factories
from tests.accounts_fixtures import PASSWORD, log_in, password_step, register_and_activate, registration
from tests.helpers import last_email_link, run_tasks
from tests.oidc_fixtures import provider_login

NO_LONGER_REGISTERED = "Mobilnummeret du registrerte deg med, er ikke lenger registrert hos oss."
GROWN_UP = "Denne brukeren ble opprettet før du fylte 16 år"
DAY = datetime.timedelta(days=1)
GUARDIANS_PASSWORD = "mors gamle passord"  # the account made for the child

# The child's 16th birthday relative to today: (days from today to the birthday, whether they are 16 today).
AROUND_16 = pytest.mark.parametrize(
    ("birthday_in", "sixteen"),
    [(1, False), (0, True), (-1, True)],
    ids=["day before 16th birthday", "16th birthday", "day after 16th birthday"],
)


def sixteenth_birthday_in(days: int) -> datetime.date:
    """The birth date of someone whose 16th birthday is `days` from today (negative: in the past)."""
    today = timezone.localdate()
    return today.replace(year=today.year - 16) + datetime.timedelta(days=days)


def emma_born(family, born: datetime.date):
    """The family's child Emma, given a number with this birth date (her guardians' rows stay)."""
    emma = family["emma"]
    emma.national_id = factories.national_id(born=born)
    emma.save()
    return emma


def account_made_on(patient, day: datetime.date, *, mobile: str, email="kari@example.com", password=GUARDIANS_PASSWORD):
    """An active account in the patient's number as registration made it on `day`, with `mobile` accepted."""
    joined = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return User.objects.create_user(
        username=patient.national_id,
        national_id=patient.national_id,
        email=email,
        password=password,
        code_mobile=mobile,
        date_joined=joined,
    )


# The father's scenario: the code goes where the registration was accepted.


@pytest.mark.parametrize("guardian", ["mother", "father"])
def test_login_code_goes_to_the_mobile_the_childs_registration_was_accepted_with(client, family, guardian):
    emma = family["emma"]
    mobile = family["kari"].mobile if guardian == "mother" else family["ola_mobile"]
    user = register_and_activate(client, emma, email=f"{guardian}@example.com", mobile=mobile)
    assert user.code_mobile == mobile
    log_in(client, emma)
    assert [sms["to"] for sms in backends.sms_outbox] == [mobile]


def test_password_reset_code_goes_to_the_fathers_mobile_too(client, family):
    emma, ola_mobile = family["emma"], family["ola_mobile"]
    register_and_activate(client, emma, email="ola@example.com", mobile=ola_mobile)
    client.post("/hjelp-til-innlogging/", {"national_id": emma.national_id})
    page = client.get(last_email_link("ola@example.com"))["Location"]
    client.post(page, {"send_code": "1"})
    assert [sms["to"] for sms in backends.sms_outbox] == [ola_mobile]


def test_an_account_without_a_stored_mobile_gets_the_first_registered_as_before(client, family):
    emma = family["emma"]
    register_and_activate(client, emma, email="ola@example.com", mobile=family["ola_mobile"])
    User.objects.update(code_mobile="")
    password_step(client, emma)
    assert [sms["to"] for sms in backends.sms_outbox] == [emma.mobile]


def test_a_mobile_the_clinic_removed_stops_the_codes_with_a_clear_message(client, family):
    emma, ola_mobile = family["emma"], family["ola_mobile"]
    register_and_activate(client, emma, email="ola@example.com", mobile=ola_mobile)
    Guardianship.objects.filter(guardian_mobile=ola_mobile).delete()
    response = password_step(client, emma)
    assert response.status_code == 400 and NO_LONGER_REGISTERED in response.content.decode()
    client.post("/hjelp-til-innlogging/", {"national_id": emma.national_id})
    page = client.get(last_email_link("ola@example.com"))["Location"]
    response = client.post(page, {"send_code": "1"})
    assert response.status_code == 400 and NO_LONGER_REGISTERED in response.content.decode()
    # Never the mother's mobile instead; no code, no SMS on the ledger.
    assert not backends.sms_outbox
    assert not OneTimeCode.objects.exists() and not SmsLedgerEntry.objects.exists()
    refusals = AuditEvent.objects.filter(action="code_not_sent", details__reason="no_longer_registered")
    assert refusals.count() == 2


# From 16 the young person's data is their own.


@AROUND_16
def test_from_16_a_guardians_mobile_no_longer_counts_as_registered_on_them(family, birthday_in, sixteen):
    kari_mobile, ola_mobile = family["kari"].mobile, family["ola_mobile"]
    emma = emma_born(family, sixteenth_birthday_in(birthday_in))
    assert emma.mobile == kari_mobile  # the mother's mobile stands as the child's own
    assert registered_mobiles(emma) == ([] if sixteen else [kari_mobile, ola_mobile])
    emma.mobile = own = factories.mobile()
    emma.save()
    assert registered_mobiles(emma) == ([own] if sixteen else [own, kari_mobile, ola_mobile])


@AROUND_16
def test_a_guardians_mobile_cannot_register_a_16_year_old(client, family, birthday_in, sixteen):
    emma = emma_born(family, sixteenth_birthday_in(birthday_in))
    for mobile in (family["kari"].mobile, family["ola_mobile"]):
        assert client.post("/registrer/", registration(emma, mobile=mobile)).status_code == 302
    assert User.objects.filter(national_id=emma.national_id).exists() is not sixteen
    mismatches = AuditEvent.objects.filter(action="registration_mobile_mismatch").count()
    assert mismatches == (2 if sixteen else 0)


@AROUND_16
def test_from_16_the_guardians_mobile_no_longer_opens_the_account_made_for_the_child(
    client, family, birthday_in, sixteen
):
    emma = emma_born(family, sixteenth_birthday_in(birthday_in))
    made_on = timezone.localdate() + datetime.timedelta(days=birthday_in) - DAY  # the last day before 16
    account_made_on(emma, made_on, mobile=family["kari"].mobile, password=PASSWORD)
    response = password_step(client, emma)
    if not sixteen:
        assert response.status_code == 302 and backends.sms_outbox[-1]["to"] == family["kari"].mobile
        return
    html = response.content.decode()
    assert response.status_code == 400 and GROWN_UP in html
    assert "Registrer deg på nytt med ditt eget mobilnummer, eller logg inn med BankID." in html
    assert not backends.sms_outbox and not OneTimeCode.objects.exists()
    assert AuditEvent.objects.filter(action="code_not_sent", details__reason="grown_up").exists()


def test_at_16_a_registration_with_the_own_mobile_replaces_the_account_made_for_the_child(client, family):
    emma = emma_born(family, sixteenth_birthday_in(0))
    old = account_made_on(emma, timezone.localdate() - DAY, mobile=family["kari"].mobile)
    emma.mobile = own = factories.mobile()
    emma.save()
    user = register_and_activate(client, emma, email="emma@example.com", mobile=own)
    assert user.pk == old.pk and user.is_active
    assert (user.email, user.code_mobile) == ("emma@example.com", own)
    assert timezone.localtime(user.date_joined).date() == timezone.localdate()
    assert user.check_password(PASSWORD) and not user.check_password(GUARDIANS_PASSWORD)
    assert not AuditEvent.objects.filter(action="registration_existing_account").exists()
    replaced = AuditEvent.objects.get(action="child_account_replaced")
    assert replaced.subject_national_id == emma.national_id
    assert emma.national_id not in json.dumps(replaced.details)
    log_in(client, emma)
    assert backends.sms_outbox[-1]["to"] == own


def test_the_replaced_account_waits_for_the_activation_link_and_its_sessions_end(family, bankid):
    emma = emma_born(family, sixteenth_birthday_in(-30))
    account_made_on(emma, timezone.localdate() - datetime.timedelta(days=400), mobile=family["kari"].mobile)
    # BankID proves the person: it opens the account in one's own number at any age.
    logged_in = Client()
    response, _ = provider_login(logged_in, emma.national_id)
    assert response["Location"] == "/min-side/" and logged_in.get("/min-side/").status_code == 200
    emma.mobile = own = factories.mobile()
    emma.save()
    Client().post("/registrer/", registration(emma, email="emma@example.com", mobile=own))
    assert logged_in.get("/min-side/").status_code == 302 and not AccountSession.objects.exists()
    assert not User.objects.get().is_active
    assert password_step(Client(), emma).status_code == 400  # not before the link is used
    assert "/aktiver/" in last_email_link("emma@example.com")


def test_before_16_a_second_registration_still_only_tells_the_existing_account(client, family):
    emma = emma_born(family, sixteenth_birthday_in(1))
    register_and_activate(client, emma, email="kari@example.com", mobile=family["kari"].mobile)
    client.post("/registrer/", registration(emma, email="ola@example.com", mobile=family["ola_mobile"]))
    user = User.objects.get()
    assert (user.email, user.code_mobile, user.is_active) == ("kari@example.com", family["kari"].mobile, True)
    run_tasks()
    assert [message.to for message in mail.outbox] == [["kari@example.com"]]
    assert "Du har allerede en bruker" in mail.outbox[0].body
    assert not AuditEvent.objects.filter(action="child_account_replaced").exists()


def test_bankid_registration_of_a_16_year_old_needs_their_own_mobile(client, family, bankid):
    emma = emma_born(family, sixteenth_birthday_in(0))
    emma.mobile = own = factories.mobile()
    emma.save()
    provider_login(client, emma.national_id)
    data = {"email": "emma@example.com", "mobile": family["ola_mobile"], "consent": "on"}
    response = client.post("/logg-inn/bankid/ny-bruker/", data)
    assert response.status_code == 400 and not User.objects.exists()
    response = client.post("/logg-inn/bankid/ny-bruker/", {**data, "mobile": own})
    assert response.status_code == 302 and User.objects.get().code_mobile == own


def test_a_child_born_on_29_february_turns_16_on_1_march_in_a_common_year(family):
    # 1884 + 16 = 1900: a leap year plus 16 is a leap year again, but for a century not divisible by 400.
    emma = emma_born(family, datetime.date(1884, 2, 29))
    eve, birthday = datetime.date(1900, 2, 28), datetime.date(1900, 3, 1)
    assert (age_on(emma.national_id, eve), age_on(emma.national_id, birthday)) == (15, 16)
    assert not has_own_access(emma.national_id, eve) and has_own_access(emma.national_id, birthday)
    assert registered_mobiles(emma, day=eve) == [family["kari"].mobile, family["ola_mobile"]]
    assert registered_mobiles(emma, day=birthday) == []
    user = User(national_id=emma.national_id, code_mobile=family["ola_mobile"])
    user.date_joined = timezone.make_aware(datetime.datetime.combine(eve, datetime.time(12)))
    assert not made_for_a_child(user, emma, eve) and made_for_a_child(user, emma, birthday)
    assert (sms_mobile(user, emma, day=eve), sms_mobile(user, emma, day=birthday)) == (family["ola_mobile"], "")


# Adults: as before.


def test_an_adults_codes_follow_the_own_mobile_the_clinic_has_now(client, family, kari_account):
    kari = family["kari"]
    assert kari_account.code_mobile == kari.mobile
    kari.mobile = new = factories.mobile()
    kari.save()
    log_in(client, kari)
    assert backends.sms_outbox[-1]["to"] == new
