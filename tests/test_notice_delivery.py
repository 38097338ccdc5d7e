"""Notices are never lost and never sent twice (notifications.tasks): a gateway or mail server that refuses
or times out gets the notice again later, with the same reference, until it takes it; one that never does
leaves it for staff («Varsler som ikke kom fram»); what a worker that died mid-way left is reconciled."""

import datetime

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from eportal.accounts.services.account_mail import RESET, send_account_email
from eportal.notifications import backends
from eportal.notifications.models import QueuedMessage, SmsLedgerEntry
from eportal.notifications.services import queue_email, queue_sms
from eportal.notifications.tasks import retry_wait, sweep
from tests.helpers import make_staff, run_tasks, staff_login
from tests.notice_fakes import MailServer, SmsGateway

pytestmark = pytest.mark.django_db

SMS_TEXT = "Du har en ny melding i e-portalen."


@pytest.fixture
def staff_user():
    return make_staff("resepsjon", "change_queuedmessage")


@pytest.fixture
def gateway(settings):
    with SmsGateway() as gateway:
        settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.HttpSmsBackend"
        settings.EPORTAL_SMS_HTTP_URL = gateway.url
        settings.EPORTAL_SMS_HTTP_TIMEOUT_SECONDS = 0.3
        yield gateway


@pytest.fixture
def mail_server(settings):
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 2
        yield server


def time_passes() -> None:
    """Every waiting notice and its job is due now."""
    QueuedMessage.objects.filter(status="waiting").update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def deliver_everything(rounds: int = 40) -> int:
    """Run the worker's jobs, letting time pass between rounds, until no notice waits; the rounds it took."""
    for round_ in range(1, rounds + 1):
        run_tasks()
        if not QueuedMessage.objects.filter(status="waiting").exists():
            return round_
        time_passes()
    raise AssertionError("notices still waiting")


def users(django_user_model, count):
    return [django_user_model.objects.create_user(f"pasient-{n}") for n in range(count)]


def test_a_flaky_gateway_and_a_refusing_mail_server_get_every_notice_once(gateway, mail_server, django_user_model):
    gateway.refuse_every_other, gateway.slow_every, gateway.slow_seconds = True, 3, 0.8
    mail_server.refuse_first = 3
    people = users(django_user_model, 6)
    for n, person in enumerate(people):
        queue_sms(to=f"+479100{n:04d}", text=SMS_TEXT, user=person)
        queue_email(to=f"pasient{n}@example.no", subject="Ny melding", body="Logg inn for å lese den.")
    assert deliver_everything() > 1
    assert not QueuedMessage.objects.exists()
    # SMS: each notice's reference sent once; the gateway saw repeats of those it took but answered too late.
    assert sorted(message["to"] for message in gateway.sent.values()) == [f"+479100{n:04d}" for n in range(6)]
    assert sum(gateway.repeats.values()) >= 1 and gateway.requests > 12
    for reference in gateway.sent:
        attempts = SmsLedgerEntry.objects.filter(reference=reference)
        assert attempts.filter(status="sent").count() == 1  # billed once
        assert all(entry.price_nok == 0 for entry in attempts.exclude(status="sent"))
    # E-mail: six messages, six Message-IDs, none twice, after three refused connections.
    ids = [message["message_id"] for message in mail_server.messages]
    assert len(ids) == 6 and len(set(ids)) == 6 and None not in ids
    assert mail_server.connections > 6


def test_the_waits_grow_and_stop_growing_at_half_an_hour(settings):
    settings.EPORTAL_NOTICE_RETRY_SECONDS = 30
    waits = [retry_wait(attempts).total_seconds() for attempts in range(1, 10)]
    assert waits[:4] == [30, 60, 120, 240] and waits[-1] == 1800 and waits == sorted(waits)


@override_settings(EPORTAL_NOTICE_GIVE_UP_HOURS=24)
def test_a_notice_never_taken_is_left_for_staff_who_send_it_again(client, gateway, staff_user):
    gateway.always_refuse = True
    queue_sms(to="+4791000001", text=SMS_TEXT)
    run_tasks()
    notice = QueuedMessage.objects.get()
    assert (notice.status, notice.attempts, notice.last_error) == ("waiting", 1, "HTTP 503")
    QueuedMessage.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))  # a day of trying
    time_passes()
    run_tasks()
    notice.refresh_from_db()
    assert notice.status == "failed" and notice.gave_up_at is not None
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing tries it again by itself

    staff_login(client, staff_user)
    page = client.get("/personale/varsler/").content.decode()
    assert "Varsler som ikke kom fram" in page and "+4791000001" in page
    assert "SMS-leverandøren svarte med feil (HTTP 503)" in page
    assert "Send på nytt" in page and "Fjern" in page
    gateway.always_refuse = False
    response = client.post(f"/personale/varsler/{notice.pk}/send-igjen/", follow=True)
    assert "Varselet er lagt i kø igjen." in response.content.decode()
    run_tasks()
    assert [message["to"] for message in gateway.sent.values()] == ["+4791000001"]
    assert "Alle varsler har kommet fram" in client.get("/personale/varsler/").content.decode()
    # Twice is not once more: the notice is gone.
    response = client.post(f"/personale/varsler/{notice.pk}/send-igjen/", follow=True)
    assert "Varselet er ikke lenger på listen." in response.content.decode()


