"""The one family of refusals a person reads: a stable code for programs, a Norwegian message for people.

Domain errors derive from UserError; each transport (web pages, the API) maps it in one place. Beside it, the
errors of a database that is not answering (stopped, restarting, connection cut), which the web and the worker
each ride out.
"""

from django.db import InterfaceError, OperationalError

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_failure(exc: BaseException) -> str:
    """A database error for a log line: its kind and the driver's first line (no query, no values)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200] if text else ''}"


class UserError(Exception):
    code = "refused"

    def __init__(self, message, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message
