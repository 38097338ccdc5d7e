"""Read queries for booking, built for a constant number of queries per page."""

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Appointment, Slot, WaitlistOffer


def open_offers(patient):
    """Earlier times held for the patient now (from the waiting list)."""
    return (
        WaitlistOffer.objects.holding(timezone.now())
        .filter(entry__appointment__patient=patient)
        .select_related("slot__practitioner", "slot__appointment_type", "entry__appointment__slot")
    )


def free_online_slots(*, practitioner_ids, appointment_type_id: int, limit: int | None = 200):
    """Free slots open for online booking, soonest first (not those held for a patient on the waiting list)."""
    now = timezone.now()
    taken = Appointment.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True)
    held = WaitlistOffer.objects.holding(now).filter(slot=OuterRef("pk"))
    slots = (
        Slot.objects.bookable_online(now)
        .filter(practitioner_id__in=practitioner_ids, appointment_type_id=appointment_type_id)
        .exclude(Exists(taken))
        .exclude(Exists(held))
        .select_related("practitioner")
        .order_by("starts_at")
    )
    return slots if limit is None else slots[:limit]


def local_day_bounds(first_day: datetime.date, days: int = 1) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware start of `first_day` and of the day after the last, in the clinic's time zone."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(first_day + datetime.timedelta(days=days), datetime.time.min, tzinfo=zone)
    return start, end


def day_list(*, practitioner_id: int, day: datetime.date) -> list[Slot]:
    """The practitioner's slots of the day, each with `.appointment` (the active one, or None)."""
    start, end = local_day_bounds(day)
    active = Appointment.objects.filter(cancelled_at__isnull=True).select_related("patient")
    slots = list(
        Slot.objects.filter(practitioner_id=practitioner_id, starts_at__gte=start, starts_at__lt=end)
        .annotate(held=Exists(WaitlistOffer.objects.holding(timezone.now()).filter(slot=OuterRef("pk"))))
        .select_related("appointment_type")
        .prefetch_related(Prefetch("appointments", queryset=active, to_attr="active_appointments"))
        .order_by("starts_at")
    )
    for slot in slots:
        slot.appointment = slot.active_appointments[0] if slot.active_appointments else None
    return slots


def slot_counts(*, first_day: datetime.date, days: int, online_only: bool = False, by_practitioner: bool = False):
    """Slots per day (and practitioner): how many in all and how many booked, in one query."""
    start, end = local_day_bounds(first_day, days)
    slots = Slot.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if online_only:
        slots = slots.bookable_online(timezone.now())
    group = ["day", "practitioner_id"] if by_practitioner else ["day"]
    active = Q(appointments__cancelled_at__isnull=True)
    return (
        slots.annotate(day=TruncDate("starts_at", tzinfo=timezone.get_default_timezone()))
        .values(*group)
        .annotate(
            total=Count("id", distinct=True),
            booked=Count("appointments", filter=active, distinct=True),
        )
        .order_by(*group)
    )
