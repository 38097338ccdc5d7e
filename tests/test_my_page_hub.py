"""«Min side» as the hub: whose page it is and for whom one acts, the next appointment, unread messages and the
services the representation policy allows (none it denies), at a constant number of queries; and the list of
sessions with readable device names."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eportal.accounts.models import AccountSession
from eportal.accounts.services.sessions import device_name
from eportal.booking.services.appointments import book_slot
from eportal.clinic.models import Guardianship, ListPatient
from eportal.core.actor import system_actor
from eportal.messaging import services
from eportal.messaging.models import Message, Thread
from eportal.representation.policy import Capability
from tests import factories
from tests.accounts_fixtures import act_for, log_in
from tests.factories import grant_for

pytestmark = pytest.mark.django_db

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
    "Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


def staff_reply(patient, body="Svar fra legekontoret"):
    """A thread the patient started, answered by the clinic: one unread message on the patient's side."""
    from eportal.accounts.models import User

    thread = services.start_thread(
        grant=grant_for(patient, Capability.MESSAGES), kind="reception", subject="Spørsmål", body="Hei"
    ).thread
    staff = User.objects.create_user(f"resepsjon{Thread.objects.count()}", is_staff=True, is_superuser=True)
    services.reply(actor=system_actor(user=staff), thread_id=thread.pk, body=body)
    return thread


def book(patient, slot):
    return book_slot(grant=grant_for(patient), slot_id=slot.pk, reason="Kontroll")


@pytest.fixture
def slots(family):
    return factories.schedule(family["gp"], factories.open_day(2, days=2), days=2)


def test_the_hub_shows_the_next_appointment_unread_messages_and_every_service(logged_in, family, slots):
    book(family["kari"], slots[3])
    book(family["kari"], slots[1])  # the earlier one is the next
    staff_reply(family["kari"])
    staff_reply(family["kari"])
    page = logged_in.get("/min-side/").content.decode()
    assert "Hei, Kari Nordmann" in page
    starts = timezone.localtime(slots[1].starts_at)
    assert "Neste time" in page and f"kl. {starts:%H:%M}" in page
    assert f"hos {family['gp'].full_name}" in page
    assert "2 uleste meldinger" in page
    for service in ("Bestill time", "Mine timer", "Meldinger", "Reseptfornyelse", "eKonsultasjon",
                    "Mine opplysninger", "Endre passord", "Fullmakter", "Hvem har sett opplysningene mine"):  # fmt: skip
        assert f">{service}</a>" in page, service
    assert "Handle på vegne av Emma Nordmann" in page  # Kari is Emma's guardian


def test_no_appointment_and_nothing_unread_are_said_plainly(logged_in):
    page = logged_in.get("/min-side/").content.decode()
    assert "Ingen bestilte timer." in page and "Ingen uleste meldinger" in page


def test_a_cancelled_or_past_appointment_is_not_the_next(logged_in, family, slots):
    from eportal.booking.services.cancellation import cancel_appointment

    appointment = book(family["kari"], slots[0])
    cancel_appointment(grant=grant_for(family["kari"]), appointment_id=appointment.pk)
    assert "Ingen bestilte timer." in logged_in.get("/min-side/").content.decode()


def test_acting_for_a_young_child_the_hub_shows_the_childs_appointment_and_messages(logged_in, family, slots):
    book(family["emma"], slots[2])
    staff_reply(family["emma"])
    book(family["kari"], slots[0])  # Kari's own: not shown for Emma
    act_for(logged_in, family["emma"].pk)
    page = logged_in.get("/min-side/").content.decode()
    assert "Du handler på vegne av Emma Nordmann" in page
    assert f"kl. {timezone.localtime(slots[2].starts_at):%H:%M}" in page
    assert f"kl. {timezone.localtime(slots[0].starts_at):%H:%M}" not in page
    assert "1 ulest melding" in page


