"""«Meldinger»: a patient writes to the clinic, reads the answers, and is told of them without their content;
a guardian writes for a young child; hostile and overlong texts and double submits."""

import dataclasses
import datetime
import io
import logging
import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import multipartparser
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult
from PIL import Image

from eportal.accounts.models import User
from eportal.audit.models import AuditEvent
from eportal.clinic.models import Guardianship
from eportal.clinic.working_days import add_working_days
from eportal.core.actor import HIGH, system_actor
from eportal.messaging import notices, services
from eportal.messaging.errors import MessagingError
from eportal.messaging.models import Attachment, Message, Thread
from eportal.notifications import backends
from eportal.notifications.models import QueuedMessage
from eportal.representation.policy import Capability, grant
from eportal.representation.recipients import recipients_for
from tests import factories
from tests.accounts_fixtures import act_for
from tests.factories import grant_for, photo
from tests.helpers import run_tasks
from tests.hostile_files import DRAWING, PAGE, PAGES, pdf, png_header_only, stream

NEW = "/meldinger/ny/"


def new_message(client, **fields):
    data = {"kind": "reception", "subject": "Sykmelding", "body": "Kan jeg få forlenget sykmeldingen?", **fields}
    return client.post(NEW, data)


def thread_url(thread) -> str:
    return f"/meldinger/{thread.pk}/"


def staff_actor(username="resepsjon"):
    user = User.objects.create_user(
        username, is_staff=True, is_superuser=True, first_name="Rita", last_name="Resepsjon"
    )
    return system_actor(user=user)


def test_the_page_tells_of_urgent_help_the_answer_day_and_the_limit(logged_in):
    page = logged_in.get(NEW).content.decode()
    assert "113" in page and "116 117" in page
    answer_by = add_working_days(timezone.localdate(), 3)
    assert f"Legekontoret svarer vanligvis innen 3 virkedager (innen {date_format(answer_by, 'l j. F')})" in page
    assert "Maks 5000 tegn." in page
    assert '<label for="id_subject">Emne</label>' in page
    assert "Melding til legekontoret" in page


def test_a_patient_writes_to_the_clinic_and_sees_the_thread(logged_in, family):
    response = new_message(logged_in)
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == thread_url(thread)
    assert thread.patient == family["kari"] and thread.practitioner is None and thread.waiting_since
    page = logged_in.get(thread_url(thread)).content.decode()
    assert "Kan jeg få forlenget sykmeldingen?" in page
    assert "Kari Nordmann" in page and "Ikke lest av legekontoret ennå" in page
    listing = logged_in.get("/meldinger/").content.decode()
    assert "Sykmelding" in listing
    assert AuditEvent.objects.filter(action="message_sent", subject_national_id=family["kari"].national_id).exists()


def test_texts_are_encrypted_at_rest(logged_in):
    new_message(logged_in, subject="Hemmelig emne", body="Hemmelig innhold")
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject_sealed FROM messaging_thread")
        subject = cursor.fetchone()[0]
        cursor.execute("SELECT body_sealed FROM messaging_message")
        body = cursor.fetchone()[0]
    assert subject.startswith("demo:") and body.startswith("demo:")
    assert "Hemmelig" not in subject + body


def test_the_patient_sees_the_clinic_read_it_and_the_answer_with_its_writer(logged_in, family):
    new_message(logged_in)
    thread = Thread.objects.get()
    staff = staff_actor()
    services.open_for_staff(actor=staff, thread_id=thread.pk)
    services.reply(actor=staff, thread_id=thread.pk, body="Ja, kom innom i morgen.")
    page = logged_in.get(thread_url(thread)).content.decode()
    assert "Lest av legekontoret" in page
    assert "Ja, kom innom i morgen." in page and "Rita Resepsjon" in page
    assert Message.objects.filter(author_role="staff").get().read_by_patient_at is not None


