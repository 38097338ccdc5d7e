"""`eportal seed-demo`: seed the demo clinic alone (safe to run again)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from eportal.demo.clinic import seed_demo_clinic


class Command(BaseCommand):
    help = "Seed the demo clinic Gjerdrum legesenter with synthetic patients (safe to run again)."

    def handle(self, *args, **options):
        counts = seed_demo_clinic()
        self.stdout.write(
            _(
                "The demo clinic is ready: %(practitioners)d practitioners, %(patients)d patients, "
                "%(guardianships)d guardianships."
            )
            % counts
        )
