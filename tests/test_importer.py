"""The patient-list import from the journal system's CSV export."""

import csv
import datetime
import io
import subprocess
import sys
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eportal.accounts.forms import RegistrationForm
from eportal.audit.models import AuditEvent
from eportal.clinic.importer import import_patients
from eportal.clinic.models import Guardianship, ListPatient
from eportal.core.actor import system_actor
from eportal.demo.clinic import seed_demo_clinic
from eportal.identity.synthetic import synthetic_national_id
from eportal.representation.policy import decide_for_number
from tests import factories
from tests.helpers import SOURCE_DIR

HEADER = "fodselsnummer;fornavn;etternavn;mobil;epost;fastlege_hpr"
FAMILY_HEADER = HEADER + ";foresatte;skjermet_for_foresatte"
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def gps(db):
    return factories.practitioner("9100011"), factories.practitioner("9100022", first_name="Lars", last_name="Bakke")


def csv_bytes(*lines, header=HEADER, sep=";", newline="\n", encoding="utf-8"):
    text = newline.join([header.replace(";", sep), *[line.replace(";", sep) for line in lines]]) + newline
    return text.encode(encoding)


def run(data, today=TODAY):
    return import_patients(data=data, actor=system_actor(operator="test"), today=today)


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
    assert event.details["created"] == 2 and event.actor == "cli:test"


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
    env = {"EPORTAL_ENV": "demo", "EPORTAL_DATA_DIR": str(tmp_path), "PATH": "", "PYTHONPATH": SOURCE_DIR}
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


# Guardians and the withheld flag: the optional columns foresatte and skjermet_for_foresatte.


@pytest.fixture
def family(gps):
    """Numbers for two parents, a third adult and a child, none of them imported yet."""
    return {
        "kari": factories.national_id(datetime.date(1986, 4, 12)),
        "ola": factories.national_id(datetime.date(1984, 9, 3)),
        "per": factories.national_id(datetime.date(1980, 1, 5)),
        "emma": factories.national_id(datetime.date(2018, 6, 20)),
    }


def family_file(family, guardians: str, withheld: str = "nei", header=FAMILY_HEADER) -> bytes:
    adults = [f"{family[name]};{name.title()};Nordmann;91234567;;9100011;;nei" for name in ("kari", "ola")]
    return csv_bytes(
        *adults, f'{family["emma"]};Emma;Nordmann;91234567;;9100011;"{guardians}";{withheld}', header=header
    )


def guardians_of(number):
    return dict(
        Guardianship.objects.filter(child__national_id=number).values_list("guardian_national_id", "guardian_mobile")
    )


def test_guardians_and_the_withheld_flag_are_imported(family):
    report = run(family_file(family, f"{family['kari']}:912 34 567; {family['ola']}:+47 41234567 ;", withheld="Ja"))
    assert report.ok, report.errors
    assert guardians_of(family["emma"]) == {family["kari"]: "+4791234567", family["ola"]: "+4741234567"}
    assert guardians_of(family["kari"]) == {}
    assert ListPatient.objects.get(national_id=family["emma"]).withheld_from_guardians
    assert not ListPatient.objects.get(national_id=family["kari"]).withheld_from_guardians
    assert (report.guardians_added, report.guardians_removed, report.guardians_changed) == (2, 0, 0)
    assert "Foresatte: 2 lagt til, 0 fjernet, 0 med nytt mobilnummer." in report.summary()
    event = AuditEvent.objects.get(action="patients_imported")
    assert event.details["guardians_added"] == 2
    assert family["kari"] not in str(event.details)


def test_a_d_number_guardian_in_a_comma_separated_file_needs_no_quotation_marks(family):
    d_number = synthetic_national_id(datetime.date(1979, 3, 3), d_number=True)
    line = f"{family['emma']},Emma,Nordmann,,,9100011,{family['kari']}:91234567;{d_number}:41234567,nei"
    report = run(f"{FAMILY_HEADER.replace(';', ',')}\n{line}\n".encode())
    assert report.ok, report.errors
    assert set(guardians_of(family["emma"])) == {family["kari"], d_number}


