"""What an eKonsultasjon costs (messaging.fees), as the clinic's billing records it: sent by the patient with
BankID, answered and closed by the GP. The takst by when the GP answered (Oslo time, working days), the
egenandel from the table the consultation was sent with, the exemptions (under 16 on the day sent, frikort,
the groups the clinic offers), the specialist supplement and the invoice fee.

The suite has no clock to move: the answer's moment is the one `billing.note_answer` records, which
`services.reply` calls with the time of the answer; a test records it again with the moment it is about, before
the GP closes the consultation through the service."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.clinic.models import Guardianship
from eportal.clinic.working_days import is_working_day
from eportal.core.actor import Actor
from eportal.messaging import billing, consultations, fees, services
from eportal.messaging.errors import MessagingError
from eportal.messaging.models import Consultation, Message, Thread
from eportal.representation.policy import Capability, grant
from tests import factories

OSLO = ZoneInfo("Europe/Oslo")


def oslo(year, month, day, hour, minute=0) -> datetime.datetime:
    """A moment on the clinic's wall clock."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=OSLO)


def born_years_ago(years: int, *, days: int = 0) -> datetime.date:
    """The birth date of someone who turns `years` today (`days` later: turns it that many days from now)."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February today: born on the 28th they turn `years` today as well
        born = today.replace(year=today.year - years, day=28)
    return born + datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def fee_table(settings):
    """The clinic's table for these tests: 183 kr daytime, 293 kr evening, 61 kr specialist supplement, no
    invoice fee; daytime 08–16; pregnancy among the groups exempted."""
    settings.EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK = Decimal("183")
    settings.EPORTAL_EKONSULTASJON_FEE_EVENING_NOK = Decimal("293")
    settings.EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK = Decimal("61")
    settings.EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK = Decimal("0")
    settings.EPORTAL_EKONSULTASJON_DAYTIME_HOURS = (8, 16)
    settings.EPORTAL_EKONSULTASJON_EXEMPT_GROUPS = ["pregnancy", "occupational_injury", "infectious_disease"]
    return settings


@pytest.fixture
def gp(family):
    """The family's GP (Ingrid Haugen, hpr 9100011) with her own staff login: she answers her inbox."""
    user = User.objects.create_user("ingrid", is_staff=True, first_name="Ingrid", last_name="Haugen")
    family["gp"].user = user
    family["gp"].save()
    return Actor(user=user)


bankid = factories.bankid_actor
send = factories.sent_ekonsultasjon


def answer(thread, gp, moment: datetime.datetime, body="Smør med krem to ganger daglig.") -> None:
    """The GP answers; the answer is recorded as given at `moment`."""
    services.reply(actor=gp, thread_id=thread.pk, body=body)
    billing.note_answer(thread, moment, by=gp.user)


def close(thread, gp) -> Consultation:
    services.set_closed(actor=gp, thread_id=thread.pk, closed=True)
    return Consultation.objects.get(thread=thread)


def answered_and_closed(thread, gp, moment) -> Consultation:
    answer(thread, gp, moment)
    return close(thread, gp)


WEDNESDAY = (2027, 3, 10)  # a working day in winter (UTC+1)
SUMMER_WEDNESDAY = (2027, 6, 16)  # a working day in summer (UTC+2)


# Who pays: the 16th birthday


@pytest.mark.parametrize(
    ("turns_16_in_days", "exemption", "amount"),
    [(0, fees.NO_EXEMPTION, Decimal("183")), (1, fees.UNDER_16, Decimal("0"))],
    ids=["16th-birthday-today-pays", "16th-birthday-tomorrow-is-free"],
)
def test_a_patient_pays_from_the_16th_birthday_on_the_day_of_sending(family, gp, turns_16_in_days, exemption, amount):
    young = factories.list_patient(
        family["gp"],
        national_id=factories.national_id(born_years_ago(16, days=turns_16_in_days)),
        first_name="Ung",
    )
    thread = send(young)
    consultation = answered_and_closed(thread, gp, oslo(*WEDNESDAY, 10))
    assert consultation.exemption == exemption
    assert (consultation.takst, consultation.amount) == (fees.TAKST_DAYTIME, amount)


@pytest.fixture
def child(family):
    """Kari's son of eight: she acts for him in every service."""
    son = factories.list_patient(
        family["gp"],
        national_id=factories.national_id(born_years_ago(8)),
        first_name="Jonas",
        mobile=family["kari"].mobile,
    )
    Guardianship.objects.create(
        child=son, guardian_national_id=family["kari"].national_id, guardian_mobile=family["kari"].mobile
    )
    return son


