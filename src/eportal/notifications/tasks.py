"""Background delivery of notices, run by `eportal worker`."""

from django_tasks import task

from .services import deliver_email


@task()
def send_email_task(*, to: str, subject: str, body: str) -> None:
    deliver_email(to=to, subject=subject, body=body)
