"""The staff workspace: day list, week at a glance, online capacity, and cancelling for the clinic."""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.audit.models import AuditEvent
from eportal.booking.models import Appointment, Slot
from eportal.booking.selectors import local_day_bounds
from eportal.booking.services.appointments import book_slot
from eportal.demo.clinic import STAFF_PASSWORD
from eportal.notifications import backends
from tests import factories
from tests.accounts_fixtures import register_and_activate
from tests.factories import grant_for
from tests.helpers import run_tasks, staff_login


@pytest.fixture
def day(family):
    """In three days at the family's GP: 08:00–09:00 online (three 20-minute times), 09:00–09:40 by phone."""
    the_day = factories.open_day(3)
    blocks = [(datetime.time(8), datetime.time(9), True), (datetime.time(9), datetime.time(9, 40), False)]
    return {"day": the_day, "slots": factories.schedule(family["gp"], the_day, blocks=blocks)}


def make_staff(django_user_model, username="anne", **fields):
    user = django_user_model.objects.create_user(username, password=STAFF_PASSWORD, is_staff=True, **fields)
    TOTPDevice.objects.create(user=user, name="telefon", confirmed=True)
    return user


@pytest.fixture
def staff(db, django_user_model):
    return make_staff(django_user_model, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    staff_login(client, staff)
    return client


def day_list_url(family, day):
    return f"/personale/dagsliste/?practitioner={family['gp'].pk}&day={day.isoformat()}"


def test_staff_land_on_the_day_list_after_login(client, staff):
    response = staff_login(client, staff)
    assert response["Location"] == "/personale/"
    assert client.get("/personale/", follow=True).redirect_chain[-1][0] == "/personale/dagsliste/"


def test_day_list_shows_who_what_and_why_and_is_audited_per_patient(staff_client, staff, family, day):
    other = factories.list_patient(family["gp"], first_name="Per", last_name="Hansen")
    book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][0].pk, reason="Vondt i kneet")
    book_slot(grant=grant_for(other), slot_id=day["slots"][2].pk, reason="Kontroll")
    response = staff_client.get(day_list_url(family, day["day"]))
    html = response.content.decode()
    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)
    assert len(rows) == 5  # three online times, two by phone
    assert "08:00" in rows[0] and "Kari Nordmann" in rows[0] and family["kari"].national_id in rows[0]
    assert "Vondt i kneet" in rows[0] and "Vanlig konsultasjon" in rows[0]
    assert "Ledig (nett)" in rows[1]
    assert "Per Hansen" in rows[2] and "Kontroll" in rows[2]
    assert "Ledig (telefon)" in rows[3]
    assert "2 av 5 timer er bestilt." in html
    views = AuditEvent.objects.filter(action="staff_viewed_day_list", actor_user=staff)
    assert sorted(views.values_list("subject_national_id", flat=True)) == sorted(
        [family["kari"].national_id, other.national_id]
    )
    assert views.first().details == {"practitioner": family["gp"].pk, "day": day["day"].isoformat()}


def test_day_list_labels_and_moving_between_days(staff_client, family, day):
    html = staff_client.get(day_list_url(family, day["day"])).content.decode()
    assert ">Behandler</label>" in html and ">Dato</label>" in html
    next_day = re.search(r'href="([^"]+)">Neste dag</a>', html).group(1).replace("&amp;", "&")
    assert (day["day"] + datetime.timedelta(days=1)).isoformat() in next_day
    assert "Ingen timer denne dagen." in staff_client.get(next_day).content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("day=31.02.2026", "Oppgi en gyldig dato."),
        ("day=" + "9" * 500, "Oppgi en gyldig dato."),
        ("practitioner=999999", "Velg et gyldig valg."),
        ("practitioner=abc&day=%00", "Velg et gyldig valg."),
    ],
)
def test_day_list_bad_query_gets_a_message_and_today(staff_client, family, day, query, message):
    response = staff_client.get(f"/personale/dagsliste/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Dagsliste" in html


def test_the_week_at_a_glance_counts_booked_of_all_per_practitioner_and_day(staff_client, family, day):
    book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][1].pk, reason="x")
    Slot.objects.filter(pk=day["slots"][2].pk).update(blocked=True)
    html = staff_client.get(f"/personale/uke/?day={day['day'].isoformat()}").content.decode()
    week = day["day"].isocalendar().week
    assert f"Uke {week}, {day['day'].isocalendar().year}" in html
    link = re.search(r'<a href="([^"]+)">1 av 5</a>', html)
    assert link and day_list_url(family, day["day"]) == link.group(1).replace("&amp;", "&")
    assert len(re.findall(r'<a href="[^"]+">\d+ av \d+</a>', html)) == 1  # other days have no times


