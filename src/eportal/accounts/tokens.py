"""Expiring, single-use link tokens, after django.contrib.auth.tokens: an HMAC over the account's
state that the use itself changes, so nothing is stored and a used link stops working.

Each token type reads the time from its own `clock` (seconds since the epoch, `time.time` unless given
another), so a test can move a link's age past its limit without waiting."""

import time

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36


class StateToken:
    def __init__(self, purpose: str, *, max_age_setting: str, state, clock=time.time):
        self.key_salt = f"eportal.accounts.tokens.{purpose}"
        self.max_age_setting = max_age_setting
        self.state = state  # user -> str; must change when the link has been used
        self.clock = clock  # () -> seconds since the epoch: when a link is made and when it is checked

    def _hmac(self, user, timestamp: int) -> str:
        value = f"{user.pk}|{timestamp}|{self.state(user)}"
        return salted_hmac(self.key_salt, value, algorithm="sha256").hexdigest()

    def make(self, user) -> str:
        timestamp = int(self.clock())
        return f"{int_to_base36(timestamp)}-{self._hmac(user, timestamp)}"

    def check(self, user, token: str) -> bool:
        if not user or not isinstance(token, str) or token.count("-") != 1 or len(token) > 100:
            return False
        timestamp_b36, _ = token.split("-")
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if not constant_time_compare(f"{timestamp_b36}-{self._hmac(user, timestamp)}", token):
            return False
        return 0 <= self.clock() - timestamp <= getattr(settings, self.max_age_setting)


# Activation flips is_active; a changed e-mail or password also voids an older link.
activation_token = StateToken(
    "activation",
    max_age_setting="EPORTAL_ACTIVATION_LINK_SECONDS",
    state=lambda user: f"{user.is_active}|{user.email}|{user.password}",
)
# A reset changes the password hash; a login in between also voids the link.
reset_token = StateToken(
    "reset",
    max_age_setting="EPORTAL_RESET_LINK_SECONDS",
    state=lambda user: f"{user.password}|{user.last_login}",
)
# Confirming sets email to pending_email and empties it.
email_change_token = StateToken(
    "email-change",
    max_age_setting="EPORTAL_ACTIVATION_LINK_SECONDS",
    state=lambda user: f"{user.email}|{user.pending_email}",
)
