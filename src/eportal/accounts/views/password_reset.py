"""«Hjelp til innlogging»: ask for a link, then choose a new password with the link and a code by SMS."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eportal.clinic.selectors import get_clinic, listed_patient
from eportal.web.pages import form_page

from .. import forms, web_session
from ..errors import AccountError
from ..links import user_from_link
from ..models import OneTimeCode
from ..services import codes, password_reset
from .login import sms_wait

RESET = OneTimeCode.Purpose.PASSWORD_RESET


def login_help(request):
    form = forms.ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset.request_password_reset(actor=request.actor, national_id=form.cleaned_data["national_id"])
        return render(request, "accounts/reset_sent.html")
    context = {"form": form, "sms_price": settings.EPORTAL_SMS_PRICE_NOK, "clinic": get_clinic()}
    return form_page(request, "accounts/login_help.html", context)


def reset_link(request, uidb64, token):
    web_session.keep_link_token(request, token)
    return redirect("accounts:reset-confirm", uidb64=uidb64)


def reset_confirm(request, uidb64):
    token = web_session.link_token(request)
    try:
        user = password_reset.check_reset_link(user_from_link(uidb64), token)
    except AccountError as exc:
        return render(request, "accounts/reset_bad_link.html", {"reason": exc}, status=400)
    attempt_id = web_session.code_attempt(request, RESET)
    code_sent = codes.pending_code_user(attempt_id=attempt_id, purpose=RESET) == user
    error = None
    patient = listed_patient(user.national_id)
    form = forms.ResetPasswordForm(user=user, patient=patient)
    if request.method == "POST" and "send_code" in request.POST:
        try:
            web_session.remember_code_attempt(
                request, RESET, codes.issue_code(actor=request.actor, user=user, purpose=RESET)
            )
            code_sent = True
        except AccountError as exc:
            error = exc
    elif request.method == "POST":
        form = forms.ResetPasswordForm(request.POST, user=user, patient=patient)
        if form.is_valid():
            try:
                password_reset.reset_password(
                    actor=request.actor,
                    user=user,
                    token=token,
                    attempt_id=attempt_id,
                    code=form.cleaned_data["code"],
                    new_password=form.cleaned_data["new_password1"],
                )
            except AccountError as exc:
                error = exc
            else:
                web_session.forget_code_attempt(request, RESET)
                web_session.link_token(request, forget=True)
                messages.success(request, _("Your password is changed. Log in with the new password."))
                return redirect("accounts:login-sms")
    wait = sms_wait(request.actor, user, RESET)
    if wait and getattr(error, "code", "") == "sms_limit":
        error = None  # the page says until when instead
    context = {"form": form, "error": error, "code_sent": code_sent, "sms_wait": wait}
    return form_page(request, "accounts/reset_confirm.html", context)
