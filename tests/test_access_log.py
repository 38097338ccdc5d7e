"""«Hvem har sett opplysningene mine»: who at the clinic saw a patient's data and who acted for them, from the
audit log, as the patient (or a guardian of a child under 12) sees it."""

import datetime
import itertools
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.audit.services import record_event
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_appointment
from eportal.clinic.models import Guardianship, Proxy
from eportal.core.actor import Actor, system_actor
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.representation.policy import Capability, grant
from eportal.representation.selectors import PAGE_SIZE, access_log_events, access_log_page
from eportal.web.actor import ACTING_FOR_SESSION_KEY
from tests import factories
from tests.accounts_fixtures import act_for
from tests.factories import grant_for
from tests.helpers import staff_login

LOG = "/min-side/logg/"


def years_ago(years: int, days: int = 0) -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - datetime.timedelta(days=days)


def make_staff(username="anne", **fields) -> User:
    user = User.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True, is_superuser=True, **fields)
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


def rows(response) -> list[str]:
    html = response.content.decode()
    if "<tbody>" not in html:
        return []
    return re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1].split("</tbody>")[0], re.S)


@pytest.fixture
def slots(family):
    """The family's GP: three online times each of the five days from the day after tomorrow."""
    return factories.schedule(family["gp"], factories.open_day(2, days=5), days=5)


@pytest.fixture
def child(family):
    """Kari's son, 8 years old: she may use every service for him, the log too."""
    son = factories.list_patient(
        family["gp"], national_id=factories.national_id(years_ago(8)), first_name="Jonas", last_name="Nordmann"
    )
    Guardianship.objects.create(
        child=son, guardian_national_id=family["kari"].national_id, guardian_mobile="+4791234567"
    )
    return son


def test_staff_opening_the_day_list_shows_in_the_patients_log(logged_in, family, slots):
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="Kontroll")
    staff = make_staff(first_name="Anne", last_name="Lege")
    staff_client = Client()
    staff_login(staff_client, staff)
    day = timezone.localdate(appointment.slot.starts_at)
    response = staff_client.get(f"/personale/dagsliste/?practitioner={family['gp'].pk}&day={day.isoformat()}")
    assert response.status_code == 200
    seen = AuditEvent.objects.get(action="staff_viewed_day_list", subject_national_id=family["kari"].national_id)

    response = logged_in.get(LOG)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Hvem har sett opplysningene mine" in html and "<h1>Hvem har sett opplysningene mine</h1>" in html
    assert "<caption>" in html and '<th scope="col">Når</th>' in html
    [row] = rows(response)  # her own booking is not someone else's
    assert "Anne Lege, ansatt ved legekontoret" in row and "så timelisten" in row
    assert timezone.localtime(seen.at).strftime("%H:%M") in row
    assert f'datetime="{timezone.localtime(seen.at).isoformat()}' in row
    assert family["kari"].national_id not in html


def test_staff_pages_without_patients_are_not_audited_and_show_no_patient(family, slots):
    book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="Kontroll")
    staff_client = Client()
    staff_login(staff_client, make_staff())
    for url in ("/personale/uke/", "/personale/belegg/"):
        response = staff_client.get(url)
        assert response.status_code == 200 and "Nordmann" not in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="staff_viewed_").exists()


def test_a_guardians_booking_for_a_child_under_12_is_in_the_childs_log(logged_in, family, child, slots):
    assert act_for(logged_in, child.pk).status_code == 302
    kind = slots[0].appointment_type
    html = logged_in.get(f"/timer/bestill/{kind.pk}/").content.decode()
    slot_id = int(re.search(r'href="/timer/bestill/tid/(\d+)/"', html).group(1))
    response = logged_in.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Hoste"})
    assert response.status_code == 302
    booked = AuditEvent.objects.get(action="appointment_booked")
    assert booked.subject_national_id == child.national_id

    response = logged_in.get(LOG)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Loggen til Jonas Nordmann." in html
    entries = rows(response)
    booked_row = next(row for row in entries if "bestilte time" in row)
    assert "Kari Nordmann, foresatt" in booked_row
    # The pages she opened for him (choose time, confirm, booked, this log): one row per service that day.
    acted = [row for row in entries if "handlet på dine vegne" in row]
    assert len(acted) == 2
    assert any("(timer)" in row and "ganger, den første kl." in row for row in acted)
    assert any("(så denne loggen)" in row for row in acted)
    assert child.national_id not in html and family["kari"].national_id not in html

    # Kari's own log: none of it was done to her.
    logged_in.post("/min-side/handle-for/meg-selv/")
    assert rows(logged_in.get(LOG)) == []


