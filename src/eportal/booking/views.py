"""«Bestill time» and «Mine timer»: thin views over booking's services and selectors."""

import itertools

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from eportal.accounts.views import form_page, patient_required
from eportal.clinic.models import Practitioner
from eportal.clinic.selectors import get_clinic
from eportal.representation.services import acting_patient

from . import ics, selectors, services
from .forms import ReasonForm
from .models import Appointment, AppointmentType, Slot
from .notices import deadline_rule


def _bookable_types():
    return AppointmentType.objects.filter(active=True, bookable_online=True, shown_to_patients=True)


def _practitioners_for(patient, appointment_type):
    """Whom the patient may book this type with: their own GP, or the nurses (a setting widens it)."""
    people = Practitioner.objects.filter(active=True, role=appointment_type.practitioner_role)
    if appointment_type.practitioner_role == Practitioner.Role.GP and not settings.EPORTAL_BOOKING_ANY_PRACTITIONER:
        people = people.filter(pk=patient.gp_id)
    return list(people.values_list("pk", flat=True))


@patient_required
def choose_type(request):
    acting_patient(request)
    return render(request, "booking/choose_type.html", {"types": _bookable_types()})


@patient_required
def choose_time(request, type_id):
    patient = acting_patient(request)
    appointment_type = _bookable_types().filter(pk=type_id).first()
    if appointment_type is None:
        raise Http404
    slots = selectors.free_online_slots(
        practitioner_ids=_practitioners_for(patient, appointment_type), appointment_type_id=appointment_type.pk
    )
    days = [
        (day, list(day_slots))
        for day, day_slots in itertools.groupby(slots, key=lambda slot: timezone.localdate(slot.starts_at))
    ]
    return render(request, "booking/choose_time.html", {"type": appointment_type, "days": days})


@patient_required
def confirm(request, slot_id):
    patient = acting_patient(request)
    slot = Slot.objects.select_related("appointment_type", "practitioner").filter(pk=slot_id).first()
    if slot is None:
        raise Http404
    form = ReasonForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.book_slot(
                patient=patient,
                slot_id=slot.pk,
                reason=form.cleaned_data["reason"],
                booked_by=request.user,
                request=request,
            )
        except services.BookingError as exc:
            error = str(exc)
        else:
            return redirect("booking:booked", appointment_id=appointment.pk)
    context = {"slot": slot, "form": form, "error": error, "rule": deadline_rule()}
    return form_page(request, "booking/confirm.html", context)


def _own_appointment(request, appointment_id):
    appointment = (
        Appointment.objects.select_related("slot__practitioner", "slot__appointment_type")
        .filter(pk=appointment_id, patient=acting_patient(request))
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
        "deadline": services.cancellation_deadline(appointment),
        "rule": deadline_rule(),
    }
    return render(request, "booking/booked.html", context)


@patient_required
def my_appointments(request):
    patient = acting_patient(request)
    now = timezone.now()
    appointments = Appointment.objects.select_related("slot__practitioner", "slot__appointment_type").filter(
        patient=patient
    )
    future = [a for a in appointments.filter(slot__starts_at__gt=now).order_by("slot__starts_at")]
    past = appointments.filter(slot__starts_at__lte=now).order_by("-slot__starts_at")[:20]
    for appointment in future:
        appointment.can_cancel = appointment.cancelled_at is None and now <= services.cancellation_deadline(appointment)
    context = {"future": future, "past": past, "clinic": get_clinic()}
    return render(request, "booking/my_appointments.html", context)


@patient_required
@require_POST
def cancel(request, appointment_id):
    patient = acting_patient(request)
    try:
        appointment = services.cancel_appointment(
            appointment_id=appointment_id, patient=patient, cancelled_by=request.user, request=request
        )
    except services.BookingError as exc:
        messages.error(request, str(exc))
        return redirect("booking:mine")
    return render(request, "booking/cancelled.html", {"appointment": appointment})


@patient_required
def calendar_file(request, appointment_id):
    appointment = _own_appointment(request, appointment_id)
    response = HttpResponse(ics.calendar(appointment, clinic=get_clinic()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="time-{appointment.pk}.ics"'
    return response
