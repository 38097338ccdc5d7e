"""«Bestill time» and «Mine timer» as a logged-in patient sees them, with the notices that follow."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from eportal.booking.models import Appointment, AppointmentType, Slot
from eportal.booking.services.appointments import book_slot, send_due_reminders
from eportal.clinic.models import Practitioner
from eportal.notifications import backends
from tests import factories
from tests.accounts_fixtures import log_in, register_and_activate
from tests.factories import grant_for
from tests.helpers import run_tasks


@pytest.fixture
def schedule(family):
    """The family's GP has 08:00–09:00 online (three 20-minute times) each of the seven days from the day after
    tomorrow; a type only staff book ("Kun personalet") has no times."""
    factories.schedule(family["gp"], factories.open_day(2, days=7), days=7)
    hidden = factories.appointment_type("Kun personalet", shown_to_patients=False)
    return {"type": factories.appointment_type(), "hidden": hidden}


@pytest.fixture
def patient_client(client, family, schedule):
    register_and_activate(client, family["kari"])
    log_in(client, family["kari"])
    backends.sms_outbox.clear()
    return client


def first_free_slot(client, type_id):
    html = client.get(f"/timer/bestill/{type_id}/").content.decode()
    return int(re.search(r'href="/timer/bestill/tid/(\d+)/"', html).group(1))


def test_book_from_the_first_free_time_to_confirmation_and_notices(patient_client, family, schedule):
    choose = patient_client.get("/timer/bestill/").content.decode()
    assert "Vanlig konsultasjon" in choose and "Kun personalet" not in choose
    assert "116 117" in choose
    slot_id = first_free_slot(patient_client, schedule["type"].pk)
    assert slot_id == Slot.objects.order_by("starts_at").first().pk  # the first free time first
    confirm = patient_client.get(f"/timer/bestill/tid/{slot_id}/").content.decode()
    assert "Ikke skriv om det som haster" in confirm and "Avbestill senest 24 timer før" in confirm
    response = patient_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Vondt i kneet"})
    assert response.status_code == 302
    page = patient_client.get(response["Location"]).content.decode()
    assert "Timen er bestilt" in page and "Du kan avbestille på nett til" in page
    run_tasks()
    texts = [m.body for m in mail.outbox] + [s["text"] for s in backends.sms_outbox]
    assert len(texts) == 2  # e-mail and SMS, as Kari's choices say
    for text in texts:
        assert "Timen din hos Gjerdrum legesenter er bestilt" in text
        assert "kneet" not in text and "konsultasjon" not in text  # never the reason or the type


def test_mine_timer_lists_and_cancels_with_a_receipt(patient_client, family, schedule):
    slot_id = first_free_slot(patient_client, schedule["type"].pk)
    patient_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Kontroll"})
    appointment = Appointment.objects.get()
    html = patient_client.get("/timer/").content.decode()
    assert f'href="/timer/{appointment.pk}/avbestill/"' in html and f"/timer/{appointment.pk}/kalender.ics" in html
    assert "AVBESTILL TIME" in patient_client.get(f"/timer/{appointment.pk}/avbestill/").content.decode()
    response = patient_client.post(f"/timer/{appointment.pk}/avbestill/", follow=True)
    assert response.status_code == 200 and "Kvittering: avbestilt" in response.content.decode()
    assert Appointment.objects.get().cancelled_at is not None


def test_after_the_deadline_the_page_shows_the_phone_instead(patient_client, family, schedule, settings):
    slot_id = first_free_slot(patient_client, schedule["type"].pk)
    patient_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Kontroll"})
    settings.EPORTAL_CANCEL_DEADLINE_HOURS = 24 * 30
    html = patient_client.get("/timer/").content.decode()
    assert "/avbestill/" not in html and 'href="tel:63991000"' in html
    appointment = Appointment.objects.get()
    patient_client.post(f"/timer/{appointment.pk}/avbestill/")
    assert Appointment.objects.get().cancelled_at is None


def test_calendar_file(patient_client, family, schedule):
    slot_id = first_free_slot(patient_client, schedule["type"].pk)
    patient_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Kontroll"})
    appointment = Appointment.objects.get()
    response = patient_client.get(f"/timer/{appointment.pk}/kalender.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and "SUMMARY:Time hos Gjerdrum legesenter" in body
    assert appointment.slot.starts_at.astimezone(datetime.UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ") in body
    assert "Kontroll" not in body


def test_another_patients_appointment_is_not_found(patient_client, family, schedule):
    stranger = factories.list_patient(family["gp"])
    slot = Slot.objects.order_by("starts_at").last()
    appointment = book_slot(grant=grant_for(stranger), slot_id=slot.pk, reason="Privat")
    for method, path in [
        ("get", f"/timer/{appointment.pk}/bestilt/"),
        ("get", f"/timer/{appointment.pk}/kalender.ics"),
        ("get", f"/timer/{appointment.pk}/avbestill/"),
        ("post", f"/timer/{appointment.pk}/avbestill/"),
    ]:
        assert getattr(patient_client, method)(path).status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).cancelled_at is None
    assert "Privat" not in patient_client.get("/timer/").content.decode()


def test_tampered_and_taken_slots_get_clear_messages(patient_client, family, schedule):
    assert patient_client.get("/timer/bestill/tid/999999/").status_code == 404
    assert patient_client.get("/timer/bestill/abc/").status_code == 404
    assert patient_client.get(f"/timer/bestill/{schedule['hidden'].pk}/").status_code == 404
    slot_id = first_free_slot(patient_client, schedule["type"].pk)
    book_slot(grant=grant_for(factories.list_patient(family["gp"])), slot_id=slot_id, reason="x")
    response = patient_client.post(f"/timer/bestill/tid/{slot_id}/", {"reason": "Kontroll"})
    assert response.status_code == 400 and "Timen er dessverre ikke lenger ledig" in response.content.decode()
    long_reason = patient_client.post(f"/timer/bestill/tid/{slot_id + 1}/", {"reason": "x" * 301})
    assert long_reason.status_code == 400
    # A double submit books once.
    patient_client.post(f"/timer/bestill/tid/{slot_id + 2}/", {"reason": "Kontroll"})
    again = patient_client.post(f"/timer/bestill/tid/{slot_id + 2}/", {"reason": "Kontroll"})
    assert again.status_code == 400
    assert Appointment.objects.filter(patient=family["kari"]).count() == 1


def staff_only_time(family, slot):
    """A time of a type not shown to patients, with the patient's own GP."""
    day = timezone.localdate(slot.starts_at)
    factories.schedule(
        family["gp"], day, blocks=[(datetime.time(12), datetime.time(13), True)], type_name="Kun personalet"
    )
    return Slot.objects.filter(appointment_type__name="Kun personalet").first()


