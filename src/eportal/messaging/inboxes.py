"""Which staff member reads which inbox: the staff side of the access policy for messages.

Each practitioner with a staff login reads their own inbox; reception's shared inbox is read by staff with
`messaging.read_reception_inbox`; `messaging.read_all_inboxes` (the clinic's administrator, a medical
secretary) reads every one. A thread is read in the inbox it is in now: a receptionist reads a GP's thread
only once it is forwarded to reception, or assigned to them. Patients' side: representation.policy.
"""

import dataclasses

from django.db.models import Q
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.models import Practitioner
from eportal.core.actor import Actor
from eportal.representation.policy import AccessRefused

from .models import Thread

RECEPTION = "resepsjon"


@dataclasses.dataclass(frozen=True)
class Inbox:
    key: str  # RECEPTION, or the practitioner's id as text: the inbox's address
    practitioner: Practitioner | None

    @property
    def is_reception(self) -> bool:
        return self.practitioner is None


def key_of(practitioner_id: int | None) -> str:
    """The address of the inbox a thread with this practitioner (None: reception's) lies in."""
    return str(practitioner_id) if practitioner_id else RECEPTION


def _reads_all(user) -> bool:
    return user.has_perm("messaging.read_all_inboxes")


def _reads_reception(user) -> bool:
    return user.has_perm("messaging.read_reception_inbox") or _reads_all(user)


def _own_practitioner_id(user) -> int | None:
    practitioner = getattr(user, "practitioner", None)  # the reverse one-to-one raises when there is none
    return practitioner.pk if practitioner is not None else None


def inboxes_for(user) -> list[Inbox]:
    """The inboxes the staff member reads: reception first, then practitioners by name."""
    found = [Inbox(RECEPTION, None)] if _reads_reception(user) else []
    practitioners = Practitioner.objects.filter(active=True)
    if not _reads_all(user):
        practitioners = practitioners.filter(user=user)
    found += [Inbox(key_of(practitioner.pk), practitioner) for practitioner in practitioners]
    return found


def inbox_by_key(inboxes: list[Inbox], key: str) -> Inbox:
    """The inbox with this key among the staff member's (inboxes_for), or AccessRefused (not_found)."""
    for inbox in inboxes:
        if inbox.key == key:
            return inbox
    raise AccessRefused(_not_found_text(), code="not_found")


def readable(user) -> Q:
    """The threads the staff member may read and answer: in an inbox they read, or assigned to them."""
    if not user.is_staff:
        return Q(pk__in=[])
    if _reads_all(user):
        return Q()
    allowed = Q(assigned_to=user)
    if _reads_reception(user):
        allowed |= Q(practitioner__isnull=True)
    own = _own_practitioner_id(user)
    if own is not None:
        allowed |= Q(practitioner_id=own)
    return allowed


def staff_thread(actor: Actor, thread_id, *, for_update: bool = False) -> Thread:
    """The thread if the actor (staff) may read it; else AccessRefused (not_found), audited."""
    threads = Thread.objects.select_related("patient", "practitioner", "assigned_to")
    if for_update:
        threads = threads.select_for_update(of=("self",))
    thread = threads.filter(readable(actor.user), pk=thread_id).first() if isinstance(thread_id, int) else None
    if thread is None:
        record_event(
            "access_refused", actor=actor, role="staff", details={"capability": "messages", "thread": thread_id}
        )
        raise AccessRefused(_not_found_text(), code="not_found")
    return thread


def _not_found_text() -> str:
    return _("The message was not found, or it is not in an inbox you read.")
