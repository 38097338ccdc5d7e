"""Counting uses in the cache, shared by all processes when REDIS_URL is set: per client network (and key), or
per key from anywhere (a person, whichever addresses they are asked for from)."""

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from .actor import Actor


def _past_limit(counted: str, limit: int, seconds: int) -> bool:
    digest = salted_hmac("eportal.throttle", counted).hexdigest()[:32]
    cache_key = f"eportal.throttle.{digest}"
    cache.add(cache_key, 0, seconds)
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, seconds)
        return False


def throttled(actor: Actor, scope: str, *, limit: int, seconds: int, key: str = "") -> bool:
    """Count one more use of `scope` by this actor's network (and key); True once past `limit` in the window."""
    return _past_limit(f"{scope}|{actor.network}|{key}", limit, seconds)


def capped(scope: str, key: str, *, limit: int, seconds: int) -> bool:
    """Count one more use of `scope` for `key`, from any network; True once past `limit` in the window."""
    return _past_limit(f"anywhere|{scope}|{key}", limit, seconds)