def test_capacity_shows_booked_and_free_online_times_per_day(staff_client, family, day):
    book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][0].pk, reason="x")
    Slot.objects.filter(pk=day["slots"][2].pk).update(blocked=True)  # a blocked time is not free
    response = staff_client.get("/personale/belegg/")
    html = response.content.decode()
    assert "Bestilte og ledige nettimer" in html
    row = re.search(r"<tr>\s*<th scope=\"row\">[^<]+</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r"<td data-label=\"[^\"]+\">(\d+)</td>", row) == ["1", "1"]  # booked 1, free 1
    assert 'width="50"' in row  # the bar: half booked, half free
    assert staff_client.get("/personale/belegg/?weeks=99").status_code == 400


def test_staff_cancel_for_the_clinic_and_the_patient_is_told(client, staff, family, day):
    register_and_activate(client, family["kari"])
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][0].pk, reason="Vondt")
    run_tasks()
    backends.sms_outbox.clear()
    staff_login(client, staff)
    page = client.get(f"/personale/timer/{appointment.pk}/avlys/").content.decode()
    assert "Kari Nordmann" in page and "AVLYS TIMEN" in page
    seen = AuditEvent.objects.get(action="staff_viewed_appointment")
    assert seen.actor_user == staff and seen.subject_national_id == family["kari"].national_id
    response = client.post(f"/personale/timer/{appointment.pk}/avlys/", follow=True)
    assert "Timen er avlyst. Pasienten har fått beskjed." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.cancelled_at and appointment.cancelled_by == staff
    run_tasks()
    (sms,) = backends.sms_outbox
    assert "har måttet avlyse timen din" in sms["text"] and "Vondt" not in sms["text"]
    event = AuditEvent.objects.get(action="appointment_cancelled")
    assert event.actor_user == staff and event.details["by"] == "staff"
    assert event.subject_national_id == family["kari"].national_id
    # Cancelling again changes nothing and says why.
    again = client.post(f"/personale/timer/{appointment.pk}/avlys/", follow=True).content.decode()
    assert "allerede avlyst" in again
    assert AuditEvent.objects.filter(action="appointment_cancelled").count() == 1


def test_the_clinic_may_cancel_after_the_patients_deadline_but_not_the_past(staff_client, family, day):
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][0].pk, reason="x")
    Slot.objects.filter(pk=appointment.slot_id).update(
        starts_at=timezone.now() + datetime.timedelta(hours=2), ends_at=timezone.now() + datetime.timedelta(hours=3)
    )
    staff_client.post(f"/personale/timer/{appointment.pk}/avlys/")
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None
    past = book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][1].pk, reason="x")
    Slot.objects.filter(pk=past.slot_id).update(
        starts_at=timezone.now() - datetime.timedelta(hours=3), ends_at=timezone.now() - datetime.timedelta(hours=2)
    )
    response = staff_client.post(f"/personale/timer/{past.pk}/avlys/", follow=True)
    assert "har passert" in response.content.decode()
    past.refresh_from_db()
    assert past.cancelled_at is None


def test_cancel_of_an_unknown_appointment_is_a_norwegian_404(staff_client, db):
    response = staff_client.get("/personale/timer/987654/avlys/")
    assert response.status_code == 404 and "Fant ikke siden" in response.content.decode()


