"""Read queries for booking, built for a constant number of queries per page, and the rules the pages and the
services share: which times a patient may book online, and until when an appointment can be cancelled online."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from eportal.clinic.models import ListPatient, Practitioner, person_name
from eportal.core.prepared import Prepared

from .models import Appointment, AppointmentType, Slot, WaitlistEntry, WaitlistOffer

# Which times a patient may book online ---------------------------------------------------------------
# The free-time page lists free_online_slots, the booking service books only a slot bookable_slots_for
# holds, and the waiting list offers only free_online_slots: one rule, so they cannot drift apart.


BOOKABLE_TYPE = {"active": True, "bookable_online": True, "shown_to_patients": True}


def bookable_types():
    """The appointment types patients may book online: active, bookable online and shown to patients; in
    the clinic's order (AppointmentType.position, then name)."""
    return AppointmentType.objects.filter(**BOOKABLE_TYPE).order_by("position", "name")


_BOOKABLE_TYPE = Prepared(lambda type_id: bookable_types().filter(pk=type_id)[:1])


def bookable_type(type_id: int) -> AppointmentType | None:
    """The type of bookable_types() with this id, or None."""
    return next(iter(_BOOKABLE_TYPE(type_id=type_id)), None)


def practitioners_for(patient, appointment_type) -> list[int]:
    """Whose times of this type the patient may book online: for a GP's type only the patient's own GP
    (unless EPORTAL_BOOKING_ANY_PRACTITIONER), else the active practitioners of the type's role."""
    role = appointment_type.practitioner_role
    if role == Practitioner.Role.GP and not settings.EPORTAL_BOOKING_ANY_PRACTITIONER:
        return [patient.gp_id]  # no query: the rule on the practitioner's row is checked on the join below
    return list(Practitioner.objects.filter(active=True, role=role).values_list("pk", flat=True))


def bookable_slots_for(patient, appointment_type, *, now):
    """The times of this type the patient may book online, free or not: released online, not blocked, not
    begun, of a type in bookable_types(), with an active practitioner of the type's role among
    practitioners_for()."""
    return _bookable_slots(**_rule(patient, appointment_type, now))


def _rule(patient, appointment_type, now) -> dict:
    """What _bookable_slots() asks of the patient and the type, as the values it takes (no model instances, so
    that the compiled queries below take them too)."""
    return {
        "people": practitioners_for(patient, appointment_type),
        "type_id": appointment_type.pk,
        "role": appointment_type.practitioner_role,
        "now": now,
    }


def _bookable_slots(*, people: list[int], type_id: int, role: str, now):
    # The practitioners as a list of ids and the type's rule on the join: so the database walks the
    # (practitioner, starts_at) index of those few, not every practitioner's times of the type (an IN
    # subquery made the query grow with the clinic: 3 ms at 1x and 29 ms at 10x, bench/README.md).
    return Slot.objects.bookable_online(now).filter(
        appointment_type_id=type_id,
        **{f"appointment_type__{field}": value for field, value in BOOKABLE_TYPE.items()},
        practitioner_id__in=people,
        practitioner__active=True,
        practitioner__role=role,
    )


def _free_slots(*, people: list[int], type_id: int, role: str, now):
    """_bookable_slots(), less those booked or held for a patient on the waiting list, soonest first."""
    return _bookable_slots(people=people, type_id=type_id, role=role, now=now).free(now).order_by("starts_at")


def free_online_slots(*, patient, appointment_type, limit: int | None = 200):
    """The free times of this type the patient may book online, soonest first: bookable_slots_for(), less
    those booked or held for a patient on the waiting list."""
    slots = _free_slots(**_rule(patient, appointment_type, timezone.now())).select_related("practitioner")
    return slots if limit is None else slots[:limit]


_FREE_IN_WEEK = Prepared(
    lambda *, start, end, **rule: (
        _free_slots(**rule)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .values_list("pk", "starts_at", "practitioner_id", "practitioner__first_name", "practitioner__last_name")
    )
)


def free_slots_in_week(*, patient, appointment_type, monday: datetime.date) -> list[dict]:
    """The free times of free_online_slots() in the week from `monday` (clinic time), soonest first, as rows
    {pk, starts_at, practitioner_id, practitioner_name}: one query, and no model instances for a page that
    lists dozens. The practitioner's join is also what keeps SQLite on the (practitioner, type, starts_at)
    index: without it, it walks every practitioner's times of the type that week (0.26 ms at 1x, 2.7 ms at
    10x, bench/README.md)."""
    start, end = local_day_bounds(monday, 7)
    rows = _FREE_IN_WEEK(**_rule(patient, appointment_type, timezone.now()), start=start, end=end)
    return [
        {
            "pk": pk,
            "starts_at": starts_at,
            "practitioner_id": practitioner,
            "practitioner_name": person_name(first, last),
        }
        for pk, starts_at, practitioner, first, last in rows
    ]


