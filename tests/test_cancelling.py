"""Cancelling asks once more (GET shows the time and the rule, POST cancels, the receipt follows), cancelled
appointments move to «Tidligere timer», «Mine timer» costs the same number of queries however long the
history, and the waiting list never offers a patient the time she cancelled herself, and warns before an
offer inside the cancellation deadline is taken."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from eportal.audit.models import AuditEvent
from eportal.booking.models import Appointment, Slot, WaitlistEntry, WaitlistOffer
from eportal.booking.services.cancellation import cancel_appointment, set_slot_blocked
from eportal.booking.services.waitlist import decline_offer, join_waitlist, offer_free_times
from eportal.core.actor import system_actor
from eportal.notifications import backends
from tests import factories
from tests.factories import grant_for
from tests.helpers import run_tasks
from tests.test_waitlist import book, kari, per, slots  # noqa: F401 - fixtures

COMING = re.compile(r'<h2 id="future">(.*?)</section>', re.S)
HISTORY = re.compile(r'<h2 id="past">(.*?)</section>', re.S)


def shown(moment: datetime.datetime, style: str) -> str:
    with translation.override("nb"):
        return formats.date_format(timezone.localtime(moment), style)


def sections(client) -> tuple[str, str]:
    """«Kommende timer» and «Tidligere timer» of «Mine timer»."""
    html = client.get("/timer/").content.decode()
    return COMING.search(html).group(1), HISTORY.search(html).group(1)


def test_the_cancel_page_asks_first_and_a_get_changes_nothing(kari, family, slots):  # noqa: F811
    appointment = book(family["kari"], slots[2])
    coming, _ = sections(kari)
    assert f'href="/timer/{appointment.pk}/avbestill/"' in coming and "Avbestill" in coming
    run_tasks()
    backends.sms_outbox.clear()
    events = AuditEvent.objects.count()

    response = kari.get(f"/timer/{appointment.pk}/avbestill/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vil du avbestille timen?" in html
    starts = slots[2].starts_at
    assert shown(starts, "l j. F Y") in html and f"kl. {timezone.localtime(starts):%H:%M}" in html
    assert family["gp"].full_name in html and "Vanlig konsultasjon" in html
    deadline = timezone.localtime(starts - datetime.timedelta(hours=24))
    assert "Avbestill senest 24 timer før" in html
    assert f"Du kan avbestille på nett til {shown(deadline, 'l j. F')} kl. {deadline:%H:%M}." in html
    assert re.search(r'<form method="post">.*AVBESTILL TIME</button></form>', html)
    assert re.search(r'<a class="keep-link" href="/timer/">Behold timen</a>', html)

    appointment.refresh_from_db()
    assert appointment.cancelled_at is None
    assert AuditEvent.objects.count() == events
    run_tasks()
    assert backends.sms_outbox == []
    assert f'href="/timer/{appointment.pk}/avbestill/"' in sections(kari)[0]  # still coming


def test_the_post_cancels_redirects_to_the_receipt_and_a_second_click_cancels_once(kari, family, slots):  # noqa: F811
    appointment = book(family["kari"], slots[2])
    response = kari.post(f"/timer/{appointment.pk}/avbestill/")
    assert response.status_code == 302 and response["Location"] == f"/timer/{appointment.pk}/avbestilt/"
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None and appointment.cancelled_by.national_id == family["kari"].national_id
    receipt = kari.get(response["Location"]).content.decode()
    assert "Timen er avbestilt" in receipt and "Kvittering: avbestilt" in receipt
    assert re.search(r"Kvittering: avbestilt \d{1,2}\. \w+ \d{4} kl\. \d\d:\d\d\.", receipt)  # no seconds
    assert f"kl. {timezone.localtime(slots[2].starts_at):%H:%M}" in receipt

    again = kari.post(f"/timer/{appointment.pk}/avbestill/")  # a double submit, or the back button
    assert again["Location"] == f"/timer/{appointment.pk}/avbestilt/"
    assert kari.get(f"/timer/{appointment.pk}/avbestill/")["Location"] == f"/timer/{appointment.pk}/avbestilt/"
    assert AuditEvent.objects.filter(action="appointment_cancelled").count() == 1


def test_the_receipt_of_an_active_appointment_leads_to_the_question(kari, family, slots):  # noqa: F811
    appointment = book(family["kari"], slots[2])
    response = kari.get(f"/timer/{appointment.pk}/avbestilt/")
    assert response["Location"] == f"/timer/{appointment.pk}/avbestill/"


def test_past_the_deadline_the_page_gives_the_phone_and_the_post_is_refused(kari, family, slots, settings):  # noqa: F811
    appointment = book(family["kari"], slots[2])
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = 24 * 30
    html = kari.get(f"/timer/{appointment.pk}/avbestill/").content.decode()
    assert "Fristen for å avbestille på nett har gått ut. Ring legekontoret" in html
    assert 'href="tel:63991000"' in html and "AVBESTILL TIME" not in html
    response = kari.post(f"/timer/{appointment.pk}/avbestill/", follow=True)
    assert response.redirect_chain[-1][0] == "/timer/"
    assert "Fristen for å avbestille på nett har gått ut. Ring legekontoret." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.cancelled_at is None


def test_another_patients_appointment_is_not_found(kari, per, family, slots):  # noqa: F811
    theirs = book(per["patient"], slots[2], reason="Privat")
    for method, path in [
        (kari.get, f"/timer/{theirs.pk}/avbestill/"),
        (kari.post, f"/timer/{theirs.pk}/avbestill/"),
        (kari.get, f"/timer/{theirs.pk}/avbestilt/"),
        (kari.post, "/timer/99999999/avbestill/"),
    ]:
        assert method(path).status_code == 404, path
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None
    assert "Privat" not in kari.get("/timer/").content.decode()


def test_cancelled_appointments_move_to_the_history_marked_avbestilt(kari, family, slots):  # noqa: F811
    kept, dropped = book(family["kari"], slots[4]), book(family["kari"], slots[2])
    kari.post(f"/timer/{dropped.pk}/avbestill/")
    coming, history = sections(kari)
    assert f"/timer/{kept.pk}/" in coming and f"/timer/{dropped.pk}/" not in coming
    assert coming.count('<li class="appointment">') == 1
    when = f"{shown(slots[2].starts_at, 'j. F Y')} kl. {timezone.localtime(slots[2].starts_at):%H:%M}"
    (item,) = re.findall(r"<li>(.*?)</li>", history)
    assert when in item and "Avbestilt" in item and family["gp"].full_name in item


# «Mine timer» is cheap: a constant number of queries, none per row ---------------------------------------------


def mine_queries(client) -> tuple[int, str]:
    client.get("/timer/")  # the first request may warm caches (clinic row, session)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/timer/")
    assert response.status_code == 200
    return len(captured), response.content.decode()


def history(patient, practitioner, appointment_type, *, count: int) -> None:
    """`count` past appointments, every third cancelled."""
    start = timezone.now() - datetime.timedelta(days=10)
    for index in range(count):
        starts = start - datetime.timedelta(days=index, minutes=Slot.objects.count())
        slot = Slot.objects.create(
            practitioner=practitioner,
            appointment_type=appointment_type,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=20),
        )
        Appointment.objects.create(slot=slot, patient=patient, reason="x", cancelled_at=start if index % 3 else None)


def test_mine_timer_makes_the_same_queries_with_a_short_and_a_long_history(kari, family, slots):  # noqa: F811
    patient, gp, kind = family["kari"], family["gp"], slots[0].appointment_type
    book(patient, slots[5])
    history(patient, gp, kind, count=2)
    small, _ = mine_queries(kari)

    history(patient, gp, kind, count=40)  # 20 times as many earlier ones
    for slot in slots[:3]:  # cancelled coming ones, which belong to the history too
        cancel_appointment(appointment_id=book(patient, slot).pk, grant=grant_for(patient))
    join_waitlist(appointment_id=book(patient, slots[3]).pk, grant=grant_for(patient))
    large, html = mine_queries(kari)

    assert large == small, (
        f"«Mine timer»: {small} queries with 3 appointments, {large} with {Appointment.objects.count()}"
    )
    coming, earlier = COMING.search(html).group(1), HISTORY.search(html).group(1)
    assert coming.count('<li class="appointment">') == 2  # slots[3] (on the waiting list) and slots[5]
    assert "Fjern meg fra ventelisten" in coming
    assert earlier.count("<li>") == 20  # the history is cut at 20
    assert earlier.count("Avbestilt") >= 3  # the three coming ones cancelled lead the history


# The waiting list ---------------------------------------------------------------------------------------------


def test_the_waiting_list_never_offers_her_own_cancelled_time_to_her(kari, per, family, slots):  # noqa: F811
    Slot.objects.filter(pk__in=[slots[0].pk, slots[2].pk, slots[3].pk]).update(blocked=True)  # one earlier time
    waiting = book(family["kari"], slots[4])
    join_waitlist(appointment_id=waiting.pk, grant=grant_for(family["kari"]))  # Kari is first in line
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    own = book(family["kari"], slots[1])

    kari.post(f"/timer/{own.pk}/avbestill/")

    offer = WaitlistOffer.objects.get()
    assert offer.slot == slots[1] and offer.entry.appointment.patient == per["patient"]  # to the next in line
    decline_offer(offer_id=offer.pk, grant=grant_for(per["patient"]))
    assert not WaitlistOffer.objects.filter(status="open").exists()  # not passed back to Kari
    assert offer_free_times() == 0  # nor by the job that offers free times
    assert WaitlistEntry.objects.get(appointment=waiting).ended_at is None  # she still waits for other times
    assert "En tidligere time er ledig for deg" not in kari.get("/timer/").content.decode()


def test_an_offer_inside_the_deadline_warns_before_it_is_taken(kari, family, slots):  # noqa: F811
    join_waitlist(appointment_id=book(family["kari"], slots[4]).pk, grant=grant_for(family["kari"]))
    soon = timezone.now() + datetime.timedelta(hours=3)
    near = Slot.objects.create(
        practitioner=family["gp"],
        appointment_type=slots[4].appointment_type,
        starts_at=soon,
        ends_at=soon + datetime.timedelta(minutes=20),
        blocked=True,
    )
    set_slot_blocked(actor=system_actor(), slot_id=near.pk, blocked=False)  # the clinic opens a time today
    offer = WaitlistOffer.objects.get()
    assert offer.slot == near

    html = kari.get(f"/timer/tilbud/{offer.pk}/").content.decode()
    warning = html.index("Denne timen er mindre enn 24 timer fram i tid.")
    assert warning < html.index("TA DEN TIDLIGERE TIMEN")  # said before the button
    assert "Tar du den, kan du ikke avbestille den på nett." in html
    assert 'Må du likevel avbestille, ring legekontoret: <a href="tel:63991000">63 99 10 00</a>' in html
    assert 'aria-describedby="deadline-warning"' in html


def test_an_offer_outside_the_deadline_has_no_warning(kari, family, slots):  # noqa: F811
    join_waitlist(appointment_id=book(family["kari"], slots[4]).pk, grant=grant_for(family["kari"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[1]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    html = kari.get(f"/timer/tilbud/{offer.pk}/").content.decode()
    assert "TA DEN TIDLIGERE TIMEN" in html and "mindre enn" not in html


@pytest.mark.parametrize("hours", [1, 24])
def test_the_warning_counts_the_deadline_in_hours(kari, family, slots, settings, hours):  # noqa: F811
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = hours
    join_waitlist(appointment_id=book(family["kari"], slots[4]).pk, grant=grant_for(family["kari"]))
    soon = timezone.now() + datetime.timedelta(minutes=45)  # inside either deadline, after a 30-minute hold
    near = Slot.objects.create(
        practitioner=family["gp"],
        appointment_type=slots[4].appointment_type,
        starts_at=soon,
        ends_at=soon + datetime.timedelta(minutes=20),
    )
    settings.EPORTAL_WAITLIST_HOLD_MINUTES = 30
    offer_free_times()
    offer = WaitlistOffer.objects.get(slot=near)
    html = kari.get(f"/timer/tilbud/{offer.pk}/").content.decode()
    expected = "mindre enn 1 time fram i tid" if hours == 1 else "mindre enn 24 timer fram i tid"
    assert expected in html
