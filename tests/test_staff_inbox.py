"""The clinic's side of messages: reception's and each practitioner's inbox, a conversation, answering,
forwarding, assigning, closing; who may read which inbox; the audit of every read; the navigation's count."""

import datetime
import re
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.core.actor import system_actor
from eportal.identity.national_id import masked
from eportal.messaging import services
from eportal.messaging.errors import MessagingError
from eportal.messaging.models import Attachment, Message, ReplyTemplate, Thread
from eportal.notifications import backends
from eportal.representation.policy import Capability
from eportal.staff.context_processors import new_messages
from tests import factories
from tests.accounts_fixtures import log_in, register_and_activate
from tests.factories import grant_for
from tests.helpers import ID_PATTERN, client_for, make_staff, run_tasks, staff_login, url_routes

INBOXES = "/personale/meldinger/"
RECEPTION = "/personale/meldinger/resepsjon/"


def thread_url(thread) -> str:
    return f"/personale/meldinger/samtale/{thread.pk}/"


def start(patient, subject="Spørsmål", body="Hei, jeg lurer på noe.", *, days_ago=0) -> Thread:
    """A thread from the patient, waiting in reception's inbox since `days_ago` days."""
    message = services.start_thread(
        grant=grant_for(patient, Capability.MESSAGES), kind="reception", subject=subject, body=body
    )
    if days_ago:
        since = timezone.now() - datetime.timedelta(days=days_ago)
        Thread.objects.filter(pk=message.thread_id).update(waiting_since=since, last_message_at=since)
    return Thread.objects.get(pk=message.thread_id)


def write(patient, thread, body="Og en ting til."):
    return services.write(grant=grant_for(patient, Capability.MESSAGES), thread_id=thread.pk, body=body)


def rows(response) -> list[str]:
    html = response.content.decode()
    if "<tbody>" not in html:
        return []
    return re.findall(r"<tr[^>]*>(.*?)</tr>", html.split("<tbody>")[1].split("</tbody>")[0], re.S)


def flashed(response) -> str:
    return " ".join(str(message) for message in response.context["messages"]) if response.context else ""


@pytest.fixture
def clinic(family):
    """Reception, the family's GP (Ingrid Haugen) with her own login, another GP, and the administrator."""
    gp_user = make_staff("ingrid", "view_thread", first_name="Ingrid", last_name="Haugen")
    family["gp"].user = gp_user
    family["gp"].save()
    other_gp = factories.practitioner("9100029", first_name="Ola", last_name="Berg")
    other_gp.user = make_staff("ola", "view_thread", first_name="Ola", last_name="Berg")
    other_gp.save()
    per = factories.list_patient(
        family["gp"],
        national_id=factories.national_id(datetime.date(1971, 3, 14)),
        first_name="Per",
        last_name="Hansen",
    )
    kari = family["kari"]
    assert kari.national_id[:6] != per.national_id[:6]
    return {
        **family,
        "per": per,
        "other_gp": other_gp,
        "receptionist": make_staff(
            "rita", "view_thread", "read_reception_inbox", first_name="Rita", last_name="Resepsjon"
        ),
        "gp_user": gp_user,
        "admin": make_staff("anne", "view_thread", "read_all_inboxes", first_name="Anne", last_name="Admin"),
    }


# Who reads which inbox


