"""`eportal backup FILE`: a backup of the portal's database, made while the portal runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from eportal.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup of the database to FILE (replacing a file there), readable by its owner only: SQLite's "
        "online backup, or pg_dump's custom format for PostgreSQL. The portal may go on running. The backup holds "
        "patients' data: keep it as safely as the database; the keys (SECRET_KEY, EPORTAL_MESSAGE_KEYS) are not "
        "in it and must be kept apart from it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database (from DATABASES) to back up")

    def handle(self, *args, file: Path, database: str, **options):
        try:
            backup(connections[database], file)
        except BackupError as exc:
            raise CommandError(exc) from None
        size = file.stat().st_size
        self.stdout.write(f"Backup written to {file} ({size:,} bytes).")