def test_acting_for_a_child_aged_12_to_15_only_appointments_are_offered(logged_in, family, slots):
    teen = factories.child_of(family["kari"], first_name="Nora", years=13)
    Guardianship.objects.filter(child=teen).update(guardian_national_id=family["kari"].national_id)
    act_for(logged_in, teen.pk)
    page = logged_in.get("/min-side/").content.decode()
    assert "Du handler på vegne av Nora" in page
    assert ">Bestill time</a>" in page and ">Mine timer</a>" in page
    for denied in ("Reseptfornyelse", "eKonsultasjon", "Hvem har sett opplysningene mine", "/meldinger/"):
        assert denied not in page, denied
    assert "ulest" not in page and "Neste time" in page


def test_the_hub_takes_the_same_queries_for_many_appointments_and_messages(logged_in, family, slots):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get("/min-side/").status_code == 200
        return len(queries)

    book(family["kari"], slots[0])
    staff_reply(family["kari"])
    few = count()
    book(family["kari"], slots[1])  # two: as many future appointments as may be booked online
    for _ in range(8):
        staff_reply(family["kari"])
    log_in(Client(HTTP_USER_AGENT=SAFARI_IPHONE), family["kari"])  # one more session listed
    assert count() == few


# listed_patient(): the row by fødselsnummer, with the GP (not the guardianships' or fullmakts' queries).
OWN_ROW = r'FROM "clinic_listpatient" INNER JOIN "clinic_practitioner" .* "clinic_listpatient"\."national_id" = '


def test_the_hub_reads_the_patients_own_row_once(logged_in, family, slots):
    """Three parts ask whom the page is for (who, the next appointment, unread messages): the row is read once
    per request, and read again on the next one (a patient taken off the list is not remembered)."""
    book(family["kari"], slots[0])
    with CaptureQueriesContext(connection) as queries:
        page = logged_in.get("/min-side/").content.decode()
    assert "Neste time" in page
    own_row = [q for q in queries.captured_queries if re.search(OWN_ROW, q["sql"])]
    assert len(own_row) == 1, [q["sql"][:200] for q in own_row]
    ListPatient.objects.filter(pk=family["kari"].pk).update(on_list_to=timezone.localdate())
    assert "Neste time" not in logged_in.get("/min-side/").content.decode()


def test_devices_are_named_readably_and_this_one_is_marked(family, kari_account):
    phone, laptop = Client(HTTP_USER_AGENT=SAFARI_IPHONE), Client(HTTP_USER_AGENT=FIREFOX_WINDOWS)
    log_in(phone, family["kari"])
    log_in(laptop, family["kari"])
    log_in(Client(HTTP_USER_AGENT="Kjøleskap/1.0"), family["kari"])
    page = laptop.get("/min-side/").content.decode()
    assert "Safari på iPhone" in page and "Ukjent nettleser" in page
    assert "Firefox på Windows <strong>(denne enheten)</strong>" in page
    assert page.count("(denne enheten)") == 1
    assert "Gecko/20100101" not in page and "Kjøleskap" not in page  # the raw user agent is never shown
    assert AccountSession.objects.filter(user=kari_account).count() == 3


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (CHROME_ANDROID, "Chrome på Android"),
        (SAFARI_IPHONE, "Safari på iPhone"),
        (FIREFOX_WINDOWS, "Firefox på Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
            "Safari/605.1.15",
            "Safari på Mac",
        ),
        ("", "Ukjent nettleser"),
        ("Kjøleskap/1.0", "Ukjent nettleser"),
        ("\x00<script>" * 50, "Ukjent nettleser"),
    ],
)
def test_device_name(user_agent, name):
    assert device_name(user_agent) == name


def test_unread_counts_only_the_clinics_unread_messages(logged_in, family):
    thread = staff_reply(family["kari"])
    Message.objects.filter(thread=thread, author_role="staff").update(read_by_patient_at=timezone.now())
    staff_reply(family["kari"])
    assert "1 ulest melding" in logged_in.get("/min-side/").content.decode()