def test_a_receptionist_reads_receptions_inbox_oldest_waiting_first_with_unread_counts(clinic):
    kari, per = clinic["kari"], clinic["per"]
    start(per, "Resept på blodtrykksmedisin", days_ago=1)
    older = start(kari, "Attest til skolen", days_ago=3)
    write(kari, older)  # two unread from Kari
    answered = start(kari, "Allerede besvart")
    Thread.objects.filter(pk=answered.pk).update(waiting_since=None)
    receptionist = client_for(clinic["receptionist"])

    assert receptionist.get(INBOXES)["Location"] == RECEPTION
    response = receptionist.get(RECEPTION)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Innboks: Resepsjonen" in html
    first, second = rows(response)  # waiting only, the one waiting longest first
    assert "Kari Nordmann" in first and "Attest til skolen" in first and "venter i 3\xa0dager" in first
    assert re.search(r'data-label="Uleste">2</td>', first)
    assert masked(kari.national_id) in first and kari.national_id not in html
    assert "Per Hansen" in second and "venter i 1\xa0dag" in second
    assert re.search(r'data-label="Uleste">1</td>', second)
    assert f'href="{thread_url(older)}"' in first
    assert "Allerede besvart" not in html
    assert 'data-unread-threads="3"' in html  # the tab counts threads with unread messages, answered or not
    # «Vis alle»: every thread, the latest message first (Kari's second message is newer than Per's).
    everything = rows(receptionist.get(RECEPTION + "?vis=alle"))
    assert [("Allerede besvart" in row, "Attest" in row, "Resept" in row) for row in everything] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]


def test_a_receptionist_does_not_read_a_gps_inbox_until_the_gp_forwards_to_reception(clinic):
    thread = start(clinic["kari"], "Til fastlegen")
    Thread.objects.filter(pk=thread.pk).update(practitioner=clinic["gp"])
    receptionist = client_for(clinic["receptionist"])
    assert receptionist.get(f"{INBOXES}{clinic['gp'].pk}/").status_code == 404
    response = receptionist.get(thread_url(thread))
    assert response.status_code == 404 and "Til fastlegen" not in response.content.decode()
    assert "Til fastlegen" not in receptionist.get(RECEPTION).content.decode()
    assert not AuditEvent.objects.filter(action="staff_viewed_thread").exists()

    gp = client_for(clinic["gp_user"])
    assert "Til fastlegen" in gp.get(f"{INBOXES}{clinic['gp'].pk}/").content.decode()
    response = gp.post(f"{thread_url(thread)}videresend/", {"inbox": "resepsjon"}, follow=True)
    assert "Meldingen er videresendt til Resepsjonen." in response.content.decode()
    assert response.redirect_chain[0][0] == INBOXES  # she no longer reads it
    response = receptionist.get(thread_url(thread))
    assert response.status_code == 200 and "Til fastlegen" in response.content.decode()
    assert "Til fastlegen" in receptionist.get(RECEPTION).content.decode()


