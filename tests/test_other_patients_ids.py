"""The access matrix: every patient address that takes an id is called, GET and POST, with the ids of another
family's things, by a patient acting for herself and by the same patient acting for her child. Each answers
404 or 403, or goes back to «Mine timer» with a message; nothing of the other family shows or changes.

A new patient address with an id fails here until its id is in STRANGERS_IDS: no page is left out."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from eportal.accounts.models import AccountSession
from eportal.booking.models import Appointment, Slot, WaitlistEntry, WaitlistOffer
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.waitlist import join_waitlist
from eportal.clinic.models import Guardianship, Proxy
from eportal.messaging.models import Attachment, Message, Thread
from eportal.messaging.services import start_thread
from eportal.representation.policy import Capability
from tests import factories
from tests.accounts_fixtures import act_for, register_and_activate
from tests.helpers import ID_PATTERN, url_routes

# Addresses that are not a patient's (staff, the admin, the demo's outbox) or carry no object id (links).
NOT_PATIENT_PAGES = ("personale/", "demo/")


PATIENT_ADDRESSES_WITH_IDS = sorted(
    route
    for route in set(url_routes())
    if ID_PATTERN.search(route) and not route.startswith(NOT_PATIENT_PAGES) and "admin" not in route
)


@pytest.fixture
def strangers(family):
    """Another family on the list: Torgrim and his daughter Solveig (6), with an appointment each, Solveig's
    on the waiting list with an earlier time held for her, Torgrim logged in somewhere and his fullmakt to
    Tora."""
    gp = family["gp"]
    factories.schedule(gp, factories.open_day(3, days=2), days=2)
    per = factories.list_patient(gp, first_name="Torgrim", last_name="Fremmed")
    siri = factories.list_patient(
        gp, national_id=factories.national_id(factories.born_years_ago(6)), first_name="Solveig", last_name="Fremmed"
    )
    Guardianship.objects.create(child=siri, guardian_national_id=per.national_id, guardian_mobile=per.mobile)
    per_user = register_and_activate(Client(), per, email="per@example.com")
    slots = list(Slot.objects.order_by("starts_at"))
    per_appointment = book_slot(grant=factories.grant_for(per), slot_id=slots[-1].pk, reason="Torgrims privatsak")
    siri_appointment = book_slot(grant=factories.grant_for(siri), slot_id=slots[-2].pk, reason="Solveigs privatsak")
    entry = join_waitlist(grant=factories.grant_for(siri), appointment_id=siri_appointment.pk)
    offer = WaitlistOffer.objects.create(
        entry=entry, slot=slots[0], expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    session = AccountSession.objects.create(user=per_user, session_key="x" * 40, method="bankid", level="high")
    proxy = Proxy.objects.create(
        giver=per, proxy_national_id=factories.national_id(), proxy_name="Tora Fremmed", source="clinic"
    )
    messages = [
        start_thread(
            grant=factories.grant_for(person, Capability.MESSAGES),
            kind="reception",
            subject="En privatsak",
            body=f"{person.first_name}s privatsak",
            uploads=[factories.photo(f"{person.first_name}.jpg")],
        )  # fmt: skip
        for person in (per, siri)
    ]
    return {
        "appointment_id": [per_appointment.pk, siri_appointment.pk],
        "offer_id": [offer.pk],
        "session_id": [session.pk],
        "proxy_id": [proxy.pk],
        "thread_id": [message.thread_id for message in messages],
        "public_id": [attachment.public_id for attachment in Attachment.objects.all()],
        "type_id": [],  # types are the clinic's, not a patient's
        "slot_id": [],  # slots are the clinic's; booking one is checked by the booking tests
        "people": (per, siri),
    }


def _state():
    return (
        sorted(Appointment.objects.filter(cancelled_at__isnull=True).values_list("pk", flat=True)),
        sorted(WaitlistEntry.objects.filter(ended_at__isnull=True).values_list("pk", flat=True)),
        sorted(WaitlistOffer.objects.values_list("pk", "status")),
        sorted(AccountSession.objects.values_list("pk", flat=True)),
        sorted(Proxy.objects.values_list("pk", "ended_at")),
        sorted(Message.objects.values_list("pk", "read_by_patient_at")),
        sorted(Thread.objects.values_list("pk", "last_message_at", "closed_at")),
    )


def test_every_patient_address_with_an_id_is_in_the_matrix():
    ids = {name for route in PATIENT_ADDRESSES_WITH_IDS for name in ID_PATTERN.findall(route)}
    assert PATIENT_ADDRESSES_WITH_IDS and ids <= {
        "appointment_id",
        "offer_id",
        "session_id",
        "proxy_id",
        "thread_id",
        "public_id",
        "type_id",
        "slot_id",
    }


@pytest.mark.parametrize("acting_for_child", [False, True], ids=["as-herself", "for-her-child"])
@pytest.mark.parametrize("route", PATIENT_ADDRESSES_WITH_IDS)
def test_another_familys_ids_are_refused_everywhere(logged_in, family, strangers, route, acting_for_child):
    if acting_for_child:
        act_for(logged_in, family["emma"].pk)
    (name,) = ID_PATTERN.findall(route)
    before = _state()
    for value in strangers[name]:
        url = "/" + ID_PATTERN.sub(str(value), route)
        for method in (logged_in.get, logged_in.post):
            response = method(url)
            assert response.status_code in (302, 403, 404, 405), (url, response.status_code)
            if response.status_code == 302:
                assert response["Location"] in ("/timer/", "/min-side/", "/min-side/fullmakter/"), (
                    url,
                    response["Location"],
                )
            shown = "".join(logged_in.get(page).content.decode() for page in ("/timer/", "/meldinger/"))
            shown += response.content.decode(errors="replace")
            for person in strangers["people"]:
                assert person.full_name not in shown and person.national_id not in shown, url
            assert "privatsak" not in shown
    assert _state() == before
