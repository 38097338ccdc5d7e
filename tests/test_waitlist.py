"""«Gi meg beskjed om en tidligere time»: the first on the waiting list is offered a freed earlier time."""

import datetime
import functools
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from eportal.audit.models import AuditEvent
from eportal.booking.errors import BookingError
from eportal.booking.models import Appointment, AppointmentType, Slot, WaitlistEntry, WaitlistOffer
from eportal.booking.services.appointments import book_slot
from eportal.booking.services.cancellation import cancel_appointment, cancel_for_clinic, set_slot_blocked
from eportal.booking.services.waitlist import (
    decline_offer,
    expire_waitlist_offers,
    join_waitlist,
    leave_waitlist,
    offer_free_times,
    take_offer,
)
from eportal.clinic.models import ListPatient
from eportal.core.actor import system_actor
from eportal.notifications import backends
from tests import factories
from tests.accounts_fixtures import PASSWORD, log_in, register_and_activate
from tests.factories import grant_for
from tests.helpers import run_concurrently, run_tasks


@pytest.fixture
def slots(family):
    """In four days at the family's GP: six online times, 08:00 to 10:00."""
    the_day = factories.open_day(4)
    return factories.schedule(family["gp"], the_day, blocks=[(datetime.time(8), datetime.time(10), True)])


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("anne", is_staff=True)


def patient_client(patient, email):
    client = Client()
    register_and_activate(client, patient, email=email)
    log_in(client, patient)
    return client


@pytest.fixture
def kari(family):
    return patient_client(family["kari"], "kari@example.com")


@pytest.fixture
def per(family):
    per = factories.list_patient(family["gp"], first_name="Per", last_name="Hansen")
    return {"patient": per, "client": patient_client(per, "per@example.com")}


def book(patient, slot, reason="Vondt i ryggen"):
    return book_slot(grant=grant_for(patient), slot_id=slot.pk, reason=reason)


def clear_outbox():
    run_tasks()  # what earlier steps queued is sent before the outbox is emptied
    backends.sms_outbox.clear()


def sms_to(patient):
    run_tasks()
    return [sms["text"] for sms in backends.sms_outbox if sms["to"] == patient.mobile]


def free_times(client, slot):
    return re.findall(
        r'href="/timer/bestill/tid/(\d+)/"', client.get(f"/timer/bestill/{slot.appointment_type_id}/").content.decode()
    )


