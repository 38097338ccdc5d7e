"""Password rules beyond Django's: no password close to the person's own data or the clinic's name."""

from django.contrib.auth import password_validation
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eportal.clinic.selectors import get_clinic

# Django's list is of English passwords; these are common here too.
NORWEGIAN_COMMON_PASSWORDS = {
    "passord",
    "passord1",
    "passord12",
    "passord123",
    "passord1234",
    "hemmelig",
    "hemmelig1",
    "sommer",
    "sommer2025",
    "sommer2026",
    "vinter2025",
    "vinter2026",
    "høst2026",
    "vår2026",
    "norge",
    "norge123",
    "fotball",
    "fotball1",
    "brunost",
    "heisann",
    "hei123",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm123",
    "123456789",
    "1234qwer",
    "qwerty123",
    "legekontor",
    "fastlege",
}


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a Norwegian message (Django's own nb text for it is missing)."""

    def get_error_message(self):
        return ngettext(
            "The password is too short. It must have at least %(min_length)d character.",
            "The password is too short. It must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return self.get_error_message()


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's 20,000 common passwords and a few Norwegian ones."""

    def __init__(self):
        super().__init__()
        self.passwords = set(self.passwords) | NORWEGIAN_COMMON_PASSWORDS


class PersonalDataValidator:
    """Refuse passwords that contain, or are close to, the person's fødselsnummer (or its birth date),
    name, e-mail or the clinic's name."""

    def __init__(self):
        self.similarity = UserAttributeSimilarityValidator(
            user_attributes=("national_id", "first_name", "last_name", "email"), max_similarity=0.7
        )

    def validate(self, password, user=None):
        folded = password.casefold()
        words = [get_clinic().name]
        if user is not None:
            national_id = getattr(user, "national_id", "") or ""
            words += [
                national_id,
                national_id[:6],
                getattr(user, "first_name", ""),
                getattr(user, "last_name", ""),
            ]
            words.append((getattr(user, "email", "") or "").split("@")[0])
        for word in words:
            word = (word or "").casefold()
            if len(word) >= 4 and (word in folded or word.replace(" ", "") in folded):
                raise ValidationError(
                    _("The password must not contain your personal number, name, e-mail or the clinic's name."),
                    code="password_personal_data",
                )
        if user is not None:
            try:
                self.similarity.validate(password, user)
            except ValidationError:
                raise ValidationError(
                    _("The password is too close to your personal number, name or e-mail."),
                    code="password_too_similar",
                ) from None

    def get_help_text(self):
        return _("The password must not contain your personal number, name, e-mail or the clinic's name.")