def test_only_verified_staff_with_the_permission_reach_the_pages(client, django_user_model, family, day):
    appointment = book_slot(grant=grant_for(family["kari"]), slot_id=day["slots"][0].pk, reason="x")
    pages = [
        "/personale/dagsliste/",
        "/personale/uke/",
        "/personale/belegg/",
        f"/personale/timer/{appointment.pk}/avlys/",
    ]
    for page in pages:  # not logged in
        assert client.get(page)["Location"].startswith("/personale/logg-inn/?next=")
    receptionist = make_staff(django_user_model, "resepsjon")
    client.force_login(receptionist)  # password only, no authenticator code
    assert client.get(pages[0])["Location"].startswith("/personale/logg-inn/")
    client.logout()
    staff_login(client, receptionist)  # verified, but no permissions yet
    response = client.get(pages[0])
    assert response.status_code == 403 and "Du har ikke tilgang til denne siden" in response.content.decode()
    receptionist.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    assert client.get(pages[0]).status_code == 200
    assert client.post(pages[3]).status_code == 403  # seeing the day is not cancelling
    assert Appointment.objects.get(pk=appointment.pk).cancelled_at is None


def test_a_patient_does_not_reach_the_staff_pages(logged_in):
    assert logged_in.get("/personale/dagsliste/")["Location"].startswith("/personale/logg-inn/")


def test_a_day_is_23_or_25_hours_long_across_daylight_saving_changes():
    for day, hours in [
        (datetime.date(2026, 3, 29), 23),
        (datetime.date(2026, 10, 25), 25),
        (datetime.date(2026, 6, 1), 24),
    ]:
        start, end = local_day_bounds(day)
        assert end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC) == datetime.timedelta(hours=hours)
        assert timezone.localtime(start).hour == 0


def test_staff_block_and_open_free_times_on_the_day_list_and_the_waiting_list_is_offered(
    staff_client, staff, family, day
):
    from eportal.booking.models import WaitlistOffer
    from eportal.booking.services.waitlist import join_waitlist

    free, later = day["slots"][0], day["slots"][2]
    html = staff_client.post(f"/personale/tider/{free.pk}/sperr/", follow=True).content.decode()
    assert "Tiden er sperret." in html and "Sperret" in html
    free.refresh_from_db()
    assert free.blocked
    assert AuditEvent.objects.filter(action="slot_blocked", actor_user=staff, details__slot=free.pk).exists()
    register_and_activate(Client(), family["kari"])
    waiting = book_slot(grant=grant_for(family["kari"]), slot_id=later.pk, reason="x")
    join_waitlist(appointment_id=waiting.pk, grant=grant_for(family["kari"]))
    html = staff_client.post(f"/personale/tider/{free.pk}/apne/", follow=True).content.decode()
    assert "Tiden er åpnet." in html
    offer = WaitlistOffer.objects.get()
    assert offer.slot == free and offer.entry.appointment == waiting  # an opened time goes to the waiting list
    # A booked time cannot be blocked; an unknown one is a 404; a GET changes nothing.
    html = staff_client.post(f"/personale/tider/{later.pk}/sperr/", follow=True).content.decode()
    assert "Tiden er bestilt. Avlys timen først." in html
    assert staff_client.post("/personale/tider/987654/sperr/").status_code == 404
    assert staff_client.get(f"/personale/tider/{day['slots'][1].pk}/sperr/").status_code == 405
    assert not Slot.objects.filter(blocked=True).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/personale/dagsliste/?day=9999-12-31",
        "/personale/dagsliste/?day=0001-01-01",
        "/personale/uke/?day=9999-12-31",
        "/personale/uke/?day=0001-01-08",
    ],
)
def test_dates_far_away_get_a_message_not_a_500(staff_client, family, url):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert "Velg en dato høyst fem år fra i dag." in response.content.decode()


def test_staff_without_the_day_list_permission_land_on_the_admin(client, django_user_model):
    response = staff_login(client, make_staff(django_user_model, "regnskap"))
    assert response["Location"] == "/personale/admin/"
