"""«Logg inn»: the choice of electronic ID, login with password + SMS code, and logout."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.core.actor import SUBSTANTIAL
from eportal.core.public_url import public_url
from eportal.notifications.sms import next_sms_allowed_at, wait_message
from eportal.web.pages import form_page, safe_next

from .. import assurance, forms, oidc, web_session
from ..errors import AccountError
from ..models import OneTimeCode
from ..services import codes, sms_login

LOGIN = OneTimeCode.Purpose.LOGIN


def login_choice(request):
    context = {"sms_price": settings.EPORTAL_SMS_PRICE_NOK, "bankid_enabled": oidc.is_configured()}
    return render(request, "accounts/login.html", context)


def login_sms(request):
    form = forms.PasswordLoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            attempt_id = sms_login.start_password_login(
                actor=request.actor,
                national_id=form.cleaned_data["national_id"],
                password=form.cleaned_data["password"],
            )
        except AccountError as exc:
            error = exc
        else:
            web_session.remember_code_attempt(request, LOGIN, attempt_id)
            web_session.remember_next(request, safe_next(request) or web_session.next_url(request))
            return redirect("accounts:login-code")
    elif request.method == "GET" and safe_next(request):
        web_session.remember_next(request, safe_next(request))
    context = {"form": form, "error": error, "sms_price": settings.EPORTAL_SMS_PRICE_NOK}
    return form_page(request, "accounts/login_sms.html", context)


def sms_wait(actor, user, purpose: str) -> str:
    """«For mange SMS …» with when a new code can be asked for, while the SMS caps stop one; else ""."""
    at = next_sms_allowed_at(user=user, ip=actor.network, purpose=codes.SMS_PURPOSES[purpose])
    return wait_message(at) if at is not None else ""


def _pending_login_user(request):
    return codes.pending_code_user(attempt_id=web_session.code_attempt(request, LOGIN), purpose=LOGIN)


def login_code(request):
    user = _pending_login_user(request)
    if user is None:
        messages.info(request, _("Log in with your personal number and password first."))
        return redirect("accounts:login-sms")
    form = forms.CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        next_url = web_session.next_url(request) or reverse(settings.LOGIN_REDIRECT_URL)
        try:
            user = sms_login.finish_code_login(
                actor=request.actor,
                attempt_id=web_session.code_attempt(request, LOGIN),
                code=form.cleaned_data["code"],
            )
        except AccountError as exc:
            error = exc
        else:
            web_session.forget_code_attempt(request, LOGIN)
            web_session.log_in(request, user, method=assurance.METHOD_PASSWORD_SMS, level=SUBSTANTIAL)
            return redirect(next_url)
    context = {"form": form, "error": error, "sms_wait": sms_wait(request.actor, user, LOGIN)}
    return form_page(request, "accounts/login_code.html", context)


@require_POST
def login_code_resend(request):
    user = _pending_login_user(request)
    if user is None:
        return redirect("accounts:login-sms")
    try:
        attempt_id = codes.issue_code(actor=request.actor, user=user, purpose=LOGIN)
    except AccountError as exc:
        if exc.code != "sms_limit":  # the code page itself says until when
            messages.error(request, str(exc))
    else:
        web_session.remember_code_attempt(request, LOGIN, attempt_id)
        messages.info(request, _("A new code has been sent."))
    return redirect("accounts:login-code")


@require_POST
def logout_view(request):
    id_token = web_session.log_out(request)
    messages.info(request, _("You are logged out."))
    provider_logout = (
        id_token and oidc.is_configured() and oidc.end_session_form(id_token, public_url(reverse("clinic:front")))
    )
    if not provider_logout:
        return redirect("clinic:front")
    # The BankID session ends too: a form posted to the provider (by the page's script, or the button), which
    # then sends the browser back to the front page.
    endpoint, fields = provider_logout
    response = render(request, "accounts/provider_logout.html", {"endpoint": endpoint, "fields": fields})
    add_never_cache_headers(response)
    response._csp_update = {"form-action": [oidc.end_session_origin()]}
    return response
