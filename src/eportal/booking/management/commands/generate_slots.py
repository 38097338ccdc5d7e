"""`eportal generate-slots`: makes slots from the weekly schedule for the booking horizon, and withdraws the
free times on days the clinic is closed (daily)."""

import getpass

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from eportal.booking.services.closed_days import withdraw_all_coming
from eportal.booking.services.schedule import generate_slots
from eportal.core.actor import system_actor


class Command(BaseCommand):
    help = (
        "Make slots from the weekly schedule for the booking horizon ahead, none on public holidays and the "
        "clinic's closed days, and withdraw the free times already made on those days (run daily; safe to run "
        "again). Booked times on closed days are kept: the capacity page lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="days ahead (default EPORTAL_BOOKING_HORIZON_DAYS)")

    def handle(self, *args, days, **options):
        days = days or settings.EPORTAL_BOOKING_HORIZON_DAYS
        made = generate_slots(first_day=timezone.localdate(), days=days)
        withdrawal = withdraw_all_coming(actor=system_actor(operator=getpass.getuser()))
        self.stdout.write(
            f"{made} slots made for the next {days} days. {withdrawal.withdrawn} free times withdrawn on closed "
            f"days; {withdrawal.kept_booked} booked times on closed days kept."
        )
