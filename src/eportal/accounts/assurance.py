"""How a person proved who they are: the login methods. The level each gives (core.actor's SUBSTANTIAL, HIGH)
is set at login from the method, never from anything the browser sends, and travels in the actor."""

METHOD_PASSWORD_SMS = "password+sms"  # noqa: S105 - a login method, not a password
METHOD_PASSWORD_TOTP = "password+totp"  # noqa: S105
METHOD_BANKID = "bankid"
