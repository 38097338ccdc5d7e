"""Benchmark of the patient-list import (eportal.clinic.importer.import_patients).

    .venv/bin/python bench/import_bench.py --rows 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \
        .venv/bin/python bench/import_bench.py --create-db

Runs in test mode (synthetic fødselsnummer allowed) with a fresh temporary EPORTAL_DATA_DIR, so by
default on a new SQLite database there. With DATABASE_URL it uses that database instead; --create-db
creates it first and drops it at the end (it refuses a database that already exists), and without
--create-db the database must hold no patients.

For the full size N, and for N/10 in the same run (so the scaling shows), it times:

    a  first import of N patients into an empty registry
    b  the same file again (all unchanged)
    c  a file with ~10 % of the mobiles changed, ~1 % of the patients gone and ~1 % new
    d  the first file again (the changes back, the gone ones back on the list, the new ones off)

--repeat R runs the four phases R times (from an empty registry each time) and reports the fastest.
Every phase checks the report's counts and the registry, so the script fails if the import misbehaves.
--max-seconds S also fails it if phase a at full size takes longer than S seconds.
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_patients_csv import DEFAULT_GP_HPR, PatientGenerator, to_csv  # noqa: E402

TARGET_ROWS, TARGET_SECONDS = 100_000, 60.0
SEED = 20261125
WARM_UP_ROWS = 200
COUNTS = ("rows", "created", "updated", "unchanged", "returned", "left")


class BenchmarkFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchmarkFailed(message)


@dataclass
class Result:
    size: int
    phase: str
    rows: int
    counts: dict[str, int]
    times: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """The fastest run: the others lost time to something else on the machine."""
        return min(self.times)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    @property
    def microseconds_per_row(self) -> float:
        return 1e6 * self.seconds / self.rows


# ---------------------------------------------------------------------------------------------------
# Environment and database


def configure_environment(data_dir: Path) -> None:
    """Settings come from the environment; set it before Django reads it."""
    os.environ["EPORTAL_ENV"] = "test"
    os.environ["EPORTAL_DATA_DIR"] = str(data_dir)
    os.environ["EPORTAL_ALLOW_SYNTHETIC_IDS"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "eportal.settings"


def _server_and_name(database_url: str) -> tuple[dict, str]:
    import dj_database_url

    config = dj_database_url.parse(database_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("--create-db works with a postgres:// DATABASE_URL only")
    server = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    return {k: v for k, v in server.items() if v is not None}, config["NAME"]


def create_postgres_database(database_url: str) -> None:
    """Create the database named in the URL; fails (and so never drops anything) if it exists."""
    import psycopg
    from psycopg import sql

    server, name = _server_and_name(database_url)
    with psycopg.connect(**server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            raise SystemExit(f"database {name!r} exists already; --create-db only uses a database it creates")
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = _server_and_name(database_url)
    with psycopg.connect(**server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def set_up_database(gp_hpr: tuple[str, ...]) -> None:
    from django.core.management import call_command

    from eportal.clinic.models import ListPatient, Practitioner

    call_command("migrate", verbosity=0, interactive=False)
    if ListPatient.objects.exists():
        raise SystemExit("the database has patients already; the benchmark needs an empty registry")
    for number, hpr in enumerate(gp_hpr, start=1):
        Practitioner.objects.get_or_create(
            hpr_number=hpr,
            defaults={
                "first_name": "Fastlege",
                "last_name": f"Nummer {number}",
                "role": Practitioner.Role.GP,
                "has_patient_list": True,
            },
        )


def empty_registry() -> None:
    """Delete the patients (and only them) so the next size starts from an empty registry."""
    from django.db import connection, transaction

    from eportal.clinic.models import Guardianship, ListPatient

    tables = [connection.ops.quote_name(model._meta.db_table) for model in (Guardianship, ListPatient)]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    if connection.vendor == "postgresql":
        # Without this, a repeat starts on a table full of dead rows that autovacuum has not reached yet.
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")


def load() -> str:
    """Other work on the machine slows the figures down; say how busy it was."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file in a temporary folder)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version} (database {connection.settings_dict['NAME']!r})"


# ---------------------------------------------------------------------------------------------------
# The phases


class Progress:
    """Stands in for the CLI's progress bar, and checks that the importer reports the end."""

    def __init__(self):
        self.calls = 0
        self.last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self.calls += 1
        self.last = (done, total)


def timed_import(data: bytes, today: datetime.date, profile: cProfile.Profile | None = None):
    from eportal.clinic.importer import import_patients
    from eportal.core.actor import system_actor

    progress = Progress()
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    report = import_patients(data=data, actor=system_actor(operator="bench"), progress=progress, today=today)
    if profile is not None:
        profile.disable()
    seconds = time.perf_counter() - started
    check(report.ok, f"the import was rejected: {[str(error) for error in report.errors[:5]]}")
    check(progress.last == (report.rows, report.rows), f"progress did not end at the total: {progress.last}")
    return report, seconds


