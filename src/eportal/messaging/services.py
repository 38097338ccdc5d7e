"""Writing and answering messages: the patient's side with a Grant for messages, the clinic's side with an
inbox the staff member reads (messaging.inboxes). Each use case is one transaction; attachments are checked
before it begins, so a refused file stores nothing and a slow photo holds no lock.

A message is committed before anything is told: notices are jobs in the same transaction, sent later by the
worker, so a failing SMS or e-mail gateway delays the notice, never the message.
"""

import contextlib
import datetime
import unicodedata
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.models import Practitioner, Proxy
from eportal.clinic.selectors import listed_patient
from eportal.clinic.working_days import add_working_days
from eportal.core.actor import HIGH, Actor
from eportal.representation.policy import AccessRefused, Capability, Grant, Relation

from . import billing
from .attachments import CleanAttachment, check_count, clean_upload
from .errors import MessagingError
from .inboxes import RECEPTION, staff_thread
from .models import Attachment, Message, Thread
from .tasks import tell_of_answers_task

SUBJECT_MAX_CHARS = 100
# How long after its time a notice job may still be waiting for a worker before an answer queues another.
NOTICE_GRACE = datetime.timedelta(minutes=30)
# Invisible direction overrides could make a text read differently from what it says: removed.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def answer_by(sent: datetime.datetime | None = None) -> datetime.date:
    """The day by which the clinic usually answers a message sent at `sent` (now), in working days."""
    day = timezone.localdate(sent) if sent else timezone.localdate()
    return add_working_days(day, settings.EPORTAL_MESSAGE_ANSWER_WORKING_DAYS)


def clean_text(text: str, *, limit: int, empty_message: str) -> str:
    """The text as stored: direction overrides removed, ends trimmed; refused when empty, too long, or with
    control characters other than line breaks and tabs (NUL among them)."""
    text = (text or "").translate(_BIDI_CONTROLS).replace("\r\n", "\n").strip()
    if not text:
        raise MessagingError(empty_message, code="empty")
    if len(text) > limit:
        raise MessagingError(
            _("The text is %(length)d characters long; at most %(limit)d are allowed.")
            % {"length": len(text), "limit": limit},
            code="too_long",
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise MessagingError(_("The text contains characters that are not allowed."), code="control_characters")
    return text


def text_body(text: str) -> str:
    return clean_text(text, limit=settings.EPORTAL_MESSAGE_MAX_CHARS, empty_message=_("Write a message."))


def check_uploads(uploads) -> list[CleanAttachment]:
    """Every file checked, or the first refusal: nothing is stored unless all pass."""
    uploads = list(uploads or [])
    check_count(uploads)
    return [clean_upload(upload) for upload in uploads]


def _writer_name(grant: Grant) -> str:
    """Who writes for the patient, as the thread shows it."""
    if grant.relation == Relation.SELF:
        return grant.patient.full_name
    user = grant.actor.user
    if grant.relation == Relation.CHILD_ACCOUNT:
        return _("A guardian (in the child's user)")
    own = listed_patient(user.national_id)
    if own is not None:
        return own.full_name
    if grant.relation == Relation.PROXY:
        proxy = Proxy.objects.in_force().filter(giver=grant.patient, proxy_national_id=user.national_id).first()
        if proxy is not None:
            return proxy.proxy_name
    return user.get_full_name() or _("A guardian")


def _add(thread: Thread, *, author, role: str, name: str, body: str, submit_id, files=()) -> Message:
    message = Message(thread=thread, author=author, author_role=role, author_name=name[:200], submit_id=submit_id)
    message.body = body
    message.save()
    for clean in files:
        attachment = Attachment(message=message)
        attachment.fill(name=clean.name, data=clean.data, content_type=clean.content_type)
        attachment.save()
    return message


def _already_sent(submit_id, patient) -> Message | None:
    """The message a first submit of the same form made, for a second submit (a double click, a reload)."""
    if submit_id is None:
        return None
    message = Message.objects.select_related("thread").filter(submit_id=submit_id).first()
    if message is not None and message.thread.patient_id != patient.pk:
        raise MessagingError(_("The form was already used. Write the message again."), code="submit_reused")
    return message


def _parse_submit_id(submit_id) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(submit_id)) if submit_id else None
    except ValueError:
        return None


def check_for_patient(grant: Grant, for_patient_id) -> None:
    """`for_patient_id`: the person the form was opened for, if the form says; another than the grant's (a
    person chosen meanwhile in another tab) is refused."""
    if for_patient_id is not None and for_patient_id != grant.patient.pk:
        raise MessagingError(
            _(
                "You chose another person to act on behalf of after you began writing. Check whom the message "
                "is about, and send it again."
            ),
            code="other_person",
        )


