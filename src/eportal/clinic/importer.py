"""Import of the patient list that the clinic's journal system (EPJ) exports as CSV.

All or nothing: a file with any bad line changes nothing, and the report names every bad line.
A good file makes the registry match it: new patients are added, changed ones updated, and
patients missing from the file are marked as off the list (never deleted: their history stays).

Two optional columns carry what the policy (representation.policy) reads about guardians; a file without
them leaves both as they are:

- `foresatte`: the patient's guardians as `fnr:mobil` pairs separated by `;` (the cell quoted, as any CSV
  writer does, when `;` also separates the columns). The file's list replaces the patient's guardianships:
  a guardian left out loses access at the next request, an empty cell removes them all.
- `skjermet_for_foresatte`: `ja` or `nei` (empty: `nei`), ListPatient.withheld_from_guardians.
"""

import codecs
import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eportal.audit.services import record_event
from eportal.core.actor import Actor
from eportal.identity.email import InvalidEmail, parse_email
from eportal.identity.mobile import InvalidMobile, parse_mobile
from eportal.identity.national_id import InvalidNationalId, parse_national_id

from .models import Guardianship, ListPatient, Practitioner

COLUMNS = ("fodselsnummer", "fornavn", "etternavn", "mobil", "epost", "fastlege_hpr")
GUARDIANS_COLUMN = "foresatte"
WITHHELD_COLUMN = "skjermet_for_foresatte"
GUARDIAN_SEPARATOR = ";"
GUARDIAN_NUMBER_SEPARATOR = ":"
WITHHELD_VALUES = {"ja": True, "nei": False, "": False}
NAME_MAX_LENGTH = 100
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
    guardians_in_file: bool = False  # the file has the column foresatte
    guardians_added: int = 0
    guardians_removed: int = 0
    guardians_changed: int = 0  # a new mobile for a guardian who stays
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if not self.ok:
            return _("The file was not imported: %(count)d line(s) have errors. Nothing was changed.") % {
                "count": len(self.errors)
            }
        summary = (
            _(
                "%(rows)d patients read: %(created)d new, %(updated)d changed, %(unchanged)d unchanged, "
                "%(returned)d back on the list, %(left)d taken off the list."
            )
            % self.__dict__
        )
        if self.guardians_in_file:
            summary += " " + _("Guardians: %(added)d added, %(removed)d removed, %(changed)d with a new mobile.") % {
                "added": self.guardians_added,
                "removed": self.guardians_removed,
                "changed": self.guardians_changed,
            }
        return summary


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


def _parse_guardians(value: str, child_number: str | None, problems: list[str]) -> dict[str, str]:
    """The cell `fnr:mobil;fnr:mobil` as {guardian's number: mobile}. Guardians are named in the report by
    their place in the cell, never by number."""
    guardians: dict[str, str] = {}
    first_place: dict[str, int] = {}
    entries = [entry.strip() for entry in value.split(GUARDIAN_SEPARATOR)]
    for place, entry in enumerate((entry for entry in entries if entry), start=1):
        number_text, colon, mobile_text = entry.partition(GUARDIAN_NUMBER_SEPARATOR)
        if not colon:
            problems.append(
                _("Guardian %(number)d is not written as national identity number:mobile.") % {"number": place}
            )
            continue
        try:
            number = parse_national_id(number_text)
        except InvalidNationalId as exc:
            problems.append(
                _("Guardian %(number)d, national identity number: %(reason)s") % {"number": place, "reason": exc}
            )
            number = None
        try:
            mobile = parse_mobile(mobile_text)
        except InvalidMobile as exc:
            problems.append(_("Guardian %(number)d, mobile: %(reason)s") % {"number": place, "reason": exc})
            mobile = None
        if number is None:
            continue
        if number == child_number:
            problems.append(_("Guardian %(number)d is the patient themselves.") % {"number": place})
        elif number in first_place:
            problems.append(
                _("Guardian %(number)d is the same person as guardian %(first)d.")
                % {"number": place, "first": first_place[number]}
            )
        else:
            first_place[number] = place
            if mobile is not None:
                guardians[number] = mobile
    return guardians


def _parse_withheld(value: str, problems: list[str]) -> bool:
    withheld = WITHHELD_VALUES.get(value.strip().lower())
    if withheld is None:
        problems.append(_("Withheld from guardians: write “ja” or “nei” (empty means “nei”)."))
    return bool(withheld)


def _parse_row(values: dict[str, str], practitioners: dict[str, int]) -> tuple[dict, dict | None, list[str]]:
    """A line as the ListPatient's fields, its guardians (None when the file has no column for them), and
    what is wrong with it."""
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
    row["email"] = ""
    if email:
        try:
            row["email"] = parse_email(email)
        except InvalidEmail as exc:
            problems.append(_("E-mail: %(reason)s") % {"reason": exc})
    hpr = values["fastlege_hpr"].strip()
    row["gp_id"] = practitioners.get(hpr)
    if row["gp_id"] is None:
        if hpr:
            problems.append(_("GP: no practitioner has HPR number %(hpr)s.") % {"hpr": hpr[:20]})
        else:
            problems.append(_("GP: the HPR number is missing."))
    if WITHHELD_COLUMN in values:
        row["withheld_from_guardians"] = _parse_withheld(values[WITHHELD_COLUMN], problems)
    guardians = None
    if GUARDIANS_COLUMN in values:
        guardians = _parse_guardians(values[GUARDIANS_COLUMN], row.get("national_id"), problems)
    return row, guardians, problems


