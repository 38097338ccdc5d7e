"""One-time codes by SMS, for one login attempt or one password reset, sent to the mobile the clinic registered
(accounts.selectors.sms_route: the one the registration was accepted with, while it is still registered).

A code works only for the attempt that asked for it: the caller keeps the attempt's id (the web keeps it in
the browser's session) and hands it back with the code.
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic, listed_patient
from eportal.core.actor import Actor
from eportal.notifications.backends import SmsNotSent
from eportal.notifications.models import SmsLedgerEntry
from eportal.notifications.sms import send_sms

from ..errors import AccountError
from ..models import OneTimeCode, User
from ..selectors import GROWN_UP, NO_LONGER_REGISTERED, sms_route

SMS_PURPOSES = {
    OneTimeCode.Purpose.LOGIN: SmsLedgerEntry.Purpose.LOGIN_CODE,
    OneTimeCode.Purpose.PASSWORD_RESET: SmsLedgerEntry.Purpose.RESET_CODE,
}
PENDING_ATTEMPT_SECONDS = 15 * 60


def _account_state(user: User) -> str:
    return salted_hmac(
        "eportal.accounts.code-state", f"{user.password}|{user.is_active}", algorithm="sha256"
    ).hexdigest()


def _attempt_still_valid(pending: OneTimeCode) -> bool:
    """The login attempt a code belongs to is void once the account changed or after 15 minutes."""
    user = pending.user
    fresh = (timezone.now() - pending.created_at).total_seconds() <= PENDING_ATTEMPT_SECONDS
    return fresh and user.is_active and constant_time_compare(pending.account_state, _account_state(user))


def close_open_codes(user: User) -> None:
    OneTimeCode.objects.filter(user=user, closed_at__isnull=True).update(closed_at=timezone.now())


def _code_hmac(attempt_id: str, code: str) -> str:
    return salted_hmac("eportal.accounts.code", f"{attempt_id}|{code}", algorithm="sha256").hexdigest()


def _sms_mobile(actor: Actor, user: User, purpose: str) -> str:
    """The mobile for the account's code, or AccountError saying why there is none (the new refusals audited)."""
    patient = listed_patient(user.national_id)
    if patient is None:
        raise AccountError(_("You are no longer on the clinic's list. Contact the clinic."))
    mobile, why_not = sms_route(user, patient)
    if mobile:
        return mobile
    if why_not in (GROWN_UP, NO_LONGER_REGISTERED):
        record_event("code_not_sent", actor=actor.acting_as(user), details={"purpose": purpose, "reason": why_not})
    if why_not == GROWN_UP:
        raise AccountError(
            _(
                "This user was created before you turned 16, with a mobile number registered on you then. From 16 "
                "your information is your own, and that number no longer opens the user. Register again with "
                "your own mobile number, or log in with BankID."
            ),
            code="child_account_grown_up",
        )
    if why_not == NO_LONGER_REGISTERED:
        raise AccountError(
            _(
                "The mobile number you registered with is no longer registered with us. Contact the clinic, or "
                "log in with BankID."
            ),
            code="mobile_no_longer_registered",
        )
    raise AccountError(_("The clinic has not registered a mobile number for you. Log in with BankID."))


def issue_code(*, actor: Actor, user: User, purpose: str) -> str:
    """Send a new code by SMS to the mobile the clinic has registered now; returns the attempt's id."""
    if user.code_failures >= settings.EPORTAL_CODE_ACCOUNT_FAILURE_LIMIT:
        raise AccountError(_("Too many wrong codes. Log in with BankID or contact the clinic."))
    mobile = _sms_mobile(actor, user, purpose)
    now = timezone.now()
    code = f"{secrets.randbelow(10**settings.EPORTAL_CODE_DIGITS):0{settings.EPORTAL_CODE_DIGITS}d}"
    attempt_id = secrets.token_urlsafe(32)
    text = _("Your one-time password for the e-portal of %(clinic)s is %(code)s. It is valid for 5 minutes.") % {
        "clinic": get_clinic().name,
        "code": code,
    }
    as_user = actor.acting_as(user)
    try:
        send_sms(to=mobile, text=text, purpose=SMS_PURPOSES[purpose], user=user, ip=actor.network)
    except SmsNotSent as exc:
        record_event("code_not_sent", actor=as_user, details={"reason": type(exc).__name__})
        raise AccountError(str(exc), code=exc.code) from None
    # Only a sent SMS replaces the earlier code: when it is refused (the caps), the code already on the phone works.
    OneTimeCode.objects.filter(user=user, purpose=purpose, closed_at__isnull=True).update(closed_at=now)
    OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        attempt_id=attempt_id,
        code_hmac=_code_hmac(attempt_id, code),
        account_state=_account_state(user),
        expires_at=now + datetime.timedelta(seconds=settings.EPORTAL_CODE_VALID_SECONDS),
    )
    record_event("code_sent", actor=as_user, details={"purpose": purpose})
    return attempt_id


def pending_code_user(*, attempt_id: str, purpose: str) -> User | None:
    """The account a code was sent to for this attempt, while the attempt still stands."""
    if not attempt_id:
        return None
    pending = OneTimeCode.objects.select_related("user").filter(attempt_id=attempt_id, purpose=purpose).first()
    return pending.user if pending and _attempt_still_valid(pending) else None


def check_code(*, actor: Actor, attempt_id: str, purpose: str, code: str) -> User:
    """The account whose code this is, or AccountError. Wrong codes count against the code (5 void
    it) and against the account (a new code does not reset that)."""
    failure = None
    with transaction.atomic():  # the counts are kept even though the answer is a refusal
        pending = (
            OneTimeCode.objects.select_for_update()
            .select_related("user")
            .filter(attempt_id=attempt_id or "", purpose=purpose)
            .first()
        )
        now = timezone.now()
        if (
            pending is None
            or pending.closed_at is not None
            or pending.expires_at <= now
            or not _attempt_still_valid(pending)
        ):
            raise AccountError(_("The code has expired or has been used. Ask for a new code."), code="code_expired")
        user = pending.user
        if constant_time_compare(pending.code_hmac, _code_hmac(attempt_id, code)):
            pending.closed_at = now
            pending.save(update_fields=["closed_at"])
            User.objects.filter(pk=user.pk).update(code_failures=0)
            user.code_failures = 0
        else:
            pending.tries += 1
            if pending.tries >= settings.EPORTAL_CODE_MAX_TRIES:
                pending.closed_at = now
                failure = _("Wrong code too many times. Ask for a new code.")
            else:
                failure = _("Wrong code. Check the SMS and try again.")
            pending.save(update_fields=["tries", "closed_at"])
            User.objects.filter(pk=user.pk).update(code_failures=F("code_failures") + 1)
            record_event("code_wrong", actor=actor.acting_as(user), details={"purpose": purpose})
    if failure:
        raise AccountError(failure, code="code_wrong")
    return user
