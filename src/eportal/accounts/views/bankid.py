"""Login with BankID (or ID-porten): to the provider and back, and the short «Mine opplysninger» for a
listed patient who has no user yet."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from eportal.clinic.selectors import get_clinic
from eportal.core.actor import HIGH, SUBSTANTIAL
from eportal.core.public_url import public_url
from eportal.web.errors import error_status
from eportal.web.pages import form_page, safe_next

from .. import assurance, forms, oidc, web_session
from ..errors import AccountError
from ..services import bankid


def _error_page(request, error, status=None):
    return render(request, "accounts/bankid_error.html", {"error": error}, status=status or error_status(error))


def bankid_start(request):
    """Send the browser to BankID; `niva=high` asks for a high-level login (step-up)."""
    if not oidc.is_configured():
        error = oidc.OidcError(_("BankID login is not set up at this clinic yet."), "bankid_not_configured")
        return _error_page(request, error)
    try:
        url, pending = bankid.start_login(
            actor=request.actor,
            redirect_uri=public_url(reverse("accounts:bankid-callback")),
            level=HIGH if request.GET.get("niva") == HIGH else SUBSTANTIAL,
            next_url=safe_next(request),
        )
    except oidc.OidcError as exc:
        return _error_page(request, exc)
    web_session.remember_oidc_login(request, pending)
    return redirect(url)


def bankid_callback(request):
    pending = web_session.take_oidc_login(request)
    try:
        identity, user = bankid.complete_login(actor=request.actor, pending=pending, params=request.GET)
    except oidc.OidcError as exc:
        return _error_page(request, exc, status=400)
    if user is None:
        web_session.remember_new_bankid_user(request, identity)
        return redirect("accounts:bankid-new-user")
    web_session.log_in(request, user, method=assurance.METHOD_BANKID, level=identity.level, id_token=identity.id_token)
    return redirect(pending["next"] or reverse(settings.LOGIN_REDIRECT_URL))


@never_cache  # the page shows the fødselsnummer before the person is logged in
def bankid_new_user(request):
    pending = web_session.new_bankid_user(request)
    if pending is None:
        return redirect("accounts:login")
    form = forms.BankIdNewUserForm(
        request.POST or None, clinic_name=get_clinic().name, national_id=pending["national_id"]
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            user = bankid.register_with_bankid(
                actor=request.actor,
                national_id=pending["national_id"],
                email=form.cleaned_data["email"],
                mobile=form.cleaned_data["mobile"],
                password=form.cleaned_data["new_password1"],
            )
        except AccountError as exc:
            error = exc
        else:
            web_session.forget_new_bankid_user(request)
            web_session.log_in(
                request, user, method=assurance.METHOD_BANKID, level=pending["level"], id_token=pending["id_token"]
            )
            messages.success(
                request, _("Your user is created. We have sent a link to your e-mail address to confirm it.")
            )
            return redirect("accounts:my-page")
    context = {"form": form, "error": error, "national_id": pending["national_id"]}
    return form_page(request, "accounts/bankid_new_user.html", context)
