"""The demo outbox page: every SMS and e-mail the demo kept instead of sending."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from eportal.notifications.models import OutboxMessage

OUTBOX_PAGE_SIZE = 100


def outbox(request):
    """Every SMS and e-mail the demo sent, newest first, so a new user can follow each flow."""
    if not settings.EPORTAL_DEMO_OUTBOX:
        raise Http404
    messages = OutboxMessage.objects.all()[:OUTBOX_PAGE_SIZE]
    return render(request, "demo/outbox.html", {"outbox": messages})
