"""Where SMS and e-mail go: chosen by EPORTAL_SMS_BACKEND and EMAIL_BACKEND.

The demo prints each message on the terminal and keeps it for the outbox page; the tests keep
them in memory (`sms_outbox`, like Django's mail.outbox); production posts SMS to a provider.
"""

import json
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext as _

from eportal.core.errors import UserError

from .models import OutboxMessage


class SmsNotSent(UserError):
    """The SMS could not be handed to the provider; str() is a message for the user, `reason` the kind of
    failure for the ledger and staff (never the provider's own text)."""

    code = "sms_not_sent"

    def __init__(self, message, code: str | None = None, *, reason: str = ""):
        super().__init__(message, code)
        self.reason = reason or self.code


def _not_sent(reason: str):
    return SmsNotSent(_("We could not send the SMS right now."), reason=reason)


class UnconfiguredSmsBackend:
    """Production's default until an SMS provider is configured: nothing is sent."""

    def send(self, *, to: str, text: str, reference: str = "") -> str:
        raise _not_sent("no SMS gateway configured")


class HttpSmsBackend:
    """A generic JSON-over-HTTPS SMS gateway: POST {"to", "from", "text", "reference"} with a bearer token to
    EPORTAL_SMS_HTTP_URL; any 2xx answer is a sent message, its JSON "id" (if any) the provider's id.
    Most Norwegian gateways (and brokers in front of them) accept this shape or can be set up to.

    `reference` is the same on every attempt to send one notice: a gateway that sends a reference once
    (idempotency) makes a notice tried again after a timeout arrive once. Login codes have none."""

    def send(self, *, to: str, text: str, reference: str = "") -> str:
        fields = {"to": to, "from": settings.EPORTAL_SMS_SENDER, "text": text}
        body = json.dumps({**fields, "reference": reference} if reference else fields).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's configured https URL
            settings.EPORTAL_SMS_HTTP_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.EPORTAL_SMS_HTTP_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.EPORTAL_SMS_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = response.read(10_000)
        except urllib.error.HTTPError as exc:
            raise _not_sent(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            timed_out = isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)
            raise _not_sent("timeout" if timed_out else "no connection") from None
        try:
            return str(json.loads(answer or b"{}").get("id", ""))[:100]
        except (ValueError, AttributeError):
            return ""


sms_outbox: list[dict] = []


class MemorySmsBackend:
    def send(self, *, to: str, text: str, reference: str = "") -> str:
        sms_outbox.append({"to": to, "text": text, **({"reference": reference} if reference else {})})
        return f"memory-{len(sms_outbox)}"


def _print_to_terminal(title: str, body: str) -> None:
    print(f"\n----- {title} -----\n{body}\n-----", file=sys.stderr, flush=True)


class OutboxSmsBackend:
    def send(self, *, to: str, text: str, reference: str = "") -> str:
        message = OutboxMessage.objects.create(channel=OutboxMessage.Channel.SMS, recipient=to, body=text)
        _print_to_terminal(f"SMS til {to}", text)
        return f"outbox-{message.pk}"


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for email in email_messages:
            recipients = ", ".join(email.recipients())
            OutboxMessage.objects.create(
                channel=OutboxMessage.Channel.EMAIL,
                recipient=recipients,
                subject=email.subject,
                body=email.body,
            )
            _print_to_terminal(f"E-post til {recipients}: {email.subject}", email.body)
        return len(email_messages)
