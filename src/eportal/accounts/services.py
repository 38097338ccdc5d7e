"""Account use cases: registration, activation, password + SMS login, reset, changes, sessions.

Registration, the reset request and the request for a new activation link answer every visitor
alike (SECURITY.md: being on a clinic's list is itself health-related): what actually happened goes
by e-mail to an address the person already proved. Registration hashes the password on every path;
the other two leave the lookup to the worker.
"""

import datetime
import secrets
import time
from importlib import import_module
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.clinic.selectors import get_clinic, listed_patient, registered_mobiles
from eportal.notifications.backends import SmsNotSent
from eportal.notifications.models import SmsLedgerEntry
from eportal.notifications.services import queue_email, send_sms
from eportal.web import client_ip, client_network, throttled, user_agent

from . import assurance
from .models import AccountSession, OneTimeCode, User
from .tokens import activation_token, email_change_token, reset_token


class AccountError(Exception):
    """A refusal the person should read; str() is the Norwegian message."""


CODE_SESSION_KEYS = {
    OneTimeCode.Purpose.LOGIN: "eportal.code.login",
    OneTimeCode.Purpose.PASSWORD_RESET: "eportal.code.reset",
}
SMS_PURPOSES = {
    OneTimeCode.Purpose.LOGIN: SmsLedgerEntry.Purpose.LOGIN_CODE,
    OneTimeCode.Purpose.PASSWORD_RESET: SmsLedgerEntry.Purpose.RESET_CODE,
}


def _actor(user) -> str:
    return f"user:{user.pk}" if user else "anonymous"


def _audit(action: str, user: User, **fields) -> None:
    """An event done by the person themselves."""
    record_event(action, actor=_actor(user), actor_user=user, **fields)


def _absolute(base, path: str) -> str:
    """A full link for an e-mail: `base` is the request, or its site root when a job writes the e-mail."""
    return base.build_absolute_uri(path) if hasattr(base, "build_absolute_uri") else urljoin(base, path)


def site_root(request) -> str:
    return request.build_absolute_uri("/")


def _uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


# Registration ---------------------------------------------------------------------------------


def _send_activation(base, user: User) -> None:
    link = _absolute(base, reverse("accounts:activate", args=[_uid(user), activation_token.make(user)]))
    clinic = get_clinic().name
    queue_email(
        to=user.email,
        subject=_("Activate your user in the e-portal of %(clinic)s") % {"clinic": clinic},
        body=_(
            "Hello,\n\nClick the link to activate your user of the e-portal of %(clinic)s:\n%(link)s\n\n"
            "The link works once and for 48 hours. If you did not ask for this, ignore this e-mail."
        )
        % {"clinic": clinic, "link": link},
    )


@transaction.atomic
def register_account(*, request, national_id: str, email: str, mobile: str, password: str) -> None:
    """Create an inactive account and send the activation link, if the person is on the list and the
    mobile is the one the clinic registered. The caller shows the same page whatever happened."""
    hashed = make_password(password)  # on every path, so the answer takes as long whatever happened
    if throttled(request, "registration", limit=20, seconds=3600):
        return  # a flood of e-mails from one address is dropped; the page says the same
    patient = listed_patient(national_id)
    existing = User.objects.filter(national_id=national_id).first()
    if patient is None:
        record_event("registration_not_on_list", actor="anonymous", request=request)
        return
    if mobile not in registered_mobiles(patient):
        record_event(
            "registration_mobile_mismatch",
            actor="anonymous",
            subject_national_id=national_id,
            request=request,
        )
        if patient.email:
            queue_email(
                to=patient.email,
                subject=_("About your registration in the e-portal"),
                body=_(
                    "Someone tried to create a user in the e-portal of %(clinic)s with your personal number, "
                    "but the mobile number did not match the one registered with us. If it was you, contact "
                    "the clinic to check your mobile number."
                )
                % {"clinic": get_clinic().name},
            )
        return
    if existing is not None and existing.is_active:
        record_event(
            "registration_existing_account",
            actor="anonymous",
            subject_national_id=national_id,
            request=request,
        )
        queue_email(
            to=existing.email,
            subject=_("You already have a user in the e-portal"),
            body=_(
                "Someone tried to create a new user in the e-portal of %(clinic)s with your personal number. "
                "You already have a user. If you have forgotten your password, use “Hjelp til innlogging” on "
                "the login page."
            )
            % {"clinic": get_clinic().name},
        )
        return
    # A pending, never activated account is replaced: an old or mistyped registration blocks nobody.
    user = existing or User(username=national_id, national_id=national_id)
    user.email, user.password, user.is_active = email, hashed, False
    user.consent_version, user.consent_given_at = settings.EPORTAL_CONSENT_VERSION, timezone.now()
    user.save()
    _audit(
        "account_created",
        user,
        subject_national_id=national_id,
        request=request,
    )
    _send_activation(request, user)


