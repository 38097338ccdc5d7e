"""The demo outbox page: every SMS and e-mail the demo kept instead of sending."""

import ipaddress

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from eportal.notifications.models import OutboxMessage

OUTBOX_PAGE_SIZE = 100


def from_loopback(request) -> bool:
    """Whether the request came from this machine: the connection's own address, never a forwarded header
    (anyone can send one)."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def outbox(request):
    """Every SMS and e-mail the demo sent, newest first, so a new user can follow each flow.

    It shows every code and link, so it answers only on this machine unless the demo was told to serve others."""
    if not settings.EPORTAL_DEMO_OUTBOX or not (settings.EPORTAL_DEMO_EXPOSED or from_loopback(request)):
        raise Http404
    messages = OutboxMessage.objects.all()[:OUTBOX_PAGE_SIZE]
    return render(request, "demo/outbox.html", {"outbox": messages})