def test_a_guardian_sending_for_a_young_child_pays_nothing(family, gp, child):
    thread = send(child, actor=bankid(family["kari"], acting_for=child.pk))
    consultation = answered_and_closed(thread, gp, oslo(*WEDNESDAY, 10))
    assert thread.patient == child
    assert (consultation.exemption, consultation.takst, consultation.amount) == (fees.UNDER_16, "2ae", 0)


# When the GP answers: daytime on a working day, Oslo time


@pytest.mark.parametrize(
    ("answered", "takst", "amount"),
    [
        (oslo(*WEDNESDAY, 15, 59), "2ae", Decimal("183")),
        (oslo(*WEDNESDAY, 16, 0), "2aek", Decimal("293")),
        (oslo(*WEDNESDAY, 7, 59), "2aek", Decimal("293")),
        (oslo(*WEDNESDAY, 8, 0), "2ae", Decimal("183")),
        (oslo(*SUMMER_WEDNESDAY, 15, 59), "2ae", Decimal("183")),
        (oslo(*SUMMER_WEDNESDAY, 16, 0), "2aek", Decimal("293")),
        (oslo(*SUMMER_WEDNESDAY, 7, 59), "2aek", Decimal("293")),
        (oslo(*SUMMER_WEDNESDAY, 8, 0), "2ae", Decimal("183")),
        # 15:00 UTC in March is 16:00 in Oslo: evening, though UTC's clock says daytime.
        (datetime.datetime(*WEDNESDAY, 15, 0, tzinfo=datetime.UTC), "2aek", Decimal("293")),
        # 06:30 UTC in June is 08:30 in Oslo: daytime, though UTC's clock says before eight.
        (datetime.datetime(*SUMMER_WEDNESDAY, 6, 30, tzinfo=datetime.UTC), "2ae", Decimal("183")),
    ],
    ids=[
        "winter-15.59-daytime",
        "winter-16.00-evening",
        "winter-07.59-evening",
        "winter-08.00-daytime",
        "summer-15.59-daytime",
        "summer-16.00-evening",
        "summer-07.59-evening",
        "summer-08.00-daytime",
        "15.00-utc-is-16.00-in-oslo",
        "06.30-utc-is-08.30-in-oslo-summer",
    ],
)
def test_the_takst_on_a_working_day_follows_the_daytime_hours_in_oslo_time(family, gp, answered, takst, amount):
    consultation = answered_and_closed(send(family["kari"]), gp, answered)
    assert (consultation.takst, consultation.base_fee, consultation.amount) == (takst, amount, amount)
    assert consultation.answered_at == answered


def test_an_answer_on_a_saturday_morning_is_evening(family, gp):
    saturday = oslo(2027, 3, 13, 10)
    assert saturday.weekday() == 5
    consultation = answered_and_closed(send(family["kari"]), gp, saturday)
    assert (consultation.takst, consultation.amount) == ("2aek", Decimal("293"))


@pytest.mark.parametrize(
    "holiday",
    [oslo(2027, 5, 17, 10), oslo(2027, 1, 1, 10), oslo(2027, 5, 6, 10)],
    ids=["17-may-2027-a-monday", "new-years-day-2027-a-friday", "ascension-day-2027-a-thursday"],
)
def test_an_answer_on_a_weekday_public_holiday_in_the_daytime_is_evening(family, gp, holiday):
    assert holiday.weekday() < 5
    consultation = answered_and_closed(send(family["kari"]), gp, holiday)
    assert (consultation.takst, consultation.amount) == ("2aek", Decimal("293"))


def test_the_latest_answer_before_closing_sets_the_takst(family, gp):
    thread = send(family["kari"])
    answer(thread, gp, oslo(*WEDNESDAY, 10))
    answer(thread, gp, oslo(*WEDNESDAY, 17), body="Et tillegg etter arbeidstid.")
    consultation = close(thread, gp)
    assert (consultation.takst, consultation.amount) == ("2aek", Decimal("293"))


def test_answering_and_closing_in_one_step_fixes_the_fee_from_that_answer(family, gp):
    thread = send(family["kari"])
    message = services.reply(actor=gp, thread_id=thread.pk, body="Ferdig behandlet.", close=True)
    consultation = Consultation.objects.get(thread=thread)
    assert consultation.answered_at == message.created_at == consultation.billed_at
    local = timezone.localtime(message.created_at)
    daytime = local.weekday() < 5 and 8 <= local.hour < 16 and is_working_day(local.date())
    assert consultation.takst == ("2ae" if daytime else "2aek")
    assert consultation.amount == (Decimal("183") if daytime else Decimal("293"))


# Exemptions


