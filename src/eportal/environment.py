"""Reading configuration from the environment, strictly: a malformed value stops start-up.

Each helper returns the default when the variable is unset or empty, and otherwise either a value of
the right kind and range or raises ImproperlyConfigured naming the variable and what it expects (the
`eportal` command prints that as `eportal: <message>` and exits with 2). Used by settings.py and by
the command itself, which reads a few variables before Django's settings exist.
"""

import base64
import binascii
import math
import os
import re
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on", "ja"}
FALSE_WORDS = {"0", "false", "no", "off", "nei"}


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if not value:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no, on/off or ja/nei, not {value!r}")


def env_choice(name: str, default: str, choices: list[str]) -> str:
    """One of the choices, whatever its case: returned as spelled in the choices."""
    value = env(name)
    if not value:
        return default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be {', '.join(choices[:-1])} or {choices[-1]}, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    return _env_number(name, default, int, "a whole number", minimum, maximum)


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    return _env_number(name, default, _finite_float, "a number", minimum, maximum)


def env_nok(name: str, default: str, *, maximum: int | None = None) -> Decimal:
    """An amount in kroner, with at most two decimals (øre): `400`, `1.25`."""
    return _env_number(
        name, Decimal(default), _kroner, "an amount in NOK", None, maximum, example=" (e.g. 400 or 1.25)"
    )


def env_hours_range(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """Hours `FROM-TO` of the day, each 0-23, e.g. `22-7` (over midnight); equal hours (`0-0`): none."""
    value = env(name)
    if not value:
        return default
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", value)
    if not match or not all(0 <= int(hour) <= 23 for hour in match.groups()):
        raise ImproperlyConfigured(
            f"{name} must be two hours FROM-TO, each 0-23 (e.g. 22-7, or 0-0 for none), not {value!r}"
        )
    return int(match[1]), int(match[2])


def env_key_ring(name: str, default: str = "") -> list[tuple[str, str]]:
    """Encryption keys `id:key,id:key` (first the one that encrypts): each id 1-16 letters, digits, - or _,
    unique in any case; each key 32 bytes in URL-safe base64 (a Fernet key)."""
    ring = []
    for item in env_list(name, default):
        key_id, _sep, key = item.partition(":")
        key_id, key = key_id.strip(), key.strip()
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii")) if key else b""
        except (ValueError, binascii.Error):
            raw = b""
        # Ids unique whatever their case: SQLite compares a value's key id prefix without case.
        taken = {known.lower() for known, _key in ring}
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", key_id) or len(raw) != 32 or key_id.lower() in taken:
            raise ImproperlyConfigured(
                f"{name} must be id:key pairs separated by commas, each id unique (letters, digits, - or _), each "
                "key 32 bytes in URL-safe base64 (`eportal new-message-key` prints one); the entry "
                f"{key_id or item[:8]!r} is not"
            )
        ring.append((key_id, key))
    return ring


def _env_number(name, default, parse: Callable, kind: str, minimum, maximum, *, example: str = ""):
    value = env(name)
    if not value:
        return default
    try:
        number = parse(value)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be {kind}{_bounds(minimum, maximum)}{example}, not {value!r}")
    return number


def _bounds(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    if maximum is not None:
        return f" of at most {maximum}"
    return ""


def _finite_float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _kroner(value: str) -> Decimal:
    if not re.fullmatch(r"\d+(\.\d{1,2})?", value):
        raise ValueError(value)
    return Decimal(value)
