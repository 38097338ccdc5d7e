"""`eportal demo-staff-code`: print the demo staff user's current TOTP code."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.demo.clinic import STAFF_USERNAME


class Command(BaseCommand):
    help = "Print the demo staff user's current TOTP code (demo only)."

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("Only in the demo (EPORTAL_ENV=demo).")
        device = TOTPDevice.objects.filter(user__username=STAFF_USERNAME).first()
        if device is None:
            raise CommandError("No demo staff user; run `eportal seed-demo`.")
        self.stdout.write(
            f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
        )
