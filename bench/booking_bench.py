"""Load benchmark of the appointment pages (free-slot page and «Mine timer») against a bare Django view.

    .venv/bin/python bench/booking_bench.py --commit HEAD                       # SQLite, data at 1x and 10x
    .venv/bin/python bench/booking_bench.py --commit HEAD --database postgres   # PostgreSQL (own db, dropped)

For each data scale S it makes a fresh database (as auth_bench.py does), migrates and builds, with
bulk inserts (set-up, not measured):

    clinic         the demo clinic's row; 15 S GPs (with a patient list) and 2 S nurses
    patients       20,000 S synthetic list patients spread over the GPs; a third of them with an account
                   (one Argon2 hash made once, stored on every account, as auth_bench.py)
    schedule       the demo appointment types and weekly schedule (eportal.demo.schedule), slots made
                   with eportal.booking.services.schedule.generate_slots from PAST_DAYS back to FUTURE_DAYS ahead
    appointments   200,000 S past appointments (12 % cancelled) in past slots; future slots booked with
                   a chance falling from 95 % tomorrow to 10 % at the end (8 % of them cancelled, at
                   most two active per patient), so the free-slot query must skip taken slots
    --users        benchmark patients, one per GP (GPs reused when there are fewer), each given 25-40 of
                   the past appointments (more with their share of the rest) and 1-2 future ones at least
                   3 days ahead, so «Mine timer» shows both lists, the earlier one cut at 20

Then it starts gunicorn as auth_bench.py does (bench/benchsite: production settings plus /bench/bare/),
logs each virtual user in ONCE through the real HTTP flow (password + SMS code) and reuses that
session for every measured request. Phases, each checked answer by answer (status, heading, the
number of free times or of appointments the database says the page must show):

    bare A         GET /bench/bare/ without a session (one query, one small template)
    bare session   GET /bench/bare/ with the user's session (what the logged-in middleware costs)
    free slots     GET /timer/bestill/<Vanlig konsultasjon>/?uke=<the week WEEKS_AHEAD weeks ahead>: that
                   week's free times with the own GP (the page shows one week at a time)
    Mine timer     GET /timer/ : coming appointments and the last 20 earlier ones
    bare B         as bare A

Reported per scale: p50, p99, requests/s, each as a ratio to bare (A and B pooled) in the same run,
and server CPU per request; then the 10x/1x ratios, raw and divided by bare's. The server runs with
EPORTAL_BOOKING_MAX_FUTURE=3, so that a user with two coming appointments still sees times (at the
limit the pages say so instead). After the load, with
the server stopped, one user's pages are rendered in-process to count their queries, time the
booking queries alone and show the database's plan for them (EXPLAIN), at each scale.
"""

import argparse
import datetime
import json
import random
import re
import statistics
import time
from pathlib import Path

from auth_bench import (
    ACCOUNT_SHARE,
    PASSWORD,
    _django,
    _extra_patients,
    common_arguments,
    internal_command,
    make_accounts,
    measured,
    page_rows,
    per_request_ms,
    print_other_cpus,
    print_rows,
    print_scaling,
    run_all_scales,
    run_helper,
    run_load,
    run_setup,
    scale_sections,
    scaling,
    start_server,
    workspace,
)

BENCH_DIR = Path(__file__).resolve().parent
BOOKING_LOAD = BENCH_DIR / "booking_load.py"
SEED = 20261126
GPS, NURSES, PATIENTS, PAST_APPOINTMENTS = 15, 2, 20_000, 200_000  # at 1x
# 12 months of the demo schedule hold far fewer than 200,000 past slots (17 a GP-day): the past reaches
# back 139 weeks, so that 88 % of the past appointments (the active ones) fill 86 % of the past slots.
PAST_DAYS = 7 * 139
FUTURE_DAYS = 7 * 13
CANCELLED_SHARE = 0.12
FUTURE_CANCELLED_SHARE = 0.08
BENCH_PAST = (25, 40)
PAGE_TYPE = "Vanlig konsultasjon"
# The free-time page shows one week; the benchmark asks for the week this many weeks ahead, where about
# half the GP's times are still free (a week's worth of links to render, not this week's few).
WEEKS_AHEAD = 8
MAX_FUTURE = "3"  # EPORTAL_BOOKING_MAX_FUTURE for the server: users have 1-2 coming appointments
REASONS = ["Kontroll", "Vondt i ryggen", "Resept", "Hoste og feber", "Sykmelding", "Blodtrykk", "Utslett", ""]
PAGES = {"slots": "free slots", "mine": "Mine timer", "bare_session": "bare, logged in"}


