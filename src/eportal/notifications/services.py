"""Notices by e-mail and SMS, sent from the worker. Texts say only that something is waiting: no health content.

Each notice is a row written in the caller's transaction, so it is rolled back with it: no notice for
something that did not happen. Its job carries only the row's id (tasks.send_message_task).
"""

import logging

from django.utils import timezone

from .models import Channel, QueuedMessage
from .tasks import send_message_task

logger = logging.getLogger(__name__)


def _queue(**fields) -> None:
    message = QueuedMessage.objects.create(**fields)
    send_message_task.enqueue(message_id=message.pk)


def queue_email(*, to: str, subject: str, body: str) -> None:
    _queue(channel=Channel.EMAIL, recipient=to, subject=subject, body=body)


def queue_sms(*, to: str, text: str, user=None) -> None:
    """A notice by SMS; caps and the ledger apply when the worker sends it."""
    _queue(channel=Channel.SMS, recipient=to, body=text, user=user)


# Notices that did not arrive («Varsler som ikke kom fram», a staff page) --------------------------------------


def undelivered_notices():
    """Notices given up on (notifications.tasks), the oldest first."""
    return QueuedMessage.objects.filter(status=QueuedMessage.Status.FAILED).order_by("created_at", "pk")


def send_notice_again(*, actor, message_id: int) -> bool:
    """Queue a notice given up on once more, as if new (its waits and give-up time start again); False if it
    is no longer among undelivered_notices()."""
    now = timezone.now()
    again = undelivered_notices().filter(pk=message_id)
    if not again.update(
        status=QueuedMessage.Status.WAITING, attempts=0, created_at=now, next_attempt_at=now, gave_up_at=None
    ):
        return False
    send_message_task.enqueue(message_id=message_id)
    logger.info("undelivered notice %s queued again by staff user %s", message_id, getattr(actor.user, "pk", None))
    return True


def remove_notice(*, actor, message_id: int) -> bool:
    """Delete a notice given up on (staff told the patient another way); False if it was not there."""
    removed, _kinds = undelivered_notices().filter(pk=message_id).delete()
    if removed:
        logger.info("undelivered notice %s removed by staff user %s", message_id, getattr(actor.user, "pk", None))
    return bool(removed)
