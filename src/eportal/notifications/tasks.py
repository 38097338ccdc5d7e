"""Background delivery of notices, run by `eportal worker`."""

from django.core.mail import send_mail
from django_tasks import task

from .models import Channel, QueuedMessage, SmsLedgerEntry
from .sms import send_sms


class NotDelivered(Exception):
    """A message the worker could not hand over. It names only the kind of failure: a mail server's own
    error may quote the recipient, and a failed job keeps its error in the job table."""


def send_email_now(*, to: str, subject: str, body: str) -> None:
    """Hand one e-mail to the mail backend; a failure is raised as NotDelivered without the backend's text."""
    try:
        send_mail(subject, body, None, [to])
    except Exception as exc:
        raise NotDelivered(f"e-mail not delivered: {type(exc).__name__}") from None


@task()
def send_message_task(*, message_id: int) -> None:
    """Send one queued notice (never a login code: those go at once), then forget it, sent or not."""
    message = QueuedMessage.objects.select_related("user").filter(pk=message_id).first()
    if message is None:
        return
    try:
        if message.channel == Channel.EMAIL:
            send_email_now(to=message.recipient, subject=message.subject, body=message.body)
        else:
            send_sms(to=message.recipient, text=message.body, purpose=SmsLedgerEntry.Purpose.NOTICE, user=message.user)
    finally:
        message.delete()
