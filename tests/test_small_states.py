"""Clear small states (issue 14): when a new SMS code may be asked for after the SMS cap, phone numbers as
Norwegians write them, «Mente du …?» for mistyped e-mail domains, and the clinic's cancellation notice."""

import datetime

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import formats, timezone

from eportal.accounts import forms
from eportal.accounts.models import User
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_for_clinic
from eportal.clinic.models import Clinic
from eportal.core.actor import system_actor
from eportal.core.clock import local_clock
from eportal.identity.email import suggested_address
from eportal.identity.mobile import display_mobile
from eportal.notifications.models import SmsLedgerEntry
from eportal.notifications.sms import next_sms_allowed_at
from tests import factories
from tests.accounts_fixtures import password_step, registration
from tests.factories import grant_for
from tests.helpers import run_tasks

pytestmark = pytest.mark.django_db


# When a new SMS code may be asked for ---------------------------------------------------------------------


def ledger(user, minutes_ago, purpose=SmsLedgerEntry.Purpose.LOGIN_CODE, ip=None):
    entry = SmsLedgerEntry.objects.create(purpose=purpose, recipient="+4791000001", user=user, ip=ip,
                                          price_nok=0, status="sent")  # fmt: skip
    SmsLedgerEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )


@override_settings(EPORTAL_SMS_CAP_ACCOUNT_15MIN=3)
def test_the_next_sms_is_allowed_when_the_oldest_counted_one_leaves_the_window(kari_account):
    ledger(kari_account, 10)
    ledger(kari_account, 6)
    assert next_sms_allowed_at(user=kari_account, ip=None, purpose="login_code") is None
    ledger(kari_account, 2)
    at = next_sms_allowed_at(user=kari_account, ip=None, purpose="login_code")
    expected = timezone.now() + datetime.timedelta(minutes=5)  # the one sent 10 minutes ago leaves in 5
    assert abs((at - expected).total_seconds()) < 5
    # Notices are not under the codes' 15-minute cap.
    assert next_sms_allowed_at(user=kari_account, ip=None, purpose="notice") is None


def when_written(at):
    """The minute after `at` as the refusal writes it: «kl. 00:04», with the day in front after midnight."""
    minute = timezone.localtime(at).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    clock = f"kl. {minute:%H:%M}"
    if minute.date() == timezone.localdate():
        return clock
    return f"{formats.date_format(minute, 'l j. F')} {clock}"


def test_a_time_on_another_day_is_written_with_its_day():
    """A wait that runs past midnight must not read as «kl. 00:04» today."""
    now = timezone.localtime()
    assert local_clock(now, at="kl.") == f"kl. {now:%H:%M}"
    tomorrow = now + datetime.timedelta(days=1)
    written = local_clock(tomorrow, at="kl.")
    assert written == f"{formats.date_format(tomorrow, 'l j. F')} kl. {tomorrow:%H:%M}"
    assert written.split()[0] in {"mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"}


@override_settings(EPORTAL_SMS_CAP_ACCOUNT_15MIN=2)
def test_the_code_page_says_only_too_many_sms_and_when(client, family, kari_account):
    password_step(client, family["kari"])  # the first code
    client.post(reverse("accounts:login-code-resend"))  # the second: the cap is reached
    client.post(reverse("accounts:login-code-resend"))  # refused
    at = next_sms_allowed_at(user=kari_account, ip="127.0.0.1", purpose="login_code")
    page = client.get(reverse("accounts:login-code")).content.decode()
    assert f"For mange SMS er sendt. Du kan be om en ny kode {when_written(at)}, eller logge inn" in page
    assert "Vi har sendt en SMS" not in page
    assert "Send ny kode" not in page  # no button that would only be refused
    assert page.count("For mange SMS") == 1  # not also as a flashed message


@override_settings(EPORTAL_SMS_CAP_ACCOUNT_15MIN=2)
def test_the_password_step_past_the_cap_says_when_a_code_can_be_asked_for(client, family, kari_account):
    password_step(client, family["kari"])
    password_step(client, family["kari"])  # two codes: the cap is reached
    at = next_sms_allowed_at(user=kari_account, ip="127.0.0.1", purpose="login_code")
    response = password_step(client, family["kari"])
    page = response.content.decode()
    assert response.status_code == 400
    assert f"For mange SMS er sendt. Du kan be om en ny kode {when_written(at)}, eller logge inn" in page
    assert "Vent litt" not in page


def test_the_code_page_without_the_cap_says_the_sms_is_sent(client, family, kari_account):
    password_step(client, family["kari"])
    page = client.get(reverse("accounts:login-code")).content.decode()
    assert "Vi har sendt en SMS" in page and "For mange SMS" not in page


