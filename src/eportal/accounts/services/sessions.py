"""Logged-in sessions the person can see and end («Min side»), and ending them when the account changes."""

import functools
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _
from ua_parser import parse as ua_parse

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


def sessions_for_page(user: User, *, current_key: str | None) -> list[AccountSession]:
    """The person's sessions for «Min side», each with `device` (a readable name, never the raw user agent)
    and `this_device` (the session of the browser asking). One query."""
    listed = list(active_sessions(user))
    for account_session in listed:
        account_session.device = device_name(account_session.user_agent)
        account_session.this_device = bool(current_key) and account_session.session_key == current_key
    return listed


# ua-parser's family names, shortened to what people call them.
_BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chromium",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
_SYSTEMS = {"Mac OS X": "Mac", "Chrome OS": "ChromeOS"}


@functools.lru_cache(maxsize=256)
def _browser_and_system(user_agent: str) -> tuple[str, str]:
    """ua-parser's reading, in people's names ("Other" where it does not know); cached, parsing is slow."""
    parsed = ua_parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    system = parsed.os.family if parsed.os else "Other"
    if system == "iOS" and parsed.device and parsed.device.family in ("iPhone", "iPad", "iPod"):
        system = parsed.device.family
    return _BROWSERS.get(browser, browser), _SYSTEMS.get(system, system)


def device_name(user_agent: str) -> str:
    """«Chrome på Android», «Safari på iPhone», «Firefox på Windows»; «Ukjent nettleser» when ua-parser
    does not know the browser."""
    browser, system = _browser_and_system((user_agent or "")[:300])
    if browser == "Other":
        return _("Unknown browser")
    if system == "Other":
        return browser
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