def test_a_guardian_of_a_13_year_old_may_not_read_the_log(logged_in, family):
    teen = factories.list_patient(family["gp"], national_id=factories.national_id(years_ago(13, days=10)))
    Guardianship.objects.create(
        child=teen, guardian_national_id=family["kari"].national_id, guardian_mobile="+4791234567"
    )
    assert act_for(logged_in, teen.pk).status_code == 302  # her appointments, yes
    assert logged_in.get("/timer/").status_code == 200
    response = logged_in.get(LOG)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Ingen tilgang" in page and "ikke bruke barnets andre tjenester" in page
    assert AuditEvent.objects.filter(action="access_refused", subject_national_id=teen.national_id).exists()


def test_another_familys_child_is_not_found(logged_in, family):
    stranger = factories.list_patient(
        family["gp"], national_id=factories.national_id(years_ago(7)), first_name="Sofie", last_name="Berg"
    )
    assert act_for(logged_in, stranger.pk).status_code == 404
    session = logged_in.session
    session[ACTING_FOR_SESSION_KEY] = stranger.pk  # a stale or tampered choice
    session.save()
    response = logged_in.get(LOG)
    assert response.status_code == 404
    assert "Sofie" not in response.content.decode()


def test_reading_ones_own_log_is_not_listed(logged_in, family):
    for _ in range(3):
        assert rows(logged_in.get(LOG)) == []
    assert "Ingen andre har sett eller handlet" in logged_in.get(LOG).content.decode()
    assert not access_log_events(family["kari"]).exists()


def test_the_patients_own_bookings_and_the_systems_are_not_someone_else(logged_in, family, slots):
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=slots[0].pk, reason="Kontroll")
    cancel_appointment(grant=grant_for(family["kari"]), appointment_id=appointment.pk)
    record_event("waitlist_offered", actor=system_actor(), subject_national_id=family["kari"].national_id)
    assert (
        AuditEvent.objects.filter(subject_national_id=family["kari"].national_id, actor__startswith="patient:").count()
        == 2
    )
    assert rows(logged_in.get(LOG)) == []


def test_proxy_and_staff_actions_are_named(logged_in, family, slots):
    kari = family["kari"]
    holder = factories.national_id(years_ago(40))
    Proxy.objects.create(giver=kari, proxy_national_id=holder, proxy_name="Per Fullmektig", source="clinic")
    proxy_user = User.objects.create_user(holder, national_id=holder)
    staff = make_staff("ola")  # no name: the username
    appointment = book_slot(grant=grant_for(kari), slot_id=slots[0].pk, reason="Kontroll")
    record_event(
        "appointment_cancelled",
        actor=Actor(user=staff),
        role="staff",
        subject_national_id=kari.national_id,
        details={"appointment": appointment.pk, "by": "staff"},
    )
    record_event(
        "appointment_booked",
        actor=Actor(user=proxy_user),
        role="proxy",
        subject_national_id=kari.national_id,
        details={"appointment": appointment.pk, "by": "proxy"},
    )
    entries = rows(logged_in.get(LOG))
    assert len(entries) == 2
    assert "Per Fullmektig, fullmektig" in entries[0] and "bestilte time" in entries[0]  # newest first
    assert "ola, ansatt ved legekontoret" in entries[1] and "avbestilte time" in entries[1]


_staff_numbers = itertools.count()


def add_events(patient, count: int, *, start=None) -> list[int]:
    """`count` staff reads of the patient by different staff, a minute apart; their ids, oldest first."""
    start = start or timezone.now() - datetime.timedelta(hours=5)
    ids = []
    for n in range(count):
        staff = make_staff(f"staff{next(_staff_numbers)}", first_name="Ansatt", last_name=f"Nummer{n}")
        event = record_event(
            "staff_viewed_day_list", actor=Actor(user=staff), role="staff", subject_national_id=patient.national_id
        )
        AuditEvent.objects.filter(pk=event.pk).update(at=start + datetime.timedelta(minutes=n))  # a test's clock
        ids.append(event.pk)
    return ids


