"""Facts about the HTTP client, read one way everywhere (audit, lockouts, SMS caps)."""

import ipaddress

from django.conf import settings

USER_AGENT_MAX = 300


def client_ip(request) -> str:
    """The client's address; behind a trusted reverse proxy, the one the proxy saw."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def client_network(request) -> str:
    """The address to count and cap by: an IPv4 address, or the /64 an IPv6 client can roam within."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address


def throttled(request, scope: str, *, limit: int, seconds: int, key: str = "") -> bool:
    """Count one more use of `scope` by this address (and key); True once past `limit` in the window.
    Counts live in the cache, shared by all processes when REDIS_URL is set."""
    from django.core.cache import cache
    from django.utils.crypto import salted_hmac

    digest = salted_hmac("eportal.throttle", f"{scope}|{client_network(request)}|{key}").hexdigest()[:32]
    cache_key = f"eportal.throttle.{digest}"
    cache.add(cache_key, 0, seconds)
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, seconds)
        return False


def user_agent(request) -> str:
    # Printable characters only: the value is shown to the person and must not inject into logs.
    value = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    return "".join(ch for ch in value if ch.isprintable())
