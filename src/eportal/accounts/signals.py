from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from eportal.audit.services import record_event

from .models import User
from .services import end_all_sessions, record_login


@receiver(user_logged_in, dispatch_uid="eportal.accounts.record_login")
def _record_login(sender, request, user, **kwargs):
    if request is not None:
        record_login(request, user)


@receiver(user_locked_out, dispatch_uid="eportal.accounts.record_lockout")
def _record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    record_event("lockout", actor="anonymous", request=request, details={"factor": "password"})


@receiver(post_save, sender=User, dispatch_uid="eportal.accounts.end_sessions_of_disabled")
def _end_sessions_of_disabled_account(sender, instance, **kwargs):
    if not instance.is_active:
        end_all_sessions(instance)
