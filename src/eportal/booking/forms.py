"""The booking pages' form: the short reason for the appointment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from eportal.web.forms import PortalForm

REASON_MAX_LENGTH = 300


class ReasonForm(PortalForm):
    reason = forms.CharField(
        label=_("Short reason for the appointment"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX_LENGTH}),
        help_text=_("Do not write about urgent matters here. Maximum 300 characters."),
    )
