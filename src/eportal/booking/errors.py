"""The refusal of a booking use case: a stable code for programs, a Norwegian message for people."""

from eportal.core.errors import UserError


class BookingError(UserError):
    """A refusal the person should read; str() is the Norwegian message."""

    code = "booking_refused"
