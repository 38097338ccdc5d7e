"""Booking use cases: making slots from the weekly schedule, booking and cancelling.

Times are Europe/Oslo wall-clock times turned into aware datetimes per date, so a schedule that says
08:00 means 08:00 on both sides of a daylight-saving change.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.accounts.selectors import has_active_account
from eportal.audit.services import record_event
from eportal.clinic.models import ListPatient
from eportal.core.actor import Actor, system_actor

from . import notices, selectors
from .models import Absence, Appointment, Slot, WaitlistEntry, WaitlistOffer, WeeklySchedule


class BookingError(Exception):
    """A refusal the person should read; str() is the Norwegian message."""


def local_zone() -> ZoneInfo:
    return timezone.get_default_timezone()


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


def acting_role(appointment: Appointment, by) -> str:
    """Who acted on the appointment: the patient, a guardian (acting for them) or the clinic's staff."""
    if by is None or by.is_staff:
        return "staff"
    return "patient" if by.national_id == appointment.patient.national_id else "guardian"


def _audit(action: str, appointment: Appointment, *, actor: Actor) -> None:
    role = acting_role(appointment, actor.user)
    record_event(
        action,
        actor=actor,
        role=role,
        subject_national_id=appointment.patient.national_id,
        details={"appointment": appointment.pk, "by": role},
    )


def _taken() -> str:
    return _("The appointment is unfortunately no longer available")


def _locked_slot(slot_id: int) -> Slot | None:
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("appointment_type", "practitioner")
        .filter(pk=slot_id)
        .first()
    )


def _reserved_for_another(slot: Slot, patient: ListPatient, now) -> bool:
    return WaitlistOffer.objects.holding(now).filter(slot=slot).exclude(entry__appointment__patient=patient).exists()


def _book(*, actor: Actor, patient: ListPatient, slot_id: int, reason: str) -> Appointment:
    patient = ListPatient.objects.select_for_update().get(pk=patient.pk)  # one booking at a time per patient
    # The slot's row is locked too: booking it, offering it to the waiting list and blocking it take turns.
    slot = _locked_slot(slot_id)
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
    if _reserved_for_another(slot, patient, now):
        raise BookingError(_taken())
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                slot=slot, patient=patient, booked_by=actor.user, reason=reason.strip()
            )
    except IntegrityError:
        raise BookingError(_taken()) from None
    _audit("appointment_booked", appointment, actor=actor)
    return appointment


@transaction.atomic
def book_slot(*, actor: Actor, patient: ListPatient, slot_id: int, reason: str) -> Appointment:
    """Book one free online slot for the patient, or raise BookingError. One transaction: no
    appointment without its notice and audit entry, and the database refuses a second booking of the slot."""
    appointment = _book(actor=actor, patient=patient, slot_id=slot_id, reason=reason)
    notices.booked(appointment)
    return appointment


def _release(appointment: Appointment, *, actor: Actor) -> None:
    """Cancel the appointment, end its waiting-list entries, and offer the freed time to the waiting list."""
    appointment.cancelled_at, appointment.cancelled_by = timezone.now(), actor.user
    appointment.save(update_fields=["cancelled_at", "cancelled_by"])
    _audit("appointment_cancelled", appointment, actor=actor)
    for entry in WaitlistEntry.objects.filter(appointment=appointment, ended_at__isnull=True):
        _end_entry(entry)
    offer_freed_slot(appointment.slot)


def _cancel(appointment: Appointment, *, actor: Actor, by_clinic: bool) -> Appointment:
    _release(appointment, actor=actor)
    notices.cancelled(appointment, by_clinic=by_clinic)
    return appointment


def _active_appointment_for_update(**lookup) -> Appointment | None:
    return (
        Appointment.objects.select_for_update()
        .select_related("slot", "patient")
        .filter(cancelled_at__isnull=True, **lookup)
        .first()
    )


@transaction.atomic
def cancel_appointment(*, actor: Actor, patient: ListPatient, appointment_id: int) -> Appointment:
    """Cancel the patient's own appointment before the deadline, or raise BookingError."""
    appointment = _active_appointment_for_update(pk=appointment_id, patient=patient)
    if appointment is None:
        raise BookingError(_("The appointment was not found."))
    if timezone.now() > cancellation_deadline(appointment):
        raise BookingError(_("The deadline for cancelling online has passed. Call the clinic."))
    return _cancel(appointment, actor=actor, by_clinic=False)


@transaction.atomic
def set_slot_blocked(*, actor: Actor, slot_id: int, blocked: bool) -> Slot:
    """Staff block a free coming time, or open a blocked one (which the waiting list is then offered)."""
    slot = _locked_slot(slot_id)
    if slot is None or slot.starts_at <= timezone.now():
        raise BookingError(_("The time was not found, or it has passed."))
    if slot.appointments.filter(cancelled_at__isnull=True).exists():
        raise BookingError(_("The time is booked. Cancel the appointment first."))
    if slot.blocked != blocked:
        slot.blocked = blocked
        slot.save(update_fields=["blocked"])
        record_event(
            "slot_blocked" if blocked else "slot_opened",
            actor=actor,
            role="staff",
            details={"slot": slot.pk},
        )
        for offer in WaitlistOffer.objects.filter(slot=slot, status=WaitlistOffer.Status.OPEN):
            _close_offer(offer, WaitlistOffer.Status.WITHDRAWN)  # a blocked time is not offered on
        if not blocked:
            offer_freed_slot(slot)
    return slot


