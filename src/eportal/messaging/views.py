"""«Meldinger»: the patient's threads, a new message, a conversation, and attachments, over the services."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from eportal.core.actor import HIGH
from eportal.representation.policy import Capability, grant
from eportal.web.decorators import patient_required, step_up_url
from eportal.web.pages import form_page

from . import selectors, services
from .errors import MessagingError
from .forms import NewMessageForm, ReplyForm
from .models import Thread


def _grant(request):
    return grant(request.actor, Capability.MESSAGES)


@patient_required
def threads(request):
    page = selectors.threads_for_patient(_grant(request), page=request.GET.get("side"))
    return render(request, "messaging/threads.html", {"page": page})


def _posted(request, form_class, send):
    """The form (bound to what was posted), and either the thread page to go to after `send(cleaned_data)`
    sent the message, or the refusal to show. (A body too large for any message never gets here:
    web.limits refuses it unread.)"""
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            message = send(form.cleaned_data)
        except MessagingError as exc:
            return form, exc, None
        messages.success(request, _("The message is sent."))
        return form, None, redirect("messaging:thread", thread_id=message.thread_id)
    return form, None, None


@sensitive_post_parameters("subject", "body")
@patient_required
def new_message(request):
    granted = _grant(request)
    form, error, sent = _posted(
        request,
        NewMessageForm,
        lambda data: services.start_thread(
            grant=granted, kind=data["kind"], subject=data["subject"], body=data["body"],
            uploads=data["attachments"], submit_id=data["submit_id"], for_patient_id=data["for_patient"],
        ),
    )  # fmt: skip
    if sent:
        return sent
    context = {
        "form": form,
        "error": error,
        "answer_by": services.answer_by(),
        "working_days": settings.EPORTAL_MESSAGE_ANSWER_WORKING_DAYS,
        "for_patient": granted.patient.pk,
    }
    return form_page(request, "messaging/new_message.html", context)


@sensitive_post_parameters("body")
@patient_required
def thread(request, thread_id):
    granted = _grant(request)
    found = services.patient_thread(granted, thread_id)
    form, error, sent = _posted(
        request,
        ReplyForm,
        lambda data: services.write(
            grant=granted, thread_id=found.pk, body=data["body"], uploads=data["attachments"],
            submit_id=data["submit_id"],
        ),
    )  # fmt: skip
    if sent:
        return sent
    services.mark_read_by_patient(grant=granted, thread=found)
    step_up = None
    if found.kind == Thread.Kind.EKONSULTASJON and not request.actor.meets(HIGH):  # the service's rule too
        step_up = step_up_url(request.path, HIGH)
    context = {
        "thread": found,
        "conversation": selectors.conversation(found),
        "form": None if found.is_closed or step_up else form,
        "step_up": None if found.is_closed else step_up,
        "error": error,
    }
    return form_page(request, "messaging/thread.html", context)


def attachment_response(attachment) -> HttpResponse:
    """The file as a download, never shown in the portal's own origin: attachment, nosniff, a CSP that runs
    nothing. Shared with the staff pages."""
    response = HttpResponse(attachment.data, content_type=attachment.content_type)
    response["Content-Disposition"] = _disposition(attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response


def _disposition(name: str) -> str:
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " ._-") else "_" for ch in name) or "vedlegg"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@patient_required
def attachment(request, public_id):
    found = selectors.attachment_for_patient(_grant(request), public_id)
    if found is None:
        raise Http404
    return attachment_response(found)
