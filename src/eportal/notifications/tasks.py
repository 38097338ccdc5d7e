"""Background delivery of notices, run by `eportal worker`."""

from django_tasks import task

from .services import deliver_email


@task()
def send_email_task(*, to: str, subject: str, body: str) -> None:
    deliver_email(to=to, subject=subject, body=body)


@task()
def send_sms_task(*, to: str, text: str, user_id: int | None = None) -> None:
    """A notice by SMS (never a login code: those go at once). Caps and the ledger apply as always."""
    from eportal.accounts.models import User

    from .models import SmsLedgerEntry
    from .services import send_sms

    send_sms(to=to, text=text, purpose=SmsLedgerEntry.Purpose.NOTICE, user=User.objects.filter(pk=user_id).first())
