"""Booking a time: the patient's rules under the slot's lock, the appointment, its audit entry, notice and reminder.

Also the row-level steps the waiting list and cancelling build on: locking a slot or an appointment, marking
one cancelled, auditing it.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.models import ListPatient, Practitioner
from eportal.core.actor import Actor
from eportal.representation.policy import Capability, Grant

from .. import notices, selectors
from ..errors import BookingError
from ..models import Appointment, Slot, WaitlistOffer


def audit(action: str, appointment: Appointment, *, actor: Actor, role: str) -> None:
    """One audit entry about the appointment's patient, saying who acted: the patient, a guardian or proxy
    (a Grant's role), the clinic's staff or the system."""
    record_event(
        action,
        actor=actor,
        role=role,
        subject_national_id=appointment.patient.national_id,
        details={"appointment": appointment.pk, "by": role},
    )


def _taken() -> str:
    return _("The appointment is unfortunately no longer available")


def locked_slot(slot_id: int) -> Slot | None:
    """The slot, its row locked: booking it, offering it to the waiting list and blocking it take turns."""
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("appointment_type", "practitioner")
        .filter(pk=slot_id)
        .first()
    )


def active_appointment_for_update(**lookup) -> Appointment | None:
    """The active (not cancelled) appointment matching `lookup`, its row locked."""
    return (
        Appointment.objects.select_for_update()
        .select_related("slot", "patient")
        .filter(cancelled_at__isnull=True, **lookup)
        .first()
    )


def why_not_bookable(patient: ListPatient, slot: Slot | None, *, now=None) -> BookingError | None:
    """The refusal of a slot the patient may not book online, or None if they may (whether it is still free
    is found when booking). selectors.bookable_slots_for decides, the rule the free-time page lists by;
    this only picks the words."""
    now = now or timezone.now()
    if slot is None:
        return BookingError(_("This appointment cannot be booked online."), code="not_bookable")
    if selectors.bookable_slots_for(patient, slot.appointment_type, now=now).filter(pk=slot.pk).exists():
        return None
    if slot.starts_at <= now:
        return BookingError(_("The time has passed. Choose another time."), code="time_passed")
    if (
        slot.practitioner.role == Practitioner.Role.GP
        and slot.practitioner_id != patient.gp_id
        and not settings.EPORTAL_BOOKING_ANY_PRACTITIONER
    ):
        return BookingError(_("You can book online with your own GP."), code="own_gp_only")
    return BookingError(_("This appointment cannot be booked online."), code="not_bookable")


def _reserved_for_another(slot: Slot, patient: ListPatient, now) -> bool:
    return WaitlistOffer.objects.holding(now).filter(slot=slot).exclude(entry__appointment__patient=patient).exists()


def limit_refusal(patient, *, now=None) -> BookingError | None:
    """The refusal for a patient who already holds EPORTAL_BOOKING_MAX_FUTURE future appointments, or None: the
    booking pages say it before anything is chosen, and place_booking refuses with it."""
    if not selectors.booking_limit_reached(patient, now=now):
        return None
    return BookingError(
        _("You already have %(count)d future appointments booked online. Cancel one, or call the clinic.")
        % {"count": settings.EPORTAL_BOOKING_MAX_FUTURE},
        code="too_many_appointments",
    )


def place_booking(*, grant: Grant, slot_id: int, reason: str) -> Appointment:
    """Book the slot for the grant's patient in the caller's transaction, or raise BookingError: the rules,
    the appointment and its audit entry. The caller tells the patient (booked, or moved)."""
    grant.require(Capability.APPOINTMENTS)
    patient = ListPatient.objects.select_for_update().get(pk=grant.patient.pk)  # one booking at a time per patient
    slot = locked_slot(slot_id)
    now = timezone.now()
    refusal = why_not_bookable(patient, slot, now=now)
    if refusal is not None:
        raise refusal
    if slot.appointment_type.reason_required and not reason.strip():
        raise BookingError(_("Write a short reason for the appointment."), code="reason_required")
    limit = limit_refusal(patient, now=now)
    if limit is not None:
        raise limit
    active = Appointment.objects.filter(patient=patient, cancelled_at__isnull=True, slot__starts_at__gt=now)
    if active.filter(Q(slot__starts_at__lt=slot.ends_at) & Q(slot__ends_at__gt=slot.starts_at)).exists():
        raise BookingError(_("You already have an appointment at that time."), code="overlapping_appointment")
    if _reserved_for_another(slot, patient, now):
        raise BookingError(_taken(), code="slot_taken")
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                slot=slot, patient=patient, booked_by=grant.actor.user, reason=reason.strip()
            )
    except IntegrityError:
        raise BookingError(_taken(), code="slot_taken") from None
    audit("appointment_booked", appointment, actor=grant.actor, role=grant.role)
    return appointment


@transaction.atomic
def book_slot(*, grant: Grant, slot_id: int, reason: str) -> Appointment:
    """Book one free online slot for the grant's patient, or raise BookingError. One transaction: no
    appointment without its notice and audit entry, and the database refuses a second booking of the slot."""
    appointment = place_booking(grant=grant, slot_id=slot_id, reason=reason)
    notices.booked(appointment)
    return appointment


def mark_cancelled(appointment: Appointment, *, actor: Actor, role: str) -> None:
    """Cancel the (locked) appointment and audit it; what the freed time means for others is the caller's."""
    appointment.cancelled_at, appointment.cancelled_by = timezone.now(), actor.user
    appointment.save(update_fields=["cancelled_at", "cancelled_by"])
    audit("appointment_cancelled", appointment, actor=actor, role=role)


def send_due_reminders(*, now=None) -> int:
    """Remind about appointments starting within EPORTAL_REMINDER_HOURS, once each."""
    now = now or timezone.now()
    due = Appointment.objects.select_related("slot", "patient").filter(
        cancelled_at__isnull=True,
        reminded_at__isnull=True,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + datetime.timedelta(hours=settings.EPORTAL_REMINDER_HOURS),
    )
    count = 0
    for appointment in due:
        with transaction.atomic():
            if Appointment.objects.filter(pk=appointment.pk, reminded_at__isnull=True).update(reminded_at=now):
                notices.reminder(appointment)
                count += 1
    return count
