"""Staff login: username, password and a code from the authenticator app (TOTP), with lockout and audit."""

import django_otp
from django.utils.translation import gettext as _

from eportal.core.actor import Actor

from ..errors import AccountError
from ..lockout import authenticate, lockout_message
from .sessions import record_failed_login


def check_staff_login(*, actor: Actor, username: str, password: str, otp_token: str):
    """The staff member and their authenticator device, or AccountError; the caller logs them in."""
    user, locked_out = authenticate(actor, username=username, password=password, attempt="staff-login")
    device = django_otp.match_token(user, otp_token) if user is not None and user.is_staff else None
    if locked_out:
        raise AccountError(lockout_message(), code="locked_out")
    if device is None:
        record_failed_login(actor, factor="password+totp")
        raise AccountError(_("Wrong username, password or code."))
    return user, device
