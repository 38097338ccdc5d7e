"""Handing notices over, run by `eportal worker`: every notice is tried until the gateway or mail server takes it,
and is taken once.

A notice is a QueuedMessage row, written in the transaction of what it tells about. Its job (send_message_task)
calls deliver(), which claims the row by one conditional UPDATE (waiting and due → being handed over, attempts + 1),
so two workers never hand over the same notice at once; the attempt is recorded before the gateway is called.
Handed over, the row is deleted. Refused or timed out, it waits EPORTAL_NOTICE_RETRY_SECONDS, doubled on each
attempt up to half an hour (and up to a quarter more at random), and a new job is queued for then; past
EPORTAL_NOTICE_GIVE_UP_HOURS since it was queued it is kept as not delivered, for staff.

sweep() (the worker's «notices» job, every minute) reconciles what a worker that died left behind:
- a notice being handed over for longer than EPORTAL_NOTICE_SENDING_LEASE_SECONDS: if the SMS ledger has it
  as sent (the worker died after the gateway took it), it is done and deleted; otherwise it is tried again
  with the same reference, which a deduplicating gateway sends once (an e-mail keeps its Message-ID);
- a waiting notice well past its time with no job left to try it (a worker died holding the job): queued again;
- not-delivered notices older than 30 days: deleted (the text and address are kept no longer than needed).
"""

import datetime
import logging
import random

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .backends import SmsNotSent
from .models import Channel, QueuedMessage, SmsLedgerEntry
from .sms import send_sms

logger = logging.getLogger(__name__)

LONGEST_WAIT = datetime.timedelta(minutes=30)
LOST_AFTER = datetime.timedelta(minutes=2)  # due this long without being tried: its job is gone
KEEP_NOT_DELIVERED = datetime.timedelta(days=30)


class NotDelivered(Exception):
    """A notice the gateway or mail server did not take. It names only the kind of failure: a mail server's
    own error may quote the recipient, and the kind is kept on the notice for staff."""


@task()
def send_message_task(*, message_id: int) -> str:
    """Hand one queued notice over (never a login code: those go at once); refused, it is tried again later."""
    return deliver(message_id)