def user_from_link(uidb64: str) -> User | None:
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, national_id__isnull=False).first()


@transaction.atomic
def activate_account(*, request, user: User | None, token: str) -> User:
    if user is None or user.is_active or not activation_token.check(user, token):
        raise AccountError(_("The link has been used, has expired or is not complete."))
    user.is_active = True
    user.save(update_fields=["is_active"])
    _audit(
        "account_activated",
        user,
        subject_national_id=user.national_id,
        request=request,
    )
    return user


def resend_activation(*, request, national_id: str, email: str) -> None:
    """Ask for a new activation link. The lookup runs in the worker, so the answer is the same, as fast,
    whether or not an account exists; a flood from one address or for one number is dropped."""
    if throttled(request, "activation", limit=10, seconds=3600) or throttled(
        request, "activation-number", limit=3, seconds=3600, key=national_id
    ):
        return
    from .tasks import resend_activation_task

    resend_activation_task.enqueue(national_id=national_id, email=email, base_url=site_root(request))


@transaction.atomic
def send_new_activation_link(*, national_id: str, email: str, base_url: str) -> None:
    """The worker's half: a new link, if an inactive account has this number and e-mail."""
    user = User.objects.filter(national_id=national_id, is_active=False).first()
    if user is not None and user.email.casefold() == email.casefold():
        _send_activation(base_url, user)


# One-time codes -------------------------------------------------------------------------------


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


def _sms_mobile(user: User) -> str:
    patient = listed_patient(user.national_id)
    if patient is None:
        raise AccountError(_("You are no longer on the clinic's list. Contact the clinic."))
    mobiles = registered_mobiles(patient)
    if not mobiles:
        raise AccountError(_("The clinic has not registered a mobile number for you. Log in with BankID."))
    return mobiles[0]


def issue_code(*, request, user: User, purpose: str) -> None:
    """Send a new code by SMS to the mobile the clinic has registered now, for this browser only."""
    if user.code_failures >= settings.EPORTAL_CODE_ACCOUNT_FAILURE_LIMIT:
        raise AccountError(_("Too many wrong codes. Log in with BankID or contact the clinic."))
    mobile = _sms_mobile(user)
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose, closed_at__isnull=True).update(closed_at=now)
    code = f"{secrets.randbelow(10**settings.EPORTAL_CODE_DIGITS):0{settings.EPORTAL_CODE_DIGITS}d}"
    attempt_id = secrets.token_urlsafe(32)
    text = _("Your one-time password for the e-portal of %(clinic)s is %(code)s. It is valid for 5 minutes.") % {
        "clinic": get_clinic().name,
        "code": code,
    }
    try:
        send_sms(to=mobile, text=text, purpose=SMS_PURPOSES[purpose], user=user, ip=client_network(request))
    except SmsNotSent as exc:
        _audit(
            "code_not_sent",
            user,
            request=request,
            details={"reason": type(exc).__name__},
        )
        raise AccountError(str(exc)) from None
    OneTimeCode.objects.create(
        user=user,
        purpose=purpose,
        attempt_id=attempt_id,
        code_hmac=_code_hmac(attempt_id, code),
        account_state=_account_state(user),
        expires_at=now + datetime.timedelta(seconds=settings.EPORTAL_CODE_VALID_SECONDS),
    )
    request.session[CODE_SESSION_KEYS[purpose]] = attempt_id
    _audit("code_sent", user, request=request, details={"purpose": purpose})


def pending_code_user(request, purpose: str) -> User | None:
    attempt_id = request.session.get(CODE_SESSION_KEYS[purpose])
    if not attempt_id:
        return None
    pending = OneTimeCode.objects.select_related("user").filter(attempt_id=attempt_id, purpose=purpose).first()
    return pending.user if pending and _attempt_still_valid(pending) else None


