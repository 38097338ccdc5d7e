"""Registration («Mine opplysninger», OPPRETT NY BRUKER) and activation by the e-mailed link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eportal.clinic.selectors import get_clinic
from eportal.web.pages import form_page

from .. import forms, web_session
from ..services import registration
from .link_pages import link_page


def register(request):
    form = forms.RegistrationForm(request.POST or None, clinic_name=get_clinic().name)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registration.register_account(
            actor=request.actor,
            national_id=data["national_id"],
            email=data["email"],
            mobile=data["mobile"],
            password=data["new_password1"],
        )
        return redirect("accounts:registered")
    return form_page(request, "accounts/register.html", {"form": form})


def registered(request):
    return render(request, "accounts/registered.html")


def activate_link(request, uidb64, token):
    web_session.keep_link_token(request, token)
    return redirect("accounts:activate-confirm", uidb64=uidb64)


def activate_confirm(request, uidb64):
    def activate(user, token):
        registration.activate_account(actor=request.actor, user=user, token=token)
        messages.success(request, _("Your user is activated. You can now log in."))
        return redirect("accounts:login-sms")

    return link_page(
        request,
        uidb64,
        works=registration.activation_link_works,
        act=activate,
        template="accounts/activate.html",
        bad_link_page=_bad_link,
    )


def _bad_link(request, error):
    form = forms.ResendActivationForm()
    return render(request, "accounts/bad_link.html", {"reason": error, "form": form}, status=400)


def resend_activation(request):
    form = forms.ResendActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.resend_activation(
            actor=request.actor, national_id=form.cleaned_data["national_id"], email=form.cleaned_data["email"]
        )
        return redirect("accounts:registered")
    return form_page(request, "accounts/bad_link.html", {"form": form, "reason": ""})