def first_free_slot(*, patient, appointment_type) -> Slot | None:
    """The soonest free time of free_online_slots(), or None."""
    return free_online_slots(patient=patient, appointment_type=appointment_type, limit=1).first()


def booking_limit_reached(patient, *, now=None) -> bool:
    """Whether the patient already holds EPORTAL_BOOKING_MAX_FUTURE active appointments ahead: the booking pages
    say so up front, and the booking service refuses by this same rule."""
    most = settings.EPORTAL_BOOKING_MAX_FUTURE
    return len(_AHEAD({"most": most}, patient_id=patient.pk, now=now or timezone.now())) >= most


_AHEAD = Prepared(
    lambda *, most, patient_id, now: Appointment.objects.filter(
        patient_id=patient_id, cancelled_at__isnull=True, slot__starts_at__gt=now
    ).values_list("pk", flat=True)[:most]
)


# Until when an appointment can be cancelled online ---------------------------------------------------


def cancellation_deadline(slot: Slot) -> datetime.datetime:
    """The last moment an appointment at this time may be cancelled online: EPORTAL_CANCEL_DEADLINE_HOURS
    before it."""
    return slot.starts_at - datetime.timedelta(hours=settings.EPORTAL_CANCEL_DEADLINE_HOURS)


def can_cancel_online(appointment: Appointment, now: datetime.datetime) -> bool:
    """Whether the patient may cancel the appointment online now: «Mine timer» shows the button by it, and
    the cancelling service refuses by it."""
    return appointment.cancelled_at is None and now <= cancellation_deadline(appointment.slot)


def inside_cancel_deadline(slot: Slot, now: datetime.datetime) -> bool:
    """Whether a time booked now could no longer be cancelled online (a waiting-list offer says so first)."""
    return now > cancellation_deadline(slot)


# Pages --------------------------------------------------------------------------------------------------


HISTORY_LIMIT = 20  # «Tidligere timer» shows the latest 20


def is_bookable_type(appointment_type: AppointmentType) -> bool:
    """bookable_types()'s rule on a type already loaded (no query)."""
    return all(getattr(appointment_type, field) == value for field, value in BOOKABLE_TYPE.items())


def next_appointment(patient, now: datetime.datetime) -> Appointment | None:
    """The patient's next appointment that is not cancelled, with its practitioner, or None (one query)."""
    return (
        Appointment.objects.select_related("slot__practitioner")
        .filter(patient=patient, cancelled_at__isnull=True, slot__starts_at__gt=now)
        .order_by("slot__starts_at", "pk")
        .first()
    )


def _coming(*, patient_id: int, now):
    waiting = WaitlistEntry.objects.filter(appointment=OuterRef("pk"), ended_at__isnull=True)
    offered = WaitlistOffer.objects.holding(now).filter(entry__appointment=OuterRef("pk"))
    return (
        Appointment.objects.filter(patient_id=patient_id, cancelled_at__isnull=True, slot__starts_at__gt=now)
        .select_related("slot__practitioner", "slot__appointment_type")
        .annotate(on_waitlist=Exists(waiting), has_offer=Exists(offered))
        .order_by("slot__starts_at", "pk")
    )


def _history(*, patient_id: int, now):
    return (
        Appointment.objects.filter(Q(cancelled_at__isnull=False) | Q(slot__starts_at__lte=now), patient_id=patient_id)
        .order_by("-slot__starts_at", "-pk")
        .values_list(
            "slot__starts_at",
            "slot__practitioner__first_name",
            "slot__practitioner__last_name",
            "slot__appointment_type__name",
            "cancelled_at",
        )[:HISTORY_LIMIT]
    )


_COMING, _HISTORY = Prepared(_coming), Prepared(_history)


def my_appointments(patient, now: datetime.datetime) -> tuple[list[Appointment], list[dict]]:
    """«Mine timer» in two queries, however many appointments: the coming active ones, soonest first, each
    with `.can_cancel`, `.on_waitlist`, `.can_wait` (the services' rules: can_cancel_online, and the waiting
    list's bookable_types) and `.has_offer` (an earlier time is held for it now: open_offers() has one); and
    the history, latest first, cut at HISTORY_LIMIT: those begun and those cancelled (never among the coming
    ones), as rows {starts_at, practitioner_name, type_name, cancelled}: the page lists twenty, so no model
    instances for them."""
    future = _COMING(patient_id=patient.pk, now=now)
    for appointment in future:
        appointment.can_cancel = can_cancel_online(appointment, now)
        appointment.can_wait = is_bookable_type(appointment.slot.appointment_type)
    history = _HISTORY(patient_id=patient.pk, now=now)
    return future, [
        {
            "starts_at": starts_at,
            "practitioner_name": person_name(first, last),
            "type_name": kind,
            "cancelled": bool(at),
        }
        for starts_at, first, last, kind, at in history
    ]


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
