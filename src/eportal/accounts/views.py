"""Thin views: parse with a form, call one service, render or redirect."""

import django_otp
from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from eportal.clinic.selectors import get_clinic, listed_patient

from . import assurance, forms, oidc, services
from .models import OneTimeCode

LINK_SESSION_KEY = "eportal.link"


def form_page(request, template: str, context: dict):
    """Render a page with forms: 400 when it shows an error or a refused form, so a refusal is visible
    to the browser, the app and the tests alike."""
    failed = context.get("error") or any(
        value.errors for value in context.values() if isinstance(value, django_forms.BaseForm)
    )
    return render(request, template, context, status=400 if failed else 200)


def _sms_price():
    return settings.EPORTAL_SMS_PRICE_NOK


def patient_required(view):
    """Logged in as a patient (staff have the admin)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            return redirect("staff:home")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """django-axes' answer to a locked-out personnummer or address: the login page with the reason."""
    form = forms.PasswordLoginForm()
    context = {"form": form, "error": services.lockout_message(), "sms_price": _sms_price()}
    return render(request, "accounts/login_sms.html", context, status=429)


# Login with password + SMS code -------------------------------------------------------------


def login_sms(request):
    form = forms.PasswordLoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.start_password_login(
                request=request,
                national_id=form.cleaned_data["national_id"],
                password=form.cleaned_data["password"],
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            request.session["eportal.next"] = _safe_next(request) or request.session.get("eportal.next", "")
            return redirect("accounts:login-code")
    elif request.method == "GET" and _safe_next(request):
        request.session["eportal.next"] = _safe_next(request)
    context = {"form": form, "error": error, "sms_price": _sms_price()}
    return form_page(request, "accounts/login_sms.html", context)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def login_code(request):
    user = services.pending_code_user(request, OneTimeCode.Purpose.LOGIN)
    if user is None:
        messages.info(request, _("Log in with your personal number and password first."))
        return redirect("accounts:login-sms")
    form = forms.CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        next_url = request.session.get("eportal.next") or reverse(settings.LOGIN_REDIRECT_URL)
        try:
            services.finish_code_login(request=request, code=form.cleaned_data["code"])
        except services.AccountError as exc:
            error = str(exc)
        else:
            return redirect(next_url)
    return form_page(request, "accounts/login_code.html", {"form": form, "error": error})


@require_POST
def login_code_resend(request):
    user = services.pending_code_user(request, OneTimeCode.Purpose.LOGIN)
    if user is None:
        return redirect("accounts:login-sms")
    try:
        services.issue_code(request=request, user=user, purpose=OneTimeCode.Purpose.LOGIN)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("A new code has been sent."))
    return redirect("accounts:login-code")


@require_POST
def logout_view(request):
    id_token = services.log_out(request)
    messages.info(request, _("You are logged out."))
    if id_token and oidc.is_configured():
        # Ends the BankID session too, where the provider supports it, then comes back to the front page.
        provider_logout = oidc.end_session_url(id_token, request.build_absolute_uri(reverse("clinic:front")))
        if provider_logout:
            return redirect(provider_logout)
    return redirect("clinic:front")


# Registration and activation ---------------------------------------------------------------


def register(request):
    form = forms.RegistrationForm(request.POST or None, clinic_name=get_clinic().name)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.register_account(
            request=request,
            national_id=data["national_id"],
            email=data["email"],
            mobile=data["mobile"],
            password=data["new_password1"],
        )
        return redirect("accounts:registered")
    context = {"form": form}
    return form_page(request, "accounts/register.html", context)


def registered(request):
    return render(request, "accounts/registered.html")


def _link_view(request, uidb64, token, confirm_url_name):
    """Keep the token in the session and drop it from the address bar (and from any log of URLs)."""
    request.session[LINK_SESSION_KEY] = token
    return redirect(confirm_url_name, uidb64=uidb64)


def activate_link(request, uidb64, token):
    return _link_view(request, uidb64, token, "accounts:activate-confirm")


def activate_confirm(request, uidb64):
    token = request.session.get(LINK_SESSION_KEY, "")
    user = services.user_from_link(uidb64)
    if request.method == "POST":
        try:
            services.activate_account(request=request, user=user, token=token)
        except services.AccountError as exc:
            return _bad_link(request, str(exc))
        request.session.pop(LINK_SESSION_KEY, None)
        messages.success(request, _("Your user is activated. You can now log in."))
        return redirect("accounts:login-sms")
    if user is None or user.is_active or not services.activation_token.check(user, token):
        return _bad_link(request, _("The link has been used, has expired or is not complete."))
    return render(request, "accounts/activate.html")