def expect(report, phase: str, **expected: int) -> dict[str, int]:
    counts = {name: getattr(report, name) for name in COUNTS}
    wrong = {name: (counts[name], value) for name, value in expected.items() if counts[name] != value}
    check(not wrong, f"phase {phase}: counts (got, expected) differ: {wrong}")
    return counts


def check_registry(phase: str, today: datetime.date, *, total: int, on_list: int) -> None:
    from eportal.clinic.models import ListPatient

    found = (ListPatient.objects.count(), ListPatient.objects.on_list(today).count())
    check(
        found == (total, on_list),
        f"phase {phase}: registry has (all, on list) {found}, expected {(total, on_list)}",
    )


def check_patients(phase: str, today: datetime.date, patients) -> None:
    """Every patient in the file is on the list with the file's values (mobile as +47XXXXXXXX)."""
    from eportal.clinic.models import ListPatient

    fields = ("first_name", "last_name", "mobile", "email", "gp__hpr_number", "on_list_from", "on_list_to")
    stored = {row[0]: row[1:] for row in ListPatient.objects.values_list("national_id", *fields).iterator(5000)}
    wrong = []
    for patient in patients:
        row = stored.get(patient.national_id)
        expected = (patient.first_name, patient.last_name, patient.mobile_e164, patient.email, patient.gp_hpr)
        if row is None or row[:5] != expected or not (row[5] <= today and row[6] is None):
            wrong.append((patient.national_id, row))
    check(not wrong, f"phase {phase}: {len(wrong)} patient(s) differ from the file, e.g. {wrong[:2]}")


def run_size(
    size: int, results: list[Result], *, seed: int, gp_hpr, start: datetime.date, repeat: int, profile_dir
) -> None:
    """Run the four phases for `size` patients `repeat` times, each time from an empty registry.

    The timings go into `results` as they come, so a failure can still show them."""
    generator = PatientGenerator(seed + size, gp_hpr)
    original = generator.patients(size)
    changed_count, removed_count, new_count = size // 10, max(size // 100, 1), max(size // 100, 1)
    # Every 10th patient gets a new mobile; the removed ones are taken from the others.
    changed_at = set(range(0, size, 10)[:changed_count])
    removed_at = set([i for i in range(5, size, 10) if i not in changed_at][:removed_count])
    check(len(removed_at) == removed_count, "size too small for the removal share")
    changed = {i: generator.with_new_mobile(original[i]) for i in changed_at}
    added = generator.patients(new_count)
    second = [changed.get(i, patient) for i, patient in enumerate(original) if i not in removed_at] + added
    first_file, second_file = to_csv(original), to_csv(second)
    kept = size - removed_count
    unchanged = size - changed_count - removed_count

    def counts(rows: int, **changes: int) -> dict[str, int]:
        return {"rows": rows, "created": 0, "updated": 0, "unchanged": 0, "returned": 0, "left": 0, **changes}

    # phase, file, expected report counts, (all, on list) afterwards, the patients in the file
    phases = [
        ("a first import", first_file, counts(size, created=size), (size, size), original),
        ("b same file", first_file, counts(size, unchanged=size), (size, size), original),
        (
            "c 10% changed, 1% gone, 1% new",
            second_file,
            counts(
                kept + new_count,
                created=new_count,
                updated=changed_count,
                unchanged=unchanged,
                left=removed_count,
            ),
            (size + new_count, kept + new_count),
            second,
        ),
        (
            "d first file again",
            first_file,
            counts(size, updated=changed_count, unchanged=unchanged, returned=removed_count, left=new_count),
            (size + new_count, size),
            original,
        ),
    ]
    size_results = [Result(size, phase, expected["rows"], expected) for phase, _, expected, _, _ in phases]
    results += size_results
    for run in range(1, repeat + 1):
        empty_registry()
        for day, (result, (phase, data, expected, (total, on_list), in_file)) in enumerate(
            zip(size_results, phases, strict=True)
        ):
            today = start + datetime.timedelta(days=day)
            profile = cProfile.Profile() if profile_dir and run == 1 else None
            report, seconds = timed_import(data, today, profile)
            expect(report, phase, **expected)
            check_registry(phase, today, total=total, on_list=on_list)
            check_patients(phase, today, in_file)
            if profile is not None:
                profile.dump_stats(profile_dir / f"import-{size}-{phase[0]}.prof")
            result.times.append(seconds)
            print(f"  {size:>9,} {phase:<32} {seconds:8.2f} s" + (f"  (run {run})" if repeat > 1 else ""), flush=True)


# ---------------------------------------------------------------------------------------------------
# Output


