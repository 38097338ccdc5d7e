"""The portal's form base: labels exactly as written, control characters refused on the field."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PortalForm(forms.Form):
    """Labels exactly as written (no colon added); control characters refused with a message on the field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                self.add_error(name, _("The field contains characters that are not allowed."))
        return cleaned
