"""`eportal backup` and `eportal restore`: a backup restored into a fresh database has every row of every table;
a restore refuses what is not a backup of its kind and a database with data (unless --force), and changes
nothing when it fails."""

import contextlib
import os
import stat
import subprocess
import sys

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django_otp.plugins.otp_totp.models import TOTPDevice

from eportal.demo.clinic import seed_demo_clinic
from eportal.messaging import services
from eportal.messaging.models import Attachment
from eportal.operations.backup import has_data
from eportal.representation.policy import Capability
from tests.factories import grant_for, photo
from tests.helpers import SOURCE_DIR

ON_POSTGRESQL = connection.vendor == "postgresql"


def table_rows(database) -> dict[str, list[tuple]]:
    """Every row of every table of the database, sorted, bytes as bytes."""
    found = {}
    with database.cursor() as cursor:
        for table in sorted(database.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {database.ops.quote_name(table)}")  # noqa: S608
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]
            found[table] = sorted(rows, key=repr)
    return found


@contextlib.contextmanager
def fresh_database(tmp_path):
    """A connection to a new, empty database of the kind the tests run on (dropped afterwards)."""
    settings = dict(connection.settings_dict)
    if ON_POSTGRESQL:
        settings["NAME"] = f"eportal_restore_{os.getpid()}"
        server = {"host": settings["HOST"] or None, "port": settings["PORT"] or None, "user": settings["USER"]}
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}"')
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    else:
        settings["NAME"] = str(tmp_path / "restored.sqlite3")
    database = type(connections[DEFAULT_DB_ALIAS])(settings, alias="restored")
    try:
        yield database
    finally:
        database.close()
        if ON_POSTGRESQL:
            with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}" WITH (FORCE)')


def _restore(database, file, **options):
    """`eportal restore FILE` against another database than the tests' own."""
    connections["restored"] = database
    try:
        call_command("restore", str(file), database="restored", stdout=open(os.devnull, "w"), **options)  # noqa: SIM115
    finally:
        del connections["restored"]


@pytest.fixture
def clinic(transactional_db, django_user_model):
    """The demo clinic, a message with an attachment (encrypted at rest) and a staff user's TOTP key, committed:
    the backup reads the database as another connection would."""
    seed_demo_clinic()
    from eportal.clinic.models import ListPatient

    patient = ListPatient.objects.order_by("pk").first()
    services.start_thread(
        grant=grant_for(patient, Capability.MESSAGES),
        kind="reception",
        subject="Utslett",
        body="Utslett på armen siden mandag.",
        uploads=[photo()],
    )
    staff = django_user_model.objects.create_user(username="nattevakt", password="x" * 12, is_staff=True)
    TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    assert Attachment.objects.exists()


def test_a_backup_restored_into_a_fresh_database_has_every_row_of_every_table(clinic, tmp_path):
    file = tmp_path / "eportal.backup"
    call_command("backup", str(file), stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["eportal.backup"]  # nothing half-written left beside it
    original = table_rows(connection)
    assert original["messaging_attachment"] and original["otp_totp_totpdevice"] and original["clinic_listpatient"]

    with fresh_database(tmp_path) as restored:
        assert not has_data(restored)
        _restore(restored, file)
        assert table_rows(restored) == original

        # Once restored it has data: a second restore is refused, and changes nothing ...
        with restored.cursor() as cursor:
            cursor.execute("UPDATE clinic_listpatient SET first_name = 'Endret'")
        changed = table_rows(restored)
        with pytest.raises(CommandError, match="already has data.*--force"):
            _restore(restored, file)
        assert table_rows(restored) == changed
        # ... unless forced, which puts back every row.
        _restore(restored, file, force=True)
        assert table_rows(restored) == original


@pytest.fixture
def backup_file(clinic, tmp_path):
    file = tmp_path / "eportal.backup"
    call_command("backup", str(file), stdout=open(os.devnull, "w"))  # noqa: SIM115
    return file


def test_restore_refuses_a_missing_file(transactional_db, tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing.backup: No such file"):
        call_command("restore", str(tmp_path / "missing.backup"))


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"id,name\n1,Kari\n", "is not a backup made by `eportal backup`"),
        (b"", "is not a backup made by `eportal backup`"),
        (
            b"PGDMP" if not ON_POSTGRESQL else b"SQLite format 3\x00",
            "is a backup of a .* database, and this portal uses",
        ),
    ],
    ids=["csv", "empty", "other-kind"],
)
def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind(transactional_db, tmp_path, content, expected):
    file = tmp_path / "not-a-backup"
    file.write_bytes(content)
    with pytest.raises(CommandError, match=expected):
        call_command("restore", str(file), force=True)


def test_a_damaged_backup_is_refused_or_rolled_back_leaving_the_database_as_it_was(backup_file, tmp_path):
    damaged = tmp_path / "damaged.backup"
    data = backup_file.read_bytes()
    damaged.write_bytes(data[: len(data) * 2 // 3])
    before = table_rows(connection)
    with pytest.raises(CommandError):
        call_command("restore", str(damaged), force=True)
    assert table_rows(connection) == before


def test_restore_refuses_a_sqlite_file_that_is_not_the_portals(tmp_path):
    """On a SQLite portal (the command in its own data folder, so on either suite database)."""
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as database:
        database.execute("CREATE TABLE notes (text)")
        database.commit()
    data = tmp_path / "data"
    data.mkdir()
    refused = eportal("restore", str(other), "--force", data_dir=data)
    assert refused.returncode != 0 and "not a backup of the portal's" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_restore_refuses_a_database_with_data_without_force_and_changes_nothing(backup_file):
    from eportal.clinic.models import ListPatient

    ListPatient.objects.update(first_name="Endret")
    before = table_rows(connection)
    with pytest.raises(CommandError, match="already has data"):
        call_command("restore", str(backup_file))
    assert table_rows(connection) == before


def test_backup_refuses_to_overwrite_the_database_itself(tmp_path):
    """On a SQLite portal (the command in its own data folder, so on either suite database)."""
    assert eportal("migrate", data_dir=tmp_path).returncode == 0
    refused = eportal("backup", str(tmp_path / "eportal.sqlite3"), data_dir=tmp_path)
    assert refused.returncode != 0 and "is the database itself" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def eportal(*args, data_dir):
    """The `eportal` command as an operator runs it, on a SQLite database in the data folder."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": SOURCE_DIR,
        "EPORTAL_ENV": "test",
        "EPORTAL_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "eportal.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_commands_back_up_and_restore_onto_a_new_server(tmp_path):
    """The README's steps: back up on the old server, restore where no database is yet, migrate, run."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    assert eportal("migrate", data_dir=old).returncode == 0
    made = eportal("backup", str(tmp_path / "eportal.backup"), data_dir=old)
    assert made.returncode == 0, made.stderr
    assert "Backup written to" in made.stdout

    restored = eportal("restore", str(tmp_path / "eportal.backup"), data_dir=new)
    assert restored.returncode == 0, restored.stderr
    assert stat.S_IMODE((new / "eportal.sqlite3").stat().st_mode) == 0o600
    assert "No migrations to apply" in eportal("migrate", data_dir=new).stdout

    refused = eportal("restore", str(tmp_path / "missing.backup"), data_dir=new)
    assert refused.returncode != 0
    assert "Cannot read" in refused.stderr and "Traceback" not in refused.stderr
