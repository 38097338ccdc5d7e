"""The patient-list import from the journal system's CSV export."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eportal
from eportal.audit.models import AuditEvent
from eportal.clinic.importer import import_patients
from eportal.clinic.models import ListPatient
from tests import factories

HEADER = "fodselsnummer;fornavn;etternavn;mobil;epost;fastlege_hpr"
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def gps(db):
    return factories.practitioner("9100011"), factories.practitioner("9100022", first_name="Lars", last_name="Bakke")


def csv_bytes(*lines, header=HEADER, sep=";", newline="\n", encoding="utf-8"):
    text = newline.join([header.replace(";", sep), *[line.replace(";", sep) for line in lines]]) + newline
    return text.encode(encoding)


def run(data, today=TODAY):
    return import_patients(data=data, actor="test", today=today)


def test_good_file_creates_patients_with_normalised_mobiles(gps):
    kari, ola = factories.national_id(), factories.national_id(datetime.date(2015, 6, 20))
    report = run(
        csv_bytes(f"{kari};Kari;Nordmann;912 34 567;kari@example.com;9100011", f"{ola};Ola;Nordmann;;;9100022")
    )
    assert report.ok, report.errors
    assert (report.created, report.updated, report.left) == (2, 0, 0)
    patient = ListPatient.objects.get(national_id=kari)
    assert (patient.mobile, patient.email, patient.gp.hpr_number) == (
        "+4791234567",
        "kari@example.com",
        "9100011",
    )
    assert patient.on_list_from == TODAY and patient.is_on_list(TODAY)
    assert ListPatient.objects.get(national_id=ola).mobile == ""
    event = AuditEvent.objects.get(action="patients_imported")
    assert event.details["created"] == 2 and event.actor == "test"


@pytest.mark.parametrize(
    "encode",
    [
        lambda lines: csv_bytes(*lines, newline="\r\n"),
        lambda lines: b"\xef\xbb\xbf" + csv_bytes(*lines),
        lambda lines: csv_bytes(*lines, sep=","),
        lambda lines: b"\xef\xbb\xbf" + csv_bytes(*lines, sep=",", newline="\r\n"),
    ],
    ids=["windows-line-ends", "bom", "comma", "bom-comma-crlf"],
)
def test_bom_windows_line_ends_and_comma_are_read_alike(gps, encode):
    number = factories.national_id()
    report = run(encode([f"{number};Åse;Øvrebø-Ærø;+4791234567;ase@example.com;9100011"]))
    assert report.ok, report.errors
    patient = ListPatient.objects.get()
    assert (patient.national_id, patient.first_name, patient.last_name) == (number, "Åse", "Øvrebø-Ærø")


def test_reimport_updates_changes_marks_leavers_and_keeps_their_rows(gps):
    stays, changes, leaves = (factories.national_id() for _ in range(3))
    run(
        csv_bytes(
            f"{stays};Kari;Nordmann;91234567;;9100011",
            f"{changes};Ola;Nordmann;91234568;;9100011",
            f"{leaves};Per;Hansen;91234569;;9100011",
        ),
        today=TODAY,
    )
    later = TODAY + datetime.timedelta(days=30)
    newcomer = factories.national_id()
    report = run(
        csv_bytes(
            f"{stays};Kari;Nordmann;91234567;;9100011",
            f"{changes};Ola;Nordmann;41234568;ola@example.com;9100022",
            f"{newcomer};Nora;Lie;;;9100022",
        ),
        today=later,
    )
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged, report.left) == (1, 1, 1, 1)
    changed = ListPatient.objects.get(national_id=changes)
    assert (changed.mobile, changed.email, changed.gp.hpr_number) == (
        "+4741234568",
        "ola@example.com",
        "9100022",
    )
    gone = ListPatient.objects.get(national_id=leaves)
    assert gone.on_list_to == later and not gone.is_on_list(later)
    assert set(ListPatient.objects.on_list(later).values_list("national_id", flat=True)) == {
        stays,
        changes,
        newcomer,
    }

    # Back on the list in a later export: a new period starts.
    back = run(
        csv_bytes(f"{stays};Kari;Nordmann;91234567;;9100011", f"{leaves};Per;Hansen;91234569;;9100011"),
        today=later + datetime.timedelta(days=1),
    )
    assert back.returned == 1 and back.left == 2
    assert ListPatient.objects.get(national_id=leaves).is_on_list(later + datetime.timedelta(days=1))


def test_one_bad_line_rejects_the_whole_file_and_reports_every_bad_line(gps):
    good, duplicate = factories.national_id(), factories.national_id()
    data = csv_bytes(
        f"{good};Kari;Nordmann;91234567;;9100011",
        "12345678901;Ola;Nordmann;91234567;;9100011",
        f"{duplicate};Per;Hansen;22123456;;9100011",
        f"{duplicate};Per;Hansen;91234567;ikke-en-adresse;9999999",
        f"{factories.national_id()};;Lie;;;9100011",
        f"{factories.national_id()};Nora;Lie;;",
    )
    report = run(data)
    assert not report.ok
    assert ListPatient.objects.count() == 0
    assert not AuditEvent.objects.exists()
    messages = {error.line: str(error) for error in report.errors}
    assert sorted(messages) == [3, 4, 5, 6, 7]
    assert "Personnummeret er ikke gyldig" in messages[3]
    assert "norsk mobilnummer" in messages[4]
    assert "står også på linje 4" in messages[5] and "E-post" in messages[5] and "9999999" in messages[5]
    assert "Fornavn mangler" in messages[6]
    assert "5 felt" in messages[7]
    assert messages[3].startswith("Linje 3:")
    assert "Ingenting er endret" in report.summary()


def test_rejected_reimport_leaves_the_registry_as_it_was(gps):
    number = factories.national_id()
    run(csv_bytes(f"{number};Kari;Nordmann;91234567;;9100011"))
    report = run(csv_bytes(f"{number};Kari;Endret;41234567;;9100011", "bad;line;here;;;9100011"))
    assert not report.ok
    patient = ListPatient.objects.get()
    assert (patient.last_name, patient.mobile) == ("Nordmann", "+4791234567")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Filen er tom"),
        (HEADER.encode() + b"\n", "ingen pasienter"),
        (
            b"fodselsnummer;fornavn;etternavn\n12345678901;Kari;Nordmann\n",
            "mangler kolonne(r): mobil, epost, fastlege_hpr",
        ),
        (
            "fodselsnummer;fornavn;etternavn;mobil;epost;fastlege_hpr\n01018012345;Kåre;X;;;1\n".encode("latin-1"),
            "UTF-8",
        ),
        (b'fodselsnummer;fornavn;etternavn;mobil;epost;fastlege_hpr\n"01018012345;Kari\n', "CSV"),
        (b"fodselsnummer;fodselsnummer;fornavn;etternavn;mobil;epost;fastlege_hpr\n", "samme kolonne"),
    ],
    ids=["empty", "header-only", "missing-columns", "latin-1", "open-quote", "duplicate-column"],
)
def test_unreadable_files_get_a_clear_norwegian_reason(gps, data, expected):
    report = run(data)
    assert not report.ok
    assert expected in str(report.errors[0])
    assert ListPatient.objects.count() == 0


def test_latin_1_file_names_the_line_with_the_bad_byte(gps):
    data = (HEADER + "\n\n" + "01018012345;Kåre;X;;;1\n").encode("latin-1")
    assert run(data).errors[0].line == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(st.text(max_size=30), max_size=8).map(lambda cells: (HEADER + "\n" + ";".join(cells)).encode()),
        st.lists(
            st.tuples(
                st.text(alphabet="0123456789 ", min_size=0, max_size=13),
                st.text(max_size=12),
                st.text(max_size=12),
                st.text(alphabet="+0123456789 ", max_size=12),
                st.text(max_size=20),
                st.sampled_from(["9100011", "9100022", "", "123", "x"]),
            ),
            min_size=1,
            max_size=6,
        ).map(lambda rows: (HEADER + "\n" + "\n".join(";".join(row) for row in rows)).encode()),
    )
)
def test_garbage_gives_a_report_never_a_crash_and_nothing_from_a_rejected_file(gps, data):
    before = set(ListPatient.objects.values_list("national_id", "first_name", "mobile"))
    report = run(data)
    after = set(ListPatient.objects.values_list("national_id", "first_name", "mobile"))
    if report.ok:
        assert report.rows == report.created + report.updated + report.unchanged + report.returned
        assert len({row[0] for row in after} - {row[0] for row in before}) == report.created
    else:
        assert after == before
        assert all(str(error) for error in report.errors)


def test_cli_imports_and_exits_non_zero_on_a_bad_file(tmp_path, gps):
    good = tmp_path / "liste.csv"
    good.write_bytes(csv_bytes(f"{factories.national_id()};Kari;Nordmann;91234567;;9100011"))
    bad = tmp_path / "feil.csv"
    bad.write_bytes(csv_bytes("12345678901;Kari;Nordmann;91234567;;9100011"))
    call_command("import_patients", str(good))
    assert ListPatient.objects.count() == 1
    with pytest.raises(CommandError, match="Ingenting er endret"):
        call_command("import_patients", str(bad))
    with pytest.raises(CommandError, match="Kan ikke lese"):
        call_command("import_patients", str(tmp_path / "finnes-ikke.csv"))


def test_eportal_command_reports_bad_lines_in_norwegian(tmp_path):
    bad = tmp_path / "feil.csv"
    bad.write_bytes(csv_bytes("12345678901;Kari;Nordmann;91234567;;9100011"))
    # The command runs the same eportal package as the tests, wherever that is imported from.
    package_parent = str(Path(eportal.__file__).resolve().parent.parent)
    env = {"EPORTAL_ENV": "demo", "EPORTAL_DATA_DIR": str(tmp_path), "PATH": "", "PYTHONPATH": package_parent}
    migrate = subprocess.run(
        [sys.executable, "-m", "eportal.cli", "migrate", "-v0"], env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    result = subprocess.run(
        [sys.executable, "-m", "eportal.cli", "import-patients", str(bad)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "Linje 2:" in result.stderr and "Ingenting er endret" in result.stderr
    assert "Traceback" not in result.stderr
