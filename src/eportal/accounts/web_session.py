"""Everything accounts keep in the browser's session, in one place: the login and how it was made, SMS code
attempts, a BankID login on its way, link tokens and where to go after login. Services never see the session;
views hand them what is read here."""

import time

from django.contrib.auth import login, logout, update_session_auth_hash

from eportal.core.actor import SUBSTANTIAL
from eportal.web.actor import ACTING_FOR_SESSION_KEY, LOGIN_SESSION_KEY, actor_for, login_facts

from . import assurance
from .models import OneTimeCode
from .oidc import fresh_pending
from .services import sessions

CODE_ATTEMPT_KEYS = {
    OneTimeCode.Purpose.LOGIN: "eportal.code.login",
    OneTimeCode.Purpose.PASSWORD_RESET: "eportal.code.reset",
}
OIDC_KEY = "eportal.oidc"
NEW_BANKID_USER_KEY = "eportal.bankid.new"
NEW_BANKID_USER_SECONDS = 15 * 60
LINK_TOKEN_KEY = "eportal.link"  # noqa: S105 - a session key, not a secret
NEXT_KEY = "eportal.next"


# Login and logout -------------------------------------------------------------------------------


def log_in(request, user, *, method: str, level: str, id_token: str = "") -> None:
    """Log in with a new session id, and remember how: the session's assurance level comes from here."""
    previous_key = request.session.session_key
    request.eportal_login = {"method": method, "level": level}
    if request.user.is_authenticated:
        request.session.cycle_key()  # Django's login() keeps the id when the same person logs in again
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.forget_session(previous_key)  # a step-up replaces the session it came from
    if id_token:  # kept for ending the provider's session at logout
        request.session[LOGIN_SESSION_KEY] = {**request.session[LOGIN_SESSION_KEY], "id_token": id_token}


def record_login(request, user) -> None:
    """Every login (patients and staff), through the user_logged_in signal: the session's facts, then the
    listed session and the audit event."""
    how = getattr(request, "eportal_login", None) or {
        "method": assurance.METHOD_PASSWORD_TOTP,
        "level": SUBSTANTIAL,
    }
    request.session[LOGIN_SESSION_KEY] = {**how, "at": int(time.time())}
    request.session.save()
    request.actor = actor_for(request).acting_as(user)  # (a test's login gives a request without a user)
    sessions.record_session(
        actor=request.actor, session_key=request.session.session_key, method=how["method"], level=how["level"]
    )


def log_out(request) -> str:
    """End the session here; returns the provider's id token where the login came from BankID."""
    id_token = login_facts(request).get("id_token", "")
    if request.user.is_authenticated:
        sessions.log_out(actor=request.actor, session_key=request.session.session_key)
    logout(request)
    request.actor = actor_for(request)
    return id_token


def keep_after_password_change(request, user) -> None:
    """The password changed: this browser stays logged in, under a new session id."""
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    sessions.rename_session(old_key, request.session.session_key)


def act_for(request, patient_id: int | None) -> None:
    """Act for this list patient from the next page on (None: for oneself again). Only a wish: the
    representation policy decides on every request whether it holds."""
    if patient_id is None:
        request.session.pop(ACTING_FOR_SESSION_KEY, None)
    else:
        request.session[ACTING_FOR_SESSION_KEY] = patient_id
    request.actor = actor_for(request)


# SMS code attempts -----------------------------------------------------------------------------


def remember_code_attempt(request, purpose: str, attempt_id: str) -> None:
    request.session[CODE_ATTEMPT_KEYS[purpose]] = attempt_id


def code_attempt(request, purpose: str) -> str:
    return request.session.get(CODE_ATTEMPT_KEYS[purpose], "")


def forget_code_attempt(request, purpose: str) -> None:
    request.session.pop(CODE_ATTEMPT_KEYS[purpose], None)


# BankID ---------------------------------------------------------------------------------------


def remember_oidc_login(request, pending: dict) -> None:
    request.session[OIDC_KEY] = pending


def take_oidc_login(request) -> dict | None:
    """The BankID login this browser started, removed so that its state can be used once only."""
    return fresh_pending(request.session.pop(OIDC_KEY, None))


def remember_new_bankid_user(request, identity) -> None:
    """Listed, no account yet: the verified number waits here while the person fills in «Mine opplysninger»."""
    request.session[NEW_BANKID_USER_KEY] = {
        "national_id": identity.national_id,
        "level": identity.level,
        "id_token": identity.id_token,
        "at": int(time.time()),
    }


def new_bankid_user(request) -> dict | None:
    pending = request.session.get(NEW_BANKID_USER_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > NEW_BANKID_USER_SECONDS:
        return None
    return pending


def forget_new_bankid_user(request) -> None:
    request.session.pop(NEW_BANKID_USER_KEY, None)


# Links and where to go next -----------------------------------------------------------------------


def keep_link_token(request, token: str) -> None:
    """Keep a link's token in the session, so the address bar (and any log of URLs) can drop it."""
    request.session[LINK_TOKEN_KEY] = token


def link_token(request, *, forget: bool = False) -> str:
    return (request.session.pop if forget else request.session.get)(LINK_TOKEN_KEY, "")


def remember_next(request, url: str) -> None:
    request.session[NEXT_KEY] = url


def next_url(request) -> str:
    return request.session.get(NEXT_KEY, "")
