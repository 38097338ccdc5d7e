"""Portal users (patients and staff), one-time SMS codes, and the sessions a person can list and end."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eportal.identity.fields import MobileNumberField, NationalIdField


class User(AbstractUser):
    """A patient (national_id set; the username is the same number) or a member of the clinic's staff."""

    national_id = NationalIdField(_("national identity number"), unique=True, null=True, blank=True)
    # E-mail: a patient's is verified by a link before notices go there; a change waits in pending_email.
    pending_email = models.EmailField(_("new e-mail, not yet confirmed"), blank=True)
    consent_version = models.PositiveSmallIntegerField(_("consent version"), null=True, blank=True)
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    # The mobile the registration was accepted with (for a child's account, the guardian's registered on the
    # child): login codes and notices go there while the clinic still has it registered. Empty: the first
    # registered.
    code_mobile = MobileNumberField(_("mobile for codes"), blank=True)
    notify_by_sms = models.BooleanField(_("notices by SMS"), default=True)
    notify_by_email = models.BooleanField(_("notices by e-mail"), default=True)
    # Wrong one-time codes in a row, across codes: a new code does not reset it, a login does.
    code_failures = models.PositiveIntegerField(_("wrong codes in a row"), default=0)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=Q(national_id__isnull=True) | Q(username=models.F("national_id")),
                name="patient_username_is_national_id",
            ),
            models.CheckConstraint(
                condition=Q(national_id__isnull=True) | Q(is_staff=False), name="patients_are_not_staff"
            ),
        ]

    @property
    def is_patient(self) -> bool:
        return bool(self.national_id)


class OneTimeCode(models.Model):
    """A code sent by SMS for one login attempt or one password reset. Only its HMAC is stored."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("login")
        PASSWORD_RESET = "reset", _("password reset")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(_("purpose"), max_length=5, choices=Purpose.choices)
    # The attempt's id is kept in the browser's session: the code works only there.
    attempt_id = models.CharField(max_length=64, unique=True)
    code_hmac = models.CharField(max_length=64)
    # A keyed hash of the account's password and state when the code was asked for: a password change,
    # reset or disabling in between voids the attempt.
    account_state = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"


class AccountSession(models.Model):
    """A logged-in session, so the person can see where they are logged in and end it."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account_sessions")
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("logged in"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    method = models.CharField(_("login method"), max_length=20)
    level = models.CharField(_("security level"), max_length=20)

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.method} {self.created_at:%Y-%m-%d %H:%M}"