def test_a_frikort_holder_pays_nothing_but_the_takst_is_recorded(family, gp):
    consultation = answered_and_closed(send(family["kari"], declared="frikort"), gp, oslo(*WEDNESDAY, 17))
    assert consultation.exemption == "frikort"
    assert consultation.takst == "2aek"
    assert consultation.amount == consultation.base_fee == Decimal("0")
    assert consultation.billed_at is not None


def test_a_group_the_clinic_exempts_pays_nothing(family, gp):
    consultation = answered_and_closed(send(family["kari"], declared="pregnancy"), gp, oslo(*WEDNESDAY, 10))
    assert (consultation.exemption, consultation.takst, consultation.amount) == ("pregnancy", "2ae", Decimal("0"))


@pytest.mark.parametrize(
    "declared",
    ["unknown", "war_veteran", fees.UNDER_16, "FRIKORT"],
    ids=["made-up", "known-group-the-clinic-does-not-offer", "child-exemption-claimed-by-an-adult", "wrong-case"],
)
def test_an_exemption_the_clinic_does_not_offer_is_refused_and_nothing_is_stored(family, declared):
    kari = family["kari"]
    assert fees.exemption_for(kari.national_id, timezone.localdate(), declared) is None
    with pytest.raises(MessagingError) as refused:
        send(kari, declared=declared, subject="Emnet som ikke lagres")
    assert refused.value.code == "exemption"
    assert not Thread.objects.exists() and not Message.objects.exists() and not Consultation.objects.exists()


def test_a_child_under_16_is_free_whatever_was_declared(child):
    assert fees.exemption_for(child.national_id, timezone.localdate(), "frikort") == fees.UNDER_16
    assert fees.exemption_for(child.national_id, timezone.localdate(), "unknown") == fees.UNDER_16


# The specialist supplement and the invoice fee


def test_a_specialist_gp_adds_the_supplement_daytime_and_evening(family, gp):
    family["gp"].specialist = True
    family["gp"].save()
    granted = grant(bankid(family["kari"]), Capability.EKONSULTASJON)
    quote = consultations.quote_for(granted)
    assert (quote.daytime_total, quote.evening_total) == (Decimal("244"), Decimal("354"))

    daytime = answered_and_closed(send(family["kari"]), gp, oslo(*WEDNESDAY, 10))
    evening = answered_and_closed(send(family["kari"]), gp, oslo(*WEDNESDAY, 20))
    assert (daytime.base_fee, daytime.specialist_supplement, daytime.amount) == (183, 61, 244)
    assert (evening.base_fee, evening.specialist_supplement, evening.amount) == (293, 61, 354)


def test_a_gp_who_is_not_a_specialist_adds_no_supplement(family, gp):
    consultation = answered_and_closed(send(family["kari"]), gp, oslo(*WEDNESDAY, 10))
    assert (consultation.specialist_supplement, consultation.amount) == (Decimal("0"), Decimal("183"))


def test_the_invoice_fee_is_added_only_when_the_patient_pays(family, gp, fee_table):
    fee_table.EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK = Decimal("35")
    family["gp"].specialist = True
    family["gp"].save()
    paying = answered_and_closed(send(family["kari"]), gp, oslo(*WEDNESDAY, 10))
    frikort = answered_and_closed(send(family["kari"], declared="frikort"), gp, oslo(*WEDNESDAY, 10))
    assert (paying.base_fee, paying.specialist_supplement, paying.invoice_fee, paying.amount) == (183, 61, 35, 279)
    assert (frikort.base_fee, frikort.specialist_supplement, frikort.invoice_fee, frikort.amount) == (0, 0, 0, 0)
    assert frikort.takst == "2ae"


# A changed fee table


def test_a_table_changed_after_sending_does_not_change_the_price_fixed_at_closing(family, gp):
    thread = send(family["kari"])
    with override_settings(
        EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK=Decimal("250"),
        EPORTAL_EKONSULTASJON_FEE_EVENING_NOK=Decimal("400"),
        EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK=Decimal("50"),
    ):
        consultation = answered_and_closed(thread, gp, oslo(*WEDNESDAY, 10))
        later = answered_and_closed(send(family["kari"]), gp, oslo(*WEDNESDAY, 10))
    assert (consultation.base_fee, consultation.invoice_fee, consultation.amount) == (183, 0, 183)
    assert (later.base_fee, later.invoice_fee, later.amount) == (250, 50, 300)  # sent with the new table


