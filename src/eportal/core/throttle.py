"""Counting uses per client network (and key) in the cache, shared by all processes when REDIS_URL is set."""

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from .actor import Actor


def throttled(actor: Actor, scope: str, *, limit: int, seconds: int, key: str = "") -> bool:
    """Count one more use of `scope` by this actor's network (and key); True once past `limit` in the window."""
    digest = salted_hmac("eportal.throttle", f"{scope}|{actor.network}|{key}").hexdigest()[:32]
    cache_key = f"eportal.throttle.{digest}"
    cache.add(cache_key, 0, seconds)
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, seconds)
        return False
