"""eKonsultasjon: first the check for urgent symptoms (113, legevakt), then, from a BankID login (a weaker one
is sent to BankID and back), the form with the price and the answer date, over messaging.consultations."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from eportal.core.actor import HIGH
from eportal.representation.policy import Capability, Relation, grant
from eportal.web.decorators import patient_required, requires_level
from eportal.web.pages import form_page

from . import consultations, fees
from .errors import MessagingError
from .forms import ConsultationForm
from .services import answer_by

CHECKED = "ja"  # ?ingen-hast=ja: the patient said they have none of the urgent symptoms


def _grant(request):
    return grant(request.actor, Capability.EKONSULTASJON)


def _price_context(granted, quote: fees.Quote) -> dict:
    """The price as the pages show it: the table's lines that apply, and what the patient pays in all."""
    table, nok = quote.table, fees.format_nok
    rows = [(_("Egenandel for eKonsultasjon"), nok(table.daytime), nok(table.evening))]
    if quote.specialist:
        supplement = nok(table.specialist_supplement)
        rows.append((_("Supplement: your GP is a specialist in general practice"), supplement, supplement))
    if table.invoice_fee:
        rows.append((_("Invoice fee"), nok(table.invoice_fee), nok(table.invoice_fee)))
    return {
        "price_rows": rows,
        "price_totals": (nok(quote.daytime_total), nok(quote.evening_total)),
        "under_16": fees.exemption_for(granted.patient.national_id, timezone.localdate(), "") == fees.UNDER_16,
        "free_groups": [label for _key, label in fees.declarable_exemptions()],
        "daytime_hours": settings.EPORTAL_EKONSULTASJON_DAYTIME_HOURS,
        "answer_by": answer_by(),
        "working_days": settings.EPORTAL_MESSAGE_ANSWER_WORKING_DAYS,
    }


@patient_required
def check(request):
    """«eKonsultasjon»: what it is and costs, and the urgent-symptom check; «Ja» shows 113 and legevakt."""
    granted = _grant(request)
    urgent = request.GET.get("hast") == "ja"
    context = {
        "urgent": urgent,
        "high": request.actor.meets(HIGH),
        # The seed's child account (the child's number, the guardian's mobile): BankID would prove the guardian.
        "child_account": granted.relation == Relation.CHILD_ACCOUNT,
        "form_url": f"{reverse('messaging:ekonsultasjon-form')}?{urlencode({'ingen-hast': CHECKED})}",
        **_price_context(granted, consultations.quote_for(granted)),
    }
    return render(request, "messaging/ekonsultasjon_check.html", context)


@sensitive_post_parameters("subject", "body")
@requires_level(HIGH)
@patient_required
def form(request):
    granted = _grant(request)
    if request.GET.get("ingen-hast") != CHECKED and request.method != "POST":
        return redirect("messaging:ekonsultasjon")
    exemptions = fees.declarable_exemptions()
    posted = request.method == "POST"
    form = ConsultationForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        exemptions=exemptions,
        initial={"no_urgent_symptoms": True},
    )
    error = None
    quote = consultations.quote_for(granted)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            message = consultations.send_consultation(
                grant=granted, subject=data["subject"], body=data["body"], uploads=data["attachments"],
                declared_exemption=data["exemption"], no_urgent_symptoms=data["no_urgent_symptoms"],
                price_confirmed=data["price_confirmed"], price_version=data["price_version"],
                submit_id=data["submit_id"], for_patient_id=data["for_patient"],
            )  # fmt: skip
        except MessagingError as exc:
            error = exc
        else:
            messages.success(request, _("The eKonsultasjon is sent to your GP."))
            return redirect("messaging:thread", thread_id=message.thread_id)
    context = {
        "form": form,
        "error": error,
        "for_patient": granted.patient.pk,
        "price_version": quote.version,
        "gp": granted.patient.gp,
        **_price_context(granted, quote),
    }
    return form_page(request, "messaging/ekonsultasjon_form.html", context)
