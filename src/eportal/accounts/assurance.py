"""Assurance: how a person proved who they are. The level is set at login from the method (never from
anything the browser sends) and travels in the actor; each service declares the level it needs."""

from eportal.core.actor import HIGH, SUBSTANTIAL

METHOD_PASSWORD_SMS = "password+sms"  # noqa: S105 - a login method, not a password
METHOD_PASSWORD_TOTP = "password+totp"  # noqa: S105
METHOD_BANKID = "bankid"

__all__ = ["HIGH", "SUBSTANTIAL", "METHOD_BANKID", "METHOD_PASSWORD_SMS", "METHOD_PASSWORD_TOTP"]