def test_a_gp_reads_their_own_inbox_and_not_another_gps(clinic):
    own = start(clinic["kari"], "Til Ingrid")
    others = start(clinic["per"], "Til Ola")
    Thread.objects.filter(pk=own.pk).update(practitioner=clinic["gp"])
    Thread.objects.filter(pk=others.pk).update(practitioner=clinic["other_gp"])
    gp = client_for(clinic["gp_user"])
    assert gp.get(INBOXES)["Location"] == f"{INBOXES}{clinic['gp'].pk}/"
    response = gp.get(f"{INBOXES}{clinic['gp'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Til Ingrid" in html and "Til Ola" not in html
    assert f'href="{INBOXES}{clinic["other_gp"].pk}/"' not in html and f'href="{RECEPTION}"' not in html
    assert gp.get(f"{INBOXES}{clinic['other_gp'].pk}/").status_code == 404
    assert gp.get(RECEPTION).status_code == 404
    assert gp.get(f"{INBOXES}ukjent/").status_code == 404
    assert gp.get(thread_url(others)).status_code == 404
    assert gp.get(thread_url(own)).status_code == 200
    # The administrator reads every inbox.
    admin = client_for(clinic["admin"])
    html = admin.get(RECEPTION).content.decode()
    assert f'href="{INBOXES}{clinic["other_gp"].pk}/"' in html and f'href="{INBOXES}{clinic["gp"].pk}/"' in html
    assert admin.get(thread_url(others)).status_code == 200


def test_only_verified_staff_with_the_permission_reach_the_inboxes(clinic, django_user_model):
    thread = start(clinic["kari"])
    pages = [INBOXES, RECEPTION, thread_url(thread)]
    anonymous = Client()
    for page in pages:
        assert anonymous.get(page)["Location"].startswith("/personale/logg-inn/?next=")
    without = client_for(make_staff("regnskap", "read_reception_inbox"))  # no view_thread
    for page in pages:
        assert without.get(page).status_code == 403
    password_only = Client()
    password_only.force_login(clinic["receptionist"])
    assert password_only.get(RECEPTION)["Location"].startswith("/personale/logg-inn/")
    nobody = client_for(make_staff("vikar", "view_thread"))  # no inbox of their own
    response = nobody.get(INBOXES)
    assert response.status_code == 200 and "Du leser ingen innboks." in response.content.decode()
    assert nobody.get(thread_url(thread)).status_code == 404
    assert not AuditEvent.objects.filter(action="staff_viewed_thread").exists()


def test_a_patient_does_not_reach_the_inboxes(logged_in):
    assert logged_in.get(RECEPTION)["Location"].startswith("/personale/logg-inn/")


# Reading a thread


def test_opening_a_thread_is_audited_marks_it_read_and_shows_in_the_patients_access_log(client, clinic):
    kari = clinic["kari"]
    register_and_activate(client, kari)
    thread = start(kari, "Vondt i kneet", "Det gjør vondt når jeg går i trapper.")
    receptionist = client_for(clinic["receptionist"])
    response = receptionist.get(thread_url(thread))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vondt i kneet" in html and "Det gjør vondt når jeg går i trapper." in html
    assert "Kari Nordmann" in html and masked(kari.national_id) in html and kari.national_id not in html
    event = AuditEvent.objects.get(action="staff_viewed_thread")
    assert event.subject_national_id == kari.national_id and event.actor_user == clinic["receptionist"]
    assert event.details["thread"] == thread.pk
    message = thread.messages.get()
    assert message.read_by_clinic_at is not None
    assert 'data-unread-threads="0"' in receptionist.get(RECEPTION).content.decode()

    log_in(client, kari)
    log = client.get(reverse("representation:access-log")).content.decode()
    assert "Rita Resepsjon, ansatt ved legekontoret" in log and "leste meldingen din" in log


# Answering


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_a_reply_is_stored_stops_the_wait_and_the_patient_is_told_once_without_the_text(client, clinic):
    kari = clinic["kari"]
    register_and_activate(client, kari)
    thread = start(kari, "Prøvesvar", days_ago=2)
    backends.sms_outbox.clear()
    mail.outbox.clear()
    receptionist = client_for(clinic["receptionist"])
    body = "Prøvene dine er fine. Hilsen legekontoret"
    response = receptionist.post(thread_url(thread), {"body": body, "submit_id": str(uuid.uuid4())}, follow=True)
    assert response.redirect_chain == [(thread_url(thread), 302)]
    assert "Svaret er sendt." in response.content.decode()
    reply = thread.messages.get(author_role=Message.Role.STAFF)
    assert reply.body == body and reply.author == clinic["receptionist"]
    thread.refresh_from_db()
    assert thread.waiting_since is None
    assert AuditEvent.objects.filter(action="message_answered", subject_national_id=kari.national_id).count() == 1
    assert "Prøvesvar" not in receptionist.get(RECEPTION).content.decode()  # no longer waiting
    receptionist.post(thread_url(thread), {"body": "Og en ting til: husk timen.", "submit_id": str(uuid.uuid4())})
    assert thread.messages.filter(author_role=Message.Role.STAFF).count() == 2

    run_tasks()
    (sms,) = backends.sms_outbox  # two answers close together: one notice
    (email,) = mail.outbox
    assert sms["to"] == kari.mobile and email.to == [kari.email]
    for text in (sms["text"], email.subject, email.body):
        assert "Prøvene" not in text and "husk timen" not in text and "Prøvesvar" not in text


def test_the_same_reply_form_sent_twice_stores_one_message(clinic):
    thread = start(clinic["kari"])
    receptionist = client_for(clinic["receptionist"])
    data = {"body": "Ja, det går fint.", "submit_id": str(uuid.uuid4())}
    receptionist.post(thread_url(thread), data)
    receptionist.post(thread_url(thread), data)
    assert thread.messages.filter(author_role=Message.Role.STAFF).count() == 1


def test_a_reply_template_is_put_in_the_reply_without_sending_anything(clinic):
    thread = start(clinic["kari"])
    template = ReplyTemplate.objects.create(title="Ring oss", text="Ring oss på 63 99 10 00 i morgen.")
    ReplyTemplate.objects.create(title="Gammel mal", text="Ikke i bruk", active=False)
    receptionist = client_for(clinic["receptionist"])
    html = receptionist.get(thread_url(thread)).content.decode()
    assert f'<option value="{template.pk}">Ring oss</option>' in html and "Gammel mal" not in html
    assert '<label for="id_template">Svarmal</label>' in html
    assert re.search(r'<button type="submit" name="action" value="template">Sett inn mal</button>', html)

    response = receptionist.post(thread_url(thread), {"action": "template", "template": template.pk, "body": ""})
    assert response.status_code == 200
    assert re.search(r"<textarea[^>]*>\s*Ring oss på 63 99 10 00 i morgen.</textarea>", response.content.decode())
    response = receptionist.post(thread_url(thread), {"action": "template", "template": template.pk, "body": "Hei!"})
    assert re.search(
        r"<textarea[^>]*>\s*Hei!\n\nRing oss på 63 99 10 00 i morgen.</textarea>", response.content.decode()
    )
    for bad in ("abc", "999999", str(ReplyTemplate.objects.get(active=False).pk)):
        response = receptionist.post(thread_url(thread), {"action": "template", "template": bad, "body": "Hei!"})
        assert response.status_code == 400 and "Velg en svarmal." in response.content.decode()
        assert re.search(r"<textarea[^>]*>\s*Hei!</textarea>", response.content.decode())
    assert not thread.messages.filter(author_role=Message.Role.STAFF).exists()


def test_assign_forward_mark_done_close_and_reopen_work_and_are_audited(clinic):
    kari = clinic["kari"]
    thread = start(kari, "Sykemelding")
    receptionist = client_for(clinic["receptionist"])
    url = thread_url(thread)
    html = receptionist.get(url).content.decode()
    for label in ("Videresend", "Tildel", "Marker som ferdig", "Avslutt samtalen"):
        assert f">{label}</button>" in html
    assert '<label for="id_inbox">Videresend til</label>' in html and '<label for="id_user">Tildel til</label>' in html
    assert f'<option value="{clinic["other_gp"].pk}">Ola Berg</option>' in html  # every inbox, read or not

    def audited(action):
        return AuditEvent.objects.filter(action=action, subject_national_id=kari.national_id).count()

    response = receptionist.post(f"{url}tildel/", {"user": clinic["gp_user"].pk}, follow=True)
    assert "Meldingen er tildelt Ingrid Haugen." in flashed(response)
    thread.refresh_from_db()
    assert thread.assigned_to == clinic["gp_user"] and audited("thread_assigned") == 1
    # Assigned to her, the GP reads it though it is in reception's inbox.
    assert client_for(clinic["gp_user"]).get(url).status_code == 200
    response = receptionist.post(f"{url}tildel/", {"user": ""}, follow=True)
    assert "Meldingen er ikke lenger tildelt noen." in flashed(response)
    thread.refresh_from_db()
    assert thread.assigned_to is None and audited("thread_assigned") == 2

    response = receptionist.post(f"{url}ferdig/", follow=True)
    assert "Meldingen er merket som ferdig." in flashed(response)
    thread.refresh_from_db()
    assert thread.waiting_since is None and audited("thread_done") == 1

    response = receptionist.post(f"{url}avslutt/", follow=True)
    assert "Samtalen er avsluttet." in flashed(response)
    assert ">Åpne samtalen igjen</button>" in response.content.decode()
    thread.refresh_from_db()
    assert thread.closed_at is not None and audited("thread_closed") == 1
    with pytest.raises(MessagingError) as refused:
        write(kari, thread)
    assert refused.value.code == "thread_closed"

    response = receptionist.post(f"{url}apne/", follow=True)
    assert "Samtalen er åpnet igjen." in flashed(response)
    thread.refresh_from_db()
    assert thread.closed_at is None and audited("thread_reopened") == 1
    write(kari, thread)

    response = receptionist.post(f"{url}videresend/", {"inbox": str(clinic["gp"].pk)}, follow=True)
    assert "Meldingen er videresendt til Ingrid Haugen." in flashed(response)
    thread.refresh_from_db()
    assert thread.practitioner == clinic["gp"] and audited("thread_forwarded") == 1
    assert receptionist.get(url).status_code == 404  # no longer hers
    assert receptionist.get(f"{url}ferdig/").status_code == 405  # a GET changes nothing


# Searching


def test_search_by_name_or_the_start_of_the_national_id_finds_only_those_threads(clinic):
    kari, per = clinic["kari"], clinic["per"]
    start(kari, "Karis spørsmål")
    start(per, "Pers spørsmål")
    start(clinic["emma"], "Emmas spørsmål")
    receptionist = client_for(clinic["receptionist"])
    html = receptionist.get(RECEPTION).content.decode()
    assert 'method="post"' in html and '<label for="id_q">Søk på navn eller fødselsnummer</label>' in html

    def found(query, method="post"):
        response = getattr(receptionist, method)(RECEPTION, {"q": query})
        assert response.status_code == 200
        html = response.content.decode()
        return {
            subject.split()[0] for subject in ("Karis spørsmål", "Pers spørsmål", "Emmas spørsmål") if subject in html
        }

    assert found("hansen") == {"Pers"}
    assert found("per hansen") == {"Pers"}
    assert found("Nordmann") == {"Karis", "Emmas"}
    assert found("kari nordmann") == {"Karis"}
    assert found(kari.national_id[:6]) == {"Karis"}
    assert found(per.national_id) == {"Pers"}
    assert found("hansen", method="get") == {"Pers"}
    assert found("ingen slik") == set()
    response = receptionist.post(RECEPTION, {"q": "x" * 101})
    assert response.status_code == 400 and "Karis spørsmål" in response.content.decode()  # the search is ignored


# Where a receptionist lands, and what the navigation offers her


def test_a_receptionist_who_only_reads_messages_lands_in_her_inbox_not_the_admin(clinic):
    client = Client()
    response = staff_login(client, clinic["receptionist"])
    assert response["Location"] == "/personale/"
    chain = client.get("/personale/", follow=True).redirect_chain
    assert [url for url, _ in chain] == [INBOXES, RECEPTION]
    html = client.get(RECEPTION).content.decode()
    assert "Dagsliste" not in html and "/personale/uke/" not in html  # pages she cannot open are not offered
    assert client.get("/personale/dagsliste/").status_code == 403
    clinic["receptionist"].user_permissions.add(Permission.objects.get(codename="view_appointment"))
    assert client.get("/personale/", follow=True).redirect_chain[-1][0] == "/personale/dagsliste/"
    assert "Dagsliste" in client.get(RECEPTION).content.decode()


# The navigation's count


def test_the_staff_navigation_counts_threads_with_new_messages(clinic):
    first = start(clinic["kari"], "Første")
    start(clinic["per"], "Andre")
    elsewhere = start(clinic["emma"], "Til fastlegen")
    Thread.objects.filter(pk=elsewhere.pk).update(practitioner=clinic["gp"])
    receptionist = client_for(clinic["receptionist"])
    html = receptionist.get(RECEPTION).content.decode()
    assert 'data-new-messages="2"' in html and "Meldinger <span" in html and "(2 nye)" in html
    html = receptionist.get(thread_url(first)).content.decode()  # opened: read
    assert 'data-new-messages="1"' in html and "(1 ny)" in html
    clinic["receptionist"].user_permissions.add(Permission.objects.get(codename="view_appointment"))
    html = receptionist.get("/personale/dagsliste/").content.decode()
    assert 'data-new-messages="1"' in html
    gp = client_for(clinic["gp_user"])
    assert 'data-new-messages="1"' in gp.get(f"{INBOXES}{clinic['gp'].pk}/").content.decode()


def test_a_patient_page_asks_nothing_for_the_staff_count(logged_in, clinic):
    start(clinic["kari"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get("/min-side/").status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    logged_in.get("/min-side/")  # anything loaded once per session
    with_processor = queries()
    templates = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"]}}]
    templates[0]["OPTIONS"]["context_processors"] = [
        name for name in templates[0]["OPTIONS"]["context_processors"] if not name.startswith("eportal.staff.")
    ]
    assert (
        len(templates[0]["OPTIONS"]["context_processors"])
        == len(settings.TEMPLATES[0]["OPTIONS"]["context_processors"]) - 1
    )
    with override_settings(TEMPLATES=templates):
        without_processor = queries()
    assert len(with_processor) == len(without_processor)


def test_the_navigations_count_is_counted_only_when_shown_and_once(clinic, rf):
    start(clinic["kari"])
    request = rf.get("/personale/dagsliste/")
    request.user = User.objects.get(pk=clinic["receptionist"].pk)
    with CaptureQueriesContext(connection) as captured:
        context = new_messages(request)
    assert len(captured.captured_queries) == 0  # nothing asked until a template shows it
    with CaptureQueriesContext(connection) as captured:
        assert context["staff_new_messages"]() == 1
        assert context["staff_new_messages"]() == 1
    assert any("messaging_thread" in query["sql"] for query in captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert context["staff_new_messages"]() == 1
    assert len(captured.captured_queries) == 0  # counted once per request
    request.user = User.objects.get(national_id=clinic["kari"].national_id)  # the patient's own user
    assert new_messages(request) == {}


# A constant number of queries


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _add_attachment(message):
    attachment = Attachment(message=message)
    attachment.fill(name="bilde.png", data=b"\x89PNG\r\n\x1a\nnot really", content_type="image/png")
    attachment.save()


def test_the_inbox_and_the_thread_take_as_many_queries_for_3_as_for_30(clinic):
    receptionist = client_for(clinic["receptionist"])
    ReplyTemplate.objects.create(title="Mal", text="Tekst")

    def threads(count):
        for number in range(count):
            patient = factories.list_patient(clinic["gp"], first_name=f"Pasient{number}", last_name="Test")
            thread = start(patient, f"Sak {number}", days_ago=number % 5)
            if number % 3 == 0:
                Thread.objects.filter(pk=thread.pk).update(assigned_to=clinic["admin"])

    threads(3)
    receptionist.get(RECEPTION)
    few = _count_queries(receptionist, RECEPTION)
    threads(27)
    many = _count_queries(receptionist, RECEPTION)
    assert few == many
    assert len(rows(receptionist.get(RECEPTION))) == 25  # a page
    assert _count_queries(receptionist, RECEPTION + "?vis=alle&side=2") == many

    kari = clinic["kari"]
    thread = start(kari, "Lang samtale")
    services.reply(actor=_actor(clinic["receptionist"]), thread_id=thread.pk, body="Svar")
    _add_attachment(write(kari, thread))
    receptionist.get(thread_url(thread))
    few = _count_queries(receptionist, thread_url(thread))
    for number in range(27):
        message = write(kari, thread, f"Melding {number}")
        if number % 4 == 0:
            _add_attachment(message)
        if number % 5 == 0:
            services.reply(actor=_actor(clinic["receptionist"]), thread_id=thread.pk, body=f"Svar {number}")
    assert thread.messages.count() >= 30
    many = _count_queries(receptionist, thread_url(thread))
    assert few == many


def _actor(user):
    return system_actor(user=user)


# Attachments


def test_staff_download_an_attachment_of_a_thread_they_read_and_it_is_audited(clinic):
    thread = start(clinic["kari"])
    message = thread.messages.get()
    _add_attachment(message)
    attachment = message.attachments.get()
    receptionist = client_for(clinic["receptionist"])
    html = receptionist.get(thread_url(thread)).content.decode()
    url = f"/personale/meldinger/vedlegg/{attachment.public_id}/"
    assert f'href="{url}">bilde.png</a>' in html
    response = receptionist.get(url)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="staff_viewed_attachment")
    assert event.subject_national_id == clinic["kari"].national_id
    Thread.objects.filter(pk=thread.pk).update(practitioner=clinic["other_gp"])
    assert receptionist.get(url).status_code == 404
    assert receptionist.get(f"/personale/meldinger/vedlegg/{uuid.uuid4()}/").status_code == 404


# Hostile input


def test_a_reply_with_markup_is_shown_as_text(clinic):
    thread = start(clinic["kari"], "<b>Emne</b>", "<img src=x onerror=alert(1)>")
    receptionist = client_for(clinic["receptionist"])
    receptionist.post(thread_url(thread), {"body": "<script>alert(1)</script>", "submit_id": str(uuid.uuid4())})
    assert thread.messages.filter(author_role=Message.Role.STAFF).get().body == "<script>alert(1)</script>"
    html = receptionist.get(thread_url(thread)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "&lt;b&gt;Emne&lt;/b&gt;" in html and "<b>Emne</b>" not in html
    inbox = receptionist.get(RECEPTION + "?vis=alle").content.decode()
    assert "&lt;b&gt;Emne&lt;/b&gt;" in inbox and "<b>Emne</b>" not in inbox


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Skriv en melding."),
        ("   \n ", "Skriv en melding."),
        ("x" * (settings.EPORTAL_MESSAGE_MAX_CHARS + 1), "Teksten er %(length)d tegn lang; maks %(limit)d er tillatt."),
        ("Hei\x00du", "Null-tegn er ikke tillatt."),
        ("Hei\x07du", "Teksten inneholder tegn som ikke er tillatt."),
    ],
)
def test_an_empty_or_overlong_reply_gets_a_norwegian_message_and_stores_nothing(clinic, body, message):
    thread = start(clinic["kari"])
    receptionist = client_for(clinic["receptionist"])
    response = receptionist.post(thread_url(thread), {"body": body, "submit_id": str(uuid.uuid4())})
    assert response.status_code == 400
    expected = message % {"length": len(body), "limit": settings.EPORTAL_MESSAGE_MAX_CHARS}
    assert expected in response.content.decode()
    assert not thread.messages.filter(author_role=Message.Role.STAFF).exists()
    thread.refresh_from_db()
    assert thread.waiting_since is not None


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("tildel", {"user": "abc"}, "Velg en fra personalet, eller ingen."),
        ("tildel", {"user": "999999"}, "Velg en fra personalet, eller ingen."),
        ("tildel", {"user": "1 OR 1=1"}, "Velg en fra personalet, eller ingen."),
        ("videresend", {"inbox": "999999"}, "Velg innboksen du vil videresende til."),
        ("videresend", {"inbox": "<script>"}, "Velg innboksen du vil videresende til."),
        ("videresend", {}, "Feltet er påkrevet."),
    ],
)
def test_bad_values_in_assign_and_forward_change_nothing(clinic, action, data, message):
    thread = start(clinic["kari"])
    receptionist = client_for(clinic["receptionist"])
    response = receptionist.post(f"{thread_url(thread)}{action}/", data, follow=True)
    assert response.status_code == 200 and message in flashed(response)
    thread.refresh_from_db()
    assert thread.assigned_to is None and thread.practitioner is None
    assert not AuditEvent.objects.filter(action__in=["thread_assigned", "thread_forwarded"]).exists()


