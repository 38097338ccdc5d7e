"""Facts about the HTTP client, read one way everywhere (audit, lockouts, SMS caps)."""

from django.conf import settings

USER_AGENT_MAX = 300


def client_ip(request) -> str:
    """The client's address; behind a trusted reverse proxy, the one the proxy saw."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def user_agent(request) -> str:
    # Printable characters only: the value is shown to the person and must not inject into logs.
    value = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    return "".join(ch for ch in value if ch.isprintable())