def test_unread_answers_are_counted_in_the_list_newest_thread_first(logged_in):
    new_message(logged_in, subject="Første")
    new_message(logged_in, subject="Andre")
    first, second = Thread.objects.order_by("pk")
    staff = staff_actor()
    services.reply(actor=staff, thread_id=first.pk, body="Svar en")
    services.reply(actor=staff, thread_id=first.pk, body="Svar to")
    listing = logged_in.get("/meldinger/").content.decode()
    assert listing.index("Første") < listing.index("Andre")  # the answered one moved to the top
    assert "2 uleste" in listing


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_answers_close_together_give_one_notice_without_their_text(logged_in, family):
    new_message(logged_in)
    thread = Thread.objects.get()
    backends.sms_outbox.clear()
    mail.outbox.clear()
    staff = staff_actor()
    services.reply(actor=staff, thread_id=thread.pk, body="Prøvesvaret er normalt.")
    services.reply(actor=staff, thread_id=thread.pk, body="Ring oss om du lurer på noe.")
    run_tasks()
    texts = [sms["text"] for sms in backends.sms_outbox] + [m.body for m in mail.outbox]
    assert len(backends.sms_outbox) == 1 and len(mail.outbox) == 1
    assert all("Du har en ny melding fra Gjerdrum legesenter" in text for text in texts)
    assert not any("Prøvesvaret" in text or "Ring oss" in text for text in texts)
    # A later answer, after the notice went, is told again.
    services.reply(actor=staff, thread_id=thread.pk, body="Et svar til.")
    run_tasks()
    assert len(backends.sms_outbox) == 2


def test_the_notice_waits_for_the_delay_and_is_skipped_if_already_read(logged_in):
    new_message(logged_in)
    thread = Thread.objects.get()
    backends.sms_outbox.clear()
    services.reply(actor=staff_actor(), thread_id=thread.pk, body="Svar")
    run_tasks()
    assert backends.sms_outbox == []  # five minutes have not passed
    logged_in.get(thread_url(thread))  # read before the notice was due
    DBTaskResult.objects.update(run_after=timezone.now() - datetime.timedelta(seconds=1))
    run_tasks()
    assert backends.sms_outbox == []


def test_a_closed_thread_takes_no_reply_and_offers_a_new_message(logged_in):
    new_message(logged_in)
    thread = Thread.objects.get()
    services.reply(actor=staff_actor(), thread_id=thread.pk, body="Ferdig fra oss.", close=True)
    page = logged_in.get(thread_url(thread)).content.decode()
    assert "Legekontoret har avsluttet denne samtalen" in page and 'name="body"' not in page
    response = logged_in.post(thread_url(thread), {"body": "Men jeg har et spørsmål til"})
    assert Message.objects.count() == 2
    assert response.status_code == 400
    assert "Legekontoret har avsluttet denne samtalen. Skriv en ny melding i stedet." in response.content.decode()


def test_the_patient_replies_in_an_open_thread(logged_in):
    new_message(logged_in)
    thread = Thread.objects.get()
    services.reply(actor=staff_actor(), thread_id=thread.pk, body="Hvilken dato?")
    response = logged_in.post(thread_url(thread), {"body": "Fra mandag."})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.waiting_since is not None
    assert [m.body for m in thread.messages.order_by("pk")][-1] == "Fra mandag."


def test_a_double_submit_stores_one_message(logged_in):
    form = logged_in.get(NEW).content.decode()
    submit_id = re.search(r'name="submit_id" value="([^"]+)"', form).group(1)
    first = new_message(logged_in, submit_id=submit_id)
    second = new_message(logged_in, submit_id=submit_id)
    assert Message.objects.count() == 1 and Thread.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"body": ""}, "Skriv en melding."),
        ({"body": "   \n  "}, "Skriv en melding."),
        ({"subject": ""}, "Skriv et emne."),
        ({"body": "x" * 5001}, "Teksten er 5001 tegn lang; maks 5000 er tillatt."),
        ({"body": "hei\x00du"}, "Null-tegn er ikke tillatt."),
        ({"body": "hei\x07du"}, "Teksten inneholder tegn som ikke er tillatt."),
        ({"kind": "ekonsultasjon"}, "Velg et gyldig valg"),
    ],
)
def test_bad_texts_are_refused_with_a_message_and_nothing_stored(logged_in, fields, expected):
    response = new_message(logged_in, **fields)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Thread.objects.count() == 0 and Message.objects.count() == 0


