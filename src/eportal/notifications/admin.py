"""The staff admin's view of background jobs: name, state and times, never a job's arguments or result."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(DBTaskResultAdmin):
    # django_tasks_db names these columns in English, unmarked: the same columns, under Norwegian names.
    list_display = ("id", "job", *DBTaskResultAdmin.list_display[2:])

    @admin.display(description=_("job"), ordering="task_path")
    def job(self, obj):
        return obj.task_name

    @admin.display(description=_("error report"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)

    def get_readonly_fields(self, request, obj=None):
        hidden = {"args_kwargs", "return_value"}
        return [name for name in super().get_readonly_fields(request, obj) if name not in hidden]
