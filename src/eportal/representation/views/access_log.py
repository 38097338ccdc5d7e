"""«Hvem har sett opplysningene mine»: who at the clinic saw, and who acted for, the patient the actor acts for."""

from django.shortcuts import render

from eportal.web.decorators import patient_required

from ..policy import Capability, grant
from ..selectors import access_log_page


@patient_required
def access_log(request):
    granted = grant(request.actor, Capability.ACCESS_LOG)
    log = access_log_page(granted, request.GET.get("side"))
    context = {"log": log, "patient": granted.patient, "for_other": granted.for_other}
    return render(request, "representation/access_log.html", context)
