"""`eportal generate-slots`: makes slots from the weekly schedule for the booking horizon (daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from eportal.booking.services.schedule import generate_slots


class Command(BaseCommand):
    help = "Make slots from the weekly schedule for the booking horizon ahead (run daily; safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="days ahead (default EPORTAL_BOOKING_HORIZON_DAYS)")

    def handle(self, *args, days, **options):
        days = days or settings.EPORTAL_BOOKING_HORIZON_DAYS
        made = generate_slots(first_day=timezone.localdate(), days=days)
        self.stdout.write(f"{made} slots made for the next {days} days.")
