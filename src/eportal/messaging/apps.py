"""The messaging app: threads with the clinic, attachments, staff inboxes, encryption at rest."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "eportal.messaging"
    verbose_name = _("Messages")

    def ready(self):
        from . import fees

        fees.check_exempt_groups()

        from eportal.accounts import hub

        from .hub import unread_messages

        hub.register(unread_messages, order=20)
