"""Reactions to Django's and django-axes' events: a login is recorded, a lockout audited, a disabled
account's sessions ended."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from eportal.audit.services import record_event
from eportal.web.actor import actor_for

from .models import User
from .services.sessions import end_all_sessions
from .web_session import record_login


@receiver(user_logged_in, dispatch_uid="eportal.accounts.record_login")
def _record_login(sender, request, user, **kwargs):
    if request is not None:
        record_login(request, user)


@receiver(user_locked_out, dispatch_uid="eportal.accounts.record_lockout")
def _record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    # Axes sees the request that accounts.lockout made from the actor.
    actor = getattr(request, "actor", None) or actor_for(request)
    record_event("lockout", actor=actor, details={"factor": "password"})


@receiver(post_save, sender=User, dispatch_uid="eportal.accounts.end_sessions_of_disabled")
def _end_sessions_of_disabled_account(sender, instance, **kwargs):
    if not instance.is_active:
        end_all_sessions(instance)