def test_reimport_replaces_the_childs_guardians_and_a_removed_guardian_loses_access_at_once(family):
    run(family_file(family, f"{family['kari']}:91234567;{family['ola']}:41234567"))
    emma = ListPatient.objects.get(national_id=family["emma"])
    assert decide_for_number(family["ola"], emma, day=TODAY, high=True).capabilities

    later = TODAY + datetime.timedelta(days=1)
    report = run(family_file(family, f"{family['kari']}:92345678;{family['per']}:41234599"), today=later)
    assert report.ok, report.errors
    assert guardians_of(family["emma"]) == {family["kari"]: "+4792345678", family["per"]: "+4741234599"}
    assert (report.guardians_added, report.guardians_removed, report.guardians_changed) == (1, 1, 1)
    assert decide_for_number(family["ola"], emma, day=later, high=True).relation is None
    assert decide_for_number(family["per"], emma, day=later, high=True).capabilities

    # The same file again changes nothing; an empty cell removes every guardian.
    again = run(family_file(family, f"{family['kari']}:92345678;{family['per']}:41234599"), today=later)
    assert (again.guardians_added, again.guardians_removed, again.guardians_changed, again.updated) == (0, 0, 0, 0)
    assert run(family_file(family, ""), today=later).guardians_removed == 2
    assert guardians_of(family["emma"]) == {}


def test_the_withheld_flag_follows_the_file_and_ends_guardians_access(family):
    run(family_file(family, f"{family['kari']}:91234567"))
    emma = ListPatient.objects.get(national_id=family["emma"])
    assert decide_for_number(family["kari"], emma, day=TODAY, high=True).capabilities
    report = run(family_file(family, f"{family['kari']}:91234567", withheld="ja"))
    assert report.updated == 1
    emma.refresh_from_db()
    assert emma.withheld_from_guardians
    assert not decide_for_number(family["kari"], emma, day=TODAY, high=True).capabilities
    run(family_file(family, f"{family['kari']}:91234567", withheld=""))
    emma.refresh_from_db()
    assert not emma.withheld_from_guardians


def test_a_file_without_the_optional_columns_leaves_guardians_and_flag_as_registered(family):
    run(family_file(family, f"{family['kari']}:91234567", withheld="ja"))
    report = run(csv_bytes(f"{family['emma']};Emma;Nordmann;91234567;;9100011"))
    assert report.ok, report.errors
    assert report.unchanged == 1 and "Foresatte" not in report.summary()
    assert guardians_of(family["emma"]) == {family["kari"]: "+4791234567"}
    assert ListPatient.objects.get(national_id=family["emma"]).withheld_from_guardians
    # Each column stands alone: the flag without the guardians.
    run(csv_bytes(f"{family['emma']};Emma;Nordmann;91234567;;9100011;nei", header=HEADER + ";skjermet_for_foresatte"))
    assert guardians_of(family["emma"]) == {family["kari"]: "+4791234567"}
    assert not ListPatient.objects.get(national_id=family["emma"]).withheld_from_guardians


@pytest.mark.parametrize(
    ("guardians", "withheld", "expected"),
    [
        ("12345678901:91234567", "nei", "Foresatt 1, fødselsnummer: Personnummeret er ikke gyldig"),
        ("{ola}:91234567;1234:41234567", "nei", "Foresatt 2, fødselsnummer: Personnummeret må være 11 siffer"),
        ("{kari}:22123456", "nei", "Foresatt 1, mobil: Skriv et norsk mobilnummer"),
        ("{kari}:", "nei", "Foresatt 1, mobil: Skriv et norsk mobilnummer"),
        ("{kari}", "nei", "Foresatt 1 er ikke skrevet som fødselsnummer:mobil."),
        ("{kari}:91234567;{emma}:41234567", "nei", "Foresatt 2 er pasienten selv."),
        ("{kari}:91234567;{ola}:41234567;{kari}:41234568", "nei", "Foresatt 3 er den samme som foresatt 1."),
        ("{kari}:91234567", "kanskje", "Skjermet for foresatte: skriv «ja» eller «nei» (tomt betyr «nei»)."),
    ],
    ids=[
        "bad-number",
        "short-number",
        "landline",
        "no-mobile",
        "no-colon",
        "the-child-itself",
        "listed-twice",
        "bad-flag",
    ],
)
def test_each_bad_guardian_entry_rejects_the_file_with_a_norwegian_reason(family, guardians, withheld, expected):
    report = run(family_file(family, guardians.format(**family), withheld=withheld))
    assert not report.ok
    assert [error.line for error in report.errors] == [4]
    message = str(report.errors[0])
    assert message.startswith("Linje 4:") and expected in message, message
    assert family["kari"] not in message and family["ola"] not in message
    assert not ListPatient.objects.exists() and not Guardianship.objects.exists()
    assert "Ingenting er endret" in report.summary()


def test_several_guardians_without_quotation_marks_are_explained(family):
    line = f"{family['emma']};Emma;Nordmann;;;9100011;{family['kari']}:91234567;{family['ola']}:41234567;nei"
    report = run(csv_bytes(line, header=FAMILY_HEADER))
    message = str(report.errors[0])
    assert "Linjen har 9 felt, men overskriften har 8." in message
    assert "anførselstegn" in message


