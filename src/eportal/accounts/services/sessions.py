"""Logged-in sessions the person can see and end («Min side»), and ending them when the account changes."""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import Actor

from ..errors import AccountError
from ..models import AccountSession, User


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def record_session(*, actor: Actor, session_key: str, method: str, level: str) -> AccountSession:
    """A login happened: list the session under the account, and audit it with the factor used."""
    account_session = AccountSession.objects.create(
        user=actor.user,
        session_key=session_key,
        ip=actor.ip or None,
        user_agent=actor.user_agent,
        method=method,
        level=level,
    )
    record_event("login_succeeded", actor=actor, details={"factor": method})
    return account_session


def record_failed_login(actor: Actor, *, factor: str, reason: str = "", user: User | None = None) -> None:
    """Every refused login, whatever the method, is audited here: the factor, and why where it is known."""
    details = {"factor": factor, "reason": reason} if reason else {"factor": factor}
    record_event("login_failed", actor=actor.acting_as(user) if user else actor, details=details)


def forget_session(session_key: str | None) -> None:
    """The session was replaced (a step-up logs in anew) or is being ended here."""
    if session_key:
        AccountSession.objects.filter(session_key=session_key).delete()


def rename_session(old_key: str, new_key: str) -> None:
    """The browser's session got a new id (after a password change) and stays listed."""
    AccountSession.objects.filter(session_key=old_key).update(session_key=new_key)


def log_out(*, actor: Actor, session_key: str) -> None:
    forget_session(session_key)
    record_event("logout", actor=actor)


def end_session(*, actor: Actor, account_session_id: int) -> None:
    """End one of the person's own sessions, wherever it is."""
    account_session = AccountSession.objects.filter(pk=account_session_id, user=actor.user).first()
    if account_session is None:
        raise AccountError(_("The session was not found."), code="not_found")
    _session_store()(session_key=account_session.session_key).delete()
    account_session.delete()
    record_event("session_ended", actor=actor)


def end_all_sessions(user: User, *, except_key: str | None = None) -> None:
    store = _session_store()
    for account_session in AccountSession.objects.filter(user=user).exclude(session_key=except_key or ""):
        store(session_key=account_session.session_key).delete()
        account_session.delete()


def active_sessions(user: User):
    return AccountSession.objects.filter(user=user)
