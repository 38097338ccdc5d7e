"""Fullmakt for adults: a patient of 16 or more gives another adult (18 or more) power of attorney online with
BankID, or the clinic registers it from a signed form; the holder then acts for the giver; either ends it,
and both are told when it starts and when it ends."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.clinic.models import Proxy
from eportal.core.actor import HIGH, SUBSTANTIAL, Actor
from eportal.notifications import backends
from eportal.representation.policy import ALL, AccessRefused, Capability, Relation, decide, grant
from eportal.representation.services.proxies import (
    ProxyError,
    end_proxy,
    end_proxy_for_clinic,
    give_proxy,
    register_proxy_for_clinic,
)
from tests import factories
from tests.accounts_fixtures import act_for, log_in, register_and_activate
from tests.helpers import run_concurrently, run_tasks, staff_login
from tests.oidc_fixtures import provider_login

PAGE = "/min-side/fullmakter/"
STAFF_PASSWORD = "personalets passord"


def today() -> datetime.date:
    return timezone.localdate()


def born_years_ago(years: int, *, days: int = 0) -> datetime.date:
    """The birth date of someone who turns `years` today (`days` later: turns it that many days from now)."""
    day = today()
    try:
        born = day.replace(year=day.year - years)
    except ValueError:  # 29 February today: born on the 28th they turn `years` today as well
        born = day.replace(year=day.year - years, day=28)
    return born + datetime.timedelta(days=days)


def end_url(proxy) -> str:
    return f"{PAGE}{proxy.pk}/avslutt/"


@pytest.fixture
def per(family):
    """An adult on the list, who gets the power of attorney."""
    return factories.list_patient(family["gp"], first_name="Per", last_name="Hansen", email="per@example.com")


@pytest.fixture
def per_account(family, per):
    return register_and_activate(Client(), per, email="per@example.com")


@pytest.fixture
def per_client(per, per_account):
    client = Client()
    log_in(client, per)
    return client


@pytest.fixture
def staff(db, django_user_model):
    user = django_user_model.objects.create_user("anne", password=STAFF_PASSWORD, is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


def high(user, **fields) -> Actor:
    return Actor(user=user, level=HIGH, **fields)


def user_for(patient) -> User:
    return User.objects.filter(national_id=patient.national_id).first() or User.objects.create_user(
        username=patient.national_id, national_id=patient.national_id
    )


def form(proxy_patient=None, **overrides) -> dict:
    data = {
        "proxy_national_id": proxy_patient.national_id if proxy_patient else "",
        "proxy_name": "Per Hansen",
        "valid_until": "",
    }
    return {**data, **overrides}


def told() -> tuple[dict, dict]:
    """What was sent when the queued notices ran: {address: [bodies]} for e-mail and {mobile: [texts]} for SMS."""
    run_tasks()
    emails, sms = {}, {}
    for message in mail.outbox:
        for to in message.to:
            emails.setdefault(to, []).append(message.body)
    for sent in backends.sms_outbox:
        sms.setdefault(sent["to"], []).append(sent["text"])
    return emails, sms


def clear_outboxes() -> None:
    run_tasks()
    mail.outbox.clear()
    backends.sms_outbox.clear()


# --- Giving online, with BankID -------------------------------------------------------------------------


def test_giving_with_bankid_lets_the_proxy_act_for_the_giver(bankid_kari, family, per, per_client, per_account):
    kari = family["kari"]
    page = bankid_kari.get(PAGE).content.decode()
    for label in ["Fødselsnummer til den som får fullmakt", "Navn", "Gyldig til (valgfritt)"]:
        assert f">{label}</label>" in page
    assert "Gi fullmakt" in page and "Du har ikke gitt noen fullmakt." in page

    response = bankid_kari.post(PAGE, form(per))
    assert response.status_code == 302 and response["Location"] == PAGE
    proxy = Proxy.objects.get()
    assert (proxy.giver, proxy.proxy_national_id, proxy.proxy_name) == (kari, per.national_id, "Per Hansen")
    assert (proxy.source, proxy.valid_from, proxy.valid_until, proxy.ended_at) == ("online", today(), None, None)
    event = AuditEvent.objects.get(action="proxy_given")
    assert event.actor.startswith("patient:") and event.subject_national_id == kari.national_id
    assert per.national_id not in str(event.details) and event.details["proxy"] == proxy.pk

    page = bankid_kari.get(PAGE).content.decode()
    assert "Per Hansen" in page and f"{per.national_id[:6]}*****" in page and per.national_id not in page
    assert "Til den avsluttes" in page and "På nett, med BankID" in page
    assert f'action="{end_url(proxy)}"' in page and ">Avslutt</button>" in page

    # Per sees it among those given to him, chooses Kari and uses her appointments.
    assert "Kari Nordmann" in per_client.get(PAGE).content.decode()
    assert act_for(per_client, kari.pk).status_code == 302
    assert per_client.get("/timer/").status_code == 200
    granted = grant(Actor(user=per_account, level=SUBSTANTIAL, acting_for=kari.pk), Capability.APPOINTMENTS)
    assert (granted.patient, granted.relation, granted.role) == (kari, Relation.PROXY, "proxy")
    # Never more than Kari has herself.
    assert decide(Actor(user=per_account, acting_for=kari.pk), kari).capabilities == ALL


def test_giving_at_the_substantial_level_is_sent_to_bankid_and_back(client, family, per, kari_account, bankid):
    log_in(client, family["kari"])
    page = client.get(PAGE).content.decode()
    assert 'name="proxy_national_id"' not in page and "For å gi fullmakt må du logge inn med BankID." in page
    assert "/logg-inn/bankid/?niva=high&amp;next=%2Fmin-side%2Ffullmakter%2F" in page

    response = client.post(PAGE, form(per))
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/bankid/?")
    assert "niva=high" in response["Location"]
    assert not Proxy.objects.exists()

    response, _ = provider_login(client, family["kari"].national_id, start=response["Location"])
    assert response["Location"] == PAGE
    assert 'name="proxy_national_id"' in client.get(PAGE).content.decode()
    assert client.post(PAGE, form(per)).status_code == 302
    assert Proxy.objects.filter(giver=family["kari"], source="online").count() == 1


def test_the_service_itself_asks_for_bankid_and_for_the_person_themselves(family, kari_account, per):
    with pytest.raises(ProxyError) as refused:
        give_proxy(
            actor=Actor(user=kari_account, level=SUBSTANTIAL), proxy_national_id=per.national_id, proxy_name="Per"
        )
    assert refused.value.code == "not_permitted"
    acting = high(kari_account, acting_for=family["emma"].pk)
    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=acting, proxy_national_id=per.national_id, proxy_name="Per")
    assert refused.value.code == "acting_for_other"
    assert not Proxy.objects.exists() and not AuditEvent.objects.filter(action="proxy_given").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"proxy_national_id": "12345678901"}, "Personnummeret er ikke gyldig."),
        ({"proxy_national_id": "abc"}, "Personnummeret må være 11 siffer."),
        ({"proxy_national_id": "child"}, "Den som får fullmakt, må være 18 år eller eldre den dagen fullmakten gis."),
        ({"proxy_national_id": "self"}, "Du kan ikke gi fullmakt til deg selv."),
        ({"valid_until": "yesterday"}, "Sluttdatoen kan ikke være tilbake i tid."),
        ({"valid_until": "31.02.2030"}, "Oppgi en gyldig dato."),
        ({"valid_until": "i morgen"}, "Oppgi en gyldig dato."),
        ({"proxy_name": "   "}, "Feltet er påkrevet."),
        ({"proxy_name": "Per\x07Hansen"}, "Feltet inneholder tegn som ikke er tillatt."),
    ],
    ids=["checksum", "garbage", "child", "self", "past", "no-such-day", "words", "no-name", "control"],
)
def test_bad_input_gets_a_norwegian_message_on_the_form_and_nothing_is_stored(bankid_kari, family, per, data, message):
    stand_ins = {
        "child": family["emma"].national_id,
        "self": family["kari"].national_id,
        "yesterday": (today() - datetime.timedelta(days=1)).isoformat(),
    }
    data = {key: stand_ins.get(value, value) for key, value in data.items()}
    response = bankid_kari.post(PAGE, form(per, **data))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page, page[page.find("<main") :][:3000]
    assert not Proxy.objects.exists() and not mail.outbox


def test_an_end_date_today_or_later_is_kept_and_shown(bankid_kari, family, per):
    until = today() + datetime.timedelta(days=30)
    response = bankid_kari.post(PAGE, form(per, valid_until=until.strftime("%d.%m.%Y")))
    assert response.status_code == 302
    assert Proxy.objects.get().valid_until == until
    assert bankid_kari.post(PAGE, form(per, valid_until=today().isoformat())).status_code == 400  # already given


def test_the_giver_must_be_16_and_the_proxy_18_on_the_day(family, per):
    gp = family["gp"]
    turns_16_tomorrow = factories.list_patient(gp, national_id=factories.national_id(born_years_ago(16, days=1)))
    turns_16_today = factories.list_patient(gp, national_id=factories.national_id(born_years_ago(16)))
    turns_18_tomorrow = factories.national_id(born_years_ago(18, days=1))
    turns_18_today = factories.national_id(born_years_ago(18))

    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=high(user_for(turns_16_tomorrow)), proxy_national_id=per.national_id, proxy_name="Per")
    assert refused.value.code == "giver_too_young"
    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=high(user_for(family["emma"])), proxy_national_id=per.national_id, proxy_name="Per")
    assert refused.value.code == "giver_too_young"
    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=high(user_for(family["kari"])), proxy_national_id=turns_18_tomorrow, proxy_name="Ung")
    assert refused.value.code == "proxy_too_young"
    assert not Proxy.objects.exists()

    give_proxy(actor=high(user_for(turns_16_today)), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    give_proxy(actor=high(user_for(family["kari"])), proxy_national_id=turns_18_today, proxy_name="Ny Voksen")
    assert Proxy.objects.count() == 2


def test_a_patient_not_on_the_list_cannot_give(family, per, kari_account):
    family["kari"].on_list_to = today()
    family["kari"].save()
    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per")
    assert refused.value.code == "not_on_list"


def test_one_open_fullmakt_per_person_and_a_lapsed_one_does_not_block(family, per, kari_account):
    kari = family["kari"]
    give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    with pytest.raises(ProxyError) as refused:
        give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    assert refused.value.code == "proxy_exists"

    Proxy.objects.update(
        valid_from=today() - datetime.timedelta(days=10), valid_until=today() - datetime.timedelta(days=1)
    )
    renewed = give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    lapsed = Proxy.objects.exclude(pk=renewed.pk).get()
    assert timezone.localtime(lapsed.ended_at).date() == today() and renewed.giver == kari
    assert list(Proxy.objects.in_force().filter(giver=kari)) == [renewed]


@pytest.mark.django_db(transaction=True)
def test_the_same_fullmakt_given_many_times_at_once_is_stored_once(django_user_model):
    gp = factories.practitioner("9100011")
    kari = factories.list_patient(gp)
    holder = factories.national_id()
    staff = Actor(user=django_user_model.objects.create_user("anne", is_staff=True))
    outcomes = run_concurrently(
        [
            lambda: register_proxy_for_clinic(
                actor=staff, giver_id=kari.pk, proxy_national_id=holder, proxy_name="Per Hansen"
            )
        ]
        * 8,
        error=ProxyError,
    )
    assert sum(isinstance(outcome, Proxy) for outcome in outcomes) == 1
    assert {outcome.code for outcome in outcomes if isinstance(outcome, ProxyError)} == {"proxy_exists"}
    assert Proxy.objects.count() == 1 and AuditEvent.objects.filter(action="proxy_given").count() == 1


# --- Ending ----------------------------------------------------------------------------------------------


def proxy_actor(per_account, kari) -> Actor:
    return Actor(user=per_account, level=SUBSTANTIAL, acting_for=kari.pk)


def test_an_expired_or_ended_fullmakt_gives_nothing(family, per, per_account, kari_account):
    kari = family["kari"]
    expired = Proxy.objects.create(
        giver=kari,
        proxy_national_id=per.national_id,
        proxy_name="Per Hansen",
        valid_from=today() - datetime.timedelta(days=10),
        valid_until=today() - datetime.timedelta(days=1),
        source=Proxy.Source.CLINIC,
    )
    with pytest.raises(AccessRefused) as refused:
        grant(proxy_actor(per_account, kari), Capability.APPOINTMENTS)
    assert refused.value.code == "not_found"
    with pytest.raises(ProxyError) as refused:
        end_proxy(actor=Actor(user=kari_account), proxy_id=expired.pk)  # nothing in force to end
    assert refused.value.code == "not_found"

    given = give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    assert grant(proxy_actor(per_account, kari), Capability.APPOINTMENTS).relation == Relation.PROXY
    end_proxy(actor=Actor(user=kari_account, level=SUBSTANTIAL), proxy_id=given.pk)
    with pytest.raises(AccessRefused) as refused:
        grant(proxy_actor(per_account, kari), Capability.APPOINTMENTS)
    assert refused.value.code == "not_found"


def test_the_giver_ends_it_on_the_page_at_any_level(client, family, per, kari_account, per_client):
    kari = family["kari"]
    proxy = give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    log_in(client, kari)  # password and SMS: enough to end one
    response = client.post(end_url(proxy))
    assert response.status_code == 302 and response["Location"] == PAGE
    proxy.refresh_from_db()
    assert proxy.ended_at is not None
    page = client.get(PAGE).content.decode()
    assert "Fullmakten er avsluttet." in page and "Tidligere fullmakter du har gitt" in page
    assert "avsluttet " in page and f'action="{end_url(proxy)}"' not in page
    event = AuditEvent.objects.get(action="proxy_ended")
    assert event.actor.startswith("patient:") and event.details == {"proxy": proxy.pk, "by": "giver"}
    assert act_for(per_client, kari.pk).status_code == 404


def test_the_proxy_may_end_one_given_to_them(family, per, kari_account, per_client):
    proxy = give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    clear_outboxes()
    assert per_client.post(end_url(proxy)).status_code == 302
    proxy.refresh_from_db()
    assert proxy.ended_at is not None
    event = AuditEvent.objects.get(action="proxy_ended")
    assert event.actor.startswith("proxy:") and event.details["by"] == "proxy"
    emails, _ = told()
    assert "er avsluttet" in emails["kari@example.com"][0] and "er avsluttet" in emails["per@example.com"][0]


def test_another_persons_fullmakt_is_not_found(family, per, kari_account, per_account):
    proxy = give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    lise = factories.list_patient(family["gp"], first_name="Lise", last_name="Berg", email="lise@example.com")
    register_and_activate(Client(), lise, email="lise@example.com")
    other = Client()
    log_in(other, lise)
    assert "Per Hansen" not in other.get(PAGE).content.decode()
    response = other.post(end_url(proxy))
    assert response.status_code == 404
    assert "Fant ikke fullmakten, eller den er allerede avsluttet." in response.content.decode()
    assert other.post(f"{PAGE}999999/avslutt/").status_code == 404
    assert other.get(end_url(proxy)).status_code == 405
    proxy.refresh_from_db()
    assert proxy.ended_at is None
    with pytest.raises(ProxyError) as refused:
        end_proxy(actor=Actor(user=User.objects.get(national_id=lise.national_id)), proxy_id=proxy.pk)
    assert refused.value.code == "not_found"
    with pytest.raises(ProxyError) as refused:
        end_proxy_for_clinic(actor=Actor(user=per_account), proxy_id=proxy.pk)  # a patient is not the clinic
    assert refused.value.code == "not_permitted"


def test_the_pages_need_a_logged_in_patient(client, family, staff):
    assert client.get(PAGE)["Location"].startswith("/logg-inn/")
    staff_login(client, staff, password=STAFF_PASSWORD)
    assert client.get(PAGE)["Location"] == "/personale/"


# --- Notices ---------------------------------------------------------------------------------------------


def test_both_are_told_at_start_and_end_by_their_channels_first_names_only(family, per, kari_account, per_account):
    kari = family["kari"]
    clear_outboxes()
    until = today() + datetime.timedelta(days=7)
    proxy = give_proxy(
        actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen", valid_until=until
    )
    emails, sms = told()
    assert set(emails) == {"kari@example.com", "per@example.com"} and set(sms) == {kari.mobile, per.mobile}
    to_kari, to_per = emails["kari@example.com"][0], emails["per@example.com"][0]
    assert sms[kari.mobile] == [to_kari] and sms[per.mobile] == [to_per]
    assert "Du har gitt Per fullmakt i e-portalen." in to_kari and "Hansen" not in to_kari
    assert "Var det ikke deg, kontakt legekontoret." in to_kari
    assert "Kari har gitt deg fullmakt i e-portalen." in to_per and "Nordmann" not in to_per
    assert "Den gjelder til og med" in to_per and str(until.year) in to_per
    assert mail.outbox[0].subject == "Fullmakt i e-portalen til Gjerdrum legesenter"
    for text in (to_kari, to_per):
        assert kari.national_id not in text and per.national_id not in text

    clear_outboxes()
    end_proxy(actor=Actor(user=kari_account), proxy_id=proxy.pk)
    emails, sms = told()
    assert emails["kari@example.com"] == ["Gjerdrum legesenter: Fullmakten du ga Per i e-portalen, er avsluttet."]
    assert sms[per.mobile][0].startswith("Gjerdrum legesenter: Fullmakten Kari ga deg i e-portalen, er avsluttet.")


def test_notices_follow_the_accounts_choices(family, per, kari_account, per_account):
    kari_account.notify_by_sms = False
    kari_account.save()
    per_account.notify_by_sms = per_account.notify_by_email = False  # chose nothing: told by e-mail all the same
    per_account.save()
    clear_outboxes()
    give_proxy(actor=high(kari_account), proxy_national_id=per.national_id, proxy_name="Per Hansen")
    emails, sms = told()
    assert set(emails) == {"kari@example.com", "per@example.com"} and sms == {}


def test_people_without_a_user_are_told_by_what_the_clinic_registered(family, per, staff):
    stranger = factories.national_id()  # not on the list, no user: nobody to tell
    clear_outboxes()
    register_proxy_for_clinic(
        actor=Actor(user=staff), giver_id=family["kari"].pk, proxy_national_id=per.national_id, proxy_name="Per H"
    )
    register_proxy_for_clinic(
        actor=Actor(user=staff), giver_id=family["kari"].pk, proxy_national_id=stranger, proxy_name="Ole Olsen"
    )
    emails, sms = told()
    assert len(emails["kari@example.com"]) == len(sms[family["kari"].mobile]) == 2
    assert len(emails["per@example.com"]) == len(sms[per.mobile]) == 1
    assert "Du har gitt Ole fullmakt" in emails["kari@example.com"][1]
    assert set(emails) == {"kari@example.com", "per@example.com"} and set(sms) == {family["kari"].mobile, per.mobile}


# --- The clinic's admin ----------------------------------------------------------------------------------


def test_the_clinic_registers_and_ends_a_fullmakt_in_the_admin(client, family, per, staff):
    kari = family["kari"]
    staff_login(client, staff, password=STAFF_PASSWORD)
    add = "/personale/admin/clinic/proxy/add/"
    assert client.get(add).status_code == 200
    data = {"giver": kari.pk, "proxy_national_id": family["emma"].national_id, "proxy_name": "Emma", "valid_until": ""}
    response = client.post(add, data)
    assert response.status_code == 200
    assert "Den som får fullmakt, må være 18 år eller eldre" in response.content.decode()
    assert not Proxy.objects.exists()

    clear_outboxes()
    response = client.post(add, {**data, "proxy_national_id": per.national_id, "proxy_name": "Per Hansen"})
    assert response.status_code == 302, response.content.decode()[:3000]
    proxy = Proxy.objects.get()
    assert (proxy.source, proxy.giver, proxy.valid_from) == ("clinic", kari, today())
    event = AuditEvent.objects.get(action="proxy_given")
    assert event.actor == f"staff:{staff.pk}" and event.details["source"] == "clinic"
    emails, sms = told()
    assert set(emails) == {"kari@example.com", "per@example.com"} and set(sms) == {kari.mobile, per.mobile}

    listing = client.get("/personale/admin/clinic/proxy/").content.decode()
    assert f"{per.national_id[:6]}*****" in listing and per.national_id not in listing
    assert kari.national_id not in listing
    assert client.post(add, {**data, "proxy_national_id": per.national_id, "proxy_name": "Per"}).status_code == 200
    assert Proxy.objects.count() == 1  # one open fullmakt per person

    clear_outboxes()
    response = client.post("/personale/admin/clinic/proxy/", {"action": "end_selected", "_selected_action": [proxy.pk]})
    assert response.status_code == 302
    proxy.refresh_from_db()
    assert proxy.ended_at is not None
    assert AuditEvent.objects.get(action="proxy_ended").details == {"proxy": proxy.pk, "by": "clinic"}
    emails, _ = told()
    assert "er avsluttet" in emails["kari@example.com"][0] and "er avsluttet" in emails["per@example.com"][0]
    assert client.get(f"/personale/admin/clinic/proxy/{proxy.pk}/change/").status_code == 200  # a read-only view
    assert client.post(f"/personale/admin/clinic/proxy/{proxy.pk}/delete/").status_code == 403
