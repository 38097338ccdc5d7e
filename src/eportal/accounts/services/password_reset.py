"""«Hjelp til innlogging»: a new password through a link by e-mail and a code by SMS (e-mail alone is
never enough)."""

from django.db import transaction
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import Actor

from ..errors import AccountError
from ..models import OneTimeCode, User
from ..selectors import account_of
from ..tokens import reset_token
from .account_mail import RESET, queue_account_email, request_dropped
from .changes import notify_credential_change
from .codes import check_code, close_open_codes
from .registration import bad_link
from .sessions import end_all_sessions


def request_password_reset(*, actor: Actor, national_id: str) -> None:
    """Ask for a reset link by e-mail. The answer is the same, after the same work, whether or not an account
    exists; a flood from one address, or for one person from many, is dropped."""
    if request_dropped(actor, "reset", national_id):
        return
    queue_account_email(RESET, account_of(national_id, active=True))


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