def _bad_link(request, reason):
    form = forms.ResendActivationForm()
    return render(request, "accounts/bad_link.html", {"reason": reason, "form": form}, status=400)


def resend_activation(request):
    form = forms.ResendActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.resend_activation(
            request=request, national_id=form.cleaned_data["national_id"], email=form.cleaned_data["email"]
        )
        return redirect("accounts:registered")
    return form_page(request, "accounts/bad_link.html", {"form": form, "reason": ""})


# Help with login: forgotten password -------------------------------------------------------


def login_help(request):
    form = forms.ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.request_password_reset(request=request, national_id=form.cleaned_data["national_id"])
        return render(request, "accounts/reset_sent.html")
    context = {"form": form, "sms_price": _sms_price(), "clinic": get_clinic()}
    return form_page(request, "accounts/login_help.html", context)


def reset_link(request, uidb64, token):
    return _link_view(request, uidb64, token, "accounts:reset-confirm")


def reset_confirm(request, uidb64):
    token = request.session.get(LINK_SESSION_KEY, "")
    try:
        user = services.check_reset_link(services.user_from_link(uidb64), token)
    except services.AccountError as exc:
        return render(request, "accounts/reset_bad_link.html", {"reason": str(exc)}, status=400)
    code_sent = services.pending_code_user(request, OneTimeCode.Purpose.PASSWORD_RESET) == user
    error = None
    form = forms.ResetPasswordForm(user=user, patient=listed_patient(user.national_id))
    if request.method == "POST" and "send_code" in request.POST:
        try:
            services.issue_code(request=request, user=user, purpose=OneTimeCode.Purpose.PASSWORD_RESET)
            code_sent = True
        except services.AccountError as exc:
            error = str(exc)
    elif request.method == "POST":
        form = forms.ResetPasswordForm(request.POST, user=user, patient=listed_patient(user.national_id))
        if form.is_valid():
            try:
                services.reset_password(
                    request=request,
                    user=user,
                    token=token,
                    code=form.cleaned_data["code"],
                    new_password=form.cleaned_data["new_password1"],
                )
            except services.AccountError as exc:
                error = str(exc)
            else:
                request.session.pop(LINK_SESSION_KEY, None)
                messages.success(request, _("Your password is changed. Log in with the new password."))
                return redirect("accounts:login-sms")
    context = {"form": form, "error": error, "code_sent": code_sent}
    return form_page(request, "accounts/reset_confirm.html", context)


# Min side ----------------------------------------------------------------------------------


@patient_required
def my_page(request):
    context = {
        "patient": listed_patient(request.user.national_id),
        "sessions": services.active_sessions(request.user),
        "current_session_key": request.session.session_key,
        "level": assurance.session_level(request),
    }
    return render(request, "accounts/my_page.html", context)


@patient_required
@require_POST
def end_session(request, session_id):
    try:
        services.end_session(request=request, user=request.user, account_session_id=session_id)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The session is ended."))
    return redirect("accounts:my-page")


@patient_required
def my_details(request):
    user = request.user
    high = assurance.meets(request, assurance.HIGH)
    email_form = forms.EmailChangeForm(prefix="email", high=high)
    notice_form = forms.NoticePreferencesForm(
        prefix="notice",
        initial={"notify_by_sms": user.notify_by_sms, "notify_by_email": user.notify_by_email},
    )
    error = None
    if request.method == "POST" and "email-new_email" in request.POST:
        email_form = forms.EmailChangeForm(request.POST, prefix="email", high=high)
        if email_form.is_valid():
            try:
                services.request_email_change(
                    request=request,
                    user=user,
                    password=email_form.cleaned_data.get("password", ""),
                    new_email=email_form.cleaned_data["new_email"],
                )
            except services.AccountError as exc:
                error = str(exc)
            else:
                messages.success(request, _("We have sent a link to the new address. Click it to confirm the change."))
                return redirect("accounts:my-details")
    elif request.method == "POST":
        notice_form = forms.NoticePreferencesForm(request.POST, prefix="notice")
        if notice_form.is_valid():
            services.update_notice_preferences(
                request=request,
                user=user,
                by_sms=notice_form.cleaned_data["notify_by_sms"],
                by_email=notice_form.cleaned_data["notify_by_email"],
            )
            messages.success(request, _("Your choices are saved."))
            return redirect("accounts:my-details")
    context = {
        "patient": listed_patient(user.national_id),
        "email_form": email_form,
        "notice_form": notice_form,
        "error": error,
        "clinic": get_clinic(),
    }
    return form_page(request, "accounts/my_details.html", context)