def test_a_staff_user_who_is_not_active_cannot_be_assigned(clinic):
    thread = start(clinic["kari"])
    gone = make_staff("sluttet", is_active=False)
    receptionist = client_for(clinic["receptionist"])
    assert f'value="{gone.pk}"' not in receptionist.get(thread_url(thread)).content.decode()
    response = receptionist.post(f"{thread_url(thread)}tildel/", {"user": gone.pk}, follow=True)
    assert "Velg en fra personalet, eller ingen." in flashed(response)
    thread.refresh_from_db()
    assert thread.assigned_to is None


def test_unknown_or_absurd_thread_ids_are_a_404(clinic):
    receptionist = client_for(clinic["receptionist"])
    assert receptionist.get("/personale/meldinger/samtale/987654/").status_code == 404
    assert receptionist.get("/personale/meldinger/samtale/99999999999999999999999/").status_code == 404
    assert receptionist.post("/personale/meldinger/samtale/987654/ferdig/").status_code == 404
    assert receptionist.post("/personale/meldinger/samtale/987654/", {"body": "Hei"}).status_code == 404


# The admin


def test_the_admin_lists_threads_without_their_subject_or_text(clinic):
    thread = start(clinic["kari"], "Hemmelig emne", "Hemmelig tekst")
    ReplyTemplate.objects.create(title="Timebekreftelse", text="Velkommen til timen.")
    superuser = make_staff("sjef", is_superuser=True)
    admin = client_for(superuser)
    response = admin.get("/personale/admin/messaging/thread/")
    html = response.content.decode()
    assert response.status_code == 200 and f"/personale/admin/messaging/thread/{thread.pk}/change/" in html
    assert "Hemmelig" not in html and "Kari" not in html
    detail = admin.get(f"/personale/admin/messaging/thread/{thread.pk}/change/").content.decode()
    assert "Hemmelig" not in detail and "Kari" not in detail
    assert admin.get("/personale/admin/messaging/thread/add/").status_code == 403
    templates = admin.get("/personale/admin/messaging/replytemplate/").content.decode()
    assert "Timebekreftelse" in templates


