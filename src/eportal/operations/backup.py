"""Backing up the portal's database while it runs, and restoring a backup (`eportal backup` / `eportal restore`).

SQLite: the online backup API copies the live database (WAL mode: the portal goes on reading and writing) into
the file. PostgreSQL: pg_dump's custom format, restored by pg_restore in one transaction. Either way a restore
is all or nothing: it commits whole or leaves the database as it was.

A backup holds everything the database holds: patients, appointments, the staff's TOTP secrets, messages (texts
and attachments encrypted with EPORTAL_MESSAGE_KEYS, which are not in it). It is written readable by its owner
only; the keys must be kept elsewhere (README.md, "Production").
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from eportal.clinic.models import ListPatient

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """What the operator is told when a backup or restore cannot be done; nothing was changed."""


def kind_of(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor in {"sqlite", "postgresql"}:
        return connection.vendor
    raise BackupError(f"Backups of a {connection.vendor} database are not supported (SQLite and PostgreSQL are).")


def backup(connection: BaseDatabaseWrapper, file: Path) -> None:
    """Write a backup of the connection's database to the file (replacing one there), readable by its owner only.

    Written beside it under another name and renamed into place: the file is a whole backup or not there."""
    file = Path(file).absolute()
    kind = kind_of(connection)
    database = _sqlite_path(connection) if kind == "sqlite" else None
    if database is not None and file.resolve() in {Path(f"{database}{end}").resolve() for end in ("", "-wal", "-shm")}:
        raise BackupError(f"{file} is the database itself: write the backup to another file.")
    try:
        descriptor, partial = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".partial", dir=file.parent)
    except OSError as exc:
        raise BackupError(f"Cannot write in {file.parent}: {exc.strerror}.") from None
    os.close(descriptor)  # mkstemp makes it 0600; pg_dump and SQLite write into it and keep the mode
    partial = Path(partial)
    try:
        if database is not None:
            _sqlite_backup(database, partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-password", f"--file={partial}"], connection)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        try:
            partial.replace(file)
        except OSError as exc:
            raise BackupError(f"Cannot write {file}: {exc.strerror}.") from None
    finally:
        partial.unlink(missing_ok=True)


def restore(connection: BaseDatabaseWrapper, file: Path, *, force: bool = False) -> None:
    """Replace the connection's database with the backup in the file.

    Refused, with nothing changed, if the file is not a backup of this kind of database, or if the database has
    data and force is not set. The restore runs in one transaction."""
    file = Path(file)
    kind = kind_of(connection)
    check_backup_file(file, kind)
    try:
        filled = has_data(connection)
    except DatabaseError as exc:
        raise BackupError(f"Cannot read the database: {exc}".strip()) from None
    if filled and not force:
        raise BackupError(
            "The database already has data: restoring replaces all of it. Add --force to replace it "
            "(stop `eportal serve` and `eportal worker` first)."
        )
    connection.close()
    if kind == "sqlite":
        _sqlite_restore(file, _sqlite_path(connection))
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={connection.settings_dict['NAME']}",
                str(file),
            ],
            connection,
            what="The restore failed, and the database was left as it was",
        )


def check_backup_file(file: Path, kind: str) -> None:
    """Refuse a file that is not a backup of the portal's database of this kind (SQLite or PostgreSQL)."""
    try:
        with file.open("rb") as opened:
            start = opened.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Cannot read {file}: {exc.strerror}.") from None
    found = "sqlite" if start.startswith(SQLITE_MAGIC) else "postgresql" if start.startswith(PG_DUMP_MAGIC) else None
    if found is None:
        raise BackupError(f"{file} is not a backup made by `eportal backup`.")
    if found != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{file} is a backup of a {names[found]} database, and this portal uses {names[kind]}: restore it "
            f"where the portal uses {names[found]}."
        )
    if kind == "sqlite":
        _check_sqlite_backup(file)
    else:
        _check_pg_dump(file)


def has_data(connection: BaseDatabaseWrapper) -> bool:
    """Whether the database holds people: accounts (patients' or staff's) or the clinic's patient list. One that
    `eportal migrate` has just made holds neither (though its migrations put a few rows of their own there)."""
    if connection.vendor == "sqlite" and not _sqlite_path(connection).exists():
        return False
    tables = {get_user_model()._meta.db_table, ListPatient._meta.db_table}
    with connection.cursor() as cursor:
        for table in sorted(tables & set(connection.introspection.table_names(cursor))):
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608 - a table name
            if cursor.fetchone():
                return True
    return False


def _sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("The database is in memory, not in a file: there is nothing to back up or restore.")
    return Path(name)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.exists():
        raise BackupError(f"There is no database at {database} (is EPORTAL_DATA_DIR set as for the portal?).")
    source = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=20)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, without -wal and -shm beside it
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The backup of {database} failed: {exc}.") from None
    finally:
        source.close()


def _check_sqlite_backup(file: Path) -> None:
    try:
        backup_ = sqlite3.connect(f"file:{file}?mode=ro&immutable=1", uri=True)
        try:
            (result,) = backup_.execute("PRAGMA quick_check").fetchone()
            tables = {name for (name,) in backup_.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            backup_.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{file} cannot be read as a SQLite backup: {exc}.") from None
    if result != "ok":
        raise BackupError(f"{file} is damaged (SQLite's check says: {result}).")
    if not {"django_migrations", "accounts_user"} <= tables:
        raise BackupError(f"{file} is a SQLite database, but not a backup of the portal's.")


def _sqlite_restore(file: Path, database: Path) -> None:
    """Copy the backup into the database with SQLite's backup API: one write transaction on the live file, so a
    restore that stops midway leaves the database as it was, and the portal's connections and its WAL file stay
    consistent (a file renamed over the database could meet a -wal file of the old one)."""
    new = not database.exists()
    try:
        source = sqlite3.connect(f"file:{file}?mode=ro&immutable=1", uri=True)
        try:
            target = sqlite3.connect(database, timeout=20)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The restore into {database} failed, and it was left as it was: {exc}.") from None
    if new:
        database.chmod(0o600)


def _check_pg_dump(file: Path) -> None:
    listing = _run(["pg_restore", "--list", str(file)], None, what=f"{file} cannot be read as a pg_dump backup")
    if " TABLE public django_migrations " not in listing or " TABLE public accounts_user " not in listing:
        raise BackupError(f"{file} is a pg_dump backup, but not of the portal's database.")


def _run(command: list[str], connection: BaseDatabaseWrapper | None, what: str | None = None) -> str:
    """Run a PostgreSQL client tool, connected as the portal is; the password goes in the environment, never on
    the command line (which other users of the machine can see)."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    env = dict(os.environ)
    if connection is not None:
        settings = connection.settings_dict
        for variable, value in {
            "PGHOST": settings.get("HOST"),
            "PGPORT": settings.get("PORT"),
            "PGUSER": settings.get("USER"),
            "PGPASSWORD": settings.get("PASSWORD"),
            "PGDATABASE": settings.get("NAME"),
            "PGSSLMODE": settings.get("OPTIONS", {}).get("sslmode"),
        }.items():
            if value:
                env[variable] = str(value)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        reason = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what or command[0] + ' failed'}: {reason}")
    return result.stdout