def print_table(results: list[Result]) -> None:
    results = [r for r in results if r.times]
    repeated = any(len(r.times) > 1 for r in results)
    head = f"{'size':>9} {'phase':<32} {'rows':>8} {'seconds':>8} "
    head += f"{'slowest':>8} " if repeated else ""
    head += f"{'rows/s':>8} {'µs/row':>7}  "
    head += " ".join(f"{name:>9}" for name in COUNTS[1:])
    print(head)
    print("-" * len(head))
    for r in results:
        line = f"{r.size:>9,} {r.phase:<32} {r.rows:>8,} {r.seconds:>8.2f} "
        line += f"{max(r.times):>8.2f} " if repeated else ""
        line += f"{r.rows_per_second:>8,.0f} "
        line += f"{r.microseconds_per_row:>7.1f}  " + " ".join(f"{r.counts[name]:>9,}" for name in COUNTS[1:])
        print(line)


def print_scaling(results: list[Result], small: int, large: int) -> None:
    by_key = {(r.size, r.phase): r for r in results}
    print(f"\nScaling, time per row at {large:,} against {small:,} rows (1.00 = linear):")
    for phase in dict.fromkeys(r.phase for r in results):
        a, b = by_key.get((small, phase)), by_key.get((large, phase))
        if a and b:
            ratio = b.microseconds_per_row / a.microseconds_per_row
            per_row = f"{a.microseconds_per_row:7.1f} -> {b.microseconds_per_row:7.1f} µs/row"
            print(f"  {phase:<32} {per_row}  x{ratio:.2f}")


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help=f"full size (default {TARGET_ROWS:,})")
    parser.add_argument("--no-small", action="store_true", help="skip the run at a tenth of --rows")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the phases this many times, report the fastest (default 1)"
    )
    parser.add_argument("--max-seconds", type=float, help="fail if phase a at full size takes longer")
    parser.add_argument("--create-db", action="store_true", help="create DATABASE_URL's database, drop it after")
    parser.add_argument("--profile", action="store_true", help="write cProfile files of each import")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, profiles)")
    options = parser.parse_args(argv)
    if options.rows < 100:
        parser.error("--rows must be at least 100")
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if options.create_db and not database_url:
        parser.error("--create-db needs DATABASE_URL")

    data_dir = Path(tempfile.mkdtemp(prefix="eportal-import-bench-"))
    created_db = False
    try:
        configure_environment(data_dir)
        if options.create_db:
            create_postgres_database(database_url)
            created_db = True
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections
        from django.utils import timezone, translation

        translation.activate(settings.LANGUAGE_CODE)
        try:
            return run(options, data_dir, timezone.localdate())
        finally:
            connections.close_all()
    finally:
        if created_db:
            drop_postgres_database(database_url)
        if options.keep:
            print(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(options, data_dir: Path, today: datetime.date) -> int:
    gp_hpr = DEFAULT_GP_HPR
    set_up_database(gp_hpr)
    print(f"Database: {database_label()}")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), seed {options.seed}, {load()}\n")

    # A small import first, so one-off costs (phonenumbers metadata, translations) are not timed.
    from make_patients_csv import make_patients_csv

    from eportal.clinic.importer import import_patients
    from eportal.core.actor import system_actor

    warm_up = import_patients(
        data=make_patients_csv(WARM_UP_ROWS, seed=1, gp_hpr=gp_hpr), actor=system_actor(operator="bench"), today=today
    )
    check(warm_up.ok and warm_up.created == WARM_UP_ROWS, f"warm-up import failed: {warm_up.summary()}")

    sizes = [options.rows] if options.no_small else [options.rows // 10, options.rows]
    profile_dir = data_dir if options.profile else None
    results: list[Result] = []
    try:
        for size in sizes:
            started = time.perf_counter()
            print(f"{size:,} patients (making the files and checking are not timed):", flush=True)
            run_size(
                size,
                results,
                seed=options.seed,
                gp_hpr=gp_hpr,
                start=today,
                repeat=options.repeat,
                profile_dir=profile_dir,
            )
            print(f"  ({time.perf_counter() - started:.1f} s with making the files and checking)\n", flush=True)
    except BenchmarkFailed as failure:
        print_table(results)
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1

    print_table(results)
    if len(sizes) == 2:
        print_scaling(results, *sizes)
    first = next(r for r in results if r.size == options.rows and r.phase.startswith("a"))
    projected = first.seconds * TARGET_ROWS / first.rows
    print(
        f"\nTarget: {TARGET_ROWS:,} rows in under {TARGET_SECONDS:.0f} s. First import of "
        f"{first.rows:,} rows: {first.seconds:.1f} s ({projected:.1f} s per {TARGET_ROWS:,} rows)."
    )
    print(f"Machine {load()}.")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of this process: {peak_mib:,.0f} MiB")
    if options.profile:
        path = data_dir / f"import-{options.rows}-a.prof"
        out = io.StringIO()
        pstats.Stats(str(path), stream=out).sort_stats("cumulative").print_stats(25)
        print(f"\nProfile of phase a at {options.rows:,} rows (--keep keeps all of them):\n{out.getvalue()}")
    if options.max_seconds is not None and first.seconds > options.max_seconds:
        print(
            f"\nFAILED: phase a took {first.seconds:.1f} s, more than {options.max_seconds:.1f} s",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
