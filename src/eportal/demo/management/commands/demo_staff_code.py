"""`eportal demo-staff-code`: print the demo staff user's current TOTP code.

Typed in the folder where `eportal demo` runs, it finds the demo there (eportal.cli sets EPORTAL_ENV=demo and
EPORTAL_DATA_DIR=./eportal-demo when EPORTAL_DATA_DIR is unset)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.demo.clinic import STAFF_USERNAME


class Command(BaseCommand):
    help = "Print the demo staff user's current TOTP code (demo only)."

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError(_("Only in the demo (EPORTAL_ENV=demo)."))
        no_demo = _(
            "No demo in %(folder)s. Run `eportal demo-staff-code` in the folder where you run `eportal demo`."
        ) % {"folder": settings.DATA_DIR}
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3" and not Path(database["NAME"]).is_file():
            raise CommandError(no_demo)  # rather than make an empty database here
        try:
            device = TOTPDevice.objects.filter(user__username=STAFF_USERNAME).first()
        except DatabaseError:
            raise CommandError(no_demo) from None  # a database without the demo's tables
        if device is None:
            raise CommandError(_("No demo staff user; run `eportal seed-demo`."))
        self.stdout.write(
            f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
        )
