"""«Hjelp til innlogging»: a new password through a link by e-mail and a code by SMS (e-mail alone is
never enough)."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic
from eportal.core.actor import Actor, system_actor
from eportal.core.throttle import throttled
from eportal.notifications.services import queue_email

from ..errors import AccountError
from ..links import link
from ..models import OneTimeCode, User
from ..selectors import account_of
from ..tokens import reset_token
from .changes import notify_credential_change
from .codes import check_code, close_open_codes
from .registration import bad_link
from .sessions import end_all_sessions


def request_password_reset(*, actor: Actor, national_id: str) -> None:
    """Ask for a reset link by e-mail. Like a new activation link, the lookup runs in the worker: the
    answer is the same, as fast, whether or not an account exists."""
    if throttled(actor, "reset", limit=10, seconds=3600) or throttled(
        actor, "reset-number", limit=3, seconds=3600, key=national_id
    ):
        return
    send_reset_link.enqueue(national_id=national_id, base_url=actor.site_root)


@task()
@transaction.atomic
def send_reset_link(*, national_id: str, base_url: str) -> None:
    """The worker's half: e-mail the link to the account's own address, if the account exists."""
    user = account_of(national_id, active=True)
    if user is None:
        return
    queue_email(
        to=user.email,
        subject=_("New password for the e-portal"),
        body=_(
            "Click the link to choose a new password for the e-portal of %(clinic)s:\n%(link)s\n\n"
            "You will also get a code by SMS. The link works once and for 1 hour. If you did not ask for this, "
            "ignore this e-mail."
        )
        % {"clinic": get_clinic().name, "link": link(base_url, "accounts:reset", user, reset_token)},
    )
    record_event("password_reset_requested", actor=system_actor(user))


def check_reset_link(user: User | None, token: str) -> User:
    if user is None or not user.is_active or not reset_token.check(user, token):
        raise bad_link()
    return user


@transaction.atomic
def reset_password(*, actor: Actor, user: User, token: str, attempt_id: str, code: str, new_password: str) -> None:
    check_reset_link(user, token)
    code_user = check_code(actor=actor, attempt_id=attempt_id, purpose=OneTimeCode.Purpose.PASSWORD_RESET, code=code)
    if code_user.pk != user.pk:
        raise AccountError(_("The code has expired or has been used. Ask for a new code."), code="code_expired")
    user.set_password(new_password)
    user.code_failures = 0
    user.save(update_fields=["password", "code_failures"])
    close_open_codes(user)
    end_all_sessions(user)
    record_event("password_reset", actor=actor.acting_as(user))
    notify_credential_change(user, _("Your password in the e-portal was changed."))
