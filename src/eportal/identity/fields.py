"""Model and form fields for national ids and mobiles, so every form and the admin parse them alike."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .mobile import InvalidMobile, parse_mobile
from .national_id import InvalidNationalId, parse_national_id


class _ParsedFormField(forms.CharField):
    """A text field whose value goes through one of the identity parsers."""

    parse = None
    error = ValueError
    input_attrs: dict = {}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)
        for key, value in self.input_attrs.items():
            self.widget.attrs.setdefault(key, value)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return type(self).parse(value)
        except self.error as exc:
            raise ValidationError(str(exc), code="invalid") from None


class NationalIdFormField(_ParsedFormField):
    parse = parse_national_id
    error = InvalidNationalId
    input_attrs = {"inputmode": "numeric", "autocomplete": "off"}


class MobileFormField(_ParsedFormField):
    parse = parse_mobile
    error = InvalidMobile
    input_attrs = {"inputmode": "tel", "autocomplete": "tel"}


class _FixedLengthField(models.CharField):
    length = 0
    form_class = None

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = self.length
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": self.form_class, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs


class NationalIdField(_FixedLengthField):
    """Eleven digits of a validated fødselsnummer or D-nummer."""

    length = 11
    form_class = NationalIdFormField


class MobileNumberField(_FixedLengthField):
    """A Norwegian mobile number in E.164 form."""

    length = 16
    form_class = MobileFormField
