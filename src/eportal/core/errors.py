"""The one family of refusals a person reads: a stable code for programs, a Norwegian message for people.

Domain errors derive from UserError; each transport (web pages, the API) maps it in one place.
"""


class UserError(Exception):
    code = "refused"

    def __init__(self, message, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message