@transaction.atomic
def cancel_for_clinic(*, actor: Actor, appointment_id: int) -> Appointment:
    """The clinic cancels a coming appointment (no deadline); the patient is told to contact the clinic."""
    appointment = _active_appointment_for_update(pk=appointment_id, slot__starts_at__gt=timezone.now())
    if appointment is None:
        raise BookingError(_("The appointment was not found, or it has already been cancelled or has passed."))
    return _cancel(appointment, actor=actor, by_clinic=True)


# «Gi meg beskjed om en tidligere time» -----------------------------------------------------------


def _open_entry(appointment: Appointment) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(appointment=appointment, ended_at__isnull=True).first()


@transaction.atomic
def join_waitlist(*, actor: Actor, patient: ListPatient, appointment_id: int) -> WaitlistEntry:
    """Put the patient's coming appointment on the waiting list for an earlier time (once)."""
    appointment = _active_appointment_for_update(
        pk=appointment_id,
        patient=patient,
        slot__starts_at__gt=timezone.now(),
        slot__appointment_type__bookable_online=True,
    )
    if appointment is None:
        raise BookingError(_("The appointment was not found."))
    entry = _open_entry(appointment)
    if entry is None:
        entry = WaitlistEntry.objects.create(appointment=appointment)
        _audit("waitlist_joined", appointment, actor=actor)
    return entry


def _end_entry(entry: WaitlistEntry) -> None:
    """End an entry; a time held for it goes on to the next in line."""
    entry.ended_at = timezone.now()
    entry.save(update_fields=["ended_at"])
    for offer in entry.offers.filter(status=WaitlistOffer.Status.OPEN).select_related("slot"):
        _close_offer(offer, WaitlistOffer.Status.WITHDRAWN)


@transaction.atomic
def leave_waitlist(*, actor: Actor, patient: ListPatient, appointment_id: int) -> None:
    appointment = Appointment.objects.filter(pk=appointment_id, patient=patient).first()
    entry = _open_entry(appointment) if appointment else None
    if entry is None:
        raise BookingError(_("You are not on the waiting list for this appointment."))
    _end_entry(entry)
    _audit("waitlist_left", appointment, actor=actor)


def _quiet_hours(now) -> bool:
    """Night: no offers and no SMS (EPORTAL_WAITLIST_QUIET_HOURS, e.g. (22, 7); equal hours: never quiet)."""
    start, end = settings.EPORTAL_WAITLIST_QUIET_HOURS
    hour = timezone.localtime(now).hour
    return (hour >= start or hour < end) if start > end else start <= hour < end


def _hold() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.EPORTAL_WAITLIST_HOLD_MINUTES)


def _waiting_entries():
    """Open entries of coming appointments whose patient still has a user, with no time held for them now."""
    return (
        WaitlistEntry.objects.filter(
            ended_at__isnull=True,
            appointment__cancelled_at__isnull=True,
            appointment__slot__starts_at__gt=timezone.now(),
        )
        .filter(has_active_account(OuterRef("appointment__patient__national_id")))
        .exclude(offers__status=WaitlistOffer.Status.OPEN)
        .select_related("appointment__patient", "appointment__slot")
    )


@transaction.atomic
def _make_offer(entry: WaitlistEntry, slot: Slot, now) -> WaitlistOffer | None:
    """Hold the time for the entry if it still waits (checked under its lock, so a patient leaving the list
    or taking another time meanwhile wins) and tell the patient: offer, audit and notice commit together."""
    if not _waiting_entries().select_for_update(of=("self",)).filter(pk=entry.pk).exists():
        return None
    try:
        with transaction.atomic():
            offer = WaitlistOffer.objects.create(entry=entry, slot=slot, expires_at=now + _hold())
    except IntegrityError:  # held for someone else already
        return None
    record_event(
        "waitlist_offered",
        actor=system_actor(),
        subject_national_id=entry.appointment.patient.national_id,
        details={"appointment": entry.appointment_id, "slot": slot.pk, "offer": offer.pk},
    )
    notices.earlier_time_offered(offer)
    return offer


def offer_freed_slot(slot: Slot) -> WaitlistOffer | None:
    """Hold a freed time for the first on the waiting list whose appointment of the same type with the
    same practitioner is later, and tell them. Each entry is offered a given time once."""
    now = timezone.now()
    if _quiet_hours(now):
        return None  # booking-jobs offers it in the morning, if it is still free
    with transaction.atomic():
        return _offer_locked_slot(slot, now)


