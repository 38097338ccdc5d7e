"""Sending one SMS through the configured backend."""

from django.conf import settings
from django.utils.module_loading import import_string


def sms_backend():
    return import_string(settings.EPORTAL_SMS_BACKEND)()


def send_sms(*, to: str, text: str) -> str:
    """Hand one SMS to the provider; returns the provider's id, raises SmsNotSent on failure."""
    return sms_backend().send(to=to, text=text)