def check_code(*, request, purpose: str, code: str) -> User:
    """The account whose code this is, or AccountError. Wrong codes count against the code (5 void
    it) and against the account (a new code does not reset that)."""
    attempt_id = request.session.get(CODE_SESSION_KEYS[purpose], "")
    failure = None
    with transaction.atomic():  # the counts are kept even though the answer is a refusal
        pending = (
            OneTimeCode.objects.select_for_update()
            .select_related("user")
            .filter(attempt_id=attempt_id, purpose=purpose)
            .first()
        )
        now = timezone.now()
        if (
            pending is None
            or pending.closed_at is not None
            or pending.expires_at <= now
            or not _attempt_still_valid(pending)
        ):
            raise AccountError(_("The code has expired or has been used. Ask for a new code."))
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
            _audit("code_wrong", user, request=request, details={"purpose": purpose})
    if failure:
        raise AccountError(failure)
    del request.session[CODE_SESSION_KEYS[purpose]]
    return user


# Login and sessions --------------------------------------------------------------------------


def start_password_login(*, request, national_id: str, password: str) -> None:
    """Check the password; only then send the SMS code (SECURITY.md: SMS pumping)."""
    user = authenticate(request, username=national_id, password=password)
    if getattr(request, "axes_locked_out", False):
        raise AccountError(lockout_message())
    if user is None or not user.is_patient:
        record_event("login_failed", actor="anonymous", request=request, details={"factor": "password"})
        raise AccountError(_("Wrong personal number or password, or the user is not activated yet."))
    issue_code(request=request, user=user, purpose=OneTimeCode.Purpose.LOGIN)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("Too many failed attempts. Try again in %(minutes)d minutes, or log in with BankID.") % {
        "minutes": minutes
    }


def finish_code_login(*, request, code: str) -> User:
    user = check_code(request=request, purpose=OneTimeCode.Purpose.LOGIN, code=code)
    establish_session(request, user, method=assurance.METHOD_PASSWORD_SMS, level=assurance.SUBSTANTIAL)
    return user


def establish_session(request, user: User, *, method: str, level: str, id_token: str = "") -> None:
    """Log in with a new session id, and remember how: the session's assurance level comes from here."""
    previous_key = request.session.session_key
    request.eportal_login = {"method": method, "level": level}
    if request.user.is_authenticated:
        request.session.cycle_key()  # Django's login() keeps the id when the same person logs in again
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if previous_key:  # a step-up replaces the session it came from
        AccountSession.objects.filter(session_key=previous_key).delete()
    if id_token:  # kept for ending the provider's session at logout
        request.session[assurance.SESSION_KEY] = {**request.session[assurance.SESSION_KEY], "id_token": id_token}


def record_login(request, user: User) -> None:
    """Called for every login (patients and staff) through the user_logged_in signal."""
    how = getattr(request, "eportal_login", None) or {
        "method": assurance.METHOD_PASSWORD_TOTP,
        "level": assurance.SUBSTANTIAL,
    }
    request.session[assurance.SESSION_KEY] = {**how, "at": int(time.time())}
    request.session.save()
    AccountSession.objects.create(
        user=user,
        session_key=request.session.session_key,
        ip=client_ip(request) or None,
        user_agent=user_agent(request),
        method=how["method"],
        level=how["level"],
    )
    _audit(
        "login_succeeded",
        user,
        request=request,
        details={"factor": how["method"]},
    )


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_session(*, request, user: User, account_session_id: int) -> None:
    account_session = AccountSession.objects.filter(pk=account_session_id, user=user).first()
    if account_session is None:
        raise AccountError(_("The session was not found."))
    _session_store()(session_key=account_session.session_key).delete()
    account_session.delete()
    _audit("session_ended", user, request=request)


def end_all_sessions(user: User, *, except_key: str | None = None) -> None:
    store = _session_store()
    for account_session in AccountSession.objects.filter(user=user).exclude(session_key=except_key or ""):
        store(session_key=account_session.session_key).delete()
        account_session.delete()


def log_out(request) -> str:
    """End the session here; returns the provider's id token where the login came from BankID."""
    user = request.user
    id_token = assurance.session_auth(request).get("id_token", "")
    if user.is_authenticated:
        AccountSession.objects.filter(session_key=request.session.session_key).delete()
        _audit("logout", user, request=request)
    logout(request)
    return id_token


