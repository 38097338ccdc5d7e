"""The clinic's message inboxes: reception's and each practitioner's, a conversation, and its attachments.

Which inboxes and threads a staff member reads is messaging.inboxes' rule; these views parse, call one service
or selector with `request.actor`, and render or redirect. Opening a conversation is audited by the service (the
patient sees it in «Hvem har sett opplysningene mine»); an inbox's list shows patients' names and subjects, and
is audited per patient as the day list is; so is downloading an attachment.

A search is posted, not put in the address: a fødselsnummer typed into it must not land in the web server's
access log or a Referer header (docs/security.md, ASVS 14.2.1).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from eportal.audit.services import record_event, record_events_for
from eportal.identity.national_id import masked
from eportal.messaging import selectors, services
from eportal.messaging.errors import MessagingError
from eportal.messaging.fees import format_nok
from eportal.messaging.forms import StaffReplyForm
from eportal.messaging.inboxes import inbox_by_key, inboxes_for, key_of
from eportal.messaging.models import Consultation
from eportal.messaging.views import attachment_response
from eportal.web.decorators import staff_required
from eportal.web.pages import form_page

from .forms import AssignForm, ForwardForm, InboxSearchForm, ReplyTemplateForm

READS_MESSAGES = "messaging.view_thread"


def _inbox_name(practitioner) -> str:
    """An inbox's name: the practitioner's, or reception's (None)."""
    return pgettext("staff inbox", "Reception") if practitioner is None else practitioner.full_name


@staff_required(READS_MESSAGES)
def messages_home(request):
    """The first inbox the staff member reads, or a page saying they read none."""
    inboxes = inboxes_for(request.user)
    if inboxes:
        return redirect("staff:inbox", inbox_key=inboxes[0].key)
    return render(request, "staff/inbox.html", {"inbox": None, "tabs": []})


@sensitive_post_parameters("q")
@staff_required(READS_MESSAGES)
def inbox(request, inbox_key):
    inboxes = inboxes_for(request.user)
    chosen = inbox_by_key(inboxes, inbox_key)  # AccessRefused (404) for an inbox the user does not read
    form = InboxSearchForm(request.POST if request.method == "POST" else request.GET)
    page = selectors.inbox_threads(chosen, query=form.query(), waiting_only=form.waiting_only(), page=form.page())
    threads = list(page.object_list)
    record_events_for(
        "staff_viewed_inbox",
        subjects=[thread.patient.national_id for thread in threads],
        actor=request.actor,
        role="staff",
        details={"inbox": chosen.key},
    )
    counts = selectors.waiting_counts(request.user)
    tabs = [(tab, _inbox_name(tab.practitioner), counts.get(tab.key, 0)) for tab in inboxes]
    context = {
        "inbox": chosen,
        "inbox_name": _inbox_name(chosen.practitioner),
        "tabs": tabs,
        "form": form,
        "query": form.query(),
        "waiting_only": form.waiting_only(),
        "page": page,
        "rows": [(thread, masked(thread.patient.national_id)) for thread in threads],
        "staff_new_messages": sum(counts.values()),  # the navigation's count, without asking again
    }
    return form_page(request, "staff/inbox.html", context)


@sensitive_post_parameters("body")
@staff_required(READS_MESSAGES)
def thread(request, thread_id):
    """A conversation: shown (and audited, and the patient's messages marked read), answered, a template put in
    the answer («Sett inn mal», posted back without saving anything)."""
    form, picker, error = StaffReplyForm(), ReplyTemplateForm(), None
    if request.method == "POST" and request.POST.get("action") == "template":
        picker = ReplyTemplateForm(request.POST)
        if picker.is_valid():
            body = picker.with_template(request.POST.get("body", ""))
            form = StaffReplyForm(initial={"body": body, "close": bool(request.POST.get("close"))})
        else:
            form = StaffReplyForm(initial={"body": request.POST.get("body", "")})
    elif request.method == "POST":
        form = StaffReplyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.reply(
                    actor=request.actor, thread_id=thread_id, body=data["body"], submit_id=data["submit_id"],
                    close=data["close"],
                )  # fmt: skip
            except MessagingError as exc:
                error = exc
            else:
                messages.success(request, _("The reply is sent. The patient is told that there is a new message."))
                return redirect("staff:thread", thread_id=thread_id)
    found = services.open_for_staff(actor=request.actor, thread_id=thread_id)
    readable_keys = {inbox.key for inbox in inboxes_for(request.user)}
    key = key_of(found.practitioner_id)
    context = {
        "thread": found,
        "patient_masked_id": masked(found.patient.national_id),
        "conversation": selectors.conversation(found),
        "form": form,
        "picker": picker,
        "error": error,
        "forward_form": ForwardForm(initial={"inbox": key}),
        "assign_form": AssignForm(initial={"user": found.assigned_to_id}),
        "back": reverse("staff:inbox", args=[key]) if key in readable_keys else reverse("staff:messages"),
        "in_inbox": _inbox_name(found.practitioner),
        **_payment(found),
    }
    return form_page(request, "staff/staff_thread.html", context)