def start_thread(
    *, grant: Grant, kind: str, subject: str, body: str, uploads=(), submit_id=None, for_patient_id=None
) -> Message:
    """A new message to reception from the patient's side (the kinds with their own forms have their own
    services: messaging.renewals, messaging.consultations)."""
    grant.require(Capability.MESSAGES)
    check_for_patient(grant, for_patient_id)
    if kind != Thread.Kind.RECEPTION:
        raise MessagingError(_("Choose what the message is about."), code="kind")
    subject = clean_text(subject, limit=SUBJECT_MAX_CHARS, empty_message=_("Write a subject."))
    return open_thread(grant, kind=kind, subject=subject, body=text_body(body), uploads=uploads, submit_id=submit_id)


def open_thread(grant: Grant, *, kind: str, subject: str, body: str, uploads=(), submit_id=None, then=None) -> Message:
    """A new thread of `kind` with its first message from the patient's side, once for one form (a second
    submit gets the first's message). Reception's kind goes to reception; the others to the patient's GP (to
    reception if the GP has left). `then(thread)`: what the kind adds, in the same transaction."""

    def send(files) -> Message:
        now = timezone.now()
        thread = Thread(
            patient=grant.patient,
            kind=kind,
            practitioner=_inbox_for(grant.patient, kind),
            last_message_at=now,
            waiting_since=now,
            answer_due=answer_by(now),
        )
        thread.subject = subject
        thread.save()
        message = _add_from_patient_side(thread, grant, body, submit_id, files)
        if then is not None:
            then(thread)
        return message

    return _sent_once(grant, submit_id, uploads, send)


def _inbox_for(patient, kind: str) -> Practitioner | None:
    if kind == Thread.Kind.RECEPTION or patient.gp is None or not patient.gp.active:
        return None
    return patient.gp


def write(*, grant: Grant, thread_id: int, body: str, uploads=(), submit_id=None) -> Message:
    """A reply from the patient's side in one of the patient's threads that is open to replies."""
    grant.require(Capability.MESSAGES)
    body = text_body(body)

    def send(files) -> Message:
        thread = patient_thread(grant, thread_id, for_update=True)
        if thread.is_closed:
            raise MessagingError(
                _("The clinic has closed this conversation. Write a new message instead."), code="thread_closed"
            )
        if thread.kind == Thread.Kind.EKONSULTASJON:
            require_bankid(grant.actor)
        message = _add_from_patient_side(thread, grant, body, submit_id, files)
        thread.last_message_at = message.created_at
        thread.waiting_since = thread.waiting_since or message.created_at
        thread.save(update_fields=["last_message_at", "waiting_since"])
        return message

    return _sent_once(grant, submit_id, uploads, send)


def require_bankid(actor: Actor) -> None:
    """An eKonsultasjon is written only from a BankID login (security level high)."""
    if not actor.meets(HIGH):
        raise MessagingError(_("BankID is required for eKonsultasjon. Log in with BankID."), code="bankid_required")


def _sent_once(grant: Grant, submit_id, uploads, send) -> Message:
    """The files checked, then `send(files)` in one transaction, unless this form was sent before: a second
    submit (a double click, a reload) gets the first one's message, also when both raced."""
    submit_id = _parse_submit_id(submit_id)
    if (earlier := _already_sent(submit_id, grant.patient)) is not None:
        return earlier
    files = check_uploads(uploads)
    try:
        with transaction.atomic():
            return send(files)
    except IntegrityError:
        if (earlier := _already_sent(submit_id, grant.patient)) is not None:
            return earlier
        raise


def _add_from_patient_side(thread: Thread, grant: Grant, body: str, submit_id, files) -> Message:
    message = _add(
        thread, author=grant.actor.user, role=grant.role, name=_writer_name(grant), body=body,
        submit_id=_parse_submit_id(submit_id), files=files,
    )  # fmt: skip
    _audit("message_sent", thread, actor=grant.actor, role=grant.role, message=message.pk)
    return message


def patient_thread(grant: Grant, thread_id, *, for_update: bool = False) -> Thread:
    """One of the grant's patient's threads, or MessagingError not_found (another patient's id tells nothing)."""
    grant.require(Capability.MESSAGES)
    threads = Thread.objects.filter(patient=grant.patient)
    if for_update:
        threads = threads.select_for_update()
    thread = threads.filter(pk=thread_id).first() if isinstance(thread_id, int) else None
    if thread is None:
        raise MessagingError(_("The message was not found."), code="not_found")
    return thread


def mark_read_by_patient(*, grant: Grant, thread: Thread) -> None:
    """The patient's side has seen the clinic's messages in the thread."""
    grant.require(Capability.MESSAGES)
    Message.objects.filter(
        thread=thread, thread__patient=grant.patient, author_role=Message.Role.STAFF, read_by_patient_at__isnull=True
    ).update(read_by_patient_at=timezone.now())


# The clinic's side


def _audit(action: str, thread: Thread, *, actor: Actor, role: str, **details) -> None:
    record_event(
        action,
        actor=actor,
        role=role,
        subject_national_id=thread.patient.national_id,
        details={"thread": thread.pk, **details},
    )


