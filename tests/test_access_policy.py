"""The one access policy: who may act for whom, in which service, on which day; and a guardian's way through
the pages (choose a child on Min side, act for them, back to oneself), with the refusals a stranger gets."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.booking.models import Appointment, Slot, WaitlistOffer
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_appointment
from eportal.booking.services.waitlist import join_waitlist
from eportal.clinic.ages import age_on
from eportal.clinic.models import Guardianship, ListPatient, Proxy
from eportal.core.actor import HIGH, SUBSTANTIAL, Actor
from eportal.notifications import backends
from eportal.representation.policy import (
    ALL,
    AccessRefused,
    Capability,
    Grant,
    Relation,
    decide,
    decide_for_number,
    grant,
)
from tests import factories
from tests.accounts_fixtures import act_for, log_in, register_and_activate
from tests.helpers import run_tasks

LONG_AGO = datetime.date(2000, 1, 1)
APPOINTMENTS_ONLY = frozenset({Capability.APPOINTMENTS})


def _child(gp, born: datetime.date, **fields) -> ListPatient:
    return factories.list_patient(
        gp, national_id=factories.national_id(born), first_name="Emil", on_list_from=LONG_AGO, **fields
    )


def _guardian_of(child, number=None) -> str:
    number = number or factories.national_id()
    Guardianship.objects.create(child=child, guardian_national_id=number, guardian_mobile=factories.mobile())
    return number


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2022, 5, 14), ALL),  # the day before the 12th birthday
        (datetime.date(2022, 5, 15), APPOINTMENTS_ONLY),  # the 12th birthday
        (datetime.date(2022, 5, 16), APPOINTMENTS_ONLY),
        (datetime.date(2026, 5, 14), APPOINTMENTS_ONLY),  # the day before the 16th birthday
        (datetime.date(2026, 5, 15), frozenset()),  # the 16th birthday: no access through guardianship
        (datetime.date(2026, 5, 16), frozenset()),
    ],
)
def test_a_guardians_access_follows_the_childs_birthdays(db, day, expected):
    child = _child(factories.practitioner(), datetime.date(2010, 5, 15))
    guardian = _guardian_of(child)
    decision = decide_for_number(guardian, child, day=day, high=False)
    assert decision.relation == Relation.GUARDIAN
    assert decision.capabilities == expected


def test_born_on_29_february_a_person_is_a_year_older_on_1_march_in_a_common_year(db):
    number = factories.national_id(datetime.date(2008, 2, 29))
    assert age_on(number, datetime.date(2026, 2, 28)) == 17
    assert age_on(number, datetime.date(2026, 3, 1)) == 18
    assert age_on(number, datetime.date(2024, 2, 28)) == 15
    assert age_on(number, datetime.date(2024, 2, 29)) == 16  # a leap year: the birthday itself


def test_guardian_bands_for_a_child_born_on_29_february(db):
    """Born on 29 February 2012: the 12th birthday falls on 29 February 2024 (a leap year, as every 12th and
    16th birthday of a 29 February child does until 2100)."""
    child = _child(factories.practitioner(), datetime.date(2012, 2, 29))
    guardian = _guardian_of(child)
    assert decide_for_number(guardian, child, day=datetime.date(2024, 2, 28), high=False).capabilities == ALL
    on_birthday = decide_for_number(guardian, child, day=datetime.date(2024, 2, 29), high=False)
    assert on_birthday.capabilities == APPOINTMENTS_ONLY


def test_a_fullmakt_holder_born_on_29_february_is_adult_from_1_march_in_a_common_year(db):
    gp = factories.practitioner()
    giver = factories.list_patient(gp, on_list_from=LONG_AGO)
    holder = factories.national_id(datetime.date(2008, 2, 29))
    Proxy.objects.create(giver=giver, proxy_national_id=holder, proxy_name="Ung", source="clinic", valid_from=LONG_AGO)
    assert decide_for_number(holder, giver, day=datetime.date(2026, 2, 28), high=False).capabilities == frozenset()
    assert decide_for_number(holder, giver, day=datetime.date(2026, 3, 1), high=False).capabilities == ALL


def test_a_withheld_child_ends_guardian_access_at_once(db):
    child = _child(factories.practitioner(), timezone.localdate() - datetime.timedelta(days=365 * 5))
    guardian = _guardian_of(child)
    assert decide_for_number(guardian, child, high=False).capabilities == ALL
    ListPatient.objects.filter(pk=child.pk).update(withheld_from_guardians=True)
    child.refresh_from_db()
    assert decide_for_number(guardian, child, high=False).capabilities == frozenset()


def test_an_account_in_a_childs_number_is_the_guardians_unless_bankid_proves_the_child(db):
    """The seed's way: password and SMS to the guardian's mobile into a 13-year-old's own user gets what a
    guardian gets (appointments); a BankID login proves the person themselves."""
    child = _child(factories.practitioner(), timezone.localdate().replace(year=timezone.localdate().year - 13))
    user = User.objects.create_user(username=child.national_id, national_id=child.national_id)
    by_sms = decide(Actor(user=user, level=SUBSTANTIAL), child)
    assert (by_sms.relation, by_sms.capabilities) == (Relation.CHILD_ACCOUNT, APPOINTMENTS_ONLY)
    by_bankid = decide(Actor(user=user, level=HIGH), child)
    assert (by_bankid.relation, by_bankid.capabilities) == (Relation.SELF, ALL)


def test_an_expired_or_ended_fullmakt_gives_nothing(db):
    gp = factories.practitioner()
    giver = factories.list_patient(gp, on_list_from=LONG_AGO)
    holder = factories.national_id()
    today = timezone.localdate()
    proxy = Proxy.objects.create(
        giver=giver,
        proxy_national_id=holder,
        proxy_name="Per",
        source="clinic",
        valid_from=LONG_AGO,
        valid_until=today,
    )
    assert decide_for_number(holder, giver, high=False).relation == Relation.PROXY
    assert decide_for_number(holder, giver, day=today + datetime.timedelta(days=1), high=False).relation is None
    Proxy.objects.filter(pk=proxy.pk).update(ended_at=timezone.now())
    assert decide_for_number(holder, giver, high=False).relation is None


def test_a_grant_is_made_only_by_the_policy(db):
    patient = factories.list_patient(factories.practitioner())
    with pytest.raises(TypeError):
        Grant(Actor(), patient, Capability.APPOINTMENTS, Relation.SELF)


# The guardian's way through the pages -------------------------------------------------------------


@pytest.fixture
def kari_client(client, family):
    """Kari logged in as herself (password and SMS code); Emma (11) is her child."""
    factories.schedule(family["gp"], factories.open_day(2, days=3), days=3)
    register_and_activate(client, family["kari"])
    log_in(client, family["kari"])
    backends.sms_outbox.clear()
    return client


def test_a_guardian_chooses_a_child_books_for_them_and_goes_back(kari_client, family):
    emma, kari = family["emma"], family["kari"]
    page = kari_client.get("/min-side/").content.decode()
    assert "Personer du kan handle på vegne av" in page and "Emma Nordmann" in page
    assert act_for(kari_client, emma.pk).status_code == 302
    page = kari_client.get("/timer/bestill/").content.decode()
    assert "Du handler nå på vegne av Emma Nordmann" in page
    type_id = re.search(r'href="/timer/bestill/(\d+)/"', page).group(1)
    times = kari_client.get(f"/timer/bestill/{type_id}/").content.decode()
    slot_id = re.search(r'href="/timer/bestill/tid/(\d+)/"', times).group(1)
    response = kari_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Feber"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.patient == emma and appointment.booked_by.national_id == kari.national_id
    booked = AuditEvent.objects.get(action="appointment_booked")
    assert booked.subject_national_id == emma.national_id and booked.actor.startswith("guardian:")
    acted = AuditEvent.objects.filter(action="acted_for", subject_national_id=emma.national_id)
    assert acted.exists() and all(event.actor_user.national_id == kari.national_id for event in acted)
    run_tasks()
    texts = [sms["text"] for sms in backends.sms_outbox if sms["to"] == kari.mobile]
    assert len(texts) == 1  # Kari's mobile is registered on Emma too: told once
    assert "Emma" in texts[-1] and "Feber" not in texts[-1] and "din" not in texts[-1].split(":")[0]
    assert "Emma Nordmann" in kari_client.get("/timer/").content.decode()
    kari_client.post("/min-side/handle-for/meg-selv/")
    page = kari_client.get("/timer/").content.decode()
    assert "Du handler nå på vegne av" not in page and "Feber" not in page


@pytest.mark.parametrize("guess", ["other-family", "999999", "abc", "national-id", "self", ""])
def test_a_child_that_is_not_theirs_is_not_found_and_audited(kari_client, family, guess):
    other_child = _child(family["gp"], factories.born_years_ago(8))
    _guardian_of(other_child)
    value = {
        "other-family": other_child.pk,
        "national-id": family["emma"].national_id,
        "self": family["kari"].pk,
    }.get(guess, guess)
    response = act_for(kari_client, value)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Fant ikke siden" in page and "handle på vegne av denne personen" in page
    assert "Emil" not in page and other_child.national_id not in page
    refused = AuditEvent.objects.get(action="access_refused")
    assert refused.actor_user.national_id == family["kari"].national_id
    assert "Du handler nå på vegne av" not in kari_client.get("/timer/").content.decode()


def test_a_guardianship_removed_while_logged_in_ends_access_at_the_next_request(kari_client, family):
    act_for(kari_client, family["emma"].pk)
    assert kari_client.get("/timer/").status_code == 200
    Guardianship.objects.filter(child=family["emma"], guardian_national_id=family["kari"].national_id).delete()
    response = kari_client.get("/timer/")
    assert response.status_code == 404
    assert "Du handler nå på vegne av" not in response.content.decode()
    assert "Emma" not in kari_client.get("/min-side/").content.decode()


def test_a_withheld_child_disappears_from_the_guardians_pages(kari_client, family):
    act_for(kari_client, family["emma"].pk)
    ListPatient.objects.filter(pk=family["emma"].pk).update(withheld_from_guardians=True)
    assert kari_client.get("/timer/bestill/").status_code == 404
    assert "Emma" not in kari_client.get("/min-side/").content.decode()


def test_for_a_child_of_12_to_15_the_guardian_books_but_gets_no_other_service(kari_client, family):
    today = timezone.localdate()
    teen = _child(family["gp"], today.replace(year=today.year - 13) - datetime.timedelta(days=3))
    _guardian_of(teen, family["kari"].national_id)
    page = kari_client.get("/min-side/").content.decode()
    assert "Emil" in page and "kun timer" in page
    act_for(kari_client, teen.pk)
    assert kari_client.get("/timer/bestill/").status_code == 200
    user = User.objects.get(national_id=family["kari"].national_id)
    actor = Actor(user=user, level=SUBSTANTIAL, acting_for=teen.pk)
    for capability in (Capability.MESSAGES, Capability.EKONSULTASJON, Capability.RENEWAL, Capability.ACCESS_LOG):
        with pytest.raises(AccessRefused) as refused:
            grant(actor, capability)
        assert refused.value.code == "not_permitted" and "12" in str(refused.value)
    assert grant(actor, Capability.APPOINTMENTS).relation == Relation.GUARDIAN


def test_a_16_year_old_is_not_offered_to_the_guardian(kari_client, family):
    today = timezone.localdate()
    young = _child(family["gp"], today.replace(year=today.year - 16) - datetime.timedelta(days=1))
    _guardian_of(young, family["kari"].national_id)
    assert "Emil" not in kari_client.get("/min-side/").content.decode()
    assert act_for(kari_client, young.pk).status_code == 404


def test_queries_per_page_stay_constant_with_many_children_and_proxies(kari_client, family):
    """Min side and the booking pages cost the same number of queries with one child as with twelve children
    and five fullmakter."""
    pages = ["/min-side/", "/timer/", "/timer/bestill/"]

    def counts():
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert kari_client.get(url).status_code == 200
            result.append(len(queries))
        return result

    act_for(kari_client, family["emma"].pk)
    few = counts()
    kari = family["kari"].national_id
    for years in range(1, 12):
        _guardian_of(_child(family["gp"], timezone.localdate().replace(year=timezone.localdate().year - years)), kari)
    for _ in range(5):
        giver = factories.list_patient(family["gp"], on_list_from=LONG_AGO)
        Proxy.objects.create(giver=giver, proxy_national_id=kari, proxy_name="Kari", source="clinic")
    many = counts()
    assert many == few


def test_a_waiting_list_offer_for_a_child_reaches_the_guardian_and_its_link_acts_for_the_child(kari_client, family):
    emma, kari = family["emma"], family["kari"]
    first, *_, last = Slot.objects.order_by("starts_at")
    guardian = Actor(user=User.objects.get(national_id=kari.national_id), level=SUBSTANTIAL, acting_for=emma.pk)
    for_emma = grant(guardian, Capability.APPOINTMENTS)
    waiting = book_slot(grant=for_emma, slot_id=last.pk, reason="Kontroll")
    join_waitlist(grant=for_emma, appointment_id=waiting.pk)
    other = factories.list_patient(family["gp"])
    freed = book_slot(grant=factories.grant_for(other), slot_id=first.pk, reason="x")
    run_tasks()
    backends.sms_outbox.clear()
    cancel_appointment(grant=factories.grant_for(other), appointment_id=freed.pk)
    offer = WaitlistOffer.objects.get()
    run_tasks()
    (text,) = [sms["text"] for sms in backends.sms_outbox if sms["to"] == kari.mobile]
    assert "ledig for Emma" in text and "Kontroll" not in text
    page = kari_client.get(f"/timer/tilbud/{offer.pk}/").content.decode()
    assert "Du handler nå på vegne av Emma Nordmann" in page and "TA DEN TIDLIGERE TIMEN" in page


def test_the_users_own_pages_say_whose_user_a_childs_account_is(client, family):
    """The user guide's way: Emma's user, registered with Kari's mobile, says on every page that it is the
    child's, and its notices name Emma."""
    factories.schedule(family["gp"], factories.open_day(2), days=1)
    register_and_activate(client, family["emma"], email="kari@example.com")
    log_in(client, family["emma"])
    for url in ("/min-side/", "/timer/", "/timer/bestill/"):
        assert "Dette er brukeren til Emma Nordmann (barn)" in client.get(url).content.decode()
    slot = Slot.objects.order_by("starts_at").first()
    backends.sms_outbox.clear()
    client.post(f"/timer/bestill/tid/{slot.pk}/", {"reason": "Feber"})
    run_tasks()
    (text,) = [sms["text"] for sms in backends.sms_outbox]
    assert text.startswith("Timen til Emma hos")


