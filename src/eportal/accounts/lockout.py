"""Failed-login lockout through django-axes, which only reads HTTP requests: `authenticate` hands it one made
from the actor (address, browser), and axes' tables keep a keyed hash of the personnummer, never the number."""

from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from eportal.core.actor import Actor


def username_key(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE."""
    username = (credentials or {}).get("username") or request.POST.get("national_id") or request.POST.get("username")
    if not username:
        return ""
    return salted_hmac("eportal.accounts.lockout", str(username)).hexdigest()[:40]


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("Too many failed attempts. Try again in %(minutes)d minutes, or log in with BankID.") % {
        "minutes": minutes
    }


def authenticate(actor: Actor, *, username: str, password: str, attempt: str):
    """The account these credentials prove, or None; and whether this client or account is locked out.
    `attempt` names the kind of login in axes' records."""
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = f"/{attempt}/"
    request.META = {"REMOTE_ADDR": actor.ip, "HTTP_USER_AGENT": actor.user_agent}
    request.actor = actor  # read by AXES_CLIENT_IP_CALLABLE and the lockout audit
    user = django_authenticate(request, username=username, password=password)
    return user, bool(getattr(request, "axes_locked_out", False))