def test_a_patient_puts_an_appointment_on_the_waiting_list_from_mine_timer(kari, family, slots):
    appointment = book(family["kari"], slots[4])
    page = kari.get("/timer/").content.decode()
    assert "Gi meg beskjed om en tidligere time" in page
    response = kari.post(f"/timer/{appointment.pk}/venteliste/", follow=True)
    html = response.content.decode()
    assert "Du står på venteliste. Vi sender deg SMS hvis en tidligere time blir ledig." in html
    assert "Fjern meg fra ventelisten" in html and "Gi meg beskjed om en tidligere time" not in html
    kari.post(f"/timer/{appointment.pk}/venteliste/")  # twice is once
    assert WaitlistEntry.objects.filter(appointment=appointment, ended_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(action="waitlist_joined")
    assert event.details["by"] == "patient" and event.subject_national_id == family["kari"].national_id
    html = kari.post(f"/timer/{appointment.pk}/venteliste/forlat/", follow=True).content.decode()
    assert "Du står ikke lenger på venteliste." in html
    assert not WaitlistEntry.objects.filter(ended_at__isnull=True).exists()


def test_a_freed_earlier_time_is_held_for_the_first_on_the_list_and_sent_by_sms(kari, per, family, slots):
    kari_appointment = book(family["kari"], slots[4])
    join_waitlist(appointment_id=kari_appointment.pk, grant=grant_for(family["kari"]))
    per_appointment = book(per["patient"], slots[5])
    join_waitlist(appointment_id=per_appointment.pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    freed = book(ola, slots[1])
    clear_outbox()
    cancel_appointment(appointment_id=freed.pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    assert offer.entry.appointment == kari_appointment and offer.slot == slots[1]  # first asked, first offered
    assert offer.expires_at - offer.offered_at == pytest.approx(
        datetime.timedelta(minutes=60), abs=datetime.timedelta(seconds=5)
    )
    (text,) = sms_to(family["kari"])
    assert f"http://testserver/timer/tilbud/{offer.pk}/" in text
    assert (
        "en tidligere time er ledig for deg" in text and "Holdes av" not in text and "holdes av for deg til kl." in text
    )
    assert "Vondt" not in text and "Vanlig konsultasjon" not in text  # no health content in the SMS
    assert sms_to(per["patient"]) == []
    # Held: the others do not see it, and cannot book it.
    assert str(slots[1].pk) not in free_times(per["client"], slots[1])
    with pytest.raises(BookingError, match="ikke lenger ledig"):
        book(factories.list_patient(family["gp"]), slots[1])
    assert str(slots[1].pk) not in free_times(kari, slots[1])
    assert "En tidligere time er ledig for deg" in kari.get("/timer/").content.decode()


def test_taking_the_offer_moves_the_appointment_and_offers_the_old_time_on(kari, per, family, slots):
    kari_appointment = book(family["kari"], slots[4], reason="Kontroll")
    join_waitlist(appointment_id=kari_appointment.pk, grant=grant_for(family["kari"]))
    per_appointment = book(per["patient"], slots[5])
    join_waitlist(appointment_id=per_appointment.pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[1]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    clear_outbox()
    page = kari.get(f"/timer/tilbud/{offer.pk}/").content.decode()
    assert "TA DEN TIDLIGERE TIMEN" in page and "Timen du har nå" in page
    response = kari.post(f"/timer/tilbud/{offer.pk}/")
    assert response.status_code == 302
    new = Appointment.objects.get(patient=family["kari"], cancelled_at__isnull=True)
    assert new.slot == slots[1] and new.reason == "Kontroll"
    kari_appointment.refresh_from_db()
    assert kari_appointment.cancelled_at is not None
    assert "Timen er bestilt" in kari.get(response["Location"]).content.decode()
    (moved,) = sms_to(family["kari"])
    assert "er flyttet til et tidligere tidspunkt" in moved
    # Kari's old time (slots[4]) is earlier than Per's (slots[5]): it is held for Per now.
    per_offer = WaitlistOffer.objects.get(entry__appointment=per_appointment)
    assert per_offer.slot == slots[4] and per_offer.status == "open"
    assert WaitlistOffer.objects.get(pk=offer.pk).status == "taken"
    assert not WaitlistEntry.objects.filter(appointment=kari_appointment, ended_at__isnull=True).exists()


def test_no_thanks_and_an_expired_hold_pass_the_time_on_then_free_it_for_all(kari, per, family, slots):
    Slot.objects.filter(pk__in=[slot.pk for slot in slots[1:4]]).update(blocked=True)  # one earlier time only
    for patient, slot in [(family["kari"], slots[4]), (per["patient"], slots[5])]:
        join_waitlist(appointment_id=book(patient, slot).pk, grant=grant_for(patient))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    html = kari.post(f"/timer/tilbud/{offer.pk}/nei/", follow=True).content.decode()
    assert "Takk. Timen går videre til nestemann på listen." in html
    per_offer = WaitlistOffer.objects.get(status="open")
    assert per_offer.entry.appointment.patient == per["patient"] and per_offer.slot == slots[0]
    assert WaitlistEntry.objects.filter(ended_at__isnull=True).count() == 2  # Kari still waits for other times
    WaitlistOffer.objects.filter(pk=per_offer.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    call_command("booking_jobs")
    assert WaitlistOffer.objects.get(pk=per_offer.pk).status == "expired"
    assert not WaitlistOffer.objects.filter(status="open").exists()  # each is offered a time once
    assert str(slots[0].pk) in free_times(per["client"], slots[0])
    html = per["client"].post(f"/timer/tilbud/{per_offer.pk}/", follow=True).content.decode()
    assert "Tilbudet gjelder ikke lenger" in html


def test_nobody_else_can_see_or_take_an_offer(kari, per, family, slots):
    join_waitlist(appointment_id=book(family["kari"], slots[4]).pk, grant=grant_for(family["kari"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    for method in (per["client"].get, per["client"].post):
        html = method(f"/timer/tilbud/{offer.pk}/", follow=True).content.decode()
        assert "Tilbudet gjelder ikke lenger" in html and "TA DEN TIDLIGERE TIMEN" not in html
    per["client"].post(f"/timer/tilbud/{offer.pk}/nei/")
    assert WaitlistOffer.objects.get(pk=offer.pk).status == "open"
    assert not Appointment.objects.filter(patient=per["patient"]).exists()
    for bad in ["/timer/tilbud/0/", "/timer/tilbud/99999999/"]:
        assert "Tilbudet gjelder ikke lenger" in kari.get(bad, follow=True).content.decode()


def test_cancelling_the_waiting_appointment_withdraws_its_offer_and_passes_it_on(kari, per, family, slots):
    kari_appointment = book(family["kari"], slots[4])
    join_waitlist(appointment_id=kari_appointment.pk, grant=grant_for(family["kari"]))
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    kari.post(f"/timer/{kari_appointment.pk}/avbestill/")
    assert WaitlistOffer.objects.get(entry__appointment=kari_appointment).status == "withdrawn"
    per_offers = WaitlistOffer.objects.filter(entry__appointment__patient=per["patient"], status="open")
    assert sorted(offer.slot_id for offer in per_offers) == [slots[0].pk]


def test_a_time_starting_within_the_hold_is_not_offered(family, per, slots):
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    appointment = book(ola, slots[0])
    soon = timezone.now() + datetime.timedelta(minutes=30)
    Slot.objects.filter(pk=slots[0].pk).update(starts_at=soon, ends_at=soon + datetime.timedelta(minutes=20))
    cancel_for_clinic(appointment_id=appointment.pk, actor=system_actor())
    assert not WaitlistOffer.objects.exists()


def test_waiting_list_bad_input_changes_nothing(kari, per, family, slots):
    per_appointment = book(per["patient"], slots[5])
    html = kari.post(f"/timer/{per_appointment.pk}/venteliste/", follow=True).content.decode()
    assert "Vi fant ikke timen." in html
    html = kari.post("/timer/99999999/venteliste/forlat/", follow=True).content.decode()
    assert "Du står ikke på venteliste for denne timen." in html
    assert kari.get(f"/timer/{per_appointment.pk}/venteliste/").status_code == 405
    assert not WaitlistEntry.objects.exists()


def test_an_appointment_of_a_type_patients_cannot_book_online_has_no_waiting_list(kari, family, slots):
    """No button on «Mine timer», and the service refuses the same: no earlier time of it could be offered."""
    appointment = book(family["kari"], slots[4])
    AppointmentType.objects.filter(pk=slots[4].appointment_type_id).update(shown_to_patients=False)
    assert "Gi meg beskjed om en tidligere time" not in kari.get("/timer/").content.decode()
    html = kari.post(f"/timer/{appointment.pk}/venteliste/", follow=True).content.decode()
    assert "Vi fant ikke timen." in html and not WaitlistEntry.objects.exists()


def hours_around_now(before: int, after: int) -> tuple[int, int]:
    hour = timezone.localtime().hour
    return ((hour - before) % 24, (hour + after) % 24)


def test_no_offer_at_night_then_the_morning_job_offers_the_time(settings, per, family, slots):
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    settings.EPORTAL_WAITLIST_QUIET_HOURS = hours_around_now(1, 2)  # it is night now
    clear_outbox()
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    call_command("booking_jobs")
    assert not WaitlistOffer.objects.exists() and sms_to(per["patient"]) == []
    settings.EPORTAL_WAITLIST_QUIET_HOURS = hours_around_now(3, -1)  # morning now
    call_command("booking_jobs")
    offer = WaitlistOffer.objects.get()
    assert offer.slot == slots[0] and offer.entry.appointment.patient == per["patient"]
    assert len(sms_to(per["patient"])) == 1


def test_the_job_offers_a_time_staff_freed_by_hand_to_the_first_waiting(kari, per, family, slots):
    Slot.objects.filter(pk=slots[1].pk).update(blocked=True)
    for patient, slot in [(family["kari"], slots[4]), (per["patient"], slots[5])]:
        join_waitlist(appointment_id=book(patient, slot).pk, grant=grant_for(patient))
    call_command("booking_jobs")  # the other earlier times are free too: each waiting patient gets one
    first = {offer.entry.appointment.patient.pk: offer.slot for offer in WaitlistOffer.objects.all()}
    assert first == {family["kari"].pk: slots[0], per["patient"].pk: slots[2]}
    call_command("booking_jobs")
    assert WaitlistOffer.objects.count() == 2  # held offers are not made again
    Slot.objects.filter(pk=slots[1].pk).update(blocked=False)  # staff free the blocked time in the admin
    WaitlistOffer.objects.filter(entry__appointment__patient=family["kari"]).update(status="declined")
    call_command("booking_jobs")
    assert WaitlistOffer.objects.get(status="open", entry__appointment__patient=family["kari"]).slot == slots[1]


@pytest.mark.django_db(transaction=True)
def test_double_clicks_no_thanks_and_other_bookings_racing_for_a_held_time(family, slots):
    """Ten «TA DEN TIDLIGERE TIMEN», five «Nei takk» and twenty other patients booking the held time, all at
    once: the patient ends with exactly one appointment, the time with at most one, and nothing else fails."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(family["kari"].national_id, national_id=family["kari"].national_id)
    kari_appointment = book(family["kari"], slots[4])
    join_waitlist(appointment_id=kari_appointment.pk, grant=grant_for(family["kari"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    others = [factories.list_patient(family["gp"]) for _ in range(20)]
    calls = [functools.partial(take_offer, offer_id=offer.pk, grant=grant_for(family["kari"]))] * 10
    calls += [functools.partial(decline_offer, offer_id=offer.pk, grant=grant_for(family["kari"]))] * 5
    calls += [functools.partial(book, patient, slots[0]) for patient in others]
    outcomes = run_concurrently(calls, error=BookingError)
    offer.refresh_from_db()
    kari_active = Appointment.objects.get(patient=family["kari"], cancelled_at__isnull=True)
    on_the_time = Appointment.objects.filter(slot=slots[0], cancelled_at__isnull=True)
    assert on_the_time.count() <= 1
    taken = sum(isinstance(outcome, Appointment) and outcome.patient_id == family["kari"].pk for outcome in outcomes)
    if offer.status == "taken":
        assert taken == 1 and kari_active.slot == slots[0] and on_the_time.get() == kari_active
    else:
        assert offer.status == "declined" and taken == 0 and kari_active == kari_appointment


def test_a_patient_who_never_answers_gets_two_offers_then_leaves_the_list_and_can_still_log_in(family, kari, slots):
    appointment = book(family["kari"], slots[5])
    join_waitlist(appointment_id=appointment.pk, grant=grant_for(family["kari"]))
    clear_outbox()
    for _ in range(6):  # booking-jobs hour after hour; each hold runs out unanswered
        call_command("booking_jobs")
        WaitlistOffer.objects.filter(status="open").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    call_command("booking_jobs")
    assert WaitlistOffer.objects.count() == 2 and not WaitlistOffer.objects.filter(status="open").exists()
    assert WaitlistEntry.objects.get().ended_at is not None
    assert len(sms_to(family["kari"])) == 2
    response = Client().post(
        "/logg-inn/engangspassord/", {"national_id": family["kari"].national_id, "password": PASSWORD}
    )
    assert response.status_code == 302 and len(sms_to(family["kari"])) == 3  # the login code still goes


def test_entries_of_appointments_that_are_over_end(family, kari, slots):
    appointment = book(family["kari"], slots[5])
    join_waitlist(appointment_id=appointment.pk, grant=grant_for(family["kari"]))
    past = timezone.now() - datetime.timedelta(hours=1)
    Slot.objects.filter(pk=slots[5].pk).update(starts_at=past, ends_at=past + datetime.timedelta(minutes=20))
    call_command("booking_jobs")
    assert WaitlistEntry.objects.get().ended_at is not None and not WaitlistOffer.objects.exists()


def test_blocking_a_held_time_withdraws_the_offer(family, per, slots, staff_user):
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    set_slot_blocked(slot_id=slots[0].pk, blocked=True, actor=system_actor(staff_user))
    offer.refresh_from_db()
    assert (
        offer.status == "withdrawn"
        and "En tidligere time er ledig" not in per["client"].get("/timer/").content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_a_time_being_passed_on_cannot_be_booked_by_someone_else_meanwhile(family, slots, monkeypatch):
    """The expiry job is between making the next offer and committing it when another patient books the
    time: the slot's row lock makes the booking wait and then see the hold (a race seen on PostgreSQL)."""
    import threading

    from django.contrib.auth import get_user_model
    from django.db import connection

    from eportal.booking import notices

    per, liv, other = (factories.list_patient(family["gp"]) for _ in range(3))
    for patient, slot in ((per, slots[4]), (liv, slots[5])):
        get_user_model().objects.create_user(patient.national_id, national_id=patient.national_id)
        join_waitlist(appointment_id=book(patient, slot).pk, grant=grant_for(patient))
    ola = factories.list_patient(family["gp"])
    cancel_appointment(appointment_id=book(ola, slots[0]).pk, grant=grant_for(ola))
    WaitlistOffer.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    offered, booking_tried = threading.Event(), threading.Event()
    real_notice = notices.earlier_time_offered

    def notice_then_pause(offer):
        real_notice(offer)
        offered.set()
        booking_tried.wait(1.5)  # the booking below blocks on the slot's lock until this commits

    monkeypatch.setattr(notices, "earlier_time_offered", notice_then_pause)
    outcome = {}

    def job():
        try:
            expire_waitlist_offers()
        finally:
            connection.close()

    def other_patient_books():
        offered.wait(10)
        try:
            outcome["booked"] = book(other, slots[0])
        except BookingError as exc:
            outcome["refused"] = str(exc)
        finally:
            booking_tried.set()
            connection.close()

    threads = [threading.Thread(target=job), threading.Thread(target=other_patient_books)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    held = WaitlistOffer.objects.get(slot=slots[0], status="open")
    assert held.entry.appointment.patient == liv
    assert "ikke lenger ledig" in outcome["refused"]
    assert not Appointment.objects.filter(slot=slots[0], cancelled_at__isnull=True).exists()


def test_an_entry_that_ends_while_the_job_runs_gets_no_offer(family, per, slots, monkeypatch):
    from eportal.booking import selectors

    appointment = book(per["patient"], slots[5])
    join_waitlist(appointment_id=appointment.pk, grant=grant_for(per["patient"]))
    clear_outbox()
    real = selectors.free_online_slots

    def patient_leaves_first(**kwargs):  # «Fjern meg fra ventelisten» commits while the job is in its loop
        if not WaitlistEntry.objects.filter(ended_at__isnull=False).exists():
            leave_waitlist(appointment_id=appointment.pk, grant=grant_for(per["patient"]))
        return real(**kwargs)

    monkeypatch.setattr(selectors, "free_online_slots", patient_leaves_first)
    assert offer_free_times() == 0
    assert not WaitlistOffer.objects.exists() and sms_to(per["patient"]) == []


def test_a_freed_time_goes_to_the_first_waiting_patient_who_may_book_it(kari, per, family, slots):
    """Kari asked first, but has since moved to another GP's list: the free-time page no longer shows her this
    GP's times, so the waiting list does not offer them to her either; Per, next in line, gets the time."""
    join_waitlist(appointment_id=book(family["kari"], slots[4]).pk, grant=grant_for(family["kari"]))
    join_waitlist(appointment_id=book(per["patient"], slots[5]).pk, grant=grant_for(per["patient"]))
    ola = factories.list_patient(family["gp"])
    freed = book(ola, slots[1])
    ListPatient.objects.filter(pk=family["kari"].pk).update(gp=factories.practitioner("9100022"))
    cancel_appointment(appointment_id=freed.pk, grant=grant_for(ola))
    offer = WaitlistOffer.objects.get()
    assert offer.slot == slots[1] and offer.entry.appointment.patient == per["patient"]
    call_command("booking_jobs")  # the other earlier free times are not offered to Kari either
    assert not WaitlistOffer.objects.filter(entry__appointment__patient=family["kari"]).exists()
