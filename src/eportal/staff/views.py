"""The staff workspace: the day list, the week at a glance, online capacity, and cancelling for the clinic.

Only staff who logged in with password and an authenticator code reach these pages, and each also needs
its Django permission (so a clinic can give a receptionist the day list without the admin's rights).
Showing patients on a day list is a read of their data, and is audited per patient.
"""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.audit.services import record_events_for
from eportal.booking import selectors
from eportal.booking.errors import BookingError
from eportal.booking.models import Appointment, Slot
from eportal.booking.services.cancellation import cancel_for_clinic, set_slot_blocked
from eportal.booking.services.closed_days import closed_days_in_period
from eportal.web.decorators import staff_required

from .forms import DayForm, DayListForm, WeeksForm, bookable_practitioners
from .inbox_views import READS_MESSAGES


def _audit_read(request, action: str, patients, **details) -> None:
    """A staff member saw these patients' data: one audit event per patient."""
    record_events_for(
        action,
        subjects=[patient.national_id for patient in patients],
        actor=request.actor,
        role="staff",
        details=details,
    )


def _day_list_url(practitioner_id: int, day: datetime.date) -> str:
    return f"{reverse('staff:day-list')}?{urlencode({'practitioner': practitioner_id, 'day': day.isoformat()})}"


READS_DAY_LIST = "booking.view_appointment"


@staff_required(READS_DAY_LIST)
def _day_list_home(request):
    return redirect("staff:day-list")


@staff_required(READS_MESSAGES)
def _messages_home(request):
    return redirect("staff:messages")


def home(request):
    """Where a staff member works: the day list, or the message inboxes for staff who read messages but not the
    day list (a receptionist who only answers messages). Anyone else gets the day list's login or refusal."""
    if request.user.has_perm(READS_MESSAGES) and not request.user.has_perm(READS_DAY_LIST):
        return _messages_home(request)
    return _day_list_home(request)


@staff_required("booking.view_appointment")
def day_list(request):
    form = DayListForm(request.GET)
    day, practitioner = form.chosen_day(), form.chosen_practitioner()
    slots = selectors.day_list(practitioner_id=practitioner.pk, day=day) if practitioner else []
    booked = [slot.appointment for slot in slots if slot.appointment]
    _audit_read(
        request,
        "staff_viewed_day_list",
        [appointment.patient for appointment in booked],
        practitioner=practitioner.pk if practitioner else None,
        day=day.isoformat(),
    )
    now = timezone.now()
    context = {
        "form": form,
        "day": day,
        "practitioner": practitioner,
        "slots": slots,
        "booked_count": len(booked),
        "now": now,
        "previous_url": practitioner and _day_list_url(practitioner.pk, day - datetime.timedelta(days=1)),
        "next_url": practitioner and _day_list_url(practitioner.pk, day + datetime.timedelta(days=1)),
    }
    return render(request, "staff/day_list.html", context, status=200 if form.is_valid() else 400)


@staff_required("booking.view_appointment")
def week(request):
    form = DayForm(request.GET)
    chosen = form.chosen_day()
    monday = chosen - datetime.timedelta(days=chosen.weekday())
    counts = {
        (row["practitioner_id"], row["day"]): row
        for row in selectors.slot_counts(first_day=monday, days=7, by_practitioner=True)
    }
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    days = [day for day in days if day.weekday() < 5 or any(key[1] == day for key in counts)]
    rows = [
        (
            practitioner,
            [(day, counts.get((practitioner.pk, day)), _day_list_url(practitioner.pk, day)) for day in days],
        )
        for practitioner in bookable_practitioners()
    ]
    context = {
        "form": form,
        "monday": monday,
        "days": days,
        "rows": rows,
        "previous_week": (monday - datetime.timedelta(days=7)).isoformat(),
        "next_week": (monday + datetime.timedelta(days=7)).isoformat(),
    }
    return render(request, "staff/week.html", context, status=200 if form.is_valid() else 400)


@staff_required("booking.view_appointment")
def online_capacity(request):
    """Booked and free online times per day, and the days the clinic is closed in the period (public holidays
    and its own closed days), with the appointments still booked on them for staff to move or cancel."""
    form = WeeksForm(request.GET)
    weeks = form.chosen_weeks()
    first_day = timezone.localdate()
    rows = list(selectors.slot_counts(first_day=first_day, days=7 * weeks, online_only=True))
    closed = closed_days_in_period(first_day=first_day, last_day=first_day + datetime.timedelta(days=7 * weeks - 1))
    closed_names = {entry.day: entry.name for entry in closed}
    widest = max((row["total"] for row in rows), default=0) or 1
    for row in rows:
        row["free"] = row["total"] - row["booked"]
        row["booked_width"] = round(100 * row["booked"] / widest)
        row["free_width"] = round(100 * row["free"] / widest)
        row["closed"] = closed_names.get(row["day"], "")
    booked_on_closed = [
        (entry, [(booked, _day_list_url(booked.slot.practitioner_id, entry.day)) for booked in entry.appointments])
        for entry in closed
        if entry.appointments
    ]
    context = {"form": form, "weeks": weeks, "rows": rows, "closed": closed, "booked_on_closed": booked_on_closed}
    return render(request, "staff/capacity.html", context, status=200 if form.is_valid() else 400)


@staff_required("booking.change_appointment")
def cancel(request, appointment_id):
    appointment = (
        Appointment.objects.select_related("slot__practitioner", "slot__appointment_type", "patient")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise Http404
    back = _day_list_url(appointment.slot.practitioner_id, timezone.localdate(appointment.slot.starts_at))
    if request.method == "POST":
        try:
            cancel_for_clinic(actor=request.actor, appointment_id=appointment.pk)
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The appointment is cancelled. The patient has been told."))
        return redirect(back)
    _audit_read(request, "staff_viewed_appointment", [appointment.patient], appointment=appointment.pk)
    return render(request, "staff/cancel.html", {"appointment": appointment, "back": back})


@staff_required("booking.change_slot")
@require_POST
def block_slot(request, slot_id, blocked):
    slot = Slot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise Http404
    try:
        set_slot_blocked(actor=request.actor, slot_id=slot.pk, blocked=blocked)
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The time is blocked.") if blocked else _("The time is open."))
    return redirect(_day_list_url(slot.practitioner_id, timezone.localdate(slot.starts_at)))
