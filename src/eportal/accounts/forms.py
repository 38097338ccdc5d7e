"""Parsing and validation of the account forms; the rules live in services.py."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from eportal.identity.email import EmailFormField, TypoCheckedEmails
from eportal.identity.fields import MobileFormField, NationalIdFormField
from eportal.web.forms import PortalForm

from .models import User

PASSWORD_MAX_LENGTH = 1024  # checked whole: no truncation, no case folding
CODE_LENGTH = 6


def _password_field(label, autocomplete):
    return forms.CharField(
        label=label,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _national_id_field():
    return NationalIdFormField(
        label=_("Personal number (11 digits)"), error_messages={"required": _("Enter your personal number.")}
    )


class PasswordLoginForm(PortalForm):
    national_id = _national_id_field()
    password = _password_field(_("Password (at least 8 characters)"), "current-password")


class CodeForm(PortalForm):
    code = forms.CharField(
        label=_("One-time password (6 digits)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
            raise ValidationError(_("The code has 6 digits."))
        return code


def person_for_password_rules(*, national_id, email, patient=None):
    """The person a new password must not resemble: what they typed, and the registry's names once they
    are known to be the account's owner (at registration that would tell a stranger who is listed)."""
    person = User(national_id=national_id, email=email or "")
    if patient is not None:
        person.first_name, person.last_name = patient.first_name, patient.last_name
    return person


def consent_label(clinic_name: str):
    return format_lazy(
        "*{}",
        _("I approve the use of e-mail and SMS in contact with me as a patient/next of kin at %(clinic)s.")
        % {"clinic": clinic_name},
    )


class NewPasswordMixin:
    """Two equal new passwords, checked against the password rules."""

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords are not the same."))
        elif first:
            try:
                password_validation.validate_password(first, self.password_context())
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned

    def password_context(self):
        return None


class RegistrationForm(TypoCheckedEmails, NewPasswordMixin, PortalForm):
    national_id = _national_id_field()
    email = EmailFormField(label=_("E-mail"))
    mobile = MobileFormField(label=_("Mobile phone"))
    new_password1 = _password_field(_("New password"), "new-password")
    new_password2 = _password_field(_("Repeat password"), "new-password")
    consent = forms.BooleanField(
        error_messages={"required": _("You must approve the use of e-mail and SMS to create a user.")},
        help_text=_(
            "The consent applies to the use of e-mail and SMS for the following purposes: notice of "
            "appointment, one-time password for login, notice of message"
        ),
    )

    def __init__(self, *args, clinic_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        # The seed marks every field as required with a star after its label, the consent before it.
        for name, field in self.fields.items():
            if name != "consent":
                field.label = format_lazy("{}*", field.label)
        self.fields["consent"].label = consent_label(clinic_name)

    def password_context(self):
        return person_for_password_rules(
            national_id=self.cleaned_data.get("national_id"), email=self.cleaned_data.get("email")
        )


class ResendActivationForm(PortalForm):
    national_id = _national_id_field()
    email = EmailFormField(label=_("E-mail"))


class ResetRequestForm(PortalForm):
    national_id = _national_id_field()


class ResetPasswordForm(NewPasswordMixin, CodeForm):
    new_password1 = _password_field(_("New password"), "new-password")
    new_password2 = _password_field(_("Repeat password"), "new-password")

    def __init__(self, *args, user, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.patient = user, patient

    def password_context(self):
        return person_for_password_rules(national_id=self.user.national_id, email=self.user.email, patient=self.patient)


class ChangePasswordForm(ResetPasswordForm):
    """After a BankID login at the high level the current password is not asked for."""

    current_password = _password_field(_("Current password"), "current-password")
    code = None
    field_order = ["current_password", "new_password1", "new_password2"]

    def __init__(self, *args, high: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if high:
            del self.fields["current_password"]


class EmailChangeForm(TypoCheckedEmails, PortalForm):
    typo_checked = ("new_email",)
    new_email = EmailFormField(label=_("New e-mail"))
    password = _password_field(_("Password"), "current-password")

    def __init__(self, *args, high: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if high:
            del self.fields["password"]


class NoticePreferencesForm(PortalForm):
    notify_by_sms = forms.BooleanField(label=_("Notices by SMS"), required=False)
    notify_by_email = forms.BooleanField(label=_("Notices by e-mail"), required=False)


class StaffLoginForm(PortalForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = _password_field(_("Password"), "current-password")
    otp_token = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class BankIdNewUserForm(TypoCheckedEmails, NewPasswordMixin, PortalForm):
    """The short «Mine opplysninger» after a first BankID login: the password is optional."""

    email = EmailFormField(label=_("E-mail"))
    mobile = MobileFormField(label=_("Mobile phone"))
    new_password1 = _password_field(_("New password (optional, for login with one-time password)"), "new-password")
    new_password2 = _password_field(_("Repeat password"), "new-password")
    consent = RegistrationForm.base_fields["consent"]

    def __init__(self, *args, clinic_name: str, national_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.national_id = national_id
        self.fields["new_password1"].required = self.fields["new_password2"].required = False
        self.fields["consent"].label = consent_label(clinic_name)

    def password_context(self):
        return person_for_password_rules(national_id=self.national_id, email=self.cleaned_data.get("email"))
