"""The days the clinic is closed (public holidays and the clinic's own closed days, clinic.working_days): their
free times are withdrawn, their booked appointments kept for staff to move or cancel (the capacity page
lists them).

Withdrawal runs in `eportal generate-slots` (daily, over every coming slot, so a holiday's times made before
this rule, or a closed day added any other way, go too) and at once when staff save a closed day in the
admin (save_closed_day). A free time that was never booked nor offered is deleted; one with a history (a
cancelled appointment, a waiting-list offer) is blocked, and a hold on it withdrawn.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from eportal.audit.services import record_event
from eportal.clinic.models import ClosedDay
from eportal.clinic.working_days import closed_days
from eportal.core.actor import Actor

from ..models import Appointment, Slot, WaitlistOffer
from ..selectors import local_day_bounds
from . import waitlist
from .schedule import generate_slots


@dataclass(frozen=True)
class Withdrawal:
    withdrawn: int  # free times deleted or blocked
    kept_booked: int  # booked appointments left on the closed days, for staff to handle


@dataclass(frozen=True)
class ClosedDayInPeriod:
    day: datetime.date
    name: str  # «1. juledag», or the closed day's reason
    appointments: list[Appointment]  # booked and not cancelled, in time order


def _on_days(days, field: str = "starts_at") -> Q:
    """Starting on one of the days (local dates)."""
    query = Q(pk__in=[])
    for day in days:
        start, end = local_day_bounds(day)
        query |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return query


def withdraw_free_slots(*, actor: Actor, first_day: datetime.date, last_day: datetime.date) -> Withdrawal:
    """Withdraw the coming free times on the closed days from `first_day` to `last_day`; booked ones stay."""
    closed = closed_days(first_day, last_day)
    if not closed:
        return Withdrawal(0, 0)
    now = timezone.now()
    with transaction.atomic():
        # Locked as booking locks a slot: a booking either lands first (and is kept) or finds the time gone.
        slot_ids = list(
            Slot.objects.select_for_update(of=("self",))
            .filter(_on_days(closed), starts_at__gt=now)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        booked = set(
            Appointment.objects.filter(slot_id__in=slot_ids, cancelled_at__isnull=True).values_list(
                "slot_id", flat=True
            )
        )
        free = [pk for pk in slot_ids if pk not in booked]
        with_history = set(Appointment.objects.filter(slot_id__in=free).values_list("slot_id", flat=True))
        with_history |= set(WaitlistOffer.objects.filter(slot_id__in=free).values_list("slot_id", flat=True))
        Slot.objects.filter(pk__in=[pk for pk in free if pk not in with_history]).delete()
        blocked = Slot.objects.filter(pk__in=with_history, blocked=False)
        blocked_ids = list(blocked.values_list("pk", flat=True))
        blocked.update(blocked=True)
        for slot in Slot.objects.filter(pk__in=blocked_ids):
            waitlist.withdraw_offers(slot)  # blocked first, so the time is not offered on
    result = Withdrawal(withdrawn=len(free), kept_booked=len(booked))
    if result.withdrawn or result.kept_booked:
        record_event(
            "closed_day_slots_withdrawn",
            actor=actor,
            role="staff" if actor.is_authenticated else "system",
            details={"days": [day.isoformat() for day in closed], **result.__dict__},
        )
    return result


def withdraw_all_coming(*, actor: Actor) -> Withdrawal:
    """Withdraw the free times on every coming closed day that has slots (the daily run)."""
    today = timezone.localdate()
    last = Slot.objects.filter(starts_at__gt=timezone.now()).aggregate(last=Max("starts_at"))["last"]
    if last is None:
        return Withdrawal(0, 0)
    return withdraw_free_slots(actor=actor, first_day=today, last_day=timezone.localdate(last))


def save_closed_day(*, actor: Actor, closed_day: ClosedDay, previous_date: datetime.date | None = None) -> Withdrawal:
    """Save a closed day (new or changed) and withdraw its free times at once; a date moved away from opens the
    old day again (its times are made anew, within the booking horizon)."""
    with transaction.atomic():
        closed_day.save()
        if previous_date and previous_date != closed_day.date:
            _reopen(previous_date)
        result = withdraw_free_slots(actor=actor, first_day=closed_day.date, last_day=closed_day.date)
        record_event("closed_day_saved", actor=actor, role="staff", details={"day": closed_day.date.isoformat()})
    return result


def delete_closed_day(*, actor: Actor, closed_day: ClosedDay) -> None:
    """The clinic is open that day after all: its times are made anew (within the booking horizon)."""
    day = closed_day.date
    with transaction.atomic():
        closed_day.delete()
        _reopen(day)
        record_event("closed_day_deleted", actor=actor, role="staff", details={"day": day.isoformat()})


def _reopen(day: datetime.date) -> None:
    today = timezone.localdate()
    if today <= day < today + datetime.timedelta(days=settings.EPORTAL_BOOKING_HORIZON_DAYS):
        generate_slots(first_day=day, days=1)  # still nothing on a public holiday


def closed_days_in_period(*, first_day: datetime.date, last_day: datetime.date) -> list[ClosedDayInPeriod]:
    """The closed days from `first_day` to `last_day`, each with its coming booked appointments (staff move or
    cancel them; the clinic is closed)."""
    closed = closed_days(first_day, last_day)
    by_day: dict[datetime.date, list[Appointment]] = {day: [] for day in closed}
    if closed:
        booked = (
            Appointment.objects.filter(
                _on_days(closed, "slot__starts_at"),
                cancelled_at__isnull=True,
                slot__starts_at__gt=timezone.now(),
            )
            .select_related("slot__practitioner", "slot__appointment_type")
            .order_by("slot__starts_at", "slot__practitioner__last_name")
        )
        for appointment in booked:
            by_day[timezone.localdate(appointment.slot.starts_at)].append(appointment)
    return [ClosedDayInPeriod(day=day, name=name, appointments=by_day[day]) for day, name in closed.items()]