def active_sessions(user: User):
    return AccountSession.objects.filter(user=user)


# Password reset and changes ------------------------------------------------------------------


def _notify_credential_change(user: User, what: str) -> None:
    queue_email(
        to=user.email,
        subject=_("Your user in the e-portal was changed"),
        body=_(
            "%(what)s If this was not you, contact the clinic at once, and log in with BankID to change your password."
        )
        % {"what": what},
    )


def request_password_reset(*, request, national_id: str) -> None:
    """Ask for a reset link by e-mail. Like resend_activation, the lookup runs in the worker: the
    answer is the same, as fast, whether or not an account exists."""
    if throttled(request, "reset", limit=10, seconds=3600) or throttled(
        request, "reset-number", limit=3, seconds=3600, key=national_id
    ):
        return
    from .tasks import password_reset_task

    password_reset_task.enqueue(national_id=national_id, base_url=site_root(request))


@transaction.atomic
def send_reset_link(*, national_id: str, base_url: str) -> None:
    """The worker's half: e-mail the link to the account's own address, if the account exists."""
    user = User.objects.filter(national_id=national_id, is_active=True).first()
    if user is None:
        return
    link = _absolute(base_url, reverse("accounts:reset", args=[_uid(user), reset_token.make(user)]))
    queue_email(
        to=user.email,
        subject=_("New password for the e-portal"),
        body=_(
            "Click the link to choose a new password for the e-portal of %(clinic)s:\n%(link)s\n\n"
            "You will also get a code by SMS. The link works once and for 1 hour. If you did not ask for this, "
            "ignore this e-mail."
        )
        % {"clinic": get_clinic().name, "link": link},
    )
    _audit("password_reset_requested", user)


def check_reset_link(user: User | None, token: str) -> User:
    if user is None or not user.is_active or not reset_token.check(user, token):
        raise AccountError(_("The link has been used, has expired or is not complete."))
    return user


@transaction.atomic
def reset_password(*, request, user: User, token: str, code: str, new_password: str) -> None:
    check_reset_link(user, token)
    code_user = check_code(request=request, purpose=OneTimeCode.Purpose.PASSWORD_RESET, code=code)
    if code_user.pk != user.pk:
        raise AccountError(_("The code has expired or has been used. Ask for a new code."))
    user.set_password(new_password)
    user.code_failures = 0
    user.save(update_fields=["password", "code_failures"])
    close_open_codes(user)
    end_all_sessions(user)
    _audit("password_reset", user, request=request)
    _notify_credential_change(user, _("Your password in the e-portal was changed."))


@transaction.atomic
def change_password(*, request, user: User, current: str, new_password: str) -> None:
    """Needs the current password, or a high-level (BankID) login: so a patient whose account someone
    else registered first can take it back with BankID."""
    if not assurance.meets(request, assurance.HIGH) and not user.check_password(current):
        raise AccountError(_("The current password is wrong."))
    user.set_password(new_password)
    user.save(update_fields=["password"])
    close_open_codes(user)
    old_key = request.session.session_key
    end_all_sessions(user, except_key=old_key)
    update_session_auth_hash(request, user)  # gives this browser a new session id
    AccountSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key)
    _audit("password_changed", user, request=request)
    _notify_credential_change(user, _("Your password in the e-portal was changed."))


@transaction.atomic
def request_email_change(*, request, user: User, password: str, new_email: str) -> None:
    """The new address gets a link; it takes effect when the link is used. Needs the password, or a
    high-level (BankID) login, now."""
    if not assurance.meets(request, assurance.HIGH) and not user.check_password(password):
        raise AccountError(_("The password is wrong."))
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    _send_email_confirmation(request, user)
    _audit("email_change_requested", user, request=request)


def _send_email_confirmation(request, user: User) -> None:
    """A link to user.pending_email; the address is used only once the link has been followed."""
    link = _absolute(request, reverse("accounts:confirm-email", args=[_uid(user), email_change_token.make(user)]))
    queue_email(
        to=user.pending_email,
        subject=_("Confirm your new e-mail address"),
        body=_("Click the link to use this e-mail address in the e-portal of %(clinic)s:\n%(link)s")
        % {"clinic": get_clinic().name, "link": link},
    )