def test_thirty_events_are_two_pages_newest_first(logged_in, family):
    add_events(family["kari"], 30)
    first = logged_in.get(LOG)
    entries = rows(first)
    assert len(entries) == PAGE_SIZE == 25
    assert "Nummer29" in entries[0] and "Nummer5," in entries[-1]
    html = first.content.decode()
    assert 'href="?side=2"' in html and "Side 1 av 2" in html and "?side=0" not in html

    second = logged_in.get(f"{LOG}?side=2")
    entries = rows(second)
    assert len(entries) == 5
    assert "Nummer4," in entries[0] and "Nummer0," in entries[-1]
    assert 'href="?side=1"' in second.content.decode()

    for bad, shown in (("99", 2), ("0", 2), ("-1", 2), ("abc", 1), ("1.5", 1), ("9" * 400, 2)):
        response = logged_in.get(LOG, {"side": bad})
        assert response.status_code == 200, bad
        html = response.content.decode()
        assert f"Den siden finnes ikke. Her er side {shown}." in html, bad
        assert len(rows(response)) == (25 if shown == 1 else 5)


def test_acted_for_is_one_row_per_person_service_and_day(family, child):
    kari_user = User.objects.create_user(family["kari"].national_id, national_id=family["kari"].national_id)
    guardian = Actor(user=kari_user)
    noon = (timezone.localtime() - datetime.timedelta(days=2)).replace(hour=12, minute=0)
    for at in (datetime.timedelta(days=1, minutes=5), datetime.timedelta(days=1), datetime.timedelta(0)):
        for capability in ("appointments", "appointments", "messages"):
            event = record_event(
                "acted_for",
                actor=guardian,
                role="guardian",
                subject_national_id=child.national_id,
                details={"capability": capability, "relation": "guardian"},
            )
            AuditEvent.objects.filter(pk=event.pk).update(at=noon - at)
    events = list(access_log_events(child))
    assert [(e.details["capability"], e.times) for e in events] == [
        ("messages", 1),
        ("appointments", 2),
        ("messages", 2),
        ("appointments", 4),
    ]
    yesterday = [e for e in events if e.times == 4][0]
    assert yesterday.at - yesterday.first_at == datetime.timedelta(minutes=5)
    # The page counts the groups as the rows show them (the paginator's count is a query of its own).
    log = access_log_page(grant(Actor(user=kari_user, acting_for=child.pk), Capability.ACCESS_LOG), None)
    assert log.page.paginator.count == 5  # the four rows, and the grant just given for reading the log
    assert [entry.times for entry in log.entries] == [1, 1, 2, 2, 4]


def test_the_seeds_way_is_a_guardian_in_the_childs_own_user(family, child):
    own_user = User.objects.create_user(child.national_id, national_id=child.national_id)
    record_event(
        "acted_for",
        actor=Actor(user=own_user),
        role="guardian",
        subject_national_id=child.national_id,
        details={"capability": "appointments", "relation": "child_account"},
    )
    client = Client()
    client.force_login(User.objects.create_user(family["kari"].national_id, national_id=family["kari"].national_id))
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = child.pk
    session.save()
    response = client.get(LOG)
    assert response.status_code == 200
    assert any("foresatt, innlogget i din egen bruker" in row for row in rows(response))


def test_queries_per_page_do_not_grow_with_the_rows(logged_in, family):
    kari = family["kari"]
    holder = factories.national_id(years_ago(40))
    Proxy.objects.create(giver=kari, proxy_national_id=holder, proxy_name="Per Fullmektig", source="clinic")
    proxy = Actor(user=User.objects.create_user(holder, national_id=holder))
    listed = factories.list_patient(family["gp"], first_name="Lise")
    on_list = Actor(user=User.objects.create_user(listed.national_id, national_id=listed.national_id))

    def add(count):
        """`count` staff reads by as many staff, and `count` bookings by each of two proxies."""
        add_events(kari, count, start=timezone.now() - datetime.timedelta(days=1, minutes=count))
        for n in range(count):
            for actor in (proxy, on_list):
                event = record_event(
                    "appointment_booked", actor=actor, role="proxy", subject_national_id=kari.national_id
                )
                AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - datetime.timedelta(minutes=n))

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            response = logged_in.get(LOG)
        html = response.content.decode()
        assert "Per Fullmektig, fullmektig" in html and "Lise Nordmann, fullmektig" in html
        return [query["sql"] for query in queries]

    add(5)  # 15 events
    few = page_queries()
    add(45)  # 150 events: six pages
    many = page_queries()
    assert len(rows(logged_in.get(LOG))) == PAGE_SIZE
    assert len(few) == len(many), many
    assert len([sql for sql in many if "audit_auditevent" in sql]) == 2  # the count and the page
