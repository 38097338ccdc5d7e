"""A bounded mixed patient load against TWO app servers sharing PostgreSQL and Redis, then the same against ONE
(the figures of issue 15: requests, errors, p50/p99).

    .venv/bin/python bench/two_servers_bench.py --json-out /tmp/two_servers.json      # 2 x 180 s of load
    .venv/bin/python bench/two_servers_bench.py --seconds 10                          # a dry run

For each configuration (two servers first, then one) it makes, with auth_bench.py's helpers:

  * a PostgreSQL database of its own on 127.0.0.1:5432 (workspace(); dropped at the end, also on errors),
    and uses Redis on 127.0.0.1:6379 with a database number of its own (--redis-db, default 13; refused if
    it holds keys at the start; flushed before each configuration and at the end, only that number);
  * migrates and seeds the demo clinic (`eportal seed-demo`), then gives --users list patients (adults with a
    mobile of their own and no account, at random) an active account with a password (make_accounts);
  * starts gunicorn as start_server() does (bench/benchsite/settings.py: production settings, the file SMS
    backend), with REDIS_URL set so the servers share one cache, and EPORTAL_BOOKING_MAX_FUTURE=1000; two
    servers on two loopback ports with --workers-total / 2 sync workers each, or one with --workers-total
    (default 2 x CPUs + 2 = 6 on this 2-core machine, so the total of workers and CPU is the same);
  * warms up (a bare request from each worker, then the mixed load for --warm-up seconds, not counted), and
    runs bench/mixed_load.py for --seconds (default 180) with --users virtual users (default 20). With two
    servers each user sends its requests to A and B in turn (the login begun on one is finished on the other).
    The journey (log in once, then: Min side, Bestill time, a week of free times of «Vanlig konsultasjon»,
    the confirm page of a free time picked at random, POST the booking with a reason, Mine timer, the cancel
    page, POST the cancel, the receipt) and its checks are described in mixed_load.py. A booking that another
    user took first («Timen er dessverre ikke lenger ledig») is an outcome of its own, not an error.

Then it prints, per configuration, each request kind's requests, errors, p50, p99 and requests/s and the whole
(all kinds together), and a comparison of the two; --json-out writes all figures. After each run, with the
servers stopped, the database must hold no active appointment booked by a virtual user beyond those left by
an error (each journey cancels its booking).

Everything it starts (the gunicorns, the load generator) is stopped, and the databases and folders removed,
also on errors and Ctrl+C. It talks only to 127.0.0.1.
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

from auth_bench import (
    PASSWORD,
    _django,
    internal_command,
    make_accounts,
    run_helper,
    run_load,
    run_setup,
    start_server,
    summarize,
    wait_quiet,
    workspace,
)

BENCH_DIR = Path(__file__).resolve().parent
MIXED_LOAD = BENCH_DIR / "mixed_load.py"
SEED = 20261208
PAGE_TYPE = "Vanlig konsultasjon"
WEEKS_AHEAD = 3  # the week page asked for: well inside the booking horizon and the cancel deadline
MIN_FREE = 10  # free times a user's GP must have that week at the start
MAX_FUTURE = "1000"  # EPORTAL_BOOKING_MAX_FUTURE: never the limit, even with bookings left by errors
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
KINDS = (
    "login_page",
    "password_step",
    "code_step",
    "min_side",
    "types",
    "week",
    "confirm_page",
    "book",
    "book_taken",
    "mine",
    "cancel_page",
    "cancel",
    "receipt",
)


# --- inside the setup process (Django configured with benchsite.settings) -------------------------


def setup_command(options) -> None:
    _django()
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    from eportal.accounts.models import User
    from eportal.booking.models import AppointmentType
    from eportal.booking.selectors import free_slots_in_week
    from eportal.clinic.models import Guardianship, ListPatient

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)  # `eportal seed-demo`
    page_type = AppointmentType.objects.get(name=PAGE_TYPE)
    day = timezone.localdate() + datetime.timedelta(weeks=WEEKS_AHEAD)
    monday = day - datetime.timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()

    # Account holders as auth_bench.py picks them: a mobile of their own (the SMS file is theirs), nobody's
    # child in the registry; here also a GP, and no account yet (the demo has a few).
    shared = set(
        ListPatient.objects.values("mobile").annotate(n=Count("id")).filter(n__gt=1).values_list("mobile", flat=True)
    )
    children = set(Guardianship.objects.values_list("child_id", flat=True))
    with_account = set(User.objects.exclude(national_id=None).values_list("national_id", flat=True))
    candidates = [
        patient
        for patient in ListPatient.objects.filter(gp__isnull=False).order_by("pk")
        if patient.mobile
        and patient.mobile not in shared
        and patient.pk not in children
        and patient.national_id not in with_account
    ]
    random.Random(SEED).shuffle(candidates)
    chosen, free = [], []
    for patient in candidates:
        shown = len(free_slots_in_week(patient=patient, appointment_type=page_type, monday=monday))
        if shown >= MIN_FREE:
            chosen.append(patient)
            free.append(shown)
        if len(chosen) == options.users:
            break
    if len(chosen) < options.users:
        raise SystemExit(f"only {len(chosen)} patients with {MIN_FREE} free times in week {week}")
    hashing = make_accounts([(patient.national_id, patient.email) for patient in chosen])
    accounts = [
        {
            "national_id": patient.national_id,
            "mobile": patient.mobile,
            "password": PASSWORD,
            "type_id": page_type.pk,
            "week_path": f"/timer/bestill/{page_type.pk}/?uke={year}-W{week:02d}",
            "gp_id": patient.gp_id,
        }
        for patient in chosen
    ]
    Path(options.accounts_out).write_text(json.dumps(accounts))
    import eportal

    print(
        json.dumps(
            {
                "eportal": str(Path(eportal.__file__).resolve().parent),
                "list_patients": ListPatient.objects.count(),
                "users_gps": len({patient.gp_id for patient in chosen}),
                "week": f"{year}-W{week:02d}",
                "free_times_at_start": free,
                "active_appointments_of_users": _active_appointments(chosen),
                **hashing,
                "setup_seconds": time.perf_counter() - started,
            }
        )
    )


def _active_appointments(patients) -> int:
    from django.utils import timezone

    from eportal.booking.models import Appointment

    return Appointment.objects.filter(
        patient__in=patients, cancelled_at__isnull=True, slot__starts_at__gt=timezone.now()
    ).count()


def count_command(options) -> None:
    _django()
    from eportal.accounts.models import AccountSession
    from eportal.clinic.models import ListPatient

    numbers = [account["national_id"] for account in json.loads(Path(options.accounts_out).read_text())]
    print(
        json.dumps(
            {
                "account_sessions": AccountSession.objects.count(),
                "active_appointments_of_users": _active_appointments(
                    ListPatient.objects.filter(national_id__in=numbers)
                ),
            }
        )
    )


# --- the orchestrating process --------------------------------------------------------------------


class ServerGroup:
    """The app servers of one configuration, as run_load sees one: the first's URL (each account names all
    of them for mixed_load.py) and the CPU of them all (and of the PostgreSQL backends of the database)."""

    def __init__(self, servers):
        self.servers = servers
        self.url = servers[0].url

    def cpu_snapshot(self) -> dict[int, float]:
        found = {}
        for server in self.servers:
            found.update(server.cpu_snapshot())
        return found


def redis_db(options):
    import redis

    return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=options.redis_db)


def with_options(options, **changes) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(options), **changes})


def run_configuration(count: int, options) -> dict:
    """One configuration: `count` servers with --workers-total workers in all, the warm-up and the measured load."""
    workers = options.workers_total // count
    server_options = with_options(options, workers=workers)
    with workspace(f"mixed{count}", 1, options) as (workdir, env, pg_name):
        env["EPORTAL_BOOKING_MAX_FUTURE"] = MAX_FUTURE
        env["REDIS_URL"] = f"redis://{REDIS_HOST}:{REDIS_PORT}/{options.redis_db}"
        redis_db(options).flushdb()
        accounts_file = workdir / "accounts.json"
        setup_args = ["--users", str(options.users), "--accounts-out", str(accounts_file)]
        info = run_setup(__file__, 1, setup_args, env, workdir, options)
        accounts = json.loads(accounts_file.read_text())
        servers = []
        try:
            for index in range(count):
                folder = workdir / f"server-{'AB'[index]}"
                folder.mkdir()
                servers.append(start_server(env, folder, server_options, pg_name, 1))
            for account in accounts:
                account["servers"] = [server.url for server in servers]
            group = ServerGroup(servers)
            short = with_options(options, max_seconds=30)
            for server in servers:
                run_load(server, workdir, "bare", workers * 2, 10, short)  # every worker up (auth_load.py)
            if options.warm_up:
                warm = with_options(options, max_seconds=options.warm_up)
                run_load(group, workdir, "mixed", options.users, 10**6, warm, accounts, MIXED_LOAD)
            wait_quiet(options, f"{count} server(s)")
            print(f"[{count} server(s)] mixed load for {options.seconds} s ...", flush=True)
            measured = with_options(options, max_seconds=options.seconds)
            result = run_load(group, workdir, "mixed", options.users, 10**6, measured, accounts, MIXED_LOAD)
        finally:
            for server in servers:
                server.stop()
        counts = run_helper(__file__, ["_count", "--accounts-out", str(accounts_file)], env, workdir)
    return {
        "servers": count,
        "workers_per_server": workers,
        "info": info,
        "counts": counts,
        **figures(result),
    }


def figures(result: dict) -> dict:
    duration = result["duration"]
    samples = {kind: values for kind, values in result["samples"].items() if kind != "mixed"}
    rows = {}
    for kind in KINDS:
        values = samples.get(kind, [])
        requests = result["requests"].get(kind, 0) if kind != "book_taken" else len(values)
        if kind == "book":
            requests -= len(samples.get("book_taken", []))  # a POST answered «taken» is counted under book_taken
        row = summarize(kind, values, duration) if values else {"step": kind, "n": 0}
        row.update(requests=requests, errors=result["errors_by_kind"].get(kind, 0), requests_per_s=requests / duration)
        rows[kind] = row
    everything = [value for values in samples.values() for value in values]
    total_requests = sum(result["requests"].values())
    overall = summarize("all", everything, duration) if everything else {"step": "all", "n": 0}
    overall.update(
        requests=total_requests,
        errors=sum(result["errors_by_kind"].values()),
        requests_per_s=total_requests / duration,
    )
    rows["all"] = overall
    other_errors = {k: v for k, v in result["errors_by_kind"].items() if k not in KINDS}
    return {
        "duration_s": duration,
        "rows": rows,
        "outcomes": result["outcomes"],
        "journeys": len(result["samples"].get("mixed", [])),
        "other_errors": other_errors,
        "error_messages": result["error_messages"],
        "server_cpu_s": result["server_cpu_seconds"],
        "load_cpu_s": result["load_cpu_seconds"],
        "other_cpus": result["other_cpus"],
    }


def fmt_ms(row: dict, key: str) -> str:
    return f"{row[key]:.1f}" if key in row else "-"


def report(results: list[dict], options) -> None:
    import eportal

    print()
    print(
        f"Mixed load: {options.users} virtual users, {options.seconds} s, PostgreSQL + Redis db {options.redis_db}, "
        f"gunicorn sync workers {options.workers_total} in all, {os.cpu_count()} CPUs shared by servers, "
        f"database, Redis and the load generator; eportal from {Path(eportal.__file__).resolve().parent}"
    )
    for result in results:
        outcomes = result["outcomes"]
        print()
        print(
            f"{result['servers']} server(s) x {result['workers_per_server']} workers: {result['journeys']} journeys, "
            f"{outcomes.get('logins', 0)} logins, {outcomes.get('booked', 0)} booked, "
            f"{outcomes.get('taken', 0)} taken by another, {outcomes.get('cancelled', 0)} cancelled, "
            f"{outcomes.get('no_free_time', 0)} weeks without a free time; server CPU {result['server_cpu_s']:.0f} s, "
            f"load generator {result['load_cpu_s']:.0f} s, other jobs {result['other_cpus']:.2f} CPUs"
        )
        print(f"  outcomes: {outcomes}")
        print(f"  {'request':<15}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
        for kind, row in result["rows"].items():
            print(
                f"  {kind:<15}{row['requests']:>9}{row['errors']:>8}{row['requests_per_s']:>8.1f}"
                f"{fmt_ms(row, 'p50_ms'):>9}{fmt_ms(row, 'p99_ms'):>9}"
            )
        if result["other_errors"]:
            print(f"  other errors: {result['other_errors']}")
        for message in result["error_messages"][:5]:
            print(f"  error: {message[:300]}")
        print(f"  after the run: {result['counts']}")
    print()
    print(f"  {'servers':<8}{'requests':>9}{'errors':>8}{'taken':>7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for result in results:
        row = result["rows"]["all"]
        print(
            f"  {result['servers']:<8}{row['requests']:>9}{row['errors']:>8}{result['outcomes'].get('taken', 0):>7}"
            f"{row['requests_per_s']:>8.1f}{fmt_ms(row, 'p50_ms'):>9}{fmt_ms(row, 'p99_ms'):>9}"
        )
    if options.json_out:
        Path(options.json_out).write_text(json.dumps({"options": vars(options), "results": results}, indent=1))


def main() -> None:
    if internal_command({"_setup": setup_command, "_count": count_command}, {"--users": 20}):
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180, help="measured load per configuration (default 180)")
    parser.add_argument("--users", type=int, default=20, help="virtual users (default 20)")
    parser.add_argument("--warm-up", type=float, default=10, help="seconds of mixed load before each run, not counted")
    parser.add_argument(
        "--workers-total",
        type=int,
        default=2 * (os.cpu_count() or 1) + 2,
        help="gunicorn sync workers in all: split over two servers, all on one (even; default 2 x CPUs + 2)",
    )
    parser.add_argument("--redis-db", type=int, default=13, help="Redis database number of the run (not 0)")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="server to create the benchmark databases on")
    parser.add_argument("--wait-quiet", type=float, default=60, help="wait up to this long for an idle machine")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (logs)")
    parser.add_argument("--json-out", help="write all figures to this file")
    options = parser.parse_args()
    if options.redis_db <= 0 or options.workers_total % 2:
        parser.error("--redis-db must not be 0, --workers-total must be even")
    # What auth_bench.py's helpers read from the options.
    import eportal

    options.database, options.pg_setting, options.worker_class, options.threads = "postgres", [], "sync", 1
    options.src_dir = str(Path(eportal.__file__).resolve().parent.parent)
    options.max_seconds = options.seconds
    if redis_db(options).dbsize():
        raise SystemExit(f"Redis database {options.redis_db} holds keys; choose another --redis-db")
    results = []
    try:
        for count in (2, 1):
            results.append(run_configuration(count, options))
    finally:
        with contextlib.suppress(Exception):
            redis_db(options).flushdb()
    report(results, options)


if __name__ == "__main__":
    sys.exit(main())
