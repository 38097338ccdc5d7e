"""Fødselsnummer and D-nummer, as a thin layer over python-stdnum.

python-stdnum rejects the synthetic test population's numbers (month + 80), so those are checked
here with stdnum's own control-digit functions, and only accepted where configuration allows.
"""

import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer

SYNTHETIC_MONTH_OFFSET = 80
H_NUMBER_MONTH_OFFSET = 40


class InvalidNationalId(ValueError):
    """The value is not a fødselsnummer or D-nummer; str() is a message for the user."""


MSG_FORMAT = _("The personal number must be 11 digits.")
MSG_INVALID = _("The personal number is not valid. Check that all 11 digits are right.")


def compact(value: str) -> str:
    return fodselsnummer.compact(value or "")


def _has_valid_control_digits(number: str) -> bool:
    return (
        fodselsnummer.calc_check_digit1(number[:9]) == number[9]
        and fodselsnummer.calc_check_digit2(number[:10]) == number[10]
    )


def is_synthetic(number: str) -> bool:
    return int(number[2:4]) > SYNTHETIC_MONTH_OFFSET


def birth_date(number: str) -> datetime.date:
    """The birth date of a valid number (fødselsnummer, D-nummer, synthetic or not)."""
    month = int(number[2:4])
    if month > SYNTHETIC_MONTH_OFFSET:
        number = f"{number[:2]}{month - SYNTHETIC_MONTH_OFFSET:02d}{number[4:]}"
    return fodselsnummer.get_birth_date(number)


def parse_national_id(value: str, *, allow_synthetic: bool | None = None) -> str:
    """Return the 11 digits of a valid fødselsnummer or D-nummer, or raise InvalidNationalId."""
    if allow_synthetic is None:
        allow_synthetic = settings.EPORTAL_ALLOW_SYNTHETIC_IDS
    number = compact(value) if isinstance(value, str) else ""
    if len(number) != 11 or not all("0" <= ch <= "9" for ch in number):
        raise InvalidNationalId(MSG_FORMAT)
    month = int(number[2:4])
    # H-numbers (month + 40) are institution-internal, FH-numbers (day >= 80) carry no birth date:
    # neither identifies a person on a GP's list.
    if H_NUMBER_MONTH_OFFSET < month <= H_NUMBER_MONTH_OFFSET + 12 or int(number[:2]) >= 80:
        raise InvalidNationalId(MSG_INVALID)
    if is_synthetic(number) and not allow_synthetic:
        raise InvalidNationalId(MSG_INVALID)
    if not _has_valid_control_digits(number):
        raise InvalidNationalId(MSG_INVALID)
    try:
        born = birth_date(number)
    except StdnumError:
        raise InvalidNationalId(MSG_INVALID) from None
    if born > datetime.date.today():
        raise InvalidNationalId(MSG_INVALID)
    return number


def masked(number: str) -> str:
    """A form fit for logs and staff lists: the birth date part only."""
    return f"{number[:6]}*****" if number else ""
