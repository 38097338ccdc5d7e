"""«Fullmakter»: the fullmakter a patient has given and been given, ending one, and giving one (BankID)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eportal.core.actor import HIGH
from eportal.identity.fields import NationalIdFormField
from eportal.web.decorators import patient_required, requires_level, step_up_url
from eportal.web.forms import PortalForm
from eportal.web.pages import form_page

from ..services import proxies as services
from ..services.proxies import ProxyError


class GiveProxyForm(PortalForm):
    proxy_national_id = NationalIdFormField(
        label=gettext_lazy("National identity number of the person who gets power of attorney"),
        help_text=gettext_lazy("11 digits. The person must be 18 or older."),
    )
    proxy_name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until (optional)"),
        required=False,
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Leave empty to let it hold until it is ended."),
    )


def _page(request, *, form=None, error=None, error_at: str = "give"):
    """The page, with the error of giving (shown at the form) or of ending (shown above the lists)."""
    given, earlier = services.proxies_given(request.actor)
    step_up = step_up_url(reverse("representation:proxies"), HIGH)
    context = {
        "given": given,
        "earlier": earlier,
        "received": services.proxies_received(request.actor),
        "form": form or GiveProxyForm(),
        "error": error,
        "error_at": error_at,
        "high": request.actor.meets(HIGH),
        "acting_for_other": request.actor.acting_for is not None,
        "step_up": step_up,
    }
    return form_page(request, "representation/proxies.html", context)


@patient_required
def proxies(request):
    if request.method == "POST":
        return _give(request)
    return _page(request)


@requires_level(HIGH)
def _give(request):
    form = GiveProxyForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form)
    try:
        proxy = services.give_proxy(actor=request.actor, **form.cleaned_data)
    except ProxyError as exc:
        return _page(request, form=form, error=exc)
    messages.success(request, _("You have given %(name)s power of attorney.") % {"name": proxy.proxy_name})
    return redirect("representation:proxies")


@patient_required
@require_POST
def end(request, proxy_id):
    try:
        services.end_proxy(actor=request.actor, proxy_id=proxy_id)
    except ProxyError as exc:
        return _page(request, error=exc, error_at="end")
    messages.success(request, _("The power of attorney is ended."))
    return redirect("representation:proxies")