@patient_required
def change_password(request):
    user = request.user
    form = forms.ChangePasswordForm(
        request.POST or None,
        user=user,
        patient=listed_patient(user.national_id),
        high=assurance.meets(request, assurance.HIGH),
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                request=request,
                user=user,
                current=form.cleaned_data.get("current_password", ""),
                new_password=form.cleaned_data["new_password1"],
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:my-page")
    return form_page(request, "accounts/change_password.html", {"form": form, "error": error})


def confirm_email_link(request, uidb64, token):
    return _link_view(request, uidb64, token, "accounts:confirm-email-done")


def confirm_email_done(request, uidb64):
    token = request.session.pop(LINK_SESSION_KEY, "")
    try:
        services.confirm_email_change(request=request, user=services.user_from_link(uidb64), token=token)
    except services.AccountError as exc:
        return render(request, "accounts/reset_bad_link.html", {"reason": str(exc)}, status=400)
    messages.success(request, _("Your e-mail address is changed."))
    return redirect("accounts:my-details" if request.user.is_authenticated else "clinic:front")


# Staff --------------------------------------------------------------------------------------


def staff_login(request):
    form = forms.StaffLoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = authenticate(request, username=data["username"], password=data["password"])
        device = django_otp.match_token(user, data["otp_token"]) if user is not None and user.is_staff else None
        if getattr(request, "axes_locked_out", False):
            error = services.lockout_message()
        elif device is None:
            error = _("Wrong username, password or code.")
            services.record_event(
                "login_failed", actor="anonymous", request=request, details={"factor": "password+totp"}
            )
        else:
            services.establish_session(
                request, user, method=assurance.METHOD_PASSWORD_TOTP, level=assurance.SUBSTANTIAL
            )
            django_otp.login(request, device)
            home = "staff:home" if user.has_perm("booking.view_appointment") else "admin:index"
            return redirect(_safe_next(request) or home)
    context = {"form": form, "error": error, "next": _safe_next(request)}
    return form_page(request, "accounts/staff_login.html", context)


# BankID -------------------------------------------------------------------------------------


def bankid_start(request):
    """Send the browser to BankID; `niva=high` asks for a high-level login (step-up)."""
    if not oidc.is_configured():
        return render(
            request,
            "accounts/bankid_error.html",
            {"error": _("BankID login is not set up at this clinic yet.")},
            status=503,
        )
    level = assurance.HIGH if request.GET.get("niva") == assurance.HIGH else assurance.SUBSTANTIAL
    purpose = "step_up" if request.user.is_authenticated else "login"
    redirect_uri = request.build_absolute_uri(reverse("accounts:bankid-callback"))
    try:
        url = oidc.authorization_url(
            request, redirect_uri=redirect_uri, purpose=purpose, level=level, next_url=_safe_next(request)
        )
    except oidc.OidcError as exc:
        services.record_event(
            "login_failed", actor="anonymous", request=request, details={"factor": "bankid", "reason": exc.reason}
        )
        return render(request, "accounts/bankid_error.html", {"error": str(exc)}, status=503)
    return redirect(url)


def bankid_callback(request):
    pending = oidc.take_pending(request)
    try:
        identity = oidc.complete(request, pending, request.GET)
        outcome = services.bankid_login(request=request, identity=identity, purpose=pending["purpose"])
    except oidc.OidcError as exc:
        if exc.reason not in {"step_up_other_person", "not_on_list"}:
            services.record_event(
                "login_failed", actor="anonymous", request=request, details={"factor": "bankid", "reason": exc.reason}
            )
        return render(request, "accounts/bankid_error.html", {"error": str(exc)}, status=400)
    if outcome == "new_account":
        return redirect("accounts:bankid-new-user")
    return redirect(pending["next"] or reverse(settings.LOGIN_REDIRECT_URL))


@never_cache  # the page shows the fødselsnummer before the person is logged in
def bankid_new_user(request):
    pending = services.pending_bankid_identity(request)
    if pending is None:
        return redirect("clinic:login")
    form = forms.BankIdNewUserForm(
        request.POST or None, clinic_name=get_clinic().name, national_id=pending["national_id"]
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.register_with_bankid(
                request=request,
                email=form.cleaned_data["email"],
                mobile=form.cleaned_data["mobile"],
                password=form.cleaned_data["new_password1"],
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Your user is created. We have sent a link to your e-mail address to confirm it.")
            )
            return redirect("accounts:my-page")
    context = {"form": form, "error": error, "national_id": pending["national_id"]}
    return form_page(request, "accounts/bankid_new_user.html", context)
