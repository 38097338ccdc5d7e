"""The portal's addresses: each app's pages, the staff admin under /personale/admin/, the demo's outbox and the
icon browsers ask for."""

from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.http import urlencode
from django_otp.admin import OTPAdminSite

# Only staff who logged in with password and a TOTP code reach the admin.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "eportal – personale"
admin.site.site_title = "eportal – personale"
admin.site.site_url = "/personale/"  # «Vis nettsted» leads back to the staff pages


def _admin_login(request, extra_context=None):
    return redirect(
        f"{reverse('accounts:staff-login')}?{urlencode({'next': request.GET.get('next', '/personale/admin/')})}"
    )


admin.site.login = _admin_login

urlpatterns = [
    path("", include("eportal.clinic.urls")),
    path("", include("eportal.accounts.urls")),
    path("", include("eportal.representation.urls")),
    path("", include("eportal.booking.urls")),
    path("", include("eportal.messaging.urls")),
    path("", include("eportal.staff.urls")),
    path("", include("eportal.operations.urls")),
    path("personale/admin/", admin.site.urls),
    path("", include("eportal.demo.urls")),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's): the site's icon.
    path("favicon.ico", lambda request: redirect(static("eportal/favicon.svg"), permanent=True)),
]
