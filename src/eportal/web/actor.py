"""The per-request actor: built once by ActorMiddleware, renewed by the session module at login and logout."""

from django.conf import settings

from eportal.core.actor import WEB, Actor, printable_user_agent

# What the session remembers about how its person logged in (written by accounts' web_session module).
LOGIN_SESSION_KEY = "eportal.auth"
# The list patient (id) the person chose to act for, written by accounts' web_session module.
ACTING_FOR_SESSION_KEY = "eportal.acting_for"


def client_ip(request) -> str:
    """The client's address; behind a trusted reverse proxy, the one the proxy saw."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def login_facts(request) -> dict:
    """How the person in this session logged in: method, level, time and (BankID) the provider's id token."""
    session = getattr(request, "session", None)
    return (session.get(LOGIN_SESSION_KEY) if session is not None else None) or {}


def _acting_for(request) -> int | None:
    session = getattr(request, "session", None)
    value = session.get(ACTING_FOR_SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) else None


def actor_for(request) -> Actor:
    user = getattr(request, "user", None)
    logged_in = user is not None and user.is_authenticated
    return Actor(
        user=user if logged_in else None,
        level=login_facts(request).get("level") if logged_in else None,
        acting_for=_acting_for(request) if logged_in else None,
        ip=client_ip(request),
        user_agent=printable_user_agent(request.META.get("HTTP_USER_AGENT", "")),
        channel=WEB,
    )


def client_network(request) -> str:
    """For django-axes (AXES_CLIENT_IP_CALLABLE): the network this request counts against."""
    actor = getattr(request, "actor", None) or Actor(ip=client_ip(request))
    return actor.network


class ActorMiddleware:
    """Sets request.actor, after authentication: the one value views hand to services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = actor_for(request)
        return self.get_response(request)