@transaction.atomic
def confirm_email_change(*, request, user: User | None, token: str) -> None:
    if user is None or not user.pending_email or not email_change_token.check(user, token):
        raise AccountError(_("The link has been used, has expired or is not complete."))
    old = user.email
    user.email, user.pending_email = user.pending_email, ""
    user.save(update_fields=["email", "pending_email"])
    _audit("email_changed", user, request=request)
    if old:
        queue_email(
            to=old,
            subject=_("Your user in the e-portal was changed"),
            body=_(
                "The e-mail address of your user in the e-portal was changed. If this was not you, contact the clinic."
            ),
        )


def update_notice_preferences(*, request, user: User, by_sms: bool, by_email: bool) -> None:
    user.notify_by_sms, user.notify_by_email = by_sms, by_email
    user.save(update_fields=["notify_by_sms", "notify_by_email"])
    _audit(
        "consent_changed",
        user,
        request=request,
        details={"sms": by_sms, "email": by_email},
    )


# BankID ---------------------------------------------------------------------------------------

BANKID_PENDING_KEY = "eportal.bankid.new"


def bankid_login(*, request, identity, purpose: str) -> str:
    """Log in (or step up) the person BankID identified. Returns "logged_in" or "new_account"."""
    from .oidc import OidcError

    current = request.user if request.user.is_authenticated else None
    if purpose == "step_up" and (current is None or current.national_id != identity.national_id):
        _refuse_bankid(request, "step_up_other_person", current)
        raise OidcError(_("You logged in with BankID as another person. Log in again."), "step_up_other_person")
    user = User.objects.filter(national_id=identity.national_id).first()
    if user is not None and user.is_active:
        if listed_patient(identity.national_id) is None:
            _refuse_bankid(request, "not_on_list", user)
            raise OidcError(_("You are no longer on the clinic's list. Contact the clinic."), "not_on_list")
        establish_session(
            request, user, method=assurance.METHOD_BANKID, level=identity.level, id_token=identity.id_token
        )
        return "logged_in"
    if listed_patient(identity.national_id) is None:
        _refuse_bankid(request, "not_on_list", None)
        raise OidcError(
            _("Only patients whose GP is at %(clinic)s can create a user.") % {"clinic": get_clinic().name},
            "not_on_list",
        )
    # Listed, no account yet: a short «Mine opplysninger»; the verified number waits in the session.
    request.session[BANKID_PENDING_KEY] = {
        "national_id": identity.national_id,
        "level": identity.level,
        "id_token": identity.id_token,
        "at": int(time.time()),
    }
    return "new_account"


def _refuse_bankid(request, reason: str, user) -> None:
    record_event(
        "login_failed",
        actor=_actor(user),
        actor_user=user,
        request=request,
        details={"factor": "bankid", "reason": reason},
    )


def pending_bankid_identity(request) -> dict | None:
    pending = request.session.get(BANKID_PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > 15 * 60:
        return None
    return pending


@transaction.atomic
def register_with_bankid(*, request, email: str, mobile: str, password: str) -> User:
    """Create the active account of the person BankID identified; the e-mail is confirmed by link."""
    pending = pending_bankid_identity(request)
    if pending is None:
        raise AccountError(_("The BankID login has expired. Log in again."))
    national_id = pending["national_id"]
    patient = listed_patient(national_id)
    if patient is None:
        raise AccountError(
            _("Only patients whose GP is at %(clinic)s can create a user.") % {"clinic": get_clinic().name}
        )
    if mobile not in registered_mobiles(patient):
        raise AccountError(
            _("The mobile number is not the one the clinic has registered. Contact the clinic if you are unsure.")
        )
    user = User.objects.filter(national_id=national_id).first() or User(username=national_id, national_id=national_id)
    if user.pk and user.is_active:
        raise AccountError(_("You already have a user. Log in."))
    user.email, user.pending_email, user.is_active = "", email, True
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.consent_version, user.consent_given_at = settings.EPORTAL_CONSENT_VERSION, timezone.now()
    user.save()
    del request.session[BANKID_PENDING_KEY]
    _audit("account_created", user, subject_national_id=national_id, request=request, details={"factor": "bankid"})
    _send_email_confirmation(request, user)
    establish_session(
        request, user, method=assurance.METHOD_BANKID, level=pending["level"], id_token=pending["id_token"]
    )
    return user
