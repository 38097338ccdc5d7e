"""Assurance levels, in one place. A session's level is set at login from how the person proved who
they are (never from anything the browser sends); each service declares the level it needs."""

SUBSTANTIAL = "substantial"
HIGH = "high"
ORDER = {SUBSTANTIAL: 1, HIGH: 2}

METHOD_PASSWORD_SMS = "password+sms"  # noqa: S105 - a login method, not a password
METHOD_PASSWORD_TOTP = "password+totp"  # noqa: S105

SESSION_KEY = "eportal.auth"


def session_auth(request) -> dict:
    return request.session.get(SESSION_KEY) or {}


def session_level(request) -> str | None:
    return session_auth(request).get("level")


def meets(request, needed: str) -> bool:
    return ORDER.get(session_level(request) or "", 0) >= ORDER[needed]


METHOD_BANKID = "bankid"


def requires_level(level: str):
    """A view's declared assurance level: a weaker session is sent to BankID (step-up) and back."""
    from functools import wraps

    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.http import urlencode

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{reverse('clinic:login')}?{urlencode({'next': request.get_full_path()})}")
            if not meets(request, level):
                query = urlencode({"next": request.get_full_path(), "niva": level})
                return redirect(f"{reverse('accounts:bankid-start')}?{query}")
            return view(request, *args, **kwargs)

        wrapper.required_level = level
        return wrapper

    return decorator