def _read_rows(
    text: str, practitioners: dict[str, int], report: ImportReport
) -> tuple[list[str], dict[str, dict], dict[str, dict[str, str]]]:
    """Parse the file into its header, rows keyed by fødselsnummer and each patient's guardians ({guardian's
    number: mobile}, empty when the file has no column for them), adding every bad line to the report."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: dict[str, dict] = {}
    guardians: dict[str, dict[str, str]] = {}
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
                message = _("The line has %(found)d fields, but the header has %(expected)d.") % {
                    "found": len(record),
                    "expected": len(header),
                }
                if len(record) > len(header) and delimiter == GUARDIAN_SEPARATOR and GUARDIANS_COLUMN in header:
                    message += " " + _(
                        'Several guardians in one field need quotation marks around it: "fnr:mobil;fnr:mobil".'
                    )
                report.errors.append(LineError(line, message))
                continue
            row, patient_guardians, problems = _parse_row(dict(zip(header, record, strict=True)), practitioners)
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
                if patient_guardians is not None:
                    guardians[national_id] = patient_guardians
    except csv.Error:
        raise _FileRejected(
            last_line + 1,
            _("The line cannot be read as CSV (for example a quotation mark that is not closed)."),
        ) from None
    if header is None:
        raise _FileRejected(0, _("The file is empty."))
    if not rows and not report.errors:
        raise _FileRejected(0, _("The file has no patients. An empty list is not imported."))
    return header, rows, guardians


def _replace_guardianships(guardians: dict[str, dict[str, str]], report: ImportReport) -> None:
    """Make each patient's guardianships those of the file: the file's guardians added or given their new
    mobile, the others removed."""
    patient_ids = dict(ListPatient.objects.values_list("national_id", "id").iterator(chunk_size=5000))
    wanted = {patient_ids[national_id]: listed for national_id, listed in guardians.items()}
    to_delete, to_update = [], []
    registered: dict[int, set[str]] = {}
    registry = Guardianship.objects.only("id", "child_id", "guardian_national_id", "guardian_mobile")
    for guardianship in registry.iterator(chunk_size=5000):
        listed = wanted.get(guardianship.child_id)
        if listed is None:
            continue  # not in the file
        registered.setdefault(guardianship.child_id, set()).add(guardianship.guardian_national_id)
        mobile = listed.get(guardianship.guardian_national_id)
        if mobile is None:
            to_delete.append(guardianship.id)
        elif mobile != guardianship.guardian_mobile:
            guardianship.guardian_mobile = mobile
            to_update.append(guardianship)
    to_create = [
        Guardianship(child_id=child_id, guardian_national_id=number, guardian_mobile=mobile)
        for child_id, listed in wanted.items()
        for number, mobile in listed.items()
        if number not in registered.get(child_id, ())
    ]
    for start in range(0, len(to_delete), BATCH_SIZE):
        Guardianship.objects.filter(id__in=to_delete[start : start + BATCH_SIZE]).delete()
    Guardianship.objects.bulk_update(to_update, ["guardian_mobile"], batch_size=BATCH_SIZE)
    Guardianship.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    report.guardians_added, report.guardians_removed, report.guardians_changed = (
        len(to_create),
        len(to_delete),
        len(to_update),
    )


def import_patients(*, data: bytes, actor: Actor, progress: Progress | None = None, today=None) -> ImportReport:
    """Bring the registry in line with the EPJ's CSV export, all or nothing."""
    report = ImportReport()
    today = today or timezone.localdate()
    practitioners = dict(Practitioner.objects.values_list("hpr_number", "id"))
    try:
        header, rows, guardians = _read_rows(_decode(data), practitioners, report)
    except _FileRejected as rejected:
        report.errors.insert(0, rejected.error)
        return report
    report.rows = len(rows)
    if report.errors:
        return report

    # The flag and the guardianships are the import's only when the file has their columns; else they stay
    # as the clinic registered them.
    synced = (*SYNCED_FIELDS, "withheld_from_guardians") if WITHHELD_COLUMN in header else SYNCED_FIELDS
    report.guardians_in_file = GUARDIANS_COLUMN in header
    now = timezone.now()
    with transaction.atomic():
        existing = {
            patient.national_id: patient
            for patient in ListPatient.objects.only(
                "id", "national_id", "on_list_from", "on_list_to", *synced
            ).iterator(chunk_size=5000)
        }
        to_create, to_update = [], []
        for done, (national_id, row) in enumerate(rows.items(), start=1):
            patient = existing.get(national_id)
            if patient is None:
                to_create.append(ListPatient(on_list_from=today, **row))
            else:
                changed = any(getattr(patient, name) != row[name] for name in synced)
                back = not patient.is_on_list(today)
                if changed or back:
                    for name in synced:
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
            to_update, [*synced, "on_list_from", "on_list_to", "updated_at"], batch_size=BATCH_SIZE
        )
        ListPatient.objects.bulk_update(leaving, ["on_list_to", "updated_at"], batch_size=BATCH_SIZE)
        report.created, report.left = len(to_create), len(leaving)
        counted = ["rows", "created", "updated", "returned", "left"]
        if report.guardians_in_file:
            _replace_guardianships(guardians, report)
            counted += ["guardians_added", "guardians_removed", "guardians_changed"]
        record_event("patients_imported", actor=actor, details={k: getattr(report, k) for k in counted})
    if progress:
        progress(len(rows), len(rows))
    return report
