"""Encryption at rest of message texts and attachments, with keys from configuration and rotation.

A sealed value is `<key id>:<Fernet token>`: the id says which key of EPORTAL_MESSAGE_KEYS opens it, so a
new key can encrypt while the older ones still decrypt, and `eportal rotate-keys` finds what is not yet under
the current key. A value that no configured key opens raises Undecryptable, which is logged with the key id
and the row, never the value: the page fails rather than show ciphertext or nothing.
"""

import functools
import logging

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)


class Undecryptable(Exception):
    """A sealed value that no configured key opens (a missing key, a damaged value)."""


@functools.cache
def _keys() -> dict[str, Fernet]:
    return {key_id: Fernet(key) for key_id, key in settings.EPORTAL_MESSAGE_KEYS}


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "EPORTAL_MESSAGE_KEYS":
        _keys.cache_clear()


def current_key_id() -> str:
    return settings.EPORTAL_MESSAGE_KEYS[0][0]


def seal(plain: bytes) -> str:
    """Encrypt under the current key."""
    key_id = current_key_id()
    return f"{key_id}:{_keys()[key_id].encrypt(plain).decode('ascii')}"


def unseal(sealed: str, *, what: str = "value") -> bytes:
    """Decrypt with the key the value names, or raise Undecryptable (logged; `what` names the row)."""
    key_id, _sep, token = sealed.partition(":")
    fernet = _keys().get(key_id)
    if fernet is None:
        logger.error("Cannot decrypt %s: its key id %r is not in EPORTAL_MESSAGE_KEYS", what, key_id[:16])
        raise Undecryptable(f"{what}: key {key_id[:16]!r} is not configured")
    try:
        return fernet.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        logger.error("Cannot decrypt %s with key id %r: the value is damaged or the key is wrong", what, key_id)
        raise Undecryptable(f"{what}: key {key_id!r} does not open it") from None


def seal_text(text: str) -> str:
    return seal(text.encode("utf-8"))


def unseal_text(sealed: str, *, what: str = "value") -> str:
    return unseal(sealed, what=what).decode("utf-8")


def reseal(sealed: str, *, what: str = "value") -> str:
    """The value under the current key (unchanged if it already is)."""
    if is_current(sealed):
        return sealed
    return seal(unseal(sealed, what=what))


def is_current(sealed: str) -> bool:
    return sealed.startswith(f"{current_key_id()}:")