def open_for_staff(*, actor: Actor, thread_id: int) -> Thread:
    """A staff member opens a thread: audited as a read of the patient's data, and the patient's messages are
    marked read by the clinic (the patient sees it)."""
    thread = staff_thread(actor, thread_id)
    with transaction.atomic():
        thread.messages.filter(read_by_clinic_at__isnull=True).exclude(author_role=Message.Role.STAFF).update(
            read_by_clinic_at=timezone.now()
        )
        _audit("staff_viewed_thread", thread, actor=actor, role="staff")
    return thread


def _staff_name(user) -> str:
    practitioner = getattr(user, "practitioner", None)
    return practitioner.full_name if practitioner is not None else (user.get_full_name() or user.get_username())


@contextlib.contextmanager
def _changing(actor: Actor, thread_id):
    """The thread, checked first outside any transaction (so that a refusal's audit entry stays), then locked
    for the change in one transaction."""
    staff_thread(actor, thread_id)
    try:
        with transaction.atomic():
            yield staff_thread(actor, thread_id, for_update=True)
    except AccessRefused:
        staff_thread(actor, thread_id)  # moved away meanwhile: its refusal audited outside the rolled-back work
        raise


def reply(*, actor: Actor, thread_id: int, body: str, submit_id=None, close: bool = False) -> Message:
    """The clinic answers: the thread no longer waits, and the patient's side is told (once for answers close
    together, without the text)."""
    body = text_body(body)
    submit_id = _parse_submit_id(submit_id)
    with _changing(actor, thread_id) as thread:
        if submit_id is not None and (earlier := Message.objects.filter(submit_id=submit_id).first()):
            if earlier.thread_id != thread.pk:
                raise MessagingError(_("The form was already used. Write the message again."), code="submit_reused")
            return earlier
        message = _add(
            thread,
            author=actor.user,
            role=Message.Role.STAFF,
            name=_staff_name(actor.user),
            body=body,
            submit_id=submit_id,
        )
        thread.last_message_at = message.created_at
        thread.waiting_since = None
        billing.note_answer(thread, message.created_at, by=actor.user)
        if close:
            thread.closed_at = message.created_at
            billing.fix_on_close(thread, actor=actor, at=message.created_at)
        delay = datetime.timedelta(minutes=settings.EPORTAL_MESSAGE_NOTICE_DELAY_MINUTES)
        # A notice already due is not queued again, unless its job should long have run (it failed, or its
        # worker died): then this answer queues a new one, so one lost job never silences the thread.
        if thread.notice_due_since is None or thread.notice_due_since < message.created_at - delay - NOTICE_GRACE:
            thread.notice_due_since = message.created_at
            tell_of_answers_task.using(run_after=message.created_at + delay).enqueue(thread_id=thread.pk)
        thread.save(update_fields=["last_message_at", "waiting_since", "closed_at", "notice_due_since"])
        _audit("message_answered", thread, actor=actor, role="staff", message=message.pk)
    return message


def _target(inbox_key: str) -> Practitioner | None:
    if inbox_key == RECEPTION:
        return None
    practitioner = (
        Practitioner.objects.filter(active=True, pk=int(inbox_key)).first() if str(inbox_key).isdigit() else None
    )
    if practitioner is None:
        raise MessagingError(_("Choose an inbox."), code="inbox")
    return practitioner


def forward(*, actor: Actor, thread_id: int, inbox_key: str) -> Thread:
    """Move the thread to another inbox (reception's or a practitioner's); it is no longer assigned."""
    with _changing(actor, thread_id) as thread:
        thread.practitioner = _target(inbox_key)
        thread.assigned_to = None
        thread.save(update_fields=["practitioner", "assigned_to"])
        _audit("thread_forwarded", thread, actor=actor, role="staff", inbox=inbox_key)
    return thread


def assign(*, actor: Actor, thread_id: int, user_id: int | None) -> Thread:
    """Give the thread to a member of staff (who can then read it), or to nobody."""
    with _changing(actor, thread_id) as thread:
        assignee = None
        if user_id is not None:
            assignee = get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).first()
            if assignee is None:
                raise MessagingError(_("Choose someone on the staff."), code="assignee")
        thread.assigned_to = assignee
        thread.save(update_fields=["assigned_to"])
        _audit("thread_assigned", thread, actor=actor, role="staff", to=user_id)
    return thread


def mark_done(*, actor: Actor, thread_id: int) -> Thread:
    """Handled without a written answer (by phone, say): it no longer waits in the inbox."""
    with _changing(actor, thread_id) as thread:
        thread.waiting_since = None
        thread.save(update_fields=["waiting_since"])
        _audit("thread_done", thread, actor=actor, role="staff")
    return thread


def set_closed(*, actor: Actor, thread_id: int, closed: bool) -> Thread:
    """Close the thread to replies (the patient can start a new one), or open it again."""
    with _changing(actor, thread_id) as thread:
        thread.closed_at = timezone.now() if closed else None
        if closed:
            thread.waiting_since = None
            billing.fix_on_close(thread, actor=actor, at=thread.closed_at)
        thread.save(update_fields=["closed_at", "waiting_since"])
        _audit("thread_closed" if closed else "thread_reopened", thread, actor=actor, role="staff")
    return thread
