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


# Clear typos of the domains most patients use, and the right domain. Only slips no real provider uses:
# hotmail.no or gmail.no are left alone (they could be meant).
COMMON_TYPOS = {
    **dict.fromkeys(
        ["gmial.com", "gmal.com", "gnail.com", "gamil.com", "gmaill.com", "gmail.con", "gmail.co", "gmail.cm"],
        "gmail.com",
    ),
    **dict.fromkeys(["hotmial.com", "hotnail.com", "hotmal.com", "hotmail.con", "hotmail.co"], "hotmail.com"),
    **dict.fromkeys(["outlok.com", "outloo.com", "outlook.con", "otulook.com"], "outlook.com"),
    **dict.fromkeys(["yaho.com", "yahoo.con", "yahho.com"], "yahoo.com"),
    **dict.fromkeys(["onlien.no", "onilne.no", "onlne.no", "online.n"], "online.no"),
}

MSG_TYPO = _("Did you mean %(address)s? If the address is right as you wrote it, send the form again.")


def suggested_address(address: str) -> str | None:
    """The address with a clearly mistyped common domain put right («kari@gmial.com» -> «kari@gmail.com»),
    or None when the domain is not on the list."""
    local, at, domain = (address or "").strip().rpartition("@")
    fix = COMMON_TYPOS.get(domain.lower()) if at and local else None
    return f"{local}@{fix}" if fix else None


class TypoCheckedEmails:
    """Form mixin for the e-mail fields named in `typo_checked`: the first submit of an address with a mistyped
    common domain is refused with «Mente du …?» (the field keeps what was typed); the same address sent again
    is accepted, for the person may really have it. A hidden `<field>_as_typed` carries the hinted address
    over to the second submit: refusing once costs a click, an activation link sent to gmial.com costs the
    registration, and a hint shown only after the submit would come after that link is sent."""

    typo_checked: tuple[str, ...] = ("email",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.typo_checked:
            if name in self.fields:
                self.fields[f"{name}_as_typed"] = forms.CharField(
                    required=False, max_length=MAX_LENGTH, widget=forms.HiddenInput
                )

    def clean(self):
        cleaned = super().clean()
        for name in self.typo_checked:
            value = cleaned.get(name)
            suggestion = suggested_address(value) if value else None
            key = self.add_prefix(f"{name}_as_typed")
            if suggestion and self.data.get(key) != value:
                self.add_error(name, ValidationError(MSG_TYPO % {"address": suggestion}, code="typo"))
                self.data = self.data.copy()  # the hidden field shows what was hinted, for the second submit
                self.data[key] = value
        return cleaned
