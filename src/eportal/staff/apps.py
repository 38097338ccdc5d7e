"""The staff app: the clinic staff's workspace pages; and the Norwegian names of the third-party apps the staff
admin shows.

django-axes, django_tasks_db and django-otp name their apps in English or not at all («Axes», «Tasks Database
Backend», «Otp_Totp»), and django-otp does not mark its model and field names for translation. Django's own way
for a project to rename an app is to subclass its AppConfig and list the subclass in INSTALLED_APPS: the app's
behaviour (ready(), label, default_auto_field) is inherited, so an upgrade changes nothing here. Their marked
strings (axes' and the task results' model and field names) are translated in our catalogue."""

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as BaseTOTPConfig
from django_tasks_db.apps import TasksAppConfig as BaseTasksDBConfig


class StaffConfig(AppConfig):
    name = "eportal.staff"
    label = "staff"
    verbose_name = _("Staff")


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Login lockout")


class TasksDBConfig(BaseTasksDBConfig):
    verbose_name = _("Background jobs")


class OTPConfig(AppConfig):
    """django_otp has no AppConfig of its own (and no models the admin shows)."""

    name = "django_otp"
    verbose_name = _("Two-factor login")


class TOTPConfig(BaseTOTPConfig):
    verbose_name = _("Authenticator apps")

    # The names django-otp gives a TOTP device and its fields, which it does not mark for translation.
    LABELS = {
        "user": _("user"),
        "name": _("name"),
        "confirmed": _("confirmed"),
        "created_at": _("created"),
        "last_used_at": _("last used"),
    }

    def ready(self):
        super().ready()
        _relabel(self.get_model("TOTPDevice"), _("TOTP device"), _("TOTP devices"), self.LABELS)


def _relabel(model, verbose_name, verbose_name_plural, fields):
    """Give a third-party model Norwegian names in the admin, leaving what migrations read (Meta's original
    attributes, a field's _verbose_name) as the package wrote it, so no migration is asked for."""
    model._meta.verbose_name = verbose_name
    model._meta.verbose_name_plural = verbose_name_plural
    for name, label in fields.items():
        model._meta.get_field(name).verbose_name = label
