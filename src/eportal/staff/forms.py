"""The staff pages' choices (which day, whom, how many weeks), read from the query string."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eportal.clinic.models import Practitioner
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