def test_a_17_year_old_can_give_a_former_guardian_fullmakt(db):
    """From 16 the guardianship gives nothing; a fullmakt the young person gives the parent does."""
    today = timezone.localdate()
    young = _child(factories.practitioner(), today.replace(year=today.year - 17) - datetime.timedelta(days=9))
    parent = _guardian_of(young)
    assert decide_for_number(parent, young, high=False).capabilities == frozenset()
    Proxy.objects.create(giver=young, proxy_national_id=parent, proxy_name="Mor", source="online")
    decision = decide_for_number(parent, young, high=False)
    assert (decision.relation, decision.capabilities) == (Relation.PROXY, ALL)


def test_a_fullmakt_holder_books_for_the_giver_and_is_told_by_first_name(kari_client, family):
    arne = factories.list_patient(family["gp"], first_name="Arne", on_list_from=LONG_AGO)
    Proxy.objects.create(giver=arne, proxy_national_id=family["kari"].national_id, proxy_name="Kari", source="clinic")
    page = kari_client.get("/min-side/").content.decode()
    assert "Arne Nordmann" in page and "Fullmakt" in page
    act_for(kari_client, arne.pk)
    slot = Slot.objects.order_by("starts_at").first()
    assert kari_client.post(f"/timer/bestill/tid/{slot.pk}/", {"reason": "Blodtrykk"}).status_code == 302
    assert Appointment.objects.get().patient == arne
    assert AuditEvent.objects.get(action="appointment_booked").actor.startswith("proxy:")
    run_tasks()
    (text,) = [sms["text"] for sms in backends.sms_outbox if sms["to"] == family["kari"].mobile]
    assert text.startswith("Timen til Arne hos") and "Blodtrykk" not in text
