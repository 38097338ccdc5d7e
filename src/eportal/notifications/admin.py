"""The staff admin's view of background jobs: name, state and times, never a job's arguments or result."""

from django.contrib import admin
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(DBTaskResultAdmin):
    def get_readonly_fields(self, request, obj=None):
        hidden = {"args_kwargs", "return_value"}
        return [name for name in super().get_readonly_fields(request, obj) if name not in hidden]