def _offer_locked_slot(slot: Slot, now) -> WaitlistOffer | None:
    _locked_slot(slot.pk)  # booking the time waits for the offer, or the offer sees the booking
    slot = (
        selectors.free_online_slots(
            practitioner_ids=[slot.practitioner_id], appointment_type_id=slot.appointment_type_id, limit=None
        )
        .filter(pk=slot.pk, starts_at__gt=now + _hold())
        .first()
    )
    if slot is None:
        return None
    entry = (
        _waiting_entries()
        .filter(
            appointment__slot__practitioner_id=slot.practitioner_id,
            appointment__slot__appointment_type_id=slot.appointment_type_id,
            appointment__slot__starts_at__gt=slot.starts_at,
        )
        .exclude(offers__slot=slot)
        .first()
    )
    return _make_offer(entry, slot, now) if entry else None


def offer_free_times() -> int:
    """For each patient waiting (first asked, first served), the earliest free time before theirs that they
    have not been offered: times freed at night, and times staff free or add by hand. Run by booking-jobs."""
    now = timezone.now()
    if _quiet_hours(now):
        return 0
    made = 0
    for entry in _waiting_entries():
        appointment_slot = entry.appointment.slot
        slot = (
            selectors.free_online_slots(
                practitioner_ids=[appointment_slot.practitioner_id],
                appointment_type_id=appointment_slot.appointment_type_id,
                limit=None,
            )
            .filter(starts_at__gt=now + _hold(), starts_at__lt=appointment_slot.starts_at)
            .exclude(offers__entry=entry)
            .first()
        )
        if slot is not None:
            made += _make_offer(entry, slot, now) is not None
    return made


def _close_offer(offer: WaitlistOffer, status: str) -> bool:
    """Close an open offer and pass its time on; claimed by a conditional update, so that two closers
    (the patient's "no thanks" and the expiry job) cannot both pass it on."""
    closed = WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
        status=status, answered_at=timezone.now()
    )
    if closed:
        offer_freed_slot(offer.slot)
    return bool(closed)


def offer_gone() -> str:
    return _("The offer is no longer valid. The time may have gone to someone else.")


def _own_open_offer(offer_id: int, patient: ListPatient) -> WaitlistOffer:
    offer = (
        WaitlistOffer.objects.select_related("slot", "entry__appointment")
        .filter(pk=offer_id, entry__appointment__patient=patient)
        .first()
    )
    if offer is None:
        raise BookingError(_("The offer was not found."))
    if not WaitlistOffer.objects.holding(timezone.now()).filter(pk=offer.pk).exists():
        raise BookingError(offer_gone())
    return offer


@transaction.atomic
def take_offer(*, actor: Actor, patient: ListPatient, offer_id: int) -> Appointment:
    """Move the patient's appointment to the earlier time held for them: one transaction, so they never
    lose the old time without getting the new one. The old time goes on to the next in line."""
    offer = _own_open_offer(offer_id, patient)
    old = _active_appointment_for_update(pk=offer.entry.appointment_id)
    if old is None:
        raise BookingError(offer_gone())
    claimed = WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.TAKEN, answered_at=timezone.now()
    )
    if not claimed:  # the expiry job or a second click was first
        raise BookingError(offer_gone())
    _end_entry(offer.entry)  # any other time held for this entry goes on
    _release(old, actor=actor)
    new = _book(actor=actor, patient=patient, slot_id=offer.slot_id, reason=old.reason)
    notices.moved(new, old)
    return new


@transaction.atomic
def decline_offer(*, actor: Actor, patient: ListPatient, offer_id: int) -> None:
    """No thanks: the time goes on to the next in line; the patient stays on the list for other times."""
    offer = _own_open_offer(offer_id, patient)
    if not _close_offer(offer, WaitlistOffer.Status.DECLINED):
        raise BookingError(offer_gone())
    _audit("waitlist_declined", offer.entry.appointment, actor=actor)


WAITLIST_UNANSWERED_LIMIT = 2  # holds that ran out unanswered before an entry ends


def expire_waitlist_offers() -> int:
    """Pass on the times whose hold ran out (run every few minutes, with the reminders). An entry whose
    holds ran out unanswered WAITLIST_UNANSWERED_LIMIT times ends: someone who does not answer is not sent
    an SMS every hour. Entries of appointments that are over end too."""
    now = timezone.now()
    WaitlistEntry.objects.filter(ended_at__isnull=True, appointment__slot__starts_at__lte=now).update(ended_at=now)
    expired = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OPEN, expires_at__lte=now)
    count = 0
    for offer in expired.select_related("slot", "entry"):
        with transaction.atomic():
            count += _close_offer(offer, WaitlistOffer.Status.EXPIRED)
            unanswered = offer.entry.offers.filter(status=WaitlistOffer.Status.EXPIRED).count()
            if unanswered >= WAITLIST_UNANSWERED_LIMIT and offer.entry.ended_at is None:
                _end_entry(offer.entry)
    return count
