"""Read queries for booking, built for a constant number of queries per page, and the rules the pages and the
services share: which times a patient may book online, and until when an appointment can be cancelled online."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from eportal.clinic.models import ListPatient, Practitioner

from .models import Appointment, AppointmentType, Slot, WaitlistOffer

# Which times a patient may book online ---------------------------------------------------------------
# The free-time page lists free_online_slots, the booking service books only a slot bookable_slots_for
# holds, and the waiting list offers only free_online_slots: one rule, so they cannot drift apart.


BOOKABLE_TYPE = {"active": True, "bookable_online": True, "shown_to_patients": True}


def bookable_types():
    """The appointment types patients may book online: active, bookable online and shown to patients."""
    return AppointmentType.objects.filter(**BOOKABLE_TYPE)


def practitioners_for(patient, appointment_type):
    """Whom the patient may book this type with online: active practitioners of the type's role; for a GP's
    type only their own GP, unless EPORTAL_BOOKING_ANY_PRACTITIONER."""
    people = Practitioner.objects.filter(active=True, role=appointment_type.practitioner_role)
    if appointment_type.practitioner_role == Practitioner.Role.GP and not settings.EPORTAL_BOOKING_ANY_PRACTITIONER:
        people = people.filter(pk=patient.gp_id)
    return people


def bookable_slots_for(patient, appointment_type, *, now):
    """The times of this type the patient may book online, free or not: released online, not blocked, not
    begun, of a type in bookable_types(), with a practitioner in practitioners_for()."""
    # The practitioners as a list of ids and the type's rule on the join: so the database walks the
    # (practitioner, starts_at) index of those few, not every practitioner's times of the type (an IN
    # subquery made the query grow with the clinic: 3 ms at 1x and 29 ms at 10x, bench/README.md).
    return Slot.objects.bookable_online(now).filter(
        appointment_type=appointment_type,
        **{f"appointment_type__{field}": value for field, value in BOOKABLE_TYPE.items()},
        practitioner_id__in=list(practitioners_for(patient, appointment_type).values_list("pk", flat=True)),
    )


def free_online_slots(*, patient, appointment_type, limit: int | None = 200):
    """The free times of this type the patient may book online, soonest first: bookable_slots_for(), less
    those booked or held for a patient on the waiting list."""
    now = timezone.now()
    slots = (
        bookable_slots_for(patient, appointment_type, now=now)
        .free(now)
        .select_related("practitioner")
        .order_by("starts_at")
    )
    return slots if limit is None else slots[:limit]


# Until when an appointment can be cancelled online ---------------------------------------------------


def cancellation_deadline(appointment: Appointment) -> datetime.datetime:
    """The last moment the patient may cancel online: EPORTAL_CANCEL_DEADLINE_HOURS before the time."""
    return appointment.slot.starts_at - datetime.timedelta(hours=settings.EPORTAL_CANCEL_DEADLINE_HOURS)


def can_cancel_online(appointment: Appointment, now: datetime.datetime) -> bool:
    """Whether the patient may cancel the appointment online now: «Mine timer» shows the button by it, and
    the cancelling service refuses by it."""
    return appointment.cancelled_at is None and now <= cancellation_deadline(appointment)


# Pages --------------------------------------------------------------------------------------------------


def open_offers(patient):
    """Earlier times held for the patient now (from the waiting list)."""
    return (
        WaitlistOffer.objects.holding(timezone.now())
        .filter(entry__appointment__patient=patient)
        .select_related("slot__practitioner", "slot__appointment_type", "entry__appointment__slot")
    )


def offer_patient(offer_id: int) -> ListPatient | None:
    """The list patient a waiting-list offer is held for, or None."""
    return ListPatient.objects.filter(appointments__waitlist_entries__offers__pk=offer_id).first()


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
