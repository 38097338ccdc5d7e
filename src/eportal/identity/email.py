"""E-mail addresses: the one rule for what the registry holds, used by the import, the forms and the demo.

An address is what Django's EmailValidator accepts, with an ASCII local part: SMTPUTF8 is not supported by
every mail server, and a patient whose reset link is lost is worse off than one asked for an ASCII address.
The domain may be internationalised (Django's mail encodes it). Stored as typed, surrounding spaces removed.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254  # models.EmailField's, as User.email, User.pending_email and ListPatient.email have it

MSG_INVALID = _("Enter a valid e-mail address, for example kari.nordmann@example.com.")
MSG_NOT_ASCII = _("Use the letters a–z before the @, not æ, ø, å or letters with accents.")


class InvalidEmail(ValueError):
    """The value is not an address the portal accepts; str() is a message for the user."""


_django_rule = EmailValidator()


def parse_email(value: str) -> str:
    """Return the address without surrounding spaces, or raise InvalidEmail."""
    address = value.strip() if isinstance(value, str) else ""
    if not address or len(address) > MAX_LENGTH:
        raise InvalidEmail(MSG_INVALID)
    # Checked first: Django's case-insensitive a-z also lets «ſ», «ı», «İ» and the Kelvin sign (U+212A) through.
    if not address.rpartition("@")[0].isascii():
        raise InvalidEmail(MSG_NOT_ASCII)
    try:
        _django_rule(address)
    except ValidationError:
        raise InvalidEmail(MSG_INVALID) from None
    return address


class EmailFormField(forms.EmailField):
    """An e-mail field that accepts what parse_email accepts, with its messages."""

    default_validators = []  # parse_email runs Django's EmailValidator

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_LENGTH)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return parse_email(value)
        except InvalidEmail as exc:
            raise ValidationError(str(exc), code="invalid") from None
