"""Login with personnummer + password + a code by SMS («Engangspassord på mobil»)."""

from django.utils.translation import gettext as _

from eportal.core.actor import Actor

from ..errors import AccountError
from ..lockout import authenticate, lockout_message
from ..models import OneTimeCode, User
from .codes import check_code, issue_code
from .sessions import record_failed_login


def start_password_login(*, actor: Actor, national_id: str, password: str) -> str:
    """Check the password; only then send the SMS code (SMS pumping). Returns the attempt's id."""
    user, locked_out = authenticate(actor, username=national_id, password=password, attempt="sms-login")
    if locked_out:
        raise AccountError(lockout_message(), code="locked_out")
    if user is None or not user.is_patient:
        record_failed_login(actor, factor="password")
        raise AccountError(_("Wrong personal number or password, or the user is not activated yet."))
    return issue_code(actor=actor, user=user, purpose=OneTimeCode.Purpose.LOGIN)


def finish_code_login(*, actor: Actor, attempt_id: str, code: str) -> User:
    """The account whose login this code completes; the caller logs it in."""
    return check_code(actor=actor, attempt_id=attempt_id, purpose=OneTimeCode.Purpose.LOGIN, code=code)
