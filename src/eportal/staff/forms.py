"""The staff pages' choices (which day, whom, how many weeks; an inbox's search; forwarding, assigning and reply
templates in a conversation), read from the query string or the posted form."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eportal.clinic.models import Practitioner
from eportal.messaging.inboxes import RECEPTION
from eportal.messaging.models import ReplyTemplate
from eportal.web.forms import PortalForm

DAYS_AROUND_TODAY = 5 * 366


def bookable_practitioners():
    return Practitioner.objects.filter(active=True).exclude(role=Practitioner.Role.OTHER).order_by("last_name")


class DayForm(PortalForm):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data, **kwargs):
        super().__init__({"day": timezone.localdate(), **data.dict()}, **kwargs)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if abs((day - timezone.localdate()).days) > DAYS_AROUND_TODAY:
            raise forms.ValidationError(_("Choose a date at most five years from today."))
        return day

    def chosen_day(self) -> datetime.date:
        return self.cleaned_data["day"] if self.is_valid() else timezone.localdate()


class DayListForm(DayForm):
    practitioner = forms.ModelChoiceField(label=_("Practitioner"), queryset=bookable_practitioners(), empty_label=None)

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        first = self.fields["practitioner"].queryset.first()
        if "practitioner" not in data and first is not None:
            self.data = {**self.data, "practitioner": first.pk}

    def chosen_practitioner(self) -> Practitioner | None:
        if self.is_valid():
            return self.cleaned_data["practitioner"]
        return self.fields["practitioner"].queryset.first()


class WeeksForm(PortalForm):
    weeks = forms.IntegerField(label=_("Number of weeks"), min_value=1, max_value=12)

    def __init__(self, data, **kwargs):
        super().__init__({"weeks": 4, **data.dict()}, **kwargs)

    def chosen_weeks(self) -> int:
        return self.cleaned_data["weeks"] if self.is_valid() else 4


# The message inboxes


class InboxSearchForm(PortalForm):
    """An inbox's view: a search by the patient's name or fødselsnummer, waiting threads or all, the page."""

    ALL = "alle"

    q = forms.CharField(label=_("Search by name or national identity number"), max_length=100, required=False)
    vis = forms.ChoiceField(
        label=_("Show"),
        choices=[
            ("", pgettext_lazy("staff inbox", "Waiting for an answer")),
            (ALL, pgettext_lazy("staff inbox", "Show all")),
        ],
        required=False,
        widget=forms.HiddenInput,
    )
    side = forms.IntegerField(min_value=1, max_value=99999, required=False, widget=forms.HiddenInput)

    def query(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""

    def waiting_only(self) -> bool:
        return not (self.is_valid() and self.cleaned_data["vis"] == self.ALL)

    def page(self) -> int:
        return (self.cleaned_data["side"] or 1) if self.is_valid() else 1


def forward_choices() -> list[tuple[str, str]]:
    """Every inbox a thread may be forwarded to: reception's, and each active practitioner's (also those the
    staff member does not read)."""
    practitioners = Practitioner.objects.filter(active=True).order_by("last_name", "first_name")
    return [(RECEPTION, pgettext_lazy("staff inbox", "Reception")), *((str(p.pk), p.full_name) for p in practitioners)]


class ForwardForm(PortalForm):
    inbox = forms.ChoiceField(
        label=pgettext_lazy("staff inbox", "Forward to"),
        error_messages={"invalid_choice": _("Choose an inbox to forward to.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inbox"].choices = forward_choices()


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class AssignForm(PortalForm):
    user = StaffChoiceField(
        label=pgettext_lazy("staff inbox", "Assign to"),
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("first_name", "username"),
        required=False,
        empty_label=pgettext_lazy("staff inbox", "Nobody"),
        error_messages={"invalid_choice": _("Choose someone on the staff, or nobody.")},
    )


class ReplyTemplateForm(PortalForm):
    """«Sett inn mal»: which of the clinic's reply templates to put in the reply."""

    template = forms.ModelChoiceField(
        label=pgettext_lazy("staff inbox", "Reply template"),
        queryset=ReplyTemplate.objects.filter(active=True),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose a reply template."), "required": _("Choose a reply template.")},
    )

    def with_template(self, body: str) -> str:
        """The reply's text with the chosen template's text after what is written already."""
        text = self.cleaned_data["template"].text
        body = (body or "").strip()
        return f"{body}\n\n{text}" if body else text