def test_staff_remove_an_undelivered_notice_and_others_may_not_see_the_page(client, gateway, staff_user, settings):
    queue_email(to="feil@adresse.invalid", subject="Ny melding", body="Logg inn.")
    QueuedMessage.objects.update(status="failed", gave_up_at=timezone.now(), last_error="e-mail: SMTPRecipientsRefused")
    staff_login(client, staff_user)
    page = client.get("/personale/varsler/").content.decode()
    assert "E-postserveren tok ikke imot (SMTPRecipientsRefused)" in page
    client.post(f"/personale/varsler/{QueuedMessage.objects.get().pk}/fjern/")
    assert not QueuedMessage.objects.exists()
    client.logout()
    assert client.get("/personale/varsler/").status_code == 302  # to the staff login


class DiesAfterTheGatewayTookIt(backends.HttpSmsBackend):
    """The worker's process ends just after the gateway took the SMS, before anything is written."""

    def send(self, *, to, text, reference=""):
        super().send(to=to, text=text, reference=reference)
        raise SystemExit(1)


def test_a_worker_that_died_after_the_gateway_took_the_sms_does_not_make_it_arrive_twice(gateway, settings):
    settings.EPORTAL_SMS_BACKEND = "tests.test_notice_delivery.DiesAfterTheGatewayTookIt"
    queue_sms(to="+4791000002", text=SMS_TEXT)
    run_tasks()  # the job dies with the worker
    notice = QueuedMessage.objects.get()
    assert notice.status == "sending" and SmsLedgerEntry.objects.get().status == "sending"
    assert sweep().startswith("0 notices found sent, 0 tried again")  # within the lease: still its worker's
    settings.EPORTAL_SMS_BACKEND = "eportal.notifications.backends.HttpSmsBackend"
    later = timezone.now() + datetime.timedelta(seconds=settings.EPORTAL_NOTICE_SENDING_LEASE_SECONDS + 1)
    assert "1 tried again after a worker stopped" in sweep(later)
    run_tasks()
    assert not QueuedMessage.objects.exists()
    assert len(gateway.sent) == 1 and gateway.repeats[str(notice.reference)] == 1  # asked twice, sent once
    ledger = SmsLedgerEntry.objects.order_by("pk")
    assert [(entry.status, entry.price_nok) for entry in ledger] == [("failed", 0), ("sent", 1)]


def test_a_worker_that_died_after_recording_the_sms_as_sent_is_not_sent_again(gateway, monkeypatch, settings):
    queue_sms(to="+4791000003", text=SMS_TEXT)
    monkeypatch.setattr(QueuedMessage, "delete", lambda self: (_ for _ in ()).throw(SystemExit(1)))
    run_tasks()
    monkeypatch.undo()
    assert QueuedMessage.objects.get().status == "sending" and SmsLedgerEntry.objects.get().status == "sent"
    later = timezone.now() + datetime.timedelta(seconds=settings.EPORTAL_NOTICE_SENDING_LEASE_SECONDS + 1)
    assert sweep(later).startswith("1 notices found sent")
    assert not QueuedMessage.objects.exists() and gateway.requests == 1


def test_a_notice_whose_job_was_lost_is_queued_again_once(gateway):
    queue_sms(to="+4791000004", text=SMS_TEXT)
    DBTaskResult.objects.all().delete()  # the worker holding its job died; the job row is gone
    later = timezone.now() + datetime.timedelta(minutes=3)
    assert "1 queued again" in sweep(later)
    assert "0 queued again" in sweep(later)  # its job waits now: not queued twice
    run_tasks()
    assert [message["to"] for message in gateway.sent.values()] == ["+4791000004"]


def test_old_undelivered_notices_are_deleted(gateway):
    queue_sms(to="+4791000005", text=SMS_TEXT)
    QueuedMessage.objects.update(status="failed", gave_up_at=timezone.now() - datetime.timedelta(days=31))
    assert "1 old undelivered notices deleted" in sweep()
    assert not QueuedMessage.objects.exists()


def test_an_account_email_the_mail_server_refused_is_sent_later_once(mail_server, django_user_model):
    mail_server.refuse_first = 2
    user = django_user_model.objects.create_user("kari", email="kari@example.no", is_active=True)
    send_account_email.enqueue(kind=RESET, user_id=user.pk)
    deliver_account_mail = 0
    while not mail_server.messages and deliver_account_mail < 5:
        run_tasks()
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        deliver_account_mail += 1
    assert [message["to"] for message in mail_server.messages] == [["kari@example.no"]]
    assert mail.outbox == []  # through the mail server, not the test outbox
