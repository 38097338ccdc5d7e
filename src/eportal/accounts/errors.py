"""The refusal of an account use case."""

from eportal.core.errors import UserError


class AccountError(UserError):
    """A refusal the person should read; str() is the Norwegian message."""

    code = "account_refused"
