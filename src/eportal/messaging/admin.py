"""The staff admin's pages for messages: the clinic's reply templates, and a read-only list of threads.

The thread list shows when and where, never what: no subject, no message text, no patient (reading a patient's
messages is done on the staff pages, where it is audited)."""

from django.contrib import admin

from .models import ReplyTemplate, Thread


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "active")
    list_filter = ("active",)
    search_fields = ("title",)


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("kind", "practitioner", "created_at", "last_message_at", "waiting_since", "closed_at")
    list_filter = ("kind", "practitioner")
    list_select_related = ("practitioner",)
    fields = ("kind", "practitioner", "created_at", "last_message_at", "waiting_since", "closed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
