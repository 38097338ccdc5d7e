"""The message forms: parsing only; the text rules are services.clean_text's, the file rules attachments'."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .errors import MessagingError
from .models import Thread
from .renewals import LIMITS
from .services import SUBJECT_MAX_CHARS, clean_text


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented way): a list, checked by messaging.attachments."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class _SentOnceForm(forms.Form):
    """Labels as written; a one-time id, so that a second submit of the same form sends nothing again."""

    submit_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {}).setdefault("submit_id", uuid.uuid4())
        super().__init__(*args, **kwargs)


class _TextForm(_SentOnceForm):
    """The message text through the services' rule, so the page and the service agree."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.EPORTAL_MESSAGE_MAX_CHARS
        self.fields["body"].widget.attrs["maxlength"] = limit
        self.fields["body"].help_text = _("At most %(limit)d characters.") % {"limit": limit}
        if "attachments" in self.fields:
            self.fields["attachments"].help_text = _(
                "At most %(count)d files of %(megabytes)d MB each: photos (JPG or PNG) or PDF."
            ) % {
                "count": settings.EPORTAL_ATTACHMENT_MAX_COUNT,
                "megabytes": settings.EPORTAL_ATTACHMENT_MAX_BYTES // (1024 * 1024),
            }

    def clean_body(self):
        return _checked(self.cleaned_data["body"], settings.EPORTAL_MESSAGE_MAX_CHARS, _("Write a message."))


def _checked(text: str, limit: int, empty_message: str) -> str:
    try:
        return clean_text(text, limit=limit, empty_message=empty_message)
    except MessagingError as exc:
        raise ValidationError(str(exc), code=exc.code) from None


def _body_field(label):
    # No max_length: an overlong text gets the message naming its length, not the browser's or Django's.
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Write a message.")},
    )


def _attachments_field():
    return MultipleFileField(label=_("Attachments (photos or PDF)"), required=False)


def _for_patient_field():
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)


class _NewThreadForm(_TextForm):
    """A form that starts a thread: a subject through the services' rule, and whom the form was opened for
    (the page writes it: a person chosen meanwhile in another tab is noticed)."""

    subject = forms.CharField(
        label=_("Subject"),
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": SUBJECT_MAX_CHARS}),
        error_messages={"required": _("Write a subject.")},
    )
    for_patient = _for_patient_field()

    def clean_subject(self):
        return _checked(self.cleaned_data["subject"], SUBJECT_MAX_CHARS, _("Write a subject."))


class NewMessageForm(_NewThreadForm):
    kind = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[(Thread.Kind.RECEPTION, Thread.Kind.RECEPTION.label)],
        initial=Thread.Kind.RECEPTION,
        widget=forms.RadioSelect,
        help_text=_("Practical matters, such as appointments, certificates or test results that are ready."),
    )
    body = _body_field(_("Message"))
    attachments = _attachments_field()

    field_order = ["kind", "subject", "body", "attachments", "submit_id", "for_patient"]


class ConsultationForm(_NewThreadForm):
    """The eKonsultasjon: the text, the exemption the patient claims, the price confirmed. The price itself is
    never read from the form: the service computes it (price_version only tells whether it changed)."""

    body = _body_field(_("Describe what you want help with"))
    attachments = _attachments_field()
    exemption = forms.ChoiceField(label=_("Exemption from egenandel"), required=False, widget=forms.RadioSelect)
    price_confirmed = forms.BooleanField(
        label=_("I have read the price, and accept that the eKonsultasjon costs what is shown above"),
        required=False,
    )
    price_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    no_urgent_symptoms = forms.BooleanField(widget=forms.HiddenInput, required=False)

    field_order = ["subject", "body", "attachments", "exemption", "price_confirmed"]

    def __init__(self, *args, exemptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exemption"].choices = [("", _("No exemption: I pay the egenandel")), *exemptions]


class MedicineForm(forms.Form):
    """One medicine to renew; a row left empty is skipped (the renewal service's rule)."""

    name = forms.CharField(label=_("Name of the medicine"), required=False, strip=False)
    strength = forms.CharField(label=_("Strength"), required=False, strip=False, help_text=_("For example 500 mg."))
    usage = forms.CharField(
        label=_("How you take it"),
        required=False,
        strip=False,
        help_text=_("For example 1 tablet morning and evening."),
    )
    note = forms.CharField(label=_("Note"), required=False, strip=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for name, limit in LIMITS.items():
            self.fields[name].widget.attrs["maxlength"] = limit


class BaseMedicineFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("You can ask for at most %(num)d medicines at a time."),
        "missing_management_form": _("The form was incomplete. Open the page again."),
    }


def medicine_formset(*, rows: int):
    """The renewal form's rows: `rows` shown (at most the limit); a post of more than a few over the limit is
    refused by the formset unread, the limit itself by the service."""
    limit = settings.EPORTAL_RENEWAL_MAX_MEDICINES
    return forms.formset_factory(
        MedicineForm, formset=BaseMedicineFormSet, extra=min(rows, limit), max_num=limit, absolute_max=limit + 5
    )


class RenewalForm(_SentOnceForm):
    """What the renewal form posts besides its rows."""

    for_patient = _for_patient_field()


class ReplyForm(_TextForm):
    """The patient's side answers in a thread."""

    body = _body_field(_("Reply"))
    attachments = _attachments_field()


class StaffReplyForm(_TextForm):
    """The clinic answers; it may close the thread to replies at the same time."""

    body = _body_field(_("Reply"))
    close = forms.BooleanField(label=_("Close the conversation (the patient cannot reply to it)"), required=False)
