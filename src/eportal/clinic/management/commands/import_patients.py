"""`eportal import-patients FILE`: imports the patient list exported from the journal system."""

import getpass
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from eportal.clinic.importer import import_patients
from eportal.core.actor import system_actor


def _terminal_progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


class Command(BaseCommand):
    help = "Import the patient list exported from the journal system (CSV with the columns of importer.COLUMNS)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(reason)s") % {"file": file, "reason": exc.strerror}) from None
        progress = _terminal_progress if sys.stderr.isatty() else None
        report = import_patients(data=data, actor=system_actor(operator=getpass.getuser()), progress=progress)
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
