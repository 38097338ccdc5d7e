"""The staff admin's pages for the clinic, its practitioners, the patient list and guardianships."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from eportal.identity.mobile import display_mobile
from eportal.identity.national_id import masked

from .models import Clinic, Guardianship, ListPatient, Practitioner


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email")

    def has_add_permission(self, request):
        return not Clinic.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "hpr_number", "role", "has_patient_list", "specialist", "active")
    list_filter = ("role", "has_patient_list", "active")
    search_fields = ("first_name", "last_name", "hpr_number")

    def get_readonly_fields(self, request, obj=None):
        """Linking a staff login to a practitioner opens their message inbox to it: only for those who read every
        inbox anyway (the clinic's administrator), not for everyone who may edit practitioners."""
        if request.user.has_perm("messaging.read_all_inboxes"):
            return super().get_readonly_fields(request, obj)
        return (*super().get_readonly_fields(request, obj), "user")


class GuardianshipInline(admin.TabularInline):
    model = Guardianship
    extra = 0


class OnListFilter(admin.SimpleListFilter):
    title = _("on the list")
    parameter_name = "on_list"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        on_list = queryset.model.objects.on_list()
        if self.value() == "yes":
            return queryset.filter(pk__in=on_list.values("pk"))
        if self.value() == "no":
            return queryset.exclude(pk__in=on_list.values("pk"))
        return queryset


@admin.register(ListPatient)
class ListPatientAdmin(admin.ModelAdmin):
    list_display = (
        "full_name",
        "masked_national_id",
        "gp",
        "shown_mobile",
        "on_list_from",
        "on_list_to",
        "withheld_from_guardians",
    )
    list_filter = (OnListFilter, "withheld_from_guardians", "gp")
    list_select_related = ("gp",)
    search_fields = ("=national_id", "last_name", "first_name", "=mobile")
    readonly_fields = ("updated_at",)
    inlines = [GuardianshipInline]
    show_full_result_count = False

    @admin.display(description=_("national identity number"))
    def masked_national_id(self, obj):
        return masked(obj.national_id)

    @admin.display(description=_("registered mobile"), ordering="mobile")
    def shown_mobile(self, obj):
        return display_mobile(obj.mobile)
