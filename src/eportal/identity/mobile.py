"""Norwegian mobile numbers (4xxxxxxx and 9xxxxxxx), parsed with phonenumbers and stored as E.164."""

import phonenumbers
from django.utils.translation import gettext_lazy as _


class InvalidMobile(ValueError):
    """The value is not a Norwegian mobile number; str() is a message for the user."""


MSG_INVALID = _("Enter a Norwegian mobile number with 8 digits, for example 912 34 567.")

MAX_INPUT_LENGTH = 32


def parse_mobile(value: str) -> str:
    """Return the number as E.164 (+47XXXXXXXX), or raise InvalidMobile."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_INPUT_LENGTH:
        raise InvalidMobile(MSG_INVALID)
    try:
        number = phonenumbers.parse(value, "NO")
    except phonenumbers.NumberParseException:
        raise InvalidMobile(MSG_INVALID) from None
    if (
        number.country_code != 47
        or not phonenumbers.is_valid_number_for_region(number, "NO")
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise InvalidMobile(MSG_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """A stored number as people write it: Norwegian ones as «406 07 558» (3-2-3, no +47: the portal is
    Norwegian and so are the numbers it sends to), any other in the international format («+46 70 123 45
    67»); what phonenumbers cannot read is shown as stored, and no number as ""."""
    value = (e164 or "").strip()
    if value.startswith("+47") and len(value) == 11 and value[3:].isdigit():
        digits = value[3:]
        return f"{digits[:3]} {digits[3:5]} {digits[5:]}"
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
