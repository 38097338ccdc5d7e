"""«Gi meg beskjed om en tidligere time»: joining and leaving the waiting list, offers, taking and declining.

A freed earlier time is held for the first in line who may book it (the free-time page's rule), and told by
SMS; an offer taken moves the appointment, one declined or run out goes on to the next. No offers at night.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.models import ListPatient
from eportal.core.actor import system_actor
from eportal.representation.policy import Capability, Grant
from eportal.representation.recipients import reachable

from .. import notices, selectors
from ..errors import BookingError
from ..models import Appointment, Slot, WaitlistEntry, WaitlistOffer
from . import appointments

WAITLIST_UNANSWERED_LIMIT = 2  # holds that ran out unanswered before an entry ends


def _open_entry(appointment: Appointment) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(appointment=appointment, ended_at__isnull=True).first()


@transaction.atomic
def join_waitlist(*, grant: Grant, appointment_id: int) -> WaitlistEntry:
    """Put the grant's patient's coming appointment on the waiting list for an earlier time (once): one of a
    type patients book online (selectors.bookable_types, by which «Mine timer» shows the button)."""
    grant.require(Capability.APPOINTMENTS)
    appointment = appointments.active_appointment_for_update(
        pk=appointment_id,
        patient=grant.patient,
        slot__starts_at__gt=timezone.now(),
        slot__appointment_type__in=selectors.bookable_types(),
    )
    if appointment is None:
        raise BookingError(_("The appointment was not found."), code="not_found")
    entry = _open_entry(appointment)
    if entry is None:
        entry = WaitlistEntry.objects.create(appointment=appointment)
        appointments.audit("waitlist_joined", appointment, actor=grant.actor, role=grant.role)
    return entry


def _end_entry(entry: WaitlistEntry) -> None:
    """End an entry; a time held for it goes on to the next in line."""
    entry.ended_at = timezone.now()
    entry.save(update_fields=["ended_at"])
    for offer in entry.offers.filter(status=WaitlistOffer.Status.OPEN).select_related("slot"):
        _close_offer(offer, WaitlistOffer.Status.WITHDRAWN)


@transaction.atomic
def leave_waitlist(*, grant: Grant, appointment_id: int) -> None:
    grant.require(Capability.APPOINTMENTS)
    appointment = Appointment.objects.filter(pk=appointment_id, patient=grant.patient).first()
    entry = _open_entry(appointment) if appointment else None
    if entry is None:
        raise BookingError(_("You are not on the waiting list for this appointment."), code="not_found")
    _end_entry(entry)
    appointments.audit("waitlist_left", appointment, actor=grant.actor, role=grant.role)


def appointment_cancelled(appointment: Appointment) -> None:
    """The appointment was just cancelled: its entries end, and its time is offered to the next in line."""
    for entry in WaitlistEntry.objects.filter(appointment=appointment, ended_at__isnull=True):
        _end_entry(entry)
    offer_freed_slot(appointment.slot)


def withdraw_offers(slot: Slot) -> None:
    """The time was blocked: a hold on it ends (and is not offered on)."""
    for offer in WaitlistOffer.objects.filter(slot=slot, status=WaitlistOffer.Status.OPEN):
        _close_offer(offer, WaitlistOffer.Status.WITHDRAWN)


def _quiet_hours(now) -> bool:
    """Night: no offers and no SMS (EPORTAL_WAITLIST_QUIET_HOURS, e.g. (22, 7); equal hours: never quiet)."""
    start, end = settings.EPORTAL_WAITLIST_QUIET_HOURS
    hour = timezone.localtime(now).hour
    return (hour >= start or hour < end) if start > end else start <= hour < end


def _hold() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.EPORTAL_WAITLIST_HOLD_MINUTES)


def _waiting_entries():
    """Open entries of coming appointments whose patient someone can still be told about (their own user, a
    guardian's or a fullmakt holder's), with no time held for them now."""
    return (
        WaitlistEntry.objects.filter(
            ended_at__isnull=True,
            appointment__cancelled_at__isnull=True,
            appointment__slot__starts_at__gt=timezone.now(),
        )
        .filter(reachable("appointment__patient"))
        .exclude(offers__status=WaitlistOffer.Status.OPEN)
        .select_related("appointment__patient", "appointment__slot__appointment_type")
    )


def _earlier_free_times(entry: WaitlistEntry, now):
    """Free times the entry's patient may book online (the free-time page's rule), of the same type with the
    same practitioner, before their appointment and far enough ahead to be held; never a time the patient had
    and cancelled (a cancelled appointment of theirs on it): they gave it up, so it goes to the next in line."""
    waiting_slot = entry.appointment.slot
    patient = entry.appointment.patient
    given_up = Appointment.objects.filter(slot=OuterRef("pk"), patient=patient, cancelled_at__isnull=False)
    return (
        selectors.free_online_slots(patient=patient, appointment_type=waiting_slot.appointment_type, limit=None)
        .filter(
            practitioner_id=waiting_slot.practitioner_id,
            starts_at__gt=now + _hold(),
            starts_at__lt=waiting_slot.starts_at,
        )
        .exclude(Exists(given_up))
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
    slot = appointments.locked_slot(slot.pk)  # booking the time waits for the offer, or the offer sees the booking
    if slot is None:
        return None
    if not Slot.objects.bookable_online(now).free(now).filter(pk=slot.pk, starts_at__gt=now + _hold()).exists():
        return None  # booked, held, blocked or too soon for anyone; who may book it is asked per entry below
    waiting = (
        _waiting_entries()
        .filter(
            appointment__slot__practitioner_id=slot.practitioner_id,
            appointment__slot__appointment_type_id=slot.appointment_type_id,
            appointment__slot__starts_at__gt=slot.starts_at,
        )
        .exclude(offers__slot=slot)
    )
    for entry in waiting:  # first asked, first served: the first the time is free and bookable for
        if _earlier_free_times(entry, now).filter(pk=slot.pk).exists():
            return _make_offer(entry, slot, now)
    return None


def offer_free_times() -> int:
    """For each patient waiting (first asked, first served), the earliest free time before theirs that they
    have not been offered: times freed at night, and times staff free or add by hand. Run by booking-jobs."""
    now = timezone.now()
    if _quiet_hours(now):
        return 0
    made = 0
    for entry in _waiting_entries():
        slot = _earlier_free_times(entry, now).exclude(offers__entry=entry).first()
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
        raise BookingError(_("The offer was not found."), code="not_found")
    if not WaitlistOffer.objects.holding(timezone.now()).filter(pk=offer.pk).exists():
        raise BookingError(offer_gone(), code="offer_gone")
    return offer


@transaction.atomic
def take_offer(*, grant: Grant, offer_id: int) -> Appointment:
    """Move the grant's patient's appointment to the earlier time held for them: one transaction, so they
    never lose the old time without getting the new one. The old time goes on to the next in line."""
    grant.require(Capability.APPOINTMENTS)
    offer = _own_open_offer(offer_id, grant.patient)
    old = appointments.active_appointment_for_update(pk=offer.entry.appointment_id)
    if old is None:
        raise BookingError(offer_gone(), code="offer_gone")
    claimed = WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN).update(
        status=WaitlistOffer.Status.TAKEN, answered_at=timezone.now()
    )
    if not claimed:  # the expiry job or a second click was first
        raise BookingError(offer_gone(), code="offer_gone")
    _end_entry(offer.entry)  # any other time held for this entry goes on
    appointments.mark_cancelled(old, actor=grant.actor, role=grant.role)
    appointment_cancelled(old)
    new = appointments.place_booking(grant=grant, slot_id=offer.slot_id, reason=old.reason)
    notices.moved(new, old)
    return new


@transaction.atomic
def decline_offer(*, grant: Grant, offer_id: int) -> None:
    """No thanks: the time goes on to the next in line; the patient stays on the list for other times."""
    grant.require(Capability.APPOINTMENTS)
    offer = _own_open_offer(offer_id, grant.patient)
    if not _close_offer(offer, WaitlistOffer.Status.DECLINED):
        raise BookingError(offer_gone(), code="offer_gone")
    appointments.audit("waitlist_declined", offer.entry.appointment, actor=grant.actor, role=grant.role)


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
