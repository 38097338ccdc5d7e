"""Import of the patient list that the clinic's journal system (EPJ) exports as CSV.

All or nothing: a file with any bad line changes nothing, and the report names every bad line.
A good file makes the registry match it: new patients are added, changed ones updated, and
patients missing from the file are marked as off the list (never deleted: their history stays).
"""

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import Actor
from eportal.identity.mobile import InvalidMobile, parse_mobile
from eportal.identity.national_id import InvalidNationalId, parse_national_id

from .models import ListPatient, Practitioner

COLUMNS = ("fodselsnummer", "fornavn", "etternavn", "mobil", "epost", "fastlege_hpr")
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
BATCH_SIZE = 1000
# The fields an import owns; the rest of a ListPatient row is the portal's.
SYNCED_FIELDS = ("first_name", "last_name", "gp_id", "mobile", "email")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LineError:
    line: int  # 0: the file as a whole
    message: str

    def __str__(self):
        if self.line:
            return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    returned: int = 0
    left: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            return _("The file was not imported: %(count)d line(s) have errors. Nothing was changed.") % {
                "count": len(self.errors)
            }
        return (
            _(
                "%(rows)d patients read: %(created)d new, %(updated)d changed, %(unchanged)d unchanged, "
                "%(returned)d back on the list, %(left)d taken off the list."
            )
            % self.__dict__
        )


class _FileRejected(Exception):
    def __init__(self, line: int, message: str):
        self.error = LineError(line, message)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _FileRejected(
            line,
            _("The file is not saved as UTF-8 (unknown character here). Save it as UTF-8 and try again."),
        ) from None


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" for ch in value)


def _clean_name(value: str, label: str, problems: list[str]) -> str:
    value = value.strip()
    if not value:
        problems.append(_("%(field)s is missing.") % {"field": label})
    elif len(value) > NAME_MAX_LENGTH:
        problems.append(_("%(field)s is longer than %(max)d characters.") % {"field": label, "max": NAME_MAX_LENGTH})
    elif _has_control_characters(value):
        problems.append(_("%(field)s contains invalid characters.") % {"field": label})
    return value


_validate_email = EmailValidator()


def _parse_row(values: dict[str, str], practitioners: dict[str, int]) -> tuple[dict, list[str]]:
    problems: list[str] = []
    row = {}
    try:
        row["national_id"] = parse_national_id(values["fodselsnummer"])
    except InvalidNationalId as exc:
        problems.append(_("National identity number: %(reason)s") % {"reason": exc})
    row["first_name"] = _clean_name(values["fornavn"], _("First name"), problems)
    row["last_name"] = _clean_name(values["etternavn"], _("Last name"), problems)
    mobile = values["mobil"].strip()
    row["mobile"] = ""
    if mobile:
        try:
            row["mobile"] = parse_mobile(mobile)
        except InvalidMobile as exc:
            problems.append(_("Mobile: %(reason)s") % {"reason": exc})
    email = values["epost"].strip()
    row["email"] = email
    if email:
        try:
            if len(email) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            _validate_email(email)
        except ValidationError:
            problems.append(_("E-mail: the address is not valid."))
    hpr = values["fastlege_hpr"].strip()
    row["gp_id"] = practitioners.get(hpr)
    if row["gp_id"] is None:
        if hpr:
            problems.append(_("GP: no practitioner has HPR number %(hpr)s.") % {"hpr": hpr[:20]})
        else:
            problems.append(_("GP: the HPR number is missing."))
    return row, problems


