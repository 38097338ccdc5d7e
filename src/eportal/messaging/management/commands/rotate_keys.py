"""`eportal rotate-keys`: re-encrypt every message text and attachment under the first key of
EPORTAL_MESSAGE_KEYS; after it, older keys may be removed from the configuration."""

from django.core.management.base import BaseCommand, CommandError

from eportal.messaging.crypto import current_key_id
from eportal.messaging.rotation import counts_by_key, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt message texts, subjects and attachments under the current key (the first of "
        "EPORTAL_MESSAGE_KEYS), in batches, while the portal runs. Values no configured key opens are listed and "
        "the command exits with an error; the others are re-encrypted."
    )

    def handle(self, *args, **options):
        result = rotate_keys()
        self.stdout.write(f"{result.rewritten} values re-encrypted under key {current_key_id()!r}.")
        left = {key: count for key, count in counts_by_key().items() if key != current_key_id()}
        if left:
            self.stdout.write(f"Still under older keys: {left}.")
        else:
            self.stdout.write("No value is under an older key: older keys can be removed from EPORTAL_MESSAGE_KEYS.")
        if result.failed:
            for what in result.failed:
                self.stderr.write(f"Cannot decrypt {what}.")
            raise CommandError(f"{len(result.failed)} values could not be decrypted with any configured key.")