# Phone numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+4740607558", "406 07 558"),
        ("+4791234567", "912 34 567"),
        ("+46701234567", "+46 70 123 45 67"),
        ("", ""),
        ("ikke et nummer", "ikke et nummer"),
    ],  # fmt: skip
)
def test_mobiles_are_shown_as_people_write_them(stored, shown):
    assert display_mobile(stored) == shown
    assert Template("{% load eportal_format %}{{ number|mobile }}").render(Context({"number": stored})) == shown


def test_my_details_show_the_registered_mobile_grouped(logged_in, family):
    page = logged_in.get("/min-side/opplysninger/").content.decode()
    assert display_mobile(family["kari"].mobile) in page and family["kari"].mobile not in page


# «Mente du …?» ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("kari@gmial.com", "kari@gmail.com"),
        ("kari@GMAIL.CON", "kari@gmail.com"),
        ("ola@hotmial.com", "ola@hotmail.com"),
        ("a@outlok.com", "a@outlook.com"),
        ("a@onlien.no", "a@online.no"),
        ("kari@gmail.com", None),
        ("kari@hotmail.no", None),
        ("gmial.com", None),
    ],  # fmt: skip
)
def test_clear_typos_of_common_domains_get_a_suggestion(typed, suggested):
    assert suggested_address(typed) == suggested


def test_registration_refuses_a_typo_once_and_accepts_it_when_sent_again(client, family):
    data = registration(family["kari"], email="kari@gmial.com")
    page = client.post("/registrer/", data).content.decode()
    assert "Mente du kari@gmail.com?" in page
    assert 'value="kari@gmial.com"' in page  # the field keeps what was typed
    assert not User.objects.exists()
    response = client.post("/registrer/", {**data, "email_as_typed": "kari@gmial.com"})
    assert response.status_code == 302
    assert User.objects.get().email == "kari@gmial.com"


def test_a_changed_address_is_checked_again():
    form = forms.EmailChangeForm({"email-new_email": "kari@gnail.com", "email-new_email_as_typed": "kari@gmial.com",
                                  "email-password": "x"}, prefix="email")  # fmt: skip
    assert not form.is_valid() and "Mente du kari@gmail.com?" in str(form.errors)
    form = forms.EmailChangeForm({"email-new_email": "kari@gnail.com", "email-new_email_as_typed": "kari@gnail.com",
                                  "email-password": "x"}, prefix="email")  # fmt: skip
    assert form.is_valid()


def test_the_bankid_new_user_form_gives_the_hint_too(family):
    data = {"email": "kari@hotnail.com", "mobile": family["kari"].mobile, "consent": "on"}
    form = forms.BankIdNewUserForm(data, clinic_name="X", national_id=family["kari"].national_id)
    assert not form.is_valid() and "Mente du kari@hotmail.com?" in str(form.errors)


def test_my_details_email_change_gives_the_hint(logged_in):
    page = logged_in.post("/min-side/opplysninger/", {"email-new_email": "kari@yaho.com", "email-password": "x"})
    assert "Mente du kari@yahoo.com?" in page.content.decode()


# The clinic's cancellation notice --------------------------------------------------------------------------


@override_settings(EPORTAL_NOTICE_DELAY_SECONDS=0)
def test_the_clinics_cancellation_says_avlyst_in_subject_and_text_with_the_phone(family, kari_account):
    kari_account.notify_by_email = True
    kari_account.save()
    slots = factories.schedule(family["gp"], factories.open_day(2), days=1)
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="Kontroll")
    run_tasks()
    mail.outbox.clear()
    cancel_for_clinic(actor=system_actor(), appointment_id=appointment.pk)
    run_tasks()
    notice = next(m for m in mail.outbox if "avlyst" in m.subject)
    assert notice.subject == "Time avlyst av Gjerdrum legesenter"
    assert "har måttet avlyse timen din" in notice.body and "Ring oss på 63 99 10 00" in notice.body
    assert "avbestilt" not in notice.subject + notice.body


def test_without_a_phone_the_notice_asks_to_contact_the_clinic(family, kari_account):
    Clinic.objects.update(phone="")
    from eportal.booking import notices

    slots = factories.schedule(family["gp"], factories.open_day(2), days=1)
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="Kontroll")
    appointment.cancelled_at = timezone.now()
    kari_account.notify_by_email = True
    kari_account.save()
    mail.outbox.clear()
    notices.cancelled(appointment, by_clinic=True)
    run_tasks()
    notice = next(m for m in mail.outbox if "avlyst" in m.subject)
    assert "Ta kontakt for å finne en ny time" in notice.body and "Ring oss" not in notice.body
