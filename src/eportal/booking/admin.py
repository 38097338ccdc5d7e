"""The staff admin's pages for appointment types, weekly schedules, absences, slots and appointments."""

from django.contrib import admin

from . import closed_days_admin  # noqa: F401  (registers the clinic's closed days)
from .models import Absence, Appointment, AppointmentType, Slot, WaitlistEntry, WaitlistOffer, WeeklySchedule


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    """The types in the order patients see them; the order number and the description are edited here."""

    list_display = (
        "name",
        "position",
        "duration_minutes",
        "description",
        "practitioner_role",
        "bookable_online",
        "shown_to_patients",
        "active",
    )
    list_editable = ("position",)
    fields = (
        "name",
        "description",
        "duration_minutes",
        "position",
        "practitioner_role",
        "bookable_online",
        "reason_required",
        "shown_to_patients",
        "active",
    )


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "weekday", "starts", "ends", "appointment_type", "online")
    list_filter = ("practitioner", "weekday")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "first_day", "last_day", "note")


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    """Staff block, free and add slots by hand here."""

    list_display = ("starts_at", "practitioner", "appointment_type", "online", "blocked")
    list_filter = ("practitioner", "appointment_type", "online", "blocked")
    list_editable = ("online", "blocked")
    date_hierarchy = "starts_at"
    list_select_related = ("practitioner", "appointment_type")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("slot", "patient", "created_at", "cancelled_at")
    list_select_related = ("slot__practitioner", "patient")
    raw_id_fields = ("slot", "patient")
    readonly_fields = ("booked_by", "cancelled_by", "created_at")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    """«Gi meg beskjed om en tidligere time»: who waits, in order. Read-only: patients join and leave."""

    list_display = ("created_at", "appointment", "ended_at")
    list_select_related = ("appointment__slot__practitioner", "appointment__patient")
    readonly_fields = ("appointment", "created_at", "ended_at")

    def has_add_permission(self, request):
        return False


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin):
    list_display = ("offered_at", "slot", "status", "expires_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("slot__practitioner",)
    readonly_fields = ("entry", "slot", "offered_at", "expires_at", "status", "answered_at")

    def has_add_permission(self, request):
        return False
