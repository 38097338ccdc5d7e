"""`eportal add-staff-totp USERNAME`: gives a staff user an authenticator-app key."""

import base64

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Give a staff user a TOTP device (an authenticator app) and print its key; staff need it to log in."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="autentiseringsapp")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user {username!r} (create one with `eportal createsuperuser`).")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        secret = base64.b32encode(device.bin_key).decode()
        self.stdout.write(f"Key for the authenticator app: {secret}")
        self.stdout.write(f"Or as a link (QR code): {device.config_url}")
