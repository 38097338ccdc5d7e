from django.core.management.base import BaseCommand

from eportal.booking.services import send_due_reminders


class Command(BaseCommand):
    help = "Queue reminders for appointments within EPORTAL_REMINDER_HOURS (run every few minutes)."

    def handle(self, *args, **options):
        self.stdout.write(f"{send_due_reminders()} reminders queued.")