# --- inside the setup process (Django configured with benchsite.settings) -------------------------


def _practitioners(scale: int) -> None:
    from eportal.clinic.models import Clinic, Practitioner
    from eportal.demo.clinic import CLINIC

    Clinic.objects.update_or_create(pk=Clinic.SINGLETON_ID, defaults=CLINIC)
    Practitioner.objects.bulk_create(
        [
            Practitioner(
                first_name=f"Lege{i}" if role == "gp" else f"Sykepleier{i}",
                last_name="Benk",
                hpr_number=str(9_200_000 + i if role == "gp" else 9_300_000 + i),
                role=role,
                has_patient_list=role == "gp",
            )
            for role, count in (("gp", GPS * scale), ("nurse", NURSES * scale))
            for i in range(count)
        ]
    )


def _slots(today: datetime.date) -> float:
    """The demo's appointment types and weekly schedule (eportal.demo.schedule: TYPES, GP_DAY, NURSE_DAY) for
    every practitioner, and their slots from PAST_DAYS back to FUTURE_DAYS ahead, made by generate_slots
    4 weeks at a time (it holds one call's slots in memory)."""
    from eportal.booking.models import AppointmentType, WeeklySchedule
    from eportal.booking.services.schedule import generate_slots
    from eportal.clinic.models import Practitioner
    from eportal.demo.schedule import DESCRIPTIONS, GP_DAY, NURSE_DAY, TYPES

    started = time.perf_counter()
    AppointmentType.objects.bulk_create(
        [
            AppointmentType(
                name=name, duration_minutes=minutes, practitioner_role=role, bookable_online=online,
                reason_required=reason, position=10 * position, description=DESCRIPTIONS[name],
            )
            for position, (name, minutes, role, online, reason) in enumerate(TYPES, start=1)
        ]
    )  # fmt: skip
    types = dict(AppointmentType.objects.values_list("name", "pk"))
    WeeklySchedule.objects.bulk_create(
        [
            WeeklySchedule(
                practitioner=practitioner, weekday=weekday, starts=starts, ends=ends,
                appointment_type_id=types[name], online=online,
            )
            for practitioner in Practitioner.objects.all()
            for weekday in range(5)
            for starts, ends, name, online in (GP_DAY if practitioner.role == Practitioner.Role.GP else NURSE_DAY)
        ]
    )  # fmt: skip
    first = today - datetime.timedelta(days=PAST_DAYS)
    while first < today + datetime.timedelta(days=FUTURE_DAYS):
        days = min(28, (today + datetime.timedelta(days=FUTURE_DAYS) - first).days)
        generate_slots(first_day=first, days=days)
        first += datetime.timedelta(days=days)
    return time.perf_counter() - started


class Booker:
    """Appointments as (slot id, patient id, cancelled_at) rows, and whom they may be for."""

    def __init__(self, rng: random.Random):
        from eportal.clinic.models import ListPatient

        self.rng = rng
        self.by_gp: dict[int, list[int]] = {}
        for pk, gp_id in ListPatient.objects.values_list("pk", "gp_id"):
            self.by_gp.setdefault(gp_id, []).append(pk)
        self.everyone = [pk for pks in self.by_gp.values() for pk in pks]
        self.rows: list[tuple[int, int, datetime.datetime | None]] = []

    def patient_for(self, practitioner_id: int) -> int:
        """A patient of this GP; for a nurse's slot anyone on the list."""
        return self.rng.choice(self.by_gp.get(practitioner_id) or self.everyone)

    def save(self) -> None:
        from eportal.booking.models import Appointment

        rng = self.rng
        self.rows.sort(key=lambda row: row[0])  # in slot order, as booked over time (and index-friendly)
        for start in range(0, len(self.rows), 50_000):
            Appointment.objects.bulk_create(
                [
                    Appointment(slot_id=slot, patient_id=patient, reason=rng.choice(REASONS), cancelled_at=cancelled)
                    for slot, patient, cancelled in self.rows[start : start + 50_000]
                ],
                batch_size=5000,
            )
        self.rows = []


