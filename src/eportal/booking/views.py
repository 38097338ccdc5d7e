"""«Bestill time» and «Mine timer»: thin views over booking's services and selectors."""

import contextlib
import itertools

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.accounts import web_session
from eportal.clinic.selectors import get_clinic
from eportal.representation.policy import AccessRefused, Capability, choose, grant
from eportal.web.decorators import patient_required
from eportal.web.pages import form_page

from . import ics, selectors
from .errors import BookingError
from .forms import ReasonForm
from .models import Appointment, Slot, WaitlistEntry
from .notices import deadline_rule
from .services import appointments, cancellation, waitlist


def _grant(request):
    """The policy's yes for the appointments of the person the actor acts for now (AccessRefused: a page
    with the reason, 404 or 403)."""
    return grant(request.actor, Capability.APPOINTMENTS)


@patient_required
def choose_type(request):
    _grant(request)
    return render(request, "booking/choose_type.html", {"types": selectors.bookable_types()})


@patient_required
def choose_time(request, type_id):
    patient = _grant(request).patient
    appointment_type = selectors.bookable_types().filter(pk=type_id).first()
    if appointment_type is None:
        raise Http404
    slots = selectors.free_online_slots(patient=patient, appointment_type=appointment_type)
    days = [
        (day, list(day_slots))
        for day, day_slots in itertools.groupby(slots, key=lambda slot: timezone.localdate(slot.starts_at))
    ]
    return render(request, "booking/choose_time.html", {"type": appointment_type, "days": days})


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
    # The service's own check: a time the patient may not book is neither shown nor offered a form.
    refusal = appointments.why_not_bookable(patient, slot)
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
        "deadline": selectors.cancellation_deadline(appointment),
        "rule": deadline_rule(),
    }
    return render(request, "booking/booked.html", context)


@patient_required
def my_appointments(request):
    patient = _grant(request).patient
    now = timezone.now()
    theirs = Appointment.objects.select_related("slot__practitioner", "slot__appointment_type").filter(patient=patient)
    future = list(
        theirs.filter(slot__starts_at__gt=now)
        .prefetch_related(Prefetch("waitlist_entries", WaitlistEntry.objects.filter(ended_at__isnull=True), "open"))
        .order_by("slot__starts_at")
    )
    past = theirs.filter(slot__starts_at__lte=now).order_by("-slot__starts_at")[:20]
    waitable = set(selectors.bookable_types().values_list("pk", flat=True))  # as join_waitlist asks
    for appointment in future:
        appointment.can_cancel = selectors.can_cancel_online(appointment, now)
        appointment.on_waitlist = bool(appointment.open)
        appointment.can_wait = appointment.slot.appointment_type_id in waitable
    context = {"future": future, "past": past, "offers": selectors.open_offers(patient), "clinic": get_clinic()}
    return render(request, "booking/my_appointments.html", context)


@patient_required
@require_POST
def cancel(request, appointment_id):
    try:
        appointment = cancellation.cancel_appointment(grant=_grant(request), appointment_id=appointment_id)
    except BookingError as exc:
        messages.error(request, str(exc))
        return redirect("booking:mine")
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
    return render(request, "booking/offer.html", {"offer": held, "rule": deadline_rule()})
