"""Cancelling an appointment and staff blocking or opening a time; a freed time is offered to the waiting list.

The patient cancels before the deadline (selectors.can_cancel_online), the clinic at any time before the
appointment starts.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import Actor
from eportal.representation.policy import Capability, Grant

from .. import notices, selectors
from ..errors import BookingError
from ..models import Appointment, Slot
from . import appointments, waitlist


def _cancel(appointment: Appointment, *, actor: Actor, role: str) -> Appointment:
    appointments.mark_cancelled(appointment, actor=actor, role=role)
    waitlist.appointment_cancelled(appointment)
    notices.cancelled(appointment, by_clinic=role == "staff")
    return appointment


@transaction.atomic
def cancel_appointment(*, grant: Grant, appointment_id: int) -> Appointment:
    """Cancel the grant's patient's appointment before the deadline (selectors.can_cancel_online, by which
    «Mine timer» shows the button), or raise BookingError."""
    grant.require(Capability.APPOINTMENTS)
    appointment = appointments.active_appointment_for_update(pk=appointment_id, patient=grant.patient)
    if appointment is None:
        raise BookingError(_("The appointment was not found."), code="not_found")
    if not selectors.can_cancel_online(appointment, timezone.now()):
        raise BookingError(
            _("The deadline for cancelling online has passed. Call the clinic."), code="cancel_deadline_passed"
        )
    return _cancel(appointment, actor=grant.actor, role=grant.role)


@transaction.atomic
def cancel_for_clinic(*, actor: Actor, appointment_id: int) -> Appointment:
    """The clinic cancels a coming appointment (no deadline); the patient is told to contact the clinic."""
    appointment = appointments.active_appointment_for_update(pk=appointment_id, slot__starts_at__gt=timezone.now())
    if appointment is None:
        raise BookingError(
            _("The appointment was not found, or it has already been cancelled or has passed."), code="not_found"
        )
    return _cancel(appointment, actor=actor, role="staff")


@transaction.atomic
def set_slot_blocked(*, actor: Actor, slot_id: int, blocked: bool) -> Slot:
    """Staff block a free coming time, or open a blocked one (which the waiting list is then offered)."""
    slot = appointments.locked_slot(slot_id)
    if slot is None or slot.starts_at <= timezone.now():
        raise BookingError(_("The time was not found, or it has passed."), code="not_found")
    if slot.appointments.filter(cancelled_at__isnull=True).exists():
        raise BookingError(_("The time is booked. Cancel the appointment first."), code="slot_booked")
    if slot.blocked != blocked:
        slot.blocked = blocked
        slot.save(update_fields=["blocked"])
        record_event(
            "slot_blocked" if blocked else "slot_opened",
            actor=actor,
            role="staff",
            details={"slot": slot.pk},
        )
        waitlist.withdraw_offers(slot)  # a blocked time is not offered on
        if not blocked:
            waitlist.offer_freed_slot(slot)
    return slot
