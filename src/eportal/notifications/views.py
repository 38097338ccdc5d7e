from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from .models import OutboxMessage

OUTBOX_PAGE_SIZE = 100


def demo_outbox(request):
    """Every SMS and e-mail the demo sent, newest first, so a new user can follow each flow."""
    if not settings.EPORTAL_DEMO_OUTBOX:
        raise Http404
    messages = OutboxMessage.objects.all()[:OUTBOX_PAGE_SIZE]
    return render(request, "notifications/outbox.html", {"outbox": messages})