# The staff side of the access matrix


def _staff_message_routes() -> list[str]:
    return sorted(r for r in set(url_routes()) if r.startswith("personale/meldinger/") and ID_PATTERN.search(r))


@pytest.mark.parametrize("who", ["receptionist", "gp_user", "other_gp_user", "no_permission"])
def test_every_staff_message_address_refuses_a_thread_outside_the_readers_inboxes(clinic, who):
    """Each staff role, with the ids of a thread (and its attachment) in an inbox it does not read: 404 or 403,
    nothing shown or changed, and the refusal audited."""
    readers = {
        "receptionist": (clinic["receptionist"], clinic["gp"]),  # a thread in Ingrid's inbox
        "gp_user": (clinic["gp_user"], None),  # a thread in reception's
        "other_gp_user": (clinic["other_gp"].user, clinic["gp"]),  # a thread in Ingrid's
        "no_permission": (make_staff("uten", first_name="Ulf"), None),
    }
    user, inbox = readers[who]
    message = services.start_thread(
        grant=grant_for(clinic["per"], Capability.MESSAGES), kind="reception", subject="Pers privatsak",
        body="Pers hemmelighet", uploads=[factories.photo("per.jpg")],
    )  # fmt: skip
    Thread.objects.filter(pk=message.thread_id).update(practitioner=inbox)
    ids = {"thread_id": message.thread_id, "public_id": message.attachments.get().public_id}
    state = lambda: (  # noqa: E731
        list(Thread.objects.values_list("practitioner_id", "assigned_to_id", "waiting_since", "closed_at")),
        list(Message.objects.values_list("pk", "read_by_clinic_at")),
    )
    before = state()
    client = client_for(user)
    routes = _staff_message_routes()
    assert {name for route in routes for name in ID_PATTERN.findall(route)} == {"thread_id", "public_id"}
    for route in routes:
        (name,) = ID_PATTERN.findall(route)
        url = "/" + ID_PATTERN.sub(str(ids[name]), route)
        for response in (client.get(url), client.post(url, {"body": "Svar", "inbox": "resepsjon", "user": user.pk})):
            assert response.status_code in (403, 404, 405), (url, response.status_code)
            shown = response.content.decode(errors="replace")
            for secret in ("privatsak", "hemmelighet", clinic["per"].full_name, clinic["per"].national_id):
                assert secret not in shown, (url, secret)
    assert state() == before
    if who != "no_permission":
        assert AuditEvent.objects.filter(action="access_refused", actor=f"staff:{user.pk}").exists()
