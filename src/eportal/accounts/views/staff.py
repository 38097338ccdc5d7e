"""The staff's login page: username, password and a code from the authenticator app."""

import django_otp
from django.shortcuts import redirect

from eportal.core.actor import SUBSTANTIAL
from eportal.web.pages import form_page, safe_next

from .. import assurance, forms, web_session
from ..errors import AccountError
from ..services.staff_login import check_staff_login


def staff_login(request):
    form = forms.StaffLoginForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, device = check_staff_login(
                actor=request.actor, username=data["username"], password=data["password"], otp_token=data["otp_token"]
            )
        except AccountError as exc:
            error = exc
        else:
            web_session.log_in(request, user, method=assurance.METHOD_PASSWORD_TOTP, level=SUBSTANTIAL)
            django_otp.login(request, device)
            works_on_staff_pages = user.has_perm("booking.view_appointment") or user.has_perm("messaging.view_thread")
            home = "staff:home" if works_on_staff_pages else "admin:index"
            return redirect(safe_next(request) or home)
    context = {"form": form, "error": error, "next": safe_next(request)}
    return form_page(request, "accounts/staff_login.html", context)
