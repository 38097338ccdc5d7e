"""Notices by e-mail and SMS, sent from the worker. Texts say only that something is waiting: no health content.

Each notice is a row written in the caller's transaction, so it is rolled back with it: no notice for
something that did not happen. Its job carries only the row's id (tasks.send_message_task).
"""

from .models import Channel, QueuedMessage
from .tasks import send_message_task


def _queue(**fields) -> None:
    message = QueuedMessage.objects.create(**fields)
    send_message_task.enqueue(message_id=message.pk)


def queue_email(*, to: str, subject: str, body: str) -> None:
    _queue(channel=Channel.EMAIL, recipient=to, subject=subject, body=body)


def queue_sms(*, to: str, text: str, user=None) -> None:
    """A notice by SMS; caps and the ledger apply when the worker sends it."""
    _queue(channel=Channel.SMS, recipient=to, body=text, user=user)
