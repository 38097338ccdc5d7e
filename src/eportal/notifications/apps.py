"""The notifications app: SMS and e-mail backends, delivery jobs, caps and the SMS ledger."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "eportal.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django_tasks.signals import task_finished

        from .jobs import forget_arguments

        task_finished.connect(forget_arguments, dispatch_uid="eportal.notifications.forget_arguments")
