"""«Reseptfornyelse»: the form with a row per medicine, «Forny igjen» from earlier requests, over
messaging.renewals."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from eportal.representation.policy import Capability, grant
from eportal.web.decorators import patient_required
from eportal.web.pages import form_page

from . import renewals
from .errors import MessagingError
from .forms import RenewalForm, medicine_formset
from .services import answer_by

ROWS_SHOWN = 3


@sensitive_post_parameters()
@patient_required
def renewal(request):
    granted = grant(request.actor, Capability.RENEWAL)
    error = None
    form = RenewalForm(request.POST or None)
    if request.method == "POST":
        rows = medicine_formset(rows=0)(request.POST, prefix="medisin")
        if rows.is_valid() and form.is_valid():
            filled = [row.cleaned_data for row in rows.forms if row.cleaned_data]
            if request.POST.get("action") == "more":  # «Legg til et legemiddel»: what was written, one row more
                empty = rows.total_form_count() - len(filled)
                rows = medicine_formset(rows=empty + 1)(initial=filled, prefix="medisin")
            else:
                try:
                    message = renewals.request_renewal(
                        grant=granted, medicines=filled, submit_id=form.cleaned_data["submit_id"],
                        for_patient_id=form.cleaned_data["for_patient"],
                    )  # fmt: skip
                except MessagingError as exc:
                    error = exc
                else:
                    messages.success(request, _("The request for renewal is sent to your GP."))
                    return redirect("messaging:thread", thread_id=message.thread_id)
    else:
        again = renewals.earlier_medicine(granted, _number(request.GET.get("forny")))
        form = RenewalForm()
        rows = medicine_formset(rows=ROWS_SHOWN - bool(again))(initial=[again] if again else [], prefix="medisin")
    context = {
        "form": form,
        "rows": rows,
        "error": error,
        "earlier": [(row.pk, row.details) for row in renewals.earlier_medicines(granted)],
        "for_patient": granted.patient.pk,
        "answer_by": answer_by(),
        "working_days": settings.EPORTAL_MESSAGE_ANSWER_WORKING_DAYS,
    }
    return form_page(request, "messaging/renewal.html", context)


def _number(value) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None
