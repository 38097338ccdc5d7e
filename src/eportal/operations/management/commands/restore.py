"""`eportal restore FILE`: replace the portal's database with a backup from `eportal backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from eportal.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database with the backup in FILE, in one transaction (all of it or nothing). Refused if FILE "
        "is not a backup of this kind of database, and, unless --force, if the database has data (any user or "
        "listed patient). Stop `eportal serve` and `eportal worker` first; run `eportal migrate` after, for a "
        "backup made by an older version."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace a database that has data (everything in it is lost)"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database (from DATABASES) to replace")

    def handle(self, *args, file: Path, force: bool, database: str, **options):
        try:
            restore(connections[database], file, force=force)
        except BackupError as exc:
            raise CommandError(exc) from None
        self.stdout.write(f"Restored from {file}. Next: `eportal migrate`, then start the portal.")