def _past_appointments(booker: Booker, now, total: int, bench: dict[int, list[list[int]]]) -> dict:
    """`total` past appointments: the active ones each in a past slot of its own, the cancelled ones in
    any past slots; benchmark patients (bench: GP id -> [[patient id, appointments wanted], ...]) get
    the first of their GP's."""
    from eportal.booking.models import Slot

    rng = booker.rng
    past = list(Slot.objects.filter(starts_at__lt=now).order_by("pk").values_list("pk", "practitioner_id", "starts_at"))
    rng.shuffle(past)
    cancelled = round(total * CANCELLED_SHARE)
    active = total - cancelled
    if active > len(past):
        raise SystemExit(f"{len(past)} past slots for {active} active past appointments")
    for slot, practitioner, _ in past[:active]:
        wanting = bench.get(practitioner)
        if wanting:
            booker.rows.append((slot, wanting[-1][0], None))
            wanting[-1][1] -= 1
            if not wanting[-1][1]:
                wanting.pop()
        else:
            booker.rows.append((slot, booker.patient_for(practitioner), None))
    for _ in range(cancelled):
        slot, practitioner, starts_at = rng.choice(past)
        booker.rows.append(
            (slot, booker.patient_for(practitioner), starts_at - datetime.timedelta(hours=rng.randint(2, 24 * 14)))
        )
    booker.save()
    return {"past_slots": len(past), "past_active": active, "past_cancelled": cancelled}


def _future_appointments(booker: Booker, now, bench_patients: list[tuple[int, int]]) -> dict:
    """Benchmark patients get 1-2 appointments with their GP at least 3 days ahead; then every future slot
    is booked with a chance that falls from 95 % to 10 % over FUTURE_DAYS (at most two active future
    appointments per patient, as the service allows), some of them cancelled again."""
    from eportal.booking.models import Slot

    rng = booker.rng
    future = list(
        Slot.objects.filter(starts_at__gt=now).order_by("starts_at").values_list("pk", "practitioner_id", "starts_at")
    )
    taken: set[int] = set()
    active_per_patient: dict[int, int] = {}
    later = now + datetime.timedelta(days=3)
    by_practitioner: dict[int, list[int]] = {}
    for slot, practitioner, starts_at in future:
        if starts_at > later:
            by_practitioner.setdefault(practitioner, []).append(slot)
    for patient, gp in bench_patients:
        for slot in rng.sample([s for s in by_practitioner[gp] if s not in taken], rng.randint(1, 2)):
            taken.add(slot)
            booker.rows.append((slot, patient, None))
            active_per_patient[patient] = active_per_patient.get(patient, 0) + 1
    bench_ids = {patient for patient, _ in bench_patients}
    cancelled = 0
    for slot, practitioner, starts_at in future:
        chance = 0.95 - 0.85 * min(1.0, (starts_at - now) / datetime.timedelta(days=FUTURE_DAYS))
        if slot in taken or rng.random() >= chance:
            continue
        for _ in range(5):
            patient = booker.patient_for(practitioner)
            if patient not in bench_ids and active_per_patient.get(patient, 0) < 2:
                break
        else:
            continue
        if rng.random() < FUTURE_CANCELLED_SHARE:
            booker.rows.append((slot, patient, now - datetime.timedelta(hours=rng.randint(1, 24 * 14))))
            cancelled += 1
        else:
            booker.rows.append((slot, patient, None))
            active_per_patient[patient] = active_per_patient.get(patient, 0) + 1
    booked = len(booker.rows)
    booker.save()
    return {"future_slots": len(future), "future_active": booked - cancelled, "future_cancelled": cancelled}