def inactive_type(family, slot):
    AppointmentType.objects.filter(pk=slot.appointment_type_id).update(active=False)
    return slot


def inactive_gp(family, slot):
    Practitioner.objects.filter(pk=slot.practitioner_id).update(active=False)
    return slot


def another_gps_time(family, slot):
    other = factories.practitioner("9100022", first_name="Per", last_name="Lien")
    return factories.schedule(other, timezone.localdate(slot.starts_at))[0]


NOT_ONLINE = "Denne timen kan ikke bestilles på nett."
OUTSIDE_THE_RULE = [
    (staff_only_time, NOT_ONLINE),
    (inactive_type, NOT_ONLINE),
    (inactive_gp, NOT_ONLINE),
    (another_gps_time, "På nett kan du bestille time hos din egen fastlege."),
]


@pytest.mark.parametrize(("outside", "message"), OUTSIDE_THE_RULE, ids=[o.__name__ for o, _ in OUTSIDE_THE_RULE])
def test_confirming_a_time_the_free_time_page_leaves_out_is_refused_with_a_message(
    patient_client, family, schedule, outside, message
):
    slot = outside(family, Slot.objects.order_by("starts_at").first())
    url = f"/timer/bestill/tid/{slot.pk}/"
    listed = patient_client.get(f"/timer/bestill/{slot.appointment_type_id}/")
    assert url not in listed.content.decode()
    shown = patient_client.get(url)
    html = shown.content.decode()
    assert shown.status_code == 400 and message in html
    assert "BESTILL TIME" not in html and slot.appointment_type.name not in html  # no form, not even the type
    response = patient_client.post(url, {"reason": "Kontroll"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Appointment.objects.exists()


def test_booking_pages_need_login(client, family, schedule):
    for path in ["/timer/", "/timer/bestill/", f"/timer/bestill/{schedule['type'].pk}/"]:
        assert client.get(path).status_code == 302


def test_reminders_go_once_within_the_window(patient_client, family, schedule):
    slot = Slot.objects.order_by("starts_at").first()
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=slot.pk, reason="x")
    run_tasks()
    mail.outbox.clear()
    backends.sms_outbox.clear()
    assert send_due_reminders(now=slot.starts_at - datetime.timedelta(hours=72)) == 0
    assert send_due_reminders(now=slot.starts_at - datetime.timedelta(hours=47)) == 1
    assert send_due_reminders(now=slot.starts_at - datetime.timedelta(hours=46)) == 0
    run_tasks()
    assert "Påminnelse: du har time hos Gjerdrum legesenter" in mail.outbox[0].body
    assert Appointment.objects.get(pk=appointment.pk).reminded_at is not None


@pytest.fixture
def busy_server(transactional_db):
    """Django's own threaded server, with a listen queue long enough for 100 clicks at once."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Server(ThreadedWSGIServer):
        request_queue_size = 256

    django_app = get_wsgi_application()
    pool = threading.BoundedSemaphore(40)  # an app server's threads: at most 40 database connections at once

    def app(environ, start_response):
        with pool:
            response = django_app(environ, start_response)
            body = b"".join(response)
            response.close()  # request_finished: the request's database connection closes here
        return [body]

    server = Server(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    server.set_app(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_one_hundred_patients_clicking_the_same_slot_over_http_get_one_appointment(busy_server, django_user_model):
    """100 concurrent booking attempts at one slot against a live server: one appointment, the rest refused."""
    import threading
    import urllib.parse
    import urllib.request

    from django.test import Client

    from eportal.clinic.models import Clinic

    Clinic.objects.create(name="Gjerdrum legesenter")
    gp = factories.practitioner("9100011")
    consultation = AppointmentType.objects.create(name="Vanlig konsultasjon", duration_minutes=20)
    start = timezone.now() + datetime.timedelta(days=3)
    slot = Slot.objects.create(
        practitioner=gp, appointment_type=consultation, starts_at=start, ends_at=start + datetime.timedelta(minutes=20)
    )
    browsers = []
    for _ in range(100):
        patient = factories.list_patient(gp)
        user = django_user_model.objects.create_user(
            patient.national_id, national_id=patient.national_id, email="p@example.com"
        )
        client = Client()
        client.force_login(user)
        cookies = "; ".join(f"{morsel.key}={morsel.value}" for morsel in client.cookies.values())
        form = client.get(f"/timer/bestill/tid/{slot.pk}/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)
        cookies = "; ".join(f"{morsel.key}={morsel.value}" for morsel in client.cookies.values())
        browsers.append((cookies, token))
    barrier = threading.Barrier(len(browsers))
    answers = []

    def click(cookies, token):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "reason": "samtidig"}).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{busy_server}/timer/bestill/tid/{slot.pk}/",
            data=body,
            headers={"Cookie": cookies, "Referer": busy_server},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the live server on loopback
                answers.append((response.status, response.url))
        except urllib.error.HTTPError as refused:
            answers.append((refused.code, refused.read().decode()))
        except OSError as failed:
            answers.append((0, repr(failed)))

    threads = [threading.Thread(target=click, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    booked = [answer for answer in answers if answer[0] == 200 and "/bestilt/" in answer[1]]
    refused = [answer for answer in answers if answer[0] == 400 and "Timen er dessverre ikke lenger ledig" in answer[1]]
    others = [re.sub(r"\s+", " ", a[1])[-3000:] for a in answers if a not in booked and a not in refused]
    assert len(booked) == 1 and len(refused) == 99, others[:1]
    assert Appointment.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1
