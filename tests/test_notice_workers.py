"""Two `eportal worker` processes, an SMS gateway that refuses requests and now and then answers too
late (refusing 40 % at random: a fixed every-other refusal starves two notices retried in step), and a mail
server that refuses its first connections: every notice arrives, and arrives once."""

import time

import pytest
from django.contrib.auth import get_user_model

from eportal.notifications.models import QueuedMessage, SmsLedgerEntry
from eportal.notifications.services import queue_email, queue_sms
from tests.notice_fakes import MailServer, SmsGateway
from tests.worker_process import output, workers

NOTICES = 20


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_every_notice_exactly_once_through_failures():
    people = [get_user_model().objects.create_user(f"pasient-{n}") for n in range(NOTICES)]
    for n, person in enumerate(people):
        queue_sms(to=f"+479200{n:04d}", text="Du har en ny melding i e-portalen.", user=person)
        queue_email(to=f"pasient{n}@example.no", subject="Ny melding", body="Logg inn for å lese den.")
    with (
        SmsGateway(refuse_share=0.4, slow_every=5, slow_seconds=1.5) as gateway,
        MailServer(refuse_first=6) as mail_server,
    ):
        env = {
            "EPORTAL_SMS_BACKEND": "eportal.notifications.backends.HttpSmsBackend",
            "EPORTAL_SMS_HTTP_URL": gateway.url,
            "EPORTAL_SMS_HTTP_TIMEOUT_SECONDS": "0.5",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_server.port),
            "EPORTAL_NOTICE_RETRY_SECONDS": "1",
        }
        with workers(2, "--no-schedule", env=env) as processes:
            deadline = time.monotonic() + 120
            while QueuedMessage.objects.exists() and time.monotonic() < deadline:
                time.sleep(0.3)
            left = list(QueuedMessage.objects.values_list("channel", "status", "attempts", "last_error"))
        logs = "\n".join(output(process)[-2000:] for process in processes)
        assert left == [], logs
        # Both workers handed notices over.
        assert all("state=SUCCESSFUL" in output(process) for process in processes), logs
    assert sorted(message["to"] for message in gateway.sent.values()) == [f"+479200{n:04d}" for n in range(NOTICES)]
    assert gateway.requests > NOTICES and sum(gateway.repeats.values()) >= 1  # refused, and taken but late
    billed = SmsLedgerEntry.objects.filter(status="sent")
    assert sorted(str(entry.reference) for entry in billed) == sorted(gateway.sent)  # each billed once
    ids = [message["message_id"] for message in mail_server.messages]
    assert len(ids) == NOTICES and len(set(ids)) == NOTICES
    assert sorted(to for message in mail_server.messages for to in message["to"]) == sorted(
        f"pasient{n}@example.no" for n in range(NOTICES)
    )
