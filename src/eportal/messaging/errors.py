"""The refusal of a messaging use case: a stable code for programs, a Norwegian message for people."""

from eportal.core.errors import UserError


class MessagingError(UserError):
    code = "message_refused"