def deliver(message_id: int) -> str:
    """Try to hand one notice over now, if it is waiting and due; what happened, for the job's log."""
    now = timezone.now()
    claimed = QueuedMessage.objects.filter(
        pk=message_id, status=QueuedMessage.Status.WAITING, next_attempt_at__lte=now
    ).update(status=QueuedMessage.Status.SENDING, sending_since=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not due, or taken by another worker"
    message = QueuedMessage.objects.select_related("user").get(pk=message_id)
    try:
        _hand_over(message)
    except NotDelivered as exc:
        return _not_taken(message, str(exc), now)
    message.delete()
    return "sent"


def _hand_over(message: QueuedMessage) -> None:
    if message.channel == Channel.EMAIL:
        send_email_now(to=message.recipient, subject=message.subject, body=message.body, reference=message.reference)
        return
    try:
        send_sms(
            to=message.recipient,
            text=message.body,
            purpose=SmsLedgerEntry.Purpose.NOTICE,
            user=message.user,
            reference=message.reference,
        )
    except SmsNotSent as exc:
        raise NotDelivered(exc.reason) from None


def send_email_now(*, to: str, subject: str, body: str, reference=None) -> None:
    """Hand one e-mail to the mail backend; a failure is raised as NotDelivered without the backend's text.
    A notice's reference makes its Message-ID, the same on every attempt."""
    headers = {"Message-ID": f"<{reference}@eportal>"} if reference else {}
    try:
        EmailMessage(subject, body, None, [to], headers=headers).send()
    except Exception as exc:
        raise NotDelivered(f"e-mail: {type(exc).__name__}") from None


def retry_wait(attempts: int) -> datetime.timedelta:
    """The wait before the next attempt after `attempts` failed ones: EPORTAL_NOTICE_RETRY_SECONDS, doubled
    each time, at most LONGEST_WAIT."""
    first = datetime.timedelta(seconds=settings.EPORTAL_NOTICE_RETRY_SECONDS)
    return min(first * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def try_again_later(task, attempt: int, **kwargs) -> bool:
    """For a job that sends at once (an account's e-mail, made while sending): queue it again after
    retry_wait(attempt), as attempt + 1, unless its waits so far add up to EPORTAL_NOTICE_GIVE_UP_HOURS.
    False: given up (the job then fails, and the person can ask for a new e-mail)."""
    waited = sum((retry_wait(n) for n in range(1, attempt)), datetime.timedelta())
    if waited >= datetime.timedelta(hours=settings.EPORTAL_NOTICE_GIVE_UP_HOURS):
        logger.warning("%s not delivered after %s attempts: given up", task.name, attempt)
        return False
    task.using(run_after=timezone.now() + retry_wait(attempt)).enqueue(attempt=attempt + 1, **kwargs)
    return True


def _not_taken(message: QueuedMessage, reason: str, now: datetime.datetime) -> str:
    mine = QueuedMessage.objects.filter(pk=message.pk, status=QueuedMessage.Status.SENDING)
    if now - message.created_at >= datetime.timedelta(hours=settings.EPORTAL_NOTICE_GIVE_UP_HOURS):
        mine.update(status=QueuedMessage.Status.FAILED, gave_up_at=now, last_error=reason, sending_since=None)
        logger.warning("notice %s not delivered after %s attempts (%s): given up", message.pk, message.attempts, reason)
        return f"given up: {reason}"
    # A little later at random, so that notices refused together are not tried again together.
    at = now + retry_wait(message.attempts) * random.uniform(1, 1.25)  # noqa: S311 - not a secret
    mine.update(status=QueuedMessage.Status.WAITING, next_attempt_at=at, last_error=reason, sending_since=None)
    send_message_task.using(run_after=at).enqueue(message_id=message.pk)
    logger.info("notice %s not delivered (%s): attempt %s at %s", message.pk, reason, message.attempts + 1, at)
    return f"tried again at {at:%H:%M:%S}: {reason}"


def sweep(now: datetime.datetime | None = None) -> str:
    """Reconcile what dead workers left (see the module's docstring); a summary for the log."""
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=settings.EPORTAL_NOTICE_SENDING_LEASE_SECONDS)
    done = again = requeued = 0
    for message in QueuedMessage.objects.filter(status=QueuedMessage.Status.SENDING, sending_since__lt=now - lease):
        attempts = SmsLedgerEntry.objects.filter(reference=message.reference)
        if message.channel == Channel.SMS and attempts.filter(status=SmsLedgerEntry.Status.SENT).exists():
            message.delete()
            done += 1
            continue
        # The attempt's outcome is unknown: not billed; the next attempt, with the same reference, is.
        attempts.filter(status=SmsLedgerEntry.Status.SENDING).update(status=SmsLedgerEntry.Status.FAILED, price_nok=0)
        QueuedMessage.objects.filter(pk=message.pk, status=QueuedMessage.Status.SENDING).update(
            status=QueuedMessage.Status.WAITING,
            next_attempt_at=message.sending_since,  # due since that attempt
            sending_since=None,
            last_error="worker stopped",
        )
        send_message_task.enqueue(message_id=message.pk)
        again += 1
    waiting_jobs = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=send_message_task.module_path
    ).values_list("args_kwargs", flat=True)
    has_job = {job["kwargs"].get("message_id") for job in waiting_jobs if job.get("kwargs")}
    lost = QueuedMessage.objects.filter(status=QueuedMessage.Status.WAITING, next_attempt_at__lt=now - LOST_AFTER)
    for pk in lost.values_list("pk", flat=True):
        if pk not in has_job:
            send_message_task.enqueue(message_id=pk)
            requeued += 1
    forgotten, _kinds = QueuedMessage.objects.filter(
        status=QueuedMessage.Status.FAILED, gave_up_at__lt=now - KEEP_NOT_DELIVERED
    ).delete()
    return (
        f"{done} notices found sent, {again} tried again after a worker stopped, {requeued} queued again, "
        f"{forgotten} old undelivered notices deleted"
    )
