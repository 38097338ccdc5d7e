"""The staff admin's view of staff TOTP devices: whose, which, confirmed; never the key.

Replaces django-otp's own device admin, which shows the key and its QR code. A device is given, with its key,
only by `eportal add-staff-totp`; here it can be renamed, disabled (confirmed off) or deleted. This app comes
after django_otp.plugins.otp_totp in INSTALLED_APPS, so that admin is registered before it is replaced here."""

from django.contrib import admin
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class StaffTOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("=user__username",)
    # The read-only fields as the admin's own columns: django-otp's help texts under them are English.
    fields = ("owner", "name", "confirmed", "created", "last_used")
    readonly_fields = ("owner", "created", "last_used")

    @admin.display(description=_("user"))
    def owner(self, obj):
        return obj.user

    @admin.display(description=_("created"))
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("last used"))
    def last_used(self, obj):
        return obj.last_used_at

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["help_texts"] = {
            "name": _("A name that tells the devices apart, e.g. «telefon»."),
            "confirmed": _("Only a confirmed device can be used to log in."),
        }
        return super().get_form(request, obj, change=change, **kwargs)

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        # django-otp's key pages, answered here so that the change page's catch-all does not take them.
        gone = self.admin_site.admin_view(_no_key_page)
        return [
            path("<path:object_id>/config/", gone),
            path("<path:object_id>/qrcode/", gone),
            *super().get_urls(),
        ]


def _no_key_page(request, object_id):
    raise Http404