def test_a_rejected_reimport_keeps_the_guardians_registered(family):
    run(family_file(family, f"{family['kari']}:91234567;{family['ola']}:41234567"))
    report = run(family_file(family, f"{family['kari']}:91234567;{family['kari']}:41234567"))
    assert not report.ok
    assert guardians_of(family["emma"]) == {family["kari"]: "+4791234567", family["ola"]: "+4741234567"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cell=st.one_of(
        st.text(max_size=60),
        st.lists(
            st.tuples(
                st.sampled_from(["", "12345678901", "01018012345", "x", " "]) | st.just("GUARDIAN"),
                st.sampled_from(["", ":", "::"]),
                st.text(alphabet="+0123456789 ", max_size=14),
            ),
            max_size=4,
        ).map(lambda parts: ";".join("".join(part) for part in parts)),
    ),
    withheld=st.text(max_size=5),
)
def test_garbage_in_the_guardian_columns_gives_a_report_never_a_crash(gps, cell, withheld):
    child = factories.national_id(datetime.date(2019, 1, 1))
    cell = cell.replace("GUARDIAN", factories.national_id()).replace('"', "")
    withheld = withheld.replace('"', "").replace(";", "").replace("\n", "").replace("\r", "")
    before = set(Guardianship.objects.values_list("child_id", "guardian_national_id", "guardian_mobile"))
    report = run(csv_bytes(f'{child};Emma;Nordmann;;;9100011;"{cell}";{withheld}', header=FAMILY_HEADER))
    if not report.ok:
        assert set(Guardianship.objects.values_list("child_id", "guardian_national_id", "guardian_mobile")) == before
        assert all(str(error) for error in report.errors)
    else:
        assert report.guardians_in_file and Guardianship.objects.filter(child__national_id=child).count() == (
            report.guardians_added
        )


# E-mail addresses: one rule (identity.email) for the import, the portal's forms and the demo.

NOT_ASCII = "Bruk bokstavene a–z foran @, ikke æ, ø, å eller bokstaver med aksent."


def demo_list_as_csv() -> bytes:
    """The demo clinic's list, guardians and withheld flag included, as the EPJ exports it."""
    guardians = defaultdict(list)
    for child, number, mobile in Guardianship.objects.values_list(
        "child__national_id", "guardian_national_id", "guardian_mobile"
    ):
        guardians[child].append(f"{number}:{mobile}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(FAMILY_HEADER.split(";"))
    for patient in ListPatient.objects.select_related("gp").order_by("pk"):
        writer.writerow(
            [
                patient.national_id,
                patient.first_name,
                patient.last_name,
                patient.mobile,
                patient.email,
                patient.gp.hpr_number,
                ";".join(guardians[patient.national_id]),
                "ja" if patient.withheld_from_guardians else "nei",
            ]
        )
    return out.getvalue().encode()


def test_the_demo_clinics_own_list_imports_again_and_changes_nothing(db):
    seed_demo_clinic()
    patients = ListPatient.objects.count()
    report = run(demo_list_as_csv())
    assert report.ok, [str(error) for error in report.errors[:5]]
    assert (report.rows, report.unchanged) == (patients, patients)
    assert (report.created, report.updated, report.returned, report.left) == (0, 0, 0, 0)
    assert (report.guardians_added, report.guardians_removed, report.guardians_changed) == (0, 0, 0)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("kari.sorensen@example.com", None),
        ("kari.sorensen@bjørnæs.no", None),  # an internationalised domain: Django's mail encodes it
        ("kari.sørensen@example.com", NOT_ASCII),
        ("jose\u0301@example.com", NOT_ASCII),  # é as e and a combining accent (NFD)
        ("\u212aari@example.com", NOT_ASCII),  # the Kelvin sign, which Django's case-insensitive a-z lets through
        ("kari.sorensen@example", "Skriv en gyldig e-postadresse"),
        ("k" * 62 + "@" + ".".join(["d" * 62] * 3) + ".no", None),  # 254 characters, the most
        ("k" * 63 + "@" + ".".join(["d" * 62] * 3) + ".no", "Skriv en gyldig e-postadresse"),
    ],
    ids=["ascii", "idn-domain", "norwegian-letter", "accent", "kelvin-sign", "no-tld", "254-long", "255-long"],
)
def test_the_importer_and_the_registration_form_accept_and_refuse_the_same_addresses(gps, address, expected):
    report = run(csv_bytes(f"{factories.national_id()};Kari;Sørensen;;{address};9100011"))
    form = RegistrationForm({"email": address}, clinic_name="Gjerdrum legesenter")
    form.is_valid()
    if expected is None:
        assert report.ok, report.errors
        assert ListPatient.objects.get().email == address
        assert "email" not in form.errors
    else:
        assert [str(error) for error in report.errors] == [f"Linje 2: E-post: {form.errors['email'][0]}"]
        assert expected in form.errors["email"][0]
