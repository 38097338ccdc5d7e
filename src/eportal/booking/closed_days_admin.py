"""The admin's page for the clinic's closed days (a clinic model, shown with the clinic's): saving one
withdraws that day's free times at once, through booking.services.closed_days. Kept here, not in the clinic
app, because the clinic app sits below booking and may not call it."""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from eportal.clinic.models import ClosedDay

from .services.closed_days import delete_closed_day, save_closed_day


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "reason")
    date_hierarchy = "date"
    search_fields = ("reason",)

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("date") if change else None
        result = save_closed_day(actor=request.actor, closed_day=obj, previous_date=previous)
        self.message_user(
            request,
            ngettext(
                "%(count)d free time that day was withdrawn.",
                "%(count)d free times that day were withdrawn.",
                result.withdrawn,
            )
            % {"count": result.withdrawn},
        )
        if result.kept_booked:
            self.message_user(
                request,
                ngettext(
                    "%(count)d booked appointment that day is kept: move or cancel it (see «Booked and free "
                    "online times»).",
                    "%(count)d booked appointments that day are kept: move or cancel them (see «Booked and free "
                    "online times»).",
                    result.kept_booked,
                )
                % {"count": result.kept_booked},
                level=messages.WARNING,
            )

    def delete_model(self, request, obj):
        delete_closed_day(actor=request.actor, closed_day=obj)

    def delete_queryset(self, request, queryset):
        for closed_day in queryset:
            delete_closed_day(actor=request.actor, closed_day=closed_day)
