"""Choosing whom to act for («Personer du kan handle på vegne av» on Min side), and back to oneself."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.accounts import web_session
from eportal.web.decorators import patient_required
from eportal.web.forms import PortalForm

from ..policy import choose


class ChooseForm(PortalForm):
    patient = forms.IntegerField(min_value=1)


@patient_required
@require_POST
def act_for(request):
    form = ChooseForm(request.POST)
    patient = choose(request.actor, form.cleaned_data["patient"] if form.is_valid() else None)
    web_session.act_for(request, patient.pk)
    messages.success(request, _("You are now acting on behalf of %(name)s.") % {"name": patient.full_name})
    return redirect("accounts:my-page")


@patient_required
@require_POST
def act_for_myself(request):
    web_session.act_for(request, None)
    messages.success(request, _("You are acting for yourself again."))
    return redirect("accounts:my-page")
