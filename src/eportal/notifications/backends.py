"""Where SMS and e-mail go: chosen by EPORTAL_SMS_BACKEND and EMAIL_BACKEND.

The demo prints each message on the terminal and keeps it for the outbox page; the tests keep
them in memory (`sms_outbox`, like Django's mail.outbox).
"""

import sys

from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext as _

from .models import OutboxMessage


class SmsNotSent(Exception):
    """The SMS could not be handed to the provider; str() is a message for the user."""


class UnconfiguredSmsBackend:
    """Production's default until an SMS provider is configured: nothing is sent."""

    def send(self, *, to: str, text: str) -> str:
        raise SmsNotSent(_("We cannot send SMS right now."))


sms_outbox: list[dict] = []


class MemorySmsBackend:
    def send(self, *, to: str, text: str) -> str:
        sms_outbox.append({"to": to, "text": text})
        return f"memory-{len(sms_outbox)}"


def _print_to_terminal(title: str, body: str) -> None:
    print(f"\n----- {title} -----\n{body}\n-----", file=sys.stderr, flush=True)


class OutboxSmsBackend:
    def send(self, *, to: str, text: str) -> str:
        message = OutboxMessage.objects.create(channel=OutboxMessage.Channel.SMS, recipient=to, body=text)
        _print_to_terminal(f"SMS til {to}", text)
        return f"outbox-{message.pk}"


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for email in email_messages:
            recipients = ", ".join(email.recipients())
            body = email.body
            OutboxMessage.objects.create(
                channel=OutboxMessage.Channel.EMAIL, recipient=recipients, subject=email.subject, body=body
            )
            _print_to_terminal(f"E-post til {recipients}: {email.subject}", body)
        return len(email_messages)
