from django.contrib import admin

from .models import Absence, Appointment, AppointmentType, Slot, WeeklySchedule


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "duration_minutes", "practitioner_role", "bookable_online", "shown_to_patients", "active")


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