def test_the_price_version_changes_when_the_table_changes_and_a_stale_one_is_refused(family):
    granted = grant(bankid(family["kari"]), Capability.EKONSULTASJON)
    shown = consultations.quote_for(granted).version
    assert consultations.quote_for(granted).version == shown  # the same table: the same version
    for setting in (
        "EPORTAL_EKONSULTASJON_FEE_DAYTIME_NOK",
        "EPORTAL_EKONSULTASJON_FEE_EVENING_NOK",
        "EPORTAL_EKONSULTASJON_SPECIALIST_SUPPLEMENT_NOK",
        "EPORTAL_EKONSULTASJON_INVOICE_FEE_NOK",
    ):
        with override_settings(**{setting: Decimal("999.50")}):
            assert consultations.quote_for(granted).version != shown, setting
    with override_settings(EPORTAL_EKONSULTASJON_DAYTIME_HOURS=(8, 15)):  # the headings the page showed changed
        assert consultations.quote_for(granted).version != shown

    family["gp"].specialist = True
    family["gp"].save()
    assert consultations.quote_for(grant(bankid(family["kari"]), Capability.EKONSULTASJON)).version != shown
    with pytest.raises(MessagingError) as refused:
        send(family["kari"], price_version=shown)
    assert refused.value.code == "price_changed"
    assert not Thread.objects.exists() and not Consultation.objects.exists()


# When the fee is fixed


def test_closed_without_an_answer_no_fee_is_fixed_and_it_is_no_payment(family, gp):
    consultation = close(send(family["kari"]), gp)
    assert consultation.billed_at is None and consultation.amount is None and consultation.takst == ""
    today = timezone.localdate()
    assert not billing.month_payments(today.year, today.month).exists()
    assert not AuditEvent.objects.filter(action="ekonsultasjon_fee_fixed").exists()


def test_reopened_and_closed_again_the_fee_stays_as_first_fixed(family, gp):
    thread = send(family["kari"])
    first = answered_and_closed(thread, gp, oslo(*WEDNESDAY, 10))
    assert (first.takst, first.amount) == ("2ae", Decimal("183"))

    services.set_closed(actor=gp, thread_id=thread.pk, closed=False)
    answer(thread, gp, oslo(*WEDNESDAY, 21), body="Et svar til om kvelden.")
    again = close(thread, gp)
    assert (again.takst, again.amount, again.answered_at) == ("2ae", Decimal("183"), first.answered_at)
    assert again.billed_at == first.billed_at
    assert AuditEvent.objects.filter(action="ekonsultasjon_fee_fixed").count() == 1


def test_fixing_the_fee_is_audited_for_the_patient(family, gp):
    answered_and_closed(send(family["kari"], declared="frikort"), gp, oslo(*WEDNESDAY, 10))
    event = AuditEvent.objects.get(action="ekonsultasjon_fee_fixed")
    assert event.subject_national_id == family["kari"].national_id
    assert event.actor == f"staff:{gp.user.pk}"
    assert (event.details["takst"], event.details["amount"], event.details["exemption"]) == ("2ae", "0", "frikort")


# Amounts as shown, and the clinic's configuration


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("183"), "183 kr"),
        (Decimal("183.00"), "183 kr"),
        (Decimal("183.50"), "183,50 kr"),
        (Decimal("183.5"), "183,50 kr"),
        (Decimal("0.00"), "0 kr"),
    ],
)
def test_amounts_are_shown_in_whole_kroner_or_with_a_decimal_comma(amount, shown):
    assert fees.format_nok(amount) == shown


def test_an_unknown_exempt_group_in_the_settings_is_refused_at_start(fee_table):
    fees.check_exempt_groups()  # the groups this module knows pass
    fee_table.EPORTAL_EKONSULTASJON_EXEMPT_GROUPS = ["pregnancy", "pregancy"]
    with pytest.raises(ImproperlyConfigured, match="pregancy"):
        fees.check_exempt_groups()


def test_an_ekonsultasjon_only_reception_answered_is_not_billed(family):
    # The takst is a doctor's: when the patient's GP has left, the eKonsultasjon goes to reception's inbox, and
    # a receptionist's answer (no GP here now, call us) is no consultation with a doctor.
    family["gp"].active = False
    family["gp"].save()
    thread = send(family["kari"])
    assert thread.practitioner is None  # in reception's inbox
    receptionist = User.objects.create_user("rita", is_staff=True, first_name="Rita", last_name="Resepsjon")
    receptionist.user_permissions.add(Permission.objects.get(codename="read_reception_inbox"))
    reception = Actor(user=receptionist)
    services.reply(actor=reception, thread_id=thread.pk, body="Du har ikke fastlege her lenger. Ring oss.", close=True)
    consultation = Consultation.objects.get(thread=thread)
    today = timezone.localdate()
    assert not billing.month_payments(today.year, today.month).exists(), (consultation.takst, consultation.amount)