def _payment(thread) -> dict:
    """An eKonsultasjon's price as sent and its fee once fixed, for the conversation page."""
    consultation = Consultation.objects.filter(thread=thread).first()
    if consultation is None:
        return {}
    quote = consultation.quote
    return {
        "consultation": consultation,
        "price_when_sent": (format_nok(quote.daytime_total), format_nok(quote.evening_total)),
        "fee_fixed": format_nok(consultation.total_or_zero()),
    }


def _after(request, thread_id, done: str | None = None, error=None):
    if error is not None:
        messages.error(request, str(error))
    elif done:
        messages.success(request, done)
    return redirect("staff:thread", thread_id=thread_id)


def _form_error(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@staff_required(READS_MESSAGES)
@require_POST
def forward(request, thread_id):
    form = ForwardForm(request.POST)
    if not form.is_valid():
        return _after(request, thread_id, error=_form_error(form))
    key = form.cleaned_data["inbox"]
    try:
        services.forward(actor=request.actor, thread_id=thread_id, inbox_key=key)
    except MessagingError as exc:
        return _after(request, thread_id, error=exc)
    name = dict(form.fields["inbox"].choices)[key]
    messages.success(request, _("The message is forwarded to %(inbox)s.") % {"inbox": name})
    if key in {inbox.key for inbox in inboxes_for(request.user)}:
        return redirect("staff:thread", thread_id=thread_id)
    return redirect("staff:messages")  # no longer in an inbox one reads


@staff_required(READS_MESSAGES)
@require_POST
def assign(request, thread_id):
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _after(request, thread_id, error=_form_error(form))
    user = form.cleaned_data["user"]
    try:
        services.assign(actor=request.actor, thread_id=thread_id, user_id=user.pk if user else None)
    except MessagingError as exc:
        return _after(request, thread_id, error=exc)
    if user is None:
        return _after(request, thread_id, _("The message is no longer assigned to anyone."))
    name = user.get_full_name() or user.get_username()
    return _after(request, thread_id, _("The message is assigned to %(name)s.") % {"name": name})


@staff_required(READS_MESSAGES)
@require_POST
def mark_done(request, thread_id):
    try:
        services.mark_done(actor=request.actor, thread_id=thread_id)
    except MessagingError as exc:
        return _after(request, thread_id, error=exc)
    return _after(request, thread_id, _("The message is marked as done. It no longer waits for an answer."))


@staff_required(READS_MESSAGES)
@require_POST
def set_closed(request, thread_id, closed):
    try:
        services.set_closed(actor=request.actor, thread_id=thread_id, closed=closed)
    except MessagingError as exc:
        return _after(request, thread_id, error=exc)
    if closed:
        return _after(request, thread_id, _("The conversation is closed. The patient cannot reply to it."))
    return _after(request, thread_id, _("The conversation is open again."))


@staff_required(READS_MESSAGES)
def attachment(request, public_id):
    found = selectors.attachment_for_staff(request.user, public_id)
    if found is None:
        raise Http404
    record_event(
        "staff_viewed_attachment",
        actor=request.actor,
        role="staff",
        subject_national_id=found.message.thread.patient.national_id,
        details={"thread": found.message.thread_id, "attachment": str(found.public_id)},
    )
    return attachment_response(found)
