"""The staff admin's view of portal users and their sessions."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AccountSession, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "last_login")
    list_filter = ("is_staff", "is_active")
    search_fields = ("=username", "=national_id", "email")
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Portal"),
            {
                "fields": (
                    "national_id",
                    "pending_email",
                    "consent_version",
                    "consent_given_at",
                    "code_failures",
                )
            },
        ),
    ]
    readonly_fields = ("national_id", "consent_version", "consent_given_at", "last_login", "date_joined")


@admin.register(AccountSession)
class AccountSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "last_seen_at", "method", "level", "ip")
    readonly_fields = [field.name for field in AccountSession._meta.fields]
