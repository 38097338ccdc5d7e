"""«Bestill time» and «Mine timer»: thin views over booking's services and selectors."""

import contextlib
import datetime
import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.accounts import web_session
from eportal.clinic import working_days
from eportal.clinic.selectors import get_clinic
from eportal.representation.policy import AccessRefused, Capability, choose, grant
from eportal.web.decorators import patient_required
from eportal.web.pages import form_page

from . import ics, selectors
from .errors import BookingError
from .forms import ReasonForm
from .models import Appointment, Slot
from .notices import deadline_rule
from .services import appointments, cancellation, waitlist


def _grant(request):
    """The policy's yes for the appointments of the person the actor acts for now (AccessRefused: a page
    with the reason, 404 or 403)."""
    return grant(request.actor, Capability.APPOINTMENTS)


# The free-time page shows one week (?uke=2026-W50, ISO weeks) from this week to a year ahead: as far as
# EPORTAL_BOOKING_HORIZON_DAYS may reach, so no bookable time is out of reach.
WEEK_PARAMETER = "uke"
WEEK_FORMAT = re.compile(r"^(\d{4})-W(\d{2})$")
LAST_WEEK_AHEAD = datetime.timedelta(days=366)


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _week_label(monday: datetime.date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _week_range(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The Mondays of the first and the last week the free-time page shows: this week and a year ahead."""
    return _monday(today), _monday(today + LAST_WEEK_AHEAD)


def _shown_week(value: str | None, today: datetime.date) -> tuple[datetime.date, str | None]:
    """The Monday of the week the free-time page shows for ?uke=, and why it is not the one asked for (a
    Norwegian message) or None. Missing: this week; not a week, or outside _week_range(): the nearest week
    that is."""
    first, last = _week_range(today)
    if not value:
        return first, None
    found = WEEK_FORMAT.match(value.strip())
    try:
        monday = datetime.date.fromisocalendar(int(found[1]), int(found[2]), 1) if found else None
    except ValueError:
        monday = None
    if monday is None:
        return first, _("We did not understand which week you asked for. Here is this week.")
    if monday < first:
        return first, _("That week has passed. Here is this week.")
    if monday > last:
        return last, _("Times are shown up to a year ahead. Here is the last week shown.")
    return monday, None


@patient_required
def choose_type(request):
    patient = _grant(request).patient
    limit = appointments.limit_refusal(patient)
    types = [] if limit else list(selectors.bookable_types())
    return render(request, "booking/choose_type.html", {"types": types, "limit": limit})


@patient_required
def choose_time(request, type_id):
    """One week of the type's free times, by day, with links to the weeks before and after."""
    patient = _grant(request).patient
    appointment_type = selectors.bookable_type(type_id)
    if appointment_type is None:
        raise Http404
    context = {"type": appointment_type, "limit": appointments.limit_refusal(patient)}
    if context["limit"]:
        return render(request, "booking/choose_time.html", context)
    today = timezone.localdate()
    monday, problem = _shown_week(request.GET.get(WEEK_PARAMETER), today)
    slots = selectors.free_slots_in_week(patient=patient, appointment_type=appointment_type, monday=monday)
    names = {slot["practitioner_id"]: slot["practitioner_name"] for slot in slots}
    # Each time as a small row (its link, clock time, and the practitioner's name when the week has several):
    # the page lists dozens, so no URL reversing or date filter per time.
    confirm_base = reverse("booking:confirm", args=[0]).removesuffix("0/")
    by_day: dict[datetime.date, list[dict]] = {}
    for slot in slots:
        starts = timezone.localtime(slot["starts_at"])
        by_day.setdefault(starts.date(), []).append(
            {
                "href": f"{confirm_base}{slot['pk']}/",
                "time": f"{starts:%H:%M}",
                "name": names[slot["practitioner_id"]] if len(names) > 1 else "",
            }
        )
    week = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    # Weekdays without times say why when the clinic is closed (asked only when there is such a day).
    bare = [day for day in week if day.weekday() < 5 and day not in by_day]
    closed = _closed_labels(bare[0], bare[-1]) if bare else {}
    first_free = None if slots else selectors.first_free_slot(patient=patient, appointment_type=appointment_type)
    first_monday, last_monday = _week_range(today)
    step = datetime.timedelta(days=7)
    context.update(
        {
            "problem": problem,
            "monday": monday,
            "sunday": week[-1],
            "week_number": monday.isocalendar()[1],
            # Weekdays always (a day without times says so); Saturday and Sunday only when they have times.
            "days": [(day, by_day.get(day, []), closed.get(day)) for day in week if day.weekday() < 5 or day in by_day],
            "practitioner": next(iter(names.values())) if len(names) == 1 else None,
            "previous_week": _week_label(monday - step) if monday > first_monday else None,
            "next_week": _week_label(monday + step) if monday < last_monday else None,
            "first_free": first_free,
            "first_free_week": first_free and _week_label(_monday(timezone.localdate(first_free.starts_at))),
            "week_label": _week_label(monday),
            "has_times": bool(slots),
            "week_parameter": WEEK_PARAMETER,
        }
    )
    return render(request, "booking/choose_time.html", context)


def _closed_labels(first_day: datetime.date, last_day: datetime.date) -> dict[datetime.date, str]:
    """What a patient reads on a day the clinic is closed: a public holiday's name, or that the clinic is closed
    (the reason staff gave a closed day of their own is for staff)."""
    holidays = working_days.public_holidays(first_day, last_day)
    return {
        day: _("Closed: %(holiday)s") % {"holiday": holidays[day]} if day in holidays else _("The clinic is closed")
        for day in working_days.closed_days(first_day, last_day)
    }


@patient_required
def confirm(request, slot_id):
    granted = _grant(request)
    patient = granted.patient
    slot = Slot.objects.select_related("appointment_type", "practitioner").filter(pk=slot_id).first()
    if slot is None:
        raise Http404
    form = ReasonForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            appointment = appointments.book_slot(grant=granted, slot_id=slot.pk, reason=form.cleaned_data["reason"])
        except BookingError as exc:
            error = exc
        else:
            return redirect("booking:booked", appointment_id=appointment.pk)
    # The service's own checks: a time the patient may not book, or a patient who may book no more, is
    # offered no form.
    refusal = appointments.why_not_bookable(patient, slot) or appointments.limit_refusal(patient)
    context = {"slot": None if refusal else slot, "form": form, "error": error or refusal, "rule": deadline_rule()}
    return form_page(request, "booking/confirm.html", context)


def _own_appointment(request, appointment_id):
    appointment = (
        Appointment.objects.select_related("slot__practitioner", "slot__appointment_type")
        .filter(pk=appointment_id, patient=_grant(request).patient)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


@patient_required
def booked(request, appointment_id):
    appointment = _own_appointment(request, appointment_id)
    context = {
        "appointment": appointment,
        "deadline": selectors.cancellation_deadline(appointment.slot),
        "rule": deadline_rule(),
    }
    return render(request, "booking/booked.html", context)


@patient_required
def my_appointments(request):
    """The coming appointments, and the history (those begun or cancelled); the page's clinic is the context
    processor's."""
    patient = _grant(request).patient
    future, past = selectors.my_appointments(patient, timezone.now())
    at = _("at")
    for row in past:  # twenty rows: each time written once here, not by two filters and a tag per row
        local = timezone.localtime(row["starts_at"])
        row["when"] = f"{formats.date_format(local, 'j. F Y')} {at} {local:%H:%M}"
    # The held offers are read only when one of the coming appointments has one (most pages: none).
    offers = selectors.open_offers(patient) if any(appointment.has_offer for appointment in future) else []
    context = {"future": future, "past": past, "offers": offers}
    return render(request, "booking/my_appointments.html", context)


@patient_required
def cancel(request, appointment_id):
    """GET asks once more (the time and the rule, or why it cannot be cancelled online); POST cancels and
    redirects to the receipt. Another patient's appointment is not found."""
    appointment = _own_appointment(request, appointment_id)
    if appointment.cancelled_at is not None:  # a second click, or the back button: the receipt
        return redirect("booking:cancelled", appointment_id=appointment.pk)
    if request.method == "POST":
        try:
            cancellation.cancel_appointment(grant=_grant(request), appointment_id=appointment.pk)
        except BookingError as exc:
            messages.error(request, str(exc))
            return redirect("booking:mine")
        return redirect("booking:cancelled", appointment_id=appointment.pk)
    context = {
        "appointment": appointment,
        "can_cancel": selectors.can_cancel_online(appointment, timezone.now()),
        "deadline": selectors.cancellation_deadline(appointment.slot),
        "rule": deadline_rule(),
    }
    return render(request, "booking/cancel_confirm.html", context)


@patient_required
def cancelled(request, appointment_id):
    """The receipt of a cancelled appointment (after cancel's POST)."""
    appointment = _own_appointment(request, appointment_id)
    if appointment.cancelled_at is None:
        return redirect("booking:cancel", appointment_id=appointment.pk)
    return render(request, "booking/cancelled.html", {"appointment": appointment})


@patient_required
def calendar_file(request, appointment_id):
    appointment = _own_appointment(request, appointment_id)
    response = HttpResponse(ics.calendar(appointment, clinic=get_clinic()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="time-{appointment.pk}.ics"'
    return response


def _patient_action(request, action, success: str, **ids):
    """Run a booking service for the acting patient; its refusal is shown as a message on «Mine timer»."""
    try:
        action(grant=_grant(request), **ids)
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("booking:mine")


@patient_required
@require_POST
def join_waitlist(request, appointment_id):
    return _patient_action(
        request,
        waitlist.join_waitlist,
        _("You are on the waiting list. We send you an SMS if an earlier time becomes free."),
        appointment_id=appointment_id,
    )


@patient_required
@require_POST
def leave_waitlist(request, appointment_id):
    return _patient_action(
        request, waitlist.leave_waitlist, _("You are off the waiting list."), appointment_id=appointment_id
    )


@patient_required
@require_POST
def decline_offer(request, offer_id):
    return _patient_action(
        request, waitlist.decline_offer, _("Thank you. The time goes to the next on the list."), offer_id=offer_id
    )


def _follow_offer(request, offer_id: int) -> None:
    """The SMS link of an offer leads to the person the time is held for: a guardian or fullmakt holder acting
    for someone else (or for themselves) is switched to them, if the policy lets them act for that person."""
    held_for = selectors.offer_patient(offer_id)
    if held_for is None:
        return
    if held_for.national_id == request.user.national_id:
        if request.actor.acting_for is not None:
            web_session.act_for(request, None)
    elif held_for.pk != request.actor.acting_for:
        with contextlib.suppress(AccessRefused):  # not theirs: the page says the offer is gone, as for any other
            web_session.act_for(request, choose(request.actor, held_for.pk).pk)


@patient_required
def offer(request, offer_id):
    """The earlier time held for the patient: take it (the appointment moves) or say no thanks."""
    _follow_offer(request, offer_id)
    granted = _grant(request)
    held = selectors.open_offers(granted.patient).filter(pk=offer_id).first()
    if held is None:
        messages.error(request, waitlist.offer_gone())
        return redirect("booking:mine")
    if request.method == "POST":
        try:
            appointment = waitlist.take_offer(grant=granted, offer_id=held.pk)
        except BookingError as exc:
            messages.error(request, str(exc))
            return redirect("booking:mine")
        return redirect("booking:booked", appointment_id=appointment.pk)
    context = {
        "offer": held,
        "rule": deadline_rule(),
        "inside_deadline": selectors.inside_cancel_deadline(held.slot, timezone.now()),
        "deadline_hours": settings.EPORTAL_CANCEL_DEADLINE_HOURS,
    }
    return render(request, "booking/offer.html", context)
