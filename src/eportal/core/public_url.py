"""The portal's own address for links that leave it (SMS, e-mail, BankID's return addresses): always the
configured EPORTAL_PUBLIC_URL, never the Host header of a request, which the client chooses."""

from urllib.parse import urljoin

from django.conf import settings


def public_url(path: str) -> str:
    """`path` (from reverse()) as a full address under EPORTAL_PUBLIC_URL."""
    return urljoin(settings.EPORTAL_PUBLIC_URL, path)
