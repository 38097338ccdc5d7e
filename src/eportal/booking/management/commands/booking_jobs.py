"""`eportal booking-jobs`: reminders, expired waiting-list holds and offers of free earlier times (cron)."""

import time

from django.core.management.base import BaseCommand

from eportal.booking.services.appointments import send_due_reminders
from eportal.booking.services.waitlist import expire_waitlist_offers, offer_free_times


class Command(BaseCommand):
    help = (
        "Queue reminders for appointments within EPORTAL_REMINDER_HOURS, and pass on the earlier times whose "
        "hold for a patient on the waiting list ran out, and offer earlier free times to those waiting (times freed "
        "at night, or freed or added by staff). Run every few minutes (cron), or use --every."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, metavar="SECONDS", help="keep running, once every SECONDS")

    def handle(self, *args, every=None, **options):
        while True:
            reminders = send_due_reminders()
            expired = expire_waitlist_offers()
            offered = offer_free_times()
            self.stdout.write(
                f"{reminders} reminders queued, {expired} waiting-list offers expired, {offered} earlier times offered."
            )
            if not every:
                return
            time.sleep(every)
