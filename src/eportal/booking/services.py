"""Booking use cases: making slots from the weekly schedule, booking and cancelling.

Times are Europe/Oslo wall-clock times turned into aware datetimes per date, so a schedule that says
08:00 means 08:00 on both sides of a daylight-saving change.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.models import ListPatient

from . import notices
from .models import Absence, Appointment, Slot, WeeklySchedule


class BookingError(Exception):
    """A refusal the person should read; str() is the Norwegian message."""


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def generate_slots(*, first_day: datetime.date, days: int) -> int:
    """Make the slots of the weekly schedule for `days` days from `first_day`; safe to run again
    (existing slots are kept as they are). Returns how many slots were made."""
    zone = local_zone()
    last_day = first_day + datetime.timedelta(days=days - 1)
    absences = list(Absence.objects.filter(first_day__lte=last_day, last_day__gte=first_day))
    blocks_by_weekday: dict[int, list[WeeklySchedule]] = {}
    for block in WeeklySchedule.objects.select_related("appointment_type", "practitioner").filter(
        practitioner__active=True
    ):
        blocks_by_weekday.setdefault(block.weekday, []).append(block)
    new_slots = []
    for offset in range(days):
        day = first_day + datetime.timedelta(days=offset)
        for block in blocks_by_weekday.get(day.weekday(), []):
            if any(
                absence.first_day <= day <= absence.last_day
                and absence.practitioner_id in (None, block.practitioner_id)
                for absence in absences
            ):
                continue
            length = datetime.timedelta(minutes=block.appointment_type.duration_minutes)
            start = datetime.datetime.combine(day, block.starts, tzinfo=zone)
            block_end = datetime.datetime.combine(day, block.ends, tzinfo=zone)
            while start + length <= block_end:
                new_slots.append(
                    Slot(
                        practitioner=block.practitioner,
                        appointment_type=block.appointment_type,
                        starts_at=start,
                        ends_at=start + length,
                        online=block.online,
                    )
                )
                start += length
    before = Slot.objects.count()
    Slot.objects.bulk_create(new_slots, batch_size=1000, ignore_conflicts=True)
    return Slot.objects.count() - before


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


def cancellation_deadline(appointment: Appointment) -> datetime.datetime:
    return appointment.slot.starts_at - datetime.timedelta(hours=settings.EPORTAL_CANCEL_DEADLINE_HOURS)


def _audit(action: str, appointment: Appointment, *, by, request) -> None:
    """Who booked or cancelled whose appointment: the patient, a guardian or (no user) the clinic."""
    record_event(
        action,
        actor=f"user:{by.pk}" if by else "staff",
        actor_user=by,
        subject_national_id=appointment.patient.national_id,
        request=request,
        details={"appointment": appointment.pk},
    )


def _taken() -> str:
    return _("The appointment is unfortunately no longer available")


@transaction.atomic
def book_slot(*, patient: ListPatient, slot_id: int, reason: str, booked_by, request=None) -> Appointment:
    """Book one free online slot for the patient, or raise BookingError. One transaction: no
    appointment without its audit entry, and the database refuses a second booking of the slot."""
    patient = ListPatient.objects.select_for_update().get(pk=patient.pk)  # one booking at a time per patient
    slot = Slot.objects.select_related("appointment_type", "practitioner").filter(pk=slot_id).first()
    now = timezone.now()
    if slot is None or not slot.online or slot.blocked or not slot.appointment_type.bookable_online:
        raise BookingError(_("This appointment cannot be booked online."))
    if slot.starts_at <= now:
        raise BookingError(_("The time has passed. Choose another time."))
    if (
        not settings.EPORTAL_BOOKING_ANY_PRACTITIONER
        and slot.practitioner.role == "gp"
        and slot.practitioner_id != patient.gp_id
    ):
        raise BookingError(_("You can book online with your own GP."))
    if slot.appointment_type.reason_required and not reason.strip():
        raise BookingError(_("Write a short reason for the appointment."))
    active = Appointment.objects.filter(patient=patient, cancelled_at__isnull=True, slot__starts_at__gt=now)
    if active.count() >= settings.EPORTAL_BOOKING_MAX_FUTURE:
        raise BookingError(
            _("You already have %(count)d future appointments booked online. Cancel one, or call the clinic.")
            % {"count": settings.EPORTAL_BOOKING_MAX_FUTURE}
        )
    if active.filter(Q(slot__starts_at__lt=slot.ends_at) & Q(slot__ends_at__gt=slot.starts_at)).exists():
        raise BookingError(_("You already have an appointment at that time."))
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                slot=slot, patient=patient, booked_by=booked_by, reason=reason.strip()
            )
    except IntegrityError:
        raise BookingError(_taken()) from None
    notices.booked(appointment)
    _audit("appointment_booked", appointment, by=booked_by, request=request)
    return appointment


@transaction.atomic
def cancel_appointment(*, appointment_id: int, patient: ListPatient, cancelled_by, request=None) -> Appointment:
    """Cancel the patient's own appointment before the deadline, or raise BookingError."""
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("slot")
        .filter(pk=appointment_id, patient=patient, cancelled_at__isnull=True)
        .first()
    )
    if appointment is None:
        raise BookingError(_("The appointment was not found."))
    now = timezone.now()
    if now > cancellation_deadline(appointment):
        raise BookingError(_("The deadline for cancelling online has passed. Call the clinic."))
    appointment.cancelled_at, appointment.cancelled_by = now, cancelled_by
    appointment.save(update_fields=["cancelled_at", "cancelled_by"])
    notices.cancelled(appointment)
    _audit("appointment_cancelled", appointment, by=cancelled_by, request=request)
    return appointment
