"""«Min side»: sessions, «Mine opplysninger» (e-mail, notice choices), password, e-mail confirmation."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eportal.clinic.selectors import get_clinic, listed_patient, own_listed_patient
from eportal.core.actor import HIGH
from eportal.web.decorators import patient_required
from eportal.web.pages import form_page

from .. import forms, hub, web_session
from ..errors import AccountError
from ..services import changes, sessions
from .link_pages import link_page


@patient_required
def my_page(request):
    """The hub: whose page it is and for whom one acts, the next appointment, unread messages, the services
    the policy allows (hub.py asks the apps above), and where one is logged in. Constant queries."""
    context = {
        **hub.hub_context(request.actor),
        "patient": own_listed_patient(request.actor),
        "sessions": sessions.sessions_for_page(request.user, current_key=request.session.session_key),
        "level": request.actor.level,
    }
    return render(request, "accounts/my_page.html", context)


@patient_required
@require_POST
def end_session(request, session_id):
    try:
        sessions.end_session(actor=request.actor, account_session_id=session_id)
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The session is ended."))
    return redirect("accounts:my-page")


@patient_required
def my_details(request):
    user = request.user
    high = request.actor.meets(HIGH)
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
                changes.request_email_change(
                    actor=request.actor,
                    password=email_form.cleaned_data.get("password", ""),
                    new_email=email_form.cleaned_data["new_email"],
                )
            except AccountError as exc:
                error = exc
            else:
                messages.success(request, _("We have sent a link to the new address. Click it to confirm the change."))
                return redirect("accounts:my-details")
    elif request.method == "POST":
        notice_form = forms.NoticePreferencesForm(request.POST, prefix="notice")
        if notice_form.is_valid():
            changes.update_notice_preferences(
                actor=request.actor,
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
        request.POST or None, user=user, patient=listed_patient(user.national_id), high=request.actor.meets(HIGH)
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            changes.change_password(
                actor=request.actor,
                current=form.cleaned_data.get("current_password", ""),
                new_password=form.cleaned_data["new_password1"],
                keep_session_key=request.session.session_key,
            )
        except AccountError as exc:
            error = exc
        else:
            web_session.keep_after_password_change(request, user)
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:my-page")
    return form_page(request, "accounts/change_password.html", {"form": form, "error": error})


def confirm_email_link(request, uidb64, token):
    web_session.keep_link_token(request, token)
    return redirect("accounts:confirm-email-page", uidb64=uidb64)


def confirm_email_page(request, uidb64):
    def confirm(user, token):
        changes.confirm_email_change(actor=request.actor, user=user, token=token)
        messages.success(request, _("Your e-mail address is changed."))
        return redirect("accounts:my-details" if request.user.is_authenticated else "clinic:front")

    return link_page(
        request,
        uidb64,
        works=changes.email_change_link_works,
        act=confirm,
        template="accounts/confirm_email.html",
        bad_link_page=_bad_link,
    )


def _bad_link(request, error):
    return render(request, "accounts/reset_bad_link.html", {"reason": error}, status=400)
