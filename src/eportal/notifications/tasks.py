"""Background delivery of notices, run by `eportal worker`."""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django_tasks import task

from .models import SmsLedgerEntry
from .sms import send_sms


@task()
def send_email_task(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [to])


@task()
def send_sms_task(*, to: str, text: str, user_id: int | None = None) -> None:
    """A notice by SMS (never a login code: those go at once). Caps and the ledger apply as always."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    send_sms(to=to, text=text, purpose=SmsLedgerEntry.Purpose.NOTICE, user=user)
