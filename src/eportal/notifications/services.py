"""Notices by e-mail and SMS, sent from the worker. Texts say only that something is waiting: no health content.

Each notice is a job row written in the caller's transaction, so it is rolled back with it: no notice for
something that did not happen.
"""

from .tasks import send_email_task, send_sms_task


def queue_email(*, to: str, subject: str, body: str) -> None:
    send_email_task.enqueue(to=to, subject=subject, body=body)


def queue_sms(*, to: str, text: str, user=None) -> None:
    """A notice by SMS; caps and the ledger apply when the worker sends it."""
    send_sms_task.enqueue(to=to, text=text, user_id=user.pk if user else None)