def _bench_patients(rng: random.Random, users: int) -> list[tuple[int, int]]:
    """(patient id, GP id) for each virtual user: a GP each, in random order, reused if there are fewer."""
    from eportal.clinic.models import ListPatient, Practitioner

    gps = list(Practitioner.objects.filter(has_patient_list=True).order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(gps, min(users, len(gps)))
    found = []
    for index in range(users):
        gp = chosen[index % len(chosen)]
        pks = list(ListPatient.objects.filter(gp_id=gp).order_by("pk").values_list("pk", flat=True))
        patient = rng.choice([pk for pk in pks if pk not in {p for p, _ in found}])
        found.append((patient, gp))
    return found


def _expected_pages(bench_patients: list[tuple[int, int]], now) -> list[dict]:
    """What each benchmark patient's pages must show: the free-slot page's number of free times in the
    week WEEKS_AHEAD weeks ahead (some, well ahead, so none begins during the run), and Mine timer's lists."""
    from django.utils import timezone

    from eportal.booking.models import Appointment, AppointmentType
    from eportal.booking.selectors import free_online_slots, free_slots_in_week
    from eportal.clinic.models import ListPatient

    page_type = AppointmentType.objects.get(name=PAGE_TYPE)
    type_id = page_type.pk
    day = timezone.localdate(now) + datetime.timedelta(weeks=WEEKS_AHEAD)
    monday = day - datetime.timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    found = []
    for patient_id, gp in bench_patients:
        patient = ListPatient.objects.get(pk=patient_id)
        shown = len(free_slots_in_week(patient=patient, appointment_type=page_type, monday=monday))
        free = free_online_slots(patient=patient, appointment_type=page_type, limit=None).count()
        if shown < 10:
            raise SystemExit(f"GP {gp} has only {shown} free times online in week {week}; the benchmark wants 10")
        mine = Appointment.objects.filter(patient_id=patient_id)
        found.append(
            {
                "national_id": patient.national_id,
                "mobile": patient.mobile,
                "password": PASSWORD,
                "type_id": type_id,
                "slots_path": f"/timer/bestill/{type_id}/?uke={year}-W{week:02d}",
                "free_slots": shown,
                "free_in_all": free,
                "future": mine.filter(slot__starts_at__gt=now).count(),
                "past": min(20, mine.filter(slot__starts_at__lte=now).count()),
                "past_in_all": mine.filter(slot__starts_at__lte=now).count(),
            }
        )
    return found


def setup_command(options) -> None:
    _django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    import eportal
    from eportal.accounts.models import User
    from eportal.booking.models import Appointment, Slot
    from eportal.clinic.models import ListPatient, Practitioner

    rng = random.Random(SEED + options.scale)
    times = {}
    started = t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # this connection only: a page cache big enough for the bulk inserts
            cursor.execute("PRAGMA cache_size = -1000000")
    times["migrate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _practitioners(options.scale)
    _extra_patients(PATIENTS * options.scale, SEED + options.scale)
    times["patients"] = time.perf_counter() - t0
    now = timezone.now()
    times["slots"] = _slots(timezone.localdate(now))

    t0 = time.perf_counter()
    bench_patients = _bench_patients(rng, options.users)
    wanted: dict[int, list[list[int]]] = {}
    for patient, gp in bench_patients:
        wanted.setdefault(gp, []).append([patient, rng.randint(*BENCH_PAST)])
    booker = Booker(rng)
    counts = _past_appointments(booker, now, PAST_APPOINTMENTS * options.scale, wanted)
    counts |= _future_appointments(booker, now, bench_patients)
    times["appointments"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    bench_ids = {patient for patient, _ in bench_patients}
    holders = list(ListPatient.objects.order_by("pk").values_list("pk", "national_id", "email"))
    holders = [h for h in rng.sample(holders, len(holders) // ACCOUNT_SHARE) if h[0] not in bench_ids]
    holders += ListPatient.objects.filter(pk__in=bench_ids).values_list("pk", "national_id", "email")
    hashing = make_accounts([(national_id, email) for _, national_id, email in holders])
    times["accounts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load; done now so the figures do not depend on when it runs.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:  # leave no big write-ahead log to the server; no ANALYZE (as live)
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    times["vacuum_analyze" if connection.vendor == "postgresql" else "checkpoint"] = time.perf_counter() - t0
    accounts = _expected_pages(bench_patients, timezone.now())
    Path(options.accounts_out).write_text(json.dumps(accounts))
    info = {
        "eportal": str(Path(eportal.__file__).resolve().parent),
        "database": connection.vendor,
        "gps": Practitioner.objects.filter(has_patient_list=True).count(),
        "nurses": Practitioner.objects.filter(role="nurse").count(),
        "list_patients": ListPatient.objects.count(),
        "accounts": User.objects.filter(national_id__isnull=False).count(),
        "slots": Slot.objects.count(),
        "first_slot": str(timezone.localdate(Slot.objects.order_by("starts_at").first().starts_at)),
        "last_slot": str(timezone.localdate(Slot.objects.order_by("starts_at").last().starts_at)),
        "appointments": Appointment.objects.count(),
        **counts,
        "bench_free_times": [a["free_in_all"] for a in accounts],
        "bench_week_free_times": [a["free_slots"] for a in accounts],
        "bench_past": [a["past_in_all"] for a in accounts],
        "bench_future": [a["future"] for a in accounts],
        **hashing,
        "setup_seconds_by_step": {k: round(v, 1) for k, v in times.items()},
        "setup_seconds": time.perf_counter() - started,
    }
    print(json.dumps(info))


def count_command(_options) -> None:
    _django()
    from eportal.accounts.models import AccountSession
    from eportal.booking.models import Appointment

    print(json.dumps({"account_sessions": AccountSession.objects.count(), "appointments": Appointment.objects.count()}))


def _plan(cursor, vendor: str, sql: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]
    cursor.execute("EXPLAIN QUERY PLAN " + sql)
    return [row[-1] for row in cursor.fetchall()]


def explain_command(options) -> None:
    """One benchmark user's pages rendered in-process (its session from the load run): queries per page,
    and for each query on the booking tables its time alone (median of 20) and the database's plan."""
    _django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    account = json.loads(Path(options.accounts_out).read_text())[0]
    client = Client(SERVER_NAME="127.0.0.1")
    for name, value in account["cookies"].items():
        client.cookies[name] = value
    found = {}
    for page, path in (("slots", account["slots_path"]), ("mine", "/timer/")):
        client.get(path)  # the first request may do once-a-minute work (the session's last-seen time)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        queries = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.startswith("SELECT") or "booking_" not in sql:
                    continue
                runs = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    runs.append(time.perf_counter() - t0)
                table = re.search(r'FROM "(\w+)"', sql).group(1)
                limit = re.search(r"LIMIT (\d+)$", sql)
                queries.append(
                    {
                        "label": table.removeprefix("booking_") + (f" limit {limit.group(1)}" if limit else ""),
                        "sql": sql,
                        "ms": statistics.median(runs) * 1000,
                        "plan": _plan(cursor, connection.vendor, sql),
                    }
                )
        found[page] = {"queries": len(captured.captured_queries), "booking_queries": queries}
    found["session_cookie"] = settings.SESSION_COOKIE_NAME
    if connection.vendor == "postgresql":  # what the app's connections run with (see --pg-setting)
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            found["max_parallel_workers_per_gather"] = cursor.fetchone()[0]
    print(json.dumps(found))


# --- the orchestrating process --------------------------------------------------------------------


def run_scale(scale: int, options) -> dict:
    with workspace("booking", scale, options) as (workdir, env, pg_name):
        env["EPORTAL_BOOKING_MAX_FUTURE"] = MAX_FUTURE
        accounts_file = workdir / "accounts.json"
        info = run_setup(
            __file__,
            scale,
            ["--users", str(options.users), "--accounts-out", str(accounts_file)],
            env,
            workdir,
            options,
        )
        accounts = json.loads(accounts_file.read_text())
        server = start_server(env, workdir, options, pg_name, scale)
        try:
            run_load(server, workdir, "bare", options.workers * 2, 10, options)  # warm-up
            login = run_load(server, workdir, "login", options.users, 1, options, accounts, BOOKING_LOAD)
            for index, account in enumerate(accounts):
                account["cookies"] = login["sessions"][str(index)]
            for page in PAGES:  # warm-up: every worker's first render of each page
                run_load(server, workdir, page, options.users, 2, options, accounts, BOOKING_LOAD)
            page_phase = {"per_user": options.pages_per_user, "accounts": accounts, "script": BOOKING_LOAD}
            phases = {
                "bare_a": measured(server, workdir, "bare", options),
                "bare_session": measured(server, workdir, "bare_session", options, **page_phase),
                "slots": measured(server, workdir, "slots", options, **page_phase),
                "mine": measured(server, workdir, "mine", options, **page_phase),
                "bare_b": measured(server, workdir, "bare", options),
            }
        finally:
            server.stop()
        counts = run_helper(__file__, ["_count"], env, workdir)
        accounts_file.write_text(json.dumps(accounts))
        explained = run_helper(__file__, ["_explain", "--accounts-out", str(accounts_file)], env, workdir)

    # One session per user, made at the login; none lost (a logged-out user would have failed the checks).
    if counts["account_sessions"] != options.users or counts["appointments"] != info["appointments"]:
        raise RuntimeError(f"after the run: {counts}; expected {options.users} sessions, {info['appointments']} appts")
    rows, cpu, bare = page_rows(phases, PAGES)
    return {
        "scale": scale,
        "info": info,
        "counts": counts,
        "rows": rows,
        "server_cpu_ms": cpu,
        "load_cpu_ms": per_request_ms(bare, "load", rows["bare"]["n"]),
        "explain": explained,
        "other_cpus": {name: phase["other_cpus"] for name, phase in phases.items()},
        "attempts": {name: phase["attempts"] for name, phase in phases.items()},
    }


def describe_data(info: dict) -> str:
    return (
        f"{info['gps']} GPs, {info['nurses']} nurses, {info['list_patients']} list patients, {info['slots']} slots "
        f"({info['first_slot']} to {info['last_slot']}), {info['appointments']} appointments ({info['past_active']}"
        f" + {info['past_cancelled']} cancelled past, {info['future_active']} + {info['future_cancelled']} cancelled"
        f" future); set-up {info['setup_seconds']:.0f} s {info['setup_seconds_by_step']}"
    )


def report(results: list[dict], options) -> None:
    for result, info, rows in scale_sections(results, options, "Appointment pages load benchmark"):
        print(f"x{result['scale']}: {describe_data(info)}")
        print_rows(rows, ("bare", "bare_a", "bare_b", *PAGES), throughput_ratio=True)
        cpu = result["server_cpu_ms"]
        print("  server CPU per request: " + ", ".join(f"{key} {ms:.1f} ms" for key, ms in cpu.items()))
        print_other_cpus(result)
        if "max_parallel_workers_per_gather" in result["explain"]:
            print(f"  max_parallel_workers_per_gather: {result['explain']['max_parallel_workers_per_gather']}")
        for page in ("slots", "mine"):
            explained = result["explain"][page]
            timings = ", ".join(f"{q['label']} {q['ms']:.2f} ms" for q in explained["booking_queries"])
            print(f"  {PAGES[page]}: {explained['queries']} queries per page; booking queries alone: {timings}")
    print_scaling(results, ("bare", *PAGES), throughput=True)
    if len(results) >= 2:
        low, high = results[0], results[-1]
        print("  server CPU per request: " + ", ".join(
            f"{key} {high['server_cpu_ms'][key] / low['server_cpu_ms'][key]:.2f}" for key in ("bare", *PAGES)
        ))  # fmt: skip
        for page in ("slots", "mine"):
            pairs = zip(low["explain"][page]["booking_queries"], high["explain"][page]["booking_queries"], strict=False)
            ratios = ", ".join(f"{a['label']} {b['ms'] / a['ms']:.2f}" for a, b in pairs)
            print(f"  {PAGES[page]}, booking queries alone: {ratios}")
    for result in results:
        for page in ("slots", "mine"):
            print()
            print(f"x{result['scale']} {PAGES[page]}: plans of the booking queries ({result['info']['database']})")
            for query in result["explain"][page]["booking_queries"]:
                print(f"  {query['ms']:.2f} ms  ...{query['sql'][query['sql'].index(' FROM ') :][:600]}")
                for line in query["plan"]:
                    print(f"      {line}")
    if options.json_out:
        summary = {"options": vars(options), "results": results, "scaling": scaling(results, ("bare", *PAGES))}
        Path(options.json_out).write_text(json.dumps(summary, indent=1, default=str))


def main() -> None:
    if internal_command(
        {"_setup": setup_command, "_count": count_command, "_explain": explain_command}, {"--users": 20}
    ):
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--pages-per-user", type=int, default=50, help="requests per user in each page phase")
    options = parser.parse_args()
    run_all_scales(options, run_scale, report)


if __name__ == "__main__":
    main()