def _read_rows(text: str, practitioners: dict[str, int], report: ImportReport) -> dict[str, dict]:
    """Parse the file into rows keyed by fødselsnummer, adding every bad line to the report."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: dict[str, dict] = {}
    first_seen: dict[str, int] = {}
    header: list[str] | None = None
    last_line = 0
    try:
        for record in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower().replace("ø", "o") for cell in record]
                missing = [name for name in COLUMNS if name not in header]
                if missing:
                    raise _FileRejected(
                        line,
                        _("The header line lacks column(s): %(missing)s. Expected: %(expected)s.")
                        % {"missing": ", ".join(missing), "expected": ";".join(COLUMNS)},
                    )
                if len(set(header)) != len(header):
                    raise _FileRejected(line, _("The header line has the same column more than once."))
                continue
            if len(record) != len(header):
                report.errors.append(
                    LineError(
                        line,
                        _("The line has %(found)d fields, but the header has %(expected)d.")
                        % {"found": len(record), "expected": len(header)},
                    )
                )
                continue
            row, problems = _parse_row(dict(zip(header, record, strict=True)), practitioners)
            national_id = row.get("national_id")
            if national_id in first_seen:
                problems.append(
                    _("The national identity number is also on line %(line)d.") % {"line": first_seen[national_id]}
                )
            elif national_id:
                first_seen[national_id] = line
            if problems:
                report.errors.append(LineError(line, " ".join(problems)))
            else:
                rows[national_id] = row
    except csv.Error:
        raise _FileRejected(
            last_line + 1,
            _("The line cannot be read as CSV (for example a quotation mark that is not closed)."),
        ) from None
    if header is None:
        raise _FileRejected(0, _("The file is empty."))
    if not rows and not report.errors:
        raise _FileRejected(0, _("The file has no patients. An empty list is not imported."))
    return rows


def import_patients(*, data: bytes, actor: Actor, progress: Progress | None = None, today=None) -> ImportReport:
    """Bring the registry in line with the EPJ's CSV export, all or nothing."""
    report = ImportReport()
    today = today or timezone.localdate()
    practitioners = dict(Practitioner.objects.values_list("hpr_number", "id"))
    try:
        rows = _read_rows(_decode(data), practitioners, report)
    except _FileRejected as rejected:
        report.errors.insert(0, rejected.error)
        return report
    report.rows = len(rows)
    if report.errors:
        return report

    now = timezone.now()
    with transaction.atomic():
        existing = {
            patient.national_id: patient
            for patient in ListPatient.objects.only(
                "id", "national_id", "on_list_from", "on_list_to", *SYNCED_FIELDS
            ).iterator(chunk_size=5000)
        }
        to_create, to_update = [], []
        for done, (national_id, row) in enumerate(rows.items(), start=1):
            patient = existing.get(national_id)
            if patient is None:
                to_create.append(ListPatient(on_list_from=today, **row))
            else:
                changed = any(getattr(patient, name) != row[name] for name in SYNCED_FIELDS)
                back = not patient.is_on_list(today)
                if changed or back:
                    for name in SYNCED_FIELDS:
                        setattr(patient, name, row[name])
                    patient.updated_at = now  # bulk_update does not run auto_now
                    if back:
                        patient.on_list_from, patient.on_list_to = today, None
                        report.returned += 1
                    else:
                        report.updated += 1
                    to_update.append(patient)
                else:
                    report.unchanged += 1
            if progress and done % BATCH_SIZE == 0:
                progress(done, len(rows))
        leaving = [
            patient
            for national_id, patient in existing.items()
            if national_id not in rows and patient.is_on_list(today)
        ]
        for patient in leaving:
            patient.on_list_to, patient.updated_at = max(today, patient.on_list_from), now
        ListPatient.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        ListPatient.objects.bulk_update(
            to_update, [*SYNCED_FIELDS, "on_list_from", "on_list_to", "updated_at"], batch_size=BATCH_SIZE
        )
        ListPatient.objects.bulk_update(leaving, ["on_list_to", "updated_at"], batch_size=BATCH_SIZE)
        report.created, report.left = len(to_create), len(leaving)
        record_event(
            "patients_imported",
            actor=actor,
            details={k: getattr(report, k) for k in ("rows", "created", "updated", "returned", "left")},
        )
    if progress:
        progress(len(rows), len(rows))
    return report
