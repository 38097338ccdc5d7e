"""Reading threads: the patient's list and conversation, a staff inbox, the count in the staff navigation.
Each page takes a constant number of queries however many threads or messages there are."""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q

from eportal.representation.policy import Capability, Grant

from .inboxes import Inbox, key_of, readable
from .models import Attachment, Message, Thread

PAGE_SIZE = 25

PATIENT_SIDE = [Message.Role.PATIENT, Message.Role.GUARDIAN, Message.Role.PROXY]


def threads_for_patient(grant: Grant, *, page=1):
    """The patient's threads, newest first, each with how many of the clinic's messages are unread: a page
    (Paginator.get_page: a number that is no page gives the first or the last)."""
    grant.require(Capability.MESSAGES)
    threads = (
        Thread.objects.filter(patient=grant.patient)
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__author_role=Message.Role.STAFF, messages__read_by_patient_at__isnull=True),
            )
        )
        .order_by("-last_message_at", "-id")
    )
    return Paginator(threads, PAGE_SIZE).get_page(page)


def unread_for_patient(grant: Grant) -> int:
    """The clinic's messages to the patient not yet read on the patient's side, in all threads (one query:
    «Min side» shows it)."""
    grant.require(Capability.MESSAGES)
    return Message.objects.filter(
        thread__patient=grant.patient, author_role=Message.Role.STAFF, read_by_patient_at__isnull=True
    ).count()


def conversation(thread: Thread) -> list[Message]:
    """The thread's messages in order, with their attachments (not their contents): two queries."""
    attachments = Prefetch("attachments", queryset=Attachment.objects.defer("data_sealed"))
    return list(Message.objects.filter(thread=thread).order_by("created_at", "id").prefetch_related(attachments))


def attachment_for_patient(grant: Grant, public_id) -> Attachment | None:
    grant.require(Capability.MESSAGES)
    return Attachment.objects.filter(public_id=public_id, message__thread__patient=grant.patient).first()


def attachment_for_staff(user, public_id) -> Attachment | None:
    return (
        Attachment.objects.select_related("message__thread__patient")
        .filter(public_id=public_id, message__thread__in=Thread.objects.filter(readable(user)))
        .first()
    )


def inbox_threads(inbox: Inbox, *, query: str = "", waiting_only: bool = True, page: int = 1):
    """A staff inbox: waiting threads oldest first (or all, newest first), each with its count of messages the
    clinic has not read; searched by the patient's name or fødselsnummer. A page of PAGE_SIZE.

    The page is cut from the threads alone (an index walk however many wait), and only its threads' unread
    messages are counted: three queries, whether 30 or 30,000 threads wait."""
    threads = Thread.objects.filter(practitioner=inbox.practitioner).select_related("patient", "assigned_to")
    query = " ".join(query.split())
    if query.isdigit():
        threads = threads.filter(patient__national_id__startswith=query)
    elif query:
        for word in query.split():
            threads = threads.filter(Q(patient__first_name__icontains=word) | Q(patient__last_name__icontains=word))
    if waiting_only:
        threads = threads.filter(waiting_since__isnull=False).order_by("waiting_since", "id")
    else:
        threads = threads.order_by("-last_message_at", "-id")
    found = Paginator(threads, PAGE_SIZE).get_page(page)
    shown = list(found.object_list)
    unread = dict(
        Message.objects.filter(thread__in=shown, read_by_clinic_at__isnull=True, author_role__in=PATIENT_SIDE)
        .values("thread")
        .annotate(count=Count("id"))
        .values_list("thread", "count")
        .order_by()
    )
    for thread in shown:
        thread.unread = unread.get(thread.pk, 0)
    found.object_list = shown
    return found


def waiting_counts(user) -> dict[str, int]:
    """Per inbox key the staff member reads: threads with messages from the patient's side the clinic has not
    read (one query; the staff navigation shows the sum). It starts from the unread messages (a partial index
    holds just those), so it costs what is unread, not every thread the clinic ever had."""
    rows = (
        Message.objects.filter(
            read_by_clinic_at__isnull=True,
            author_role__in=PATIENT_SIDE,
            thread__in=Thread.objects.filter(readable(user)).values("pk"),
        )
        .values("thread__practitioner_id")
        .annotate(count=Count("thread_id", distinct=True))
        .order_by()
    )
    return {key_of(row["thread__practitioner_id"]): row["count"] for row in rows}