def test_hostile_text_is_shown_as_text_and_direction_overrides_removed(logged_in):
    body = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil\u202c'
    new_message(logged_in, body=body)
    thread = Thread.objects.get()
    assert thread.messages.get().body == '<script>alert("x")</script><img src=x onerror=alert(1)> evil'
    page = logged_in.get(thread_url(thread)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page and "\u202e" not in page


def test_a_photo_goes_with_the_message_and_comes_back_only_as_a_download(logged_in):
    response = logged_in.post(
        NEW, {"kind": "reception", "subject": "Utslett", "body": "Se bildet.", "attachments": [photo()]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg" and attachment.data_sealed.startswith("demo:")
    page = logged_in.get(response["Location"]).content.decode()
    link = re.search(r'href="(/meldinger/vedlegg/[^"]+)"', page).group(1)
    download = logged_in.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert Image.open(io.BytesIO(download.content)).size == (64, 48)


def test_a_refused_file_stores_nothing_of_the_message(logged_in):
    fake = SimpleUploadedFile("bilde.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    response = logged_in.post(
        NEW, {"kind": "reception", "subject": "Bilde", "body": "Se vedlegg", "attachments": [photo(), fake]}
    )
    assert response.status_code == 400
    assert "JPG eller PNG" in response.content.decode()
    assert Thread.objects.count() == 0 and Attachment.objects.count() == 0


@override_settings(EPORTAL_ATTACHMENT_MAX_COUNT=2)
def test_too_many_files_are_refused(logged_in):
    response = logged_in.post(
        NEW,
        {"kind": "reception", "subject": "Bilder", "body": "Tre bilder", "attachments": [photo(), photo(), photo()]},
    )
    assert response.status_code == 400 and Thread.objects.count() == 0


def test_a_guardian_writes_for_a_young_child_and_is_named_as_guardian(logged_in, family):
    act_for(logged_in, family["emma"].pk)
    new_message(logged_in, body="Emma har feber.")
    thread = Thread.objects.get()
    assert thread.patient == family["emma"]
    message = thread.messages.get()
    assert message.author_role == "guardian" and message.author_name == "Kari Nordmann"
    page = logged_in.get(thread_url(thread)).content.decode()
    assert "Kari Nordmann</strong> (foresatt)" in page


def test_a_guardian_of_a_child_aged_12_to_15_cannot_read_the_childs_messages(logged_in, family):
    teen = factories.list_patient(
        family["gp"], national_id=factories.national_id(factories.born_years_ago(14)), first_name="Nora"
    )
    Guardianship.objects.create(
        child=teen, guardian_national_id=family["kari"].national_id, guardian_mobile=family["kari"].mobile
    )
    teen_user = User.objects.create_user(teen.national_id, national_id=teen.national_id)
    with_bankid = dataclasses.replace(system_actor(user=teen_user), level=HIGH)  # the young person themselves
    thread = services.start_thread(
        grant=grant(with_bankid, Capability.MESSAGES), kind="reception", subject="Privat", body="Bare for meg"
    ).thread
    act_for(logged_in, teen.pk)
    assert logged_in.get("/meldinger/").status_code == 403
    response = logged_in.get(thread_url(thread))
    assert response.status_code == 403 and "Bare for meg" not in response.content.decode()


def test_another_patients_thread_and_attachment_are_not_found(logged_in, family):
    stranger = factories.list_patient(family["gp"], first_name="Per", last_name="Fremmed")
    message = services.start_thread(
        grant=grant_for(stranger, Capability.MESSAGES), kind="reception", subject="Hans emne", body="Hans tekst",
        uploads=[photo()],
    )  # fmt: skip
    attachment = message.attachments.get()
    for url in (thread_url(message.thread), f"/meldinger/vedlegg/{attachment.public_id}/"):
        response = logged_in.get(url)
        assert response.status_code == 404
        assert "Hans" not in response.content.decode()
    response = logged_in.post(thread_url(message.thread), {"body": "Jeg skriver i hans tråd"})
    assert response.status_code == 404 and Message.objects.count() == 1


def test_the_service_refuses_a_reply_in_a_closed_thread(family):
    message = services.start_thread(
        grant=grant_for(family["kari"], Capability.MESSAGES), kind="reception", subject="Emne", body="Tekst"
    )
    staff = staff_actor()
    services.set_closed(actor=staff, thread_id=message.thread_id, closed=True)
    with pytest.raises(MessagingError) as refused:
        services.write(grant=grant_for(family["kari"], Capability.MESSAGES), thread_id=message.thread_id, body="Til")
    assert refused.value.code == "thread_closed"


def test_the_thread_page_takes_the_same_queries_for_many_messages(logged_in):
    new_message(logged_in)
    thread = Thread.objects.get()
    staff = staff_actor()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(thread_url(thread)).status_code == 200
        return len(queries)

    services.reply(actor=staff, thread_id=thread.pk, body="Svar")
    few = count()
    for number in range(12):
        services.reply(actor=staff, thread_id=thread.pk, body=f"Svar {number}")
        services.write(grant=grant_for(thread.patient, Capability.MESSAGES), thread_id=thread.pk, body=f"Spm {number}",
                       uploads=[photo()])  # fmt: skip
    assert count() == few


def test_the_thread_list_takes_the_same_queries_for_many_threads(logged_in):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get("/meldinger/").status_code == 200
        return len(queries)

    new_message(logged_in)
    few = count()
    for number in range(20):
        new_message(logged_in, subject=f"Emne {number}")
    assert count() == few


@override_settings(EPORTAL_MAX_REQUEST_BYTES=1024 * 1024)
def test_a_request_too_large_for_any_message_is_refused_before_anything_reads_it(logged_in, monkeypatch):
    """Before CSRF's check too, which would otherwise parse the whole upload to a temporary file (found in review)."""
    logged_in.handler.enforce_csrf_checks = True
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logged_in.get(NEW).content.decode()).group(1)
    parsed = []
    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", lambda self: parsed.append(self) or 1 / 0)
    big = SimpleUploadedFile("stor.jpg", b"\xff\xd8" + b"0" * (3 * 1024 * 1024), content_type="image/jpeg")
    response = logged_in.post(
        NEW, {"csrfmiddlewaretoken": token, "kind": "reception", "subject": "Stor", "body": "Se", "attachments": [big]}
    )
    assert response.status_code == 413
    assert "Det du sendte er for stort: maks 1 MB til sammen." in response.content.decode()
    assert parsed == [] and Thread.objects.count() == 0


@override_settings(EPORTAL_SMS_BACKEND="eportal.notifications.backends.UnconfiguredSmsBackend",
                   EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)  # fmt: skip
def test_a_failing_sms_gateway_delays_the_notice_never_the_answer(logged_in):
    new_message(logged_in)
    thread = Thread.objects.get()
    services.reply(actor=staff_actor(), thread_id=thread.pk, body="Svaret kommer fram.")
    run_tasks()
    assert "Svaret kommer fram." in logged_in.get(thread_url(thread)).content.decode()
    # The notice waits to be tried again; the job that tried keeps nothing, the next one only the notice's id.
    notice = QueuedMessage.objects.get()
    assert (notice.status, notice.attempts, notice.last_error) == ("waiting", 1, "no SMS gateway configured")
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    finished = DBTaskResult.objects.filter(status="SUCCESSFUL", task_path__endswith="send_message_task")
    assert finished and all(job.args_kwargs == {"args": [], "kwargs": {}} for job in finished)
    waiting = DBTaskResult.objects.get(status="READY")
    assert (
        waiting.args_kwargs == {"args": [], "kwargs": {"message_id": notice.pk}}
        and waiting.run_after > notice.created_at
    )
    assert "Svaret" not in str(list(DBTaskResult.objects.values_list("args_kwargs", "traceback")))


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_no_message_text_reaches_the_logs_or_the_job_table(logged_in, caplog):
    caplog.set_level(logging.DEBUG)
    new_message(logged_in, subject="Emne-7f3a", body="Innhold-9c2e")
    thread = Thread.objects.get()
    services.open_for_staff(actor=staff_actor(), thread_id=thread.pk)
    services.reply(actor=staff_actor("lege"), thread_id=thread.pk, body="Svar-4b1d")
    run_tasks()
    logged_in.get(thread_url(thread))
    jobs = str(list(DBTaskResult.objects.values_list("args_kwargs", "return_value", "exception_class_path")))
    audit = str(list(AuditEvent.objects.values_list("details", flat=True)))
    for secret in ("Emne-7f3a", "Innhold-9c2e", "Svar-4b1d"):
        assert secret not in caplog.text and secret not in jobs and secret not in audit


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_a_guardian_is_told_of_an_answer_about_a_young_child_by_the_childs_first_name(logged_in, family):
    act_for(logged_in, family["emma"].pk)
    new_message(logged_in, body="Emma har feber.")
    thread = Thread.objects.get()
    backends.sms_outbox.clear()
    services.reply(actor=staff_actor(), thread_id=thread.pk, body="Gi henne paracet.")
    run_tasks()
    assert [sms["to"] for sms in backends.sms_outbox] == [family["kari"].mobile]
    assert backends.sms_outbox[0]["text"].startswith("Du har en ny melding fra Gjerdrum legesenter om Emma.")
    assert "paracet" not in backends.sms_outbox[0]["text"]


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_a_young_persons_own_user_with_a_guardians_mobile_is_not_told_of_their_messages(family):
    teen = factories.list_patient(
        family["gp"], national_id=factories.national_id(factories.born_years_ago(14)), first_name="Nora",
        mobile=family["kari"].mobile,
    )  # fmt: skip
    Guardianship.objects.create(
        child=teen, guardian_national_id=family["kari"].national_id, guardian_mobile=family["kari"].mobile
    )
    teen_user = User.objects.create_user(teen.national_id, national_id=teen.national_id, email="nora@example.com")
    with_bankid = dataclasses.replace(system_actor(user=teen_user), level=HIGH)
    message = services.start_thread(
        grant=grant(with_bankid, Capability.MESSAGES), kind="reception", subject="Privat", body="Bare for meg"
    )
    backends.sms_outbox.clear()
    mail.outbox.clear()
    services.reply(actor=staff_actor(), thread_id=message.thread_id, body="Svar til Nora")
    run_tasks()
    assert backends.sms_outbox == [] and mail.outbox == []  # Kari's mobile must not learn of Nora's messages


SCRIPTED_PDF = pdf(
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>", PAGES, PAGE, stream(b"", DRAWING),
    b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("program.jpg", b"MZ\x90\x00\x03" + b"\x00" * 300, "«program.jpg» er ikke et bilde eller en PDF"),
        ("bilde.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "er ikke et bilde"),
        ("brev.pdf", SCRIPTED_PDF, "inneholder skript"),
        ("bombe.png", png_header_only(30000, 30000), "har for mange piksler"),
        ("tom.jpg", b"", "er tom"),
    ],
    ids=["exe-as-jpg", "svg-with-script", "pdf-with-javascript", "decompression-bomb", "empty"],
)
def test_a_hostile_file_is_refused_on_the_page_and_nothing_is_stored(logged_in, name, data, expected):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = logged_in.post(
        NEW, {"kind": "reception", "subject": "Vedlegg", "body": "Se vedlegget", "attachments": [upload]}
    )
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Thread.objects.count() == 0 and Message.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_message_written_for_one_person_is_not_filed_under_another_chosen_meanwhile(logged_in, family):
    """Kari opens «Ny melding» for herself, chooses Emma in another tab, then sends: refused, not filed in Emma's
    record where Emma's other guardian could read it (found in review)."""
    form = logged_in.get(NEW).content.decode()
    written_for = re.search(r'name="for_patient" value="(\d+)"', form).group(1)
    assert written_for == str(family["kari"].pk)
    act_for(logged_in, family["emma"].pk)
    response = new_message(logged_in, for_patient=written_for, body="Mitt eget spørsmål")
    assert response.status_code == 400
    assert "Du har valgt en annen person" in response.content.decode()
    assert Thread.objects.count() == 0


@override_settings(EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES=0)
def test_a_lost_notice_job_does_not_silence_the_thread(logged_in, monkeypatch):
    new_message(logged_in)
    thread = Thread.objects.get()
    backends.sms_outbox.clear()
    staff = staff_actor()
    monkeypatch.setattr(notices, "new_answer", lambda thread: 1 / 0)  # the worker fails on the first notice
    services.reply(actor=staff, thread_id=thread.pk, body="Svar en")
    run_tasks()
    monkeypatch.undo()
    Thread.objects.filter(pk=thread.pk).update(notice_due_since=timezone.now() - datetime.timedelta(hours=1))
    services.reply(actor=staff, thread_id=thread.pk, body="Svar to")
    run_tasks()
    assert len(backends.sms_outbox) == 1


def test_a_staff_reply_reusing_another_threads_form_id_is_refused_not_a_500(logged_in):
    new_message(logged_in, subject="En")
    new_message(logged_in, subject="To")
    first, second = Thread.objects.order_by("pk")
    staff = staff_actor()
    used = services.reply(actor=staff, thread_id=first.pk, body="Svar", submit_id=str(uuid.uuid4()))
    with pytest.raises(MessagingError) as refused:
        services.reply(actor=staff, thread_id=second.pk, body="Svar", submit_id=str(used.submit_id))
    assert refused.value.code == "submit_reused"


def test_a_patient_off_the_list_is_still_told_of_their_own_matters(family, kari_account):
    """recipients_for keeps telling a patient whose time on the list has ended (an appointment the clinic cancels);
    only a child's own user is held to what a guardian may see (found in review)."""
    kari = family["kari"]
    kari.on_list_to = timezone.localdate()
    kari.save()
    assert [recipient.user for recipient in recipients_for(kari)] == [kari_account]
    assert [recipient.user for recipient in recipients_for(kari, capability=Capability.MESSAGES)] == [kari_account]
