"""Load benchmark of the patient login (password step, then SMS code step) and of the «Hjelp til innlogging»
reset request against a bare Django view.

    .venv/bin/python bench/auth_bench.py                       # SQLite, data at 1x and 10x
    .venv/bin/python bench/auth_bench.py --database postgres   # PostgreSQL on 127.0.0.1:5432 (own db, dropped)

For each data scale (default 1x and 10x the demo clinic) it makes a fresh database, migrates, seeds the
demo clinic (about 6,000 list patients), adds (scale - 1) x as many synthetic list patients, gives a third
of the list an active account (Argon2 hash made once with Django's real hasher, stored on every account),
starts gunicorn on a free port of 127.0.0.1 with bench/benchsite/settings.py (eportal's production
settings; see that file for what differs), and runs bench/auth_load.py in a second process:

    warm-up    a few bare requests and logins (not counted)
    bare A     --users virtual users x --bare-per-user GET /bench/bare/ (one query, one small template)
    login      --users virtual users x --logins-per-user logins: GET login page, POST password, POST code
    code       the code step alone (the password steps done first, not counted)
    reset      --users virtual users x --resets-per-user POST /hjelp-til-innlogging/ (after one GET per user
               for the CSRF token), alternately for a list patient with an active account and for a valid
               synthetic number that is on no list; every number is asked for once, every POST comes from
               a client address of its own (X-Forwarded-For; the bench settings trust a proxy), so the
               throttles are counted and checked on every request but none of them trips
    bare B     as bare A, to see whether the server drifted during the run

Every login uses an account of its own. The load generator checks each answer (302 to /logg-inn/kode/,
302 to /min-side/ with a new session cookie; 200 «Sjekk e-posten din» for a reset request), so the run
fails rather than timing error pages; after the run, the database must hold one session per code used and
exactly one queued e-mail job per reset request (with the asked-for account, or none for unknown numbers).
Reported per scale: p50, p99 and throughput for bare (A and B pooled), password step, code step and the
reset request (with an account and for an unknown number apart), each step's p50/p99 as a ratio to bare's
in the same run, the server's CPU per request, and reset(account)/reset(unknown) (the answer should cost
the same). Then the 10x/1x ratios, raw and divided by the bare ratio (the two scales are two server runs;
the machine's 2 cores are shared by server and load generator, so only ratios from one run are solid).

Everything it starts (gunicorn, the load generator, the temporary directory, the PostgreSQL database)
is stopped or removed at the end, also on errors and Ctrl+C.
"""

import argparse
import base64
import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
PYTHON = sys.executable
PASSWORD = "lang nok setning"  # noqa: S105 - the benchmark accounts' password
ACCOUNT_SHARE = 3  # one list patient in ACCOUNT_SHARE has an account
SEED = 20261125
WARM_UP_LOGINS_PER_WORKER = 2
WARM_UP_RESETS_PER_WORKER = 2
RESETS_FILE = "resets.json"  # written by the set-up next to --accounts-out; read by _count in the same folder
RESET_KINDS = ("account", "unknown")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


# --- inside the setup process (Django configured with benchsite.settings) -------------------------


def _django():
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite.settings"
    sys.path.insert(0, str(BENCH_DIR))
    import django

    from eportal.i18n import compile_catalogues

    compile_catalogues()
    django.setup()


def _extra_patients(count: int, seed: int):
    import datetime
    import random

    from eportal.clinic.models import ListPatient, Practitioner
    from eportal.identity.mobile import InvalidMobile, parse_mobile
    from eportal.identity.synthetic import random_birth_date, synthetic_national_id

    rng = random.Random(seed)
    ids = set(ListPatient.objects.values_list("national_id", flat=True))
    mobiles = set(ListPatient.objects.values_list("mobile", flat=True))
    gps = list(Practitioner.objects.filter(has_patient_list=True))
    today = datetime.date(2026, 1, 1)
    batch = []
    made = 0
    while made < count:
        born = random_birth_date(rng, min_age=19, max_age=92, today=today)
        number = synthetic_national_id(born, rng=rng)
        if number in ids:
            continue
        while True:
            try:
                mobile = parse_mobile(f"{rng.choice('49')}{rng.randrange(10_000_000):07d}")
            except InvalidMobile:
                continue
            if mobile not in mobiles:
                break
        ids.add(number)
        mobiles.add(mobile)
        batch.append(
            ListPatient(
                national_id=number,
                first_name=f"Bench{made}",
                last_name="Lasttest",
                gp=rng.choice(gps),
                mobile=mobile,
                email=f"bench{made}@example.com",
                on_list_from=datetime.date(2020, 1, 1),
            )
        )
        made += 1
        if len(batch) == 5000:
            ListPatient.objects.bulk_create(batch)
            batch = []
    ListPatient.objects.bulk_create(batch)


def _unknown_numbers(count: int, seed: int) -> list[str]:
    """Valid synthetic fødselsnummer (adults, as the list's) of nobody on the list and with no account."""
    import datetime
    import random

    from eportal.accounts.models import User
    from eportal.clinic.models import ListPatient
    from eportal.identity.synthetic import random_birth_date, synthetic_national_id

    rng = random.Random(seed)
    taken = set(ListPatient.objects.values_list("national_id", flat=True))
    taken |= set(User.objects.exclude(national_id=None).values_list("national_id", flat=True))
    found = []
    while len(found) < count:
        born = random_birth_date(rng, min_age=19, max_age=92, today=datetime.date(2026, 1, 1))
        number = synthetic_national_id(born, rng=rng)
        if number not in taken:
            taken.add(number)
            found.append(number)
    return found


def reset_jobs() -> dict:
    """The queued reset e-mail jobs: {"<national_id>": count} for those with an account, "": count without."""
    from django_tasks_db.models import DBTaskResult

    from eportal.accounts.models import User
    from eportal.accounts.services.account_mail import RESET, send_account_email

    user_ids = []
    for args_kwargs in DBTaskResult.objects.filter(task_path=send_account_email.module_path).values_list(
        "args_kwargs", flat=True
    ):
        kwargs = args_kwargs["kwargs"]
        if kwargs["kind"] == RESET:
            user_ids.append(kwargs["user_id"])
    numbers = dict(User.objects.filter(pk__in=[pk for pk in user_ids if pk]).values_list("pk", "national_id"))
    found = {}
    for pk in user_ids:
        key = numbers.get(pk, f"?{pk}") if pk else ""
        found[key] = found.get(key, 0) + 1
    return found


def make_accounts(holders: list[tuple[str, str]]) -> dict:
    """Active accounts (consent given) for these (national_id, email) list patients, all with one
    password hash made once with the configured hasher (checking it costs what it costs with a salt of
    its own). Returns the hasher and its timings in this process, without load."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher, make_password
    from django.utils import timezone

    from eportal.accounts.models import User

    hasher = get_hasher()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        encoded = make_password(PASSWORD)
        times.append(time.perf_counter() - t0)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(5):
        hasher.verify(PASSWORD, encoded)
    verify_wall, verify_cpu = (time.perf_counter() - t0) / 5, (time.process_time() - cpu0) / 5

    now = timezone.now()
    User.objects.bulk_create(
        [
            User(
                username=national_id,
                national_id=national_id,
                email=email or f"{national_id}@example.com",
                password=encoded,
                is_active=True,
                consent_version=settings.EPORTAL_CONSENT_VERSION,
                consent_given_at=now,
            )
            for national_id, email in holders
        ],
        batch_size=2000,
    )
    return {
        "hasher": hasher.algorithm,
        "hash_wall_ms": statistics.median(times) * 1000,
        "verify_wall_ms": verify_wall * 1000,
        "verify_cpu_ms": verify_cpu * 1000,
    }


def setup_command(options) -> None:
    """Fresh data for one scale; writes the accounts the load generator logs in with."""
    import random

    _django()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from eportal.accounts.models import User
    from eportal.clinic.models import Guardianship, ListPatient
    from eportal.demo.clinic import seed_demo_clinic

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    base = seed_demo_clinic()["patients"]
    if options.scale > 1:
        _extra_patients(base * (options.scale - 1), SEED + options.scale)
    patients = ListPatient.objects.count()

    # Account holders: adults whose mobile is theirs alone (so the SMS file is theirs) and who are
    # nobody's child in the registry (so their registered mobile is their own).
    shared = set(
        ListPatient.objects.values("mobile").annotate(n=Count("id")).filter(n__gt=1).values_list("mobile", flat=True)
    )
    children = set(Guardianship.objects.values_list("child_id", flat=True))
    holders = [
        (pk, national_id, mobile, email)
        for pk, national_id, mobile, email in ListPatient.objects.order_by("pk").values_list(
            "pk", "national_id", "mobile", "email"
        )
        if mobile and mobile not in shared and pk not in children
    ]
    rng = random.Random(SEED + options.scale)
    # A third of the list has an account, or more if the run needs more logins and resets (each uses a
    # fresh account).
    needed = options.logins + options.resets
    holders = rng.sample(holders, min(len(holders), max(patients // ACCOUNT_SHARE, needed)))
    if len(holders) < needed:
        raise SystemExit(f"only {len(holders)} possible account holders for {options.logins} logins and resets")

    hashing = make_accounts([(national_id, email) for _, national_id, _, email in holders])
    login_holders = rng.sample(holders, options.logins)
    login_accounts = [
        {"national_id": national_id, "mobile": mobile, "password": PASSWORD}
        for _, national_id, mobile, _ in login_holders
    ]
    Path(options.accounts_out).write_text(json.dumps(login_accounts))
    # Reset requests: as many list patients with an active account (none of those that log in) as valid
    # synthetic numbers that are on no list and have no account; each is asked for once.
    others = sorted(set(holders) - set(login_holders))
    resets = {
        "account": [national_id for _, national_id, _, _ in rng.sample(others, options.resets)],
        "unknown": _unknown_numbers(options.resets, SEED + 1000 + options.scale),
    }
    Path(options.accounts_out).with_name(RESETS_FILE).write_text(json.dumps(resets))
    import eportal

    info = {
        "eportal": str(Path(eportal.__file__).resolve().parent),
        "database": connection.vendor,
        "list_patients": patients,
        "accounts": User.objects.filter(national_id__isnull=False).count(),
        **hashing,
        "reset_jobs_before": sum(reset_jobs().values()),
        "setup_seconds": time.perf_counter() - started,
    }
    print(json.dumps(info))


def count_command(_options) -> None:
    _django()
    jobs = reset_jobs()
    asked = set(json.loads(Path(RESETS_FILE).read_text())["account"]) if Path(RESETS_FILE).exists() else set()
    from django.contrib.sessions.models import Session

    from eportal.accounts.models import AccountSession, OneTimeCode
    from eportal.audit.models import AuditEvent
    from eportal.notifications.models import SmsLedgerEntry

    print(
        json.dumps(
            {
                "account_sessions": AccountSession.objects.count(),
                "codes_used": OneTimeCode.objects.filter(closed_at__isnull=False).count(),
                "sms_sent": SmsLedgerEntry.objects.filter(status="sent").count(),
                "sessions": Session.objects.count(),
                "audit_events": AuditEvent.objects.count(),
                "reset_jobs_unknown": jobs.get("", 0),
                "reset_jobs_account": sum(n for key, n in jobs.items() if key),
                "reset_jobs_accounts": sum(1 for key in jobs if key),
                "reset_jobs_repeated": sum(1 for key, n in jobs.items() if key and n > 1),
                "reset_jobs_not_asked": sum(1 for key in jobs if key and key not in asked),
            }
        )
    )


# --- the orchestrating process --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (fields 3 on: state, ppid, ...), or None if it has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def process_cpu_seconds(pids: list[int], parents: list[int] = ()) -> dict[int, float]:
    """CPU time (user + system, all threads) of each of these processes that still runs, and under -PID
    for each of `parents` the CPU time of its children that ended (and were reaped) so far."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    for pid in parents:
        fields = _stat_fields(pid)
        if fields is not None:
            found[-pid] = (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots. A process that ended meanwhile is counted through its parent's
    ended-children time (key -parent, which then holds all the CPU it ever used), less what it had used
    at the first snapshot; so a snapshot must cover the parents of the processes in it."""
    ended = sum(seconds for pid, seconds in before.items() if pid > 0 and pid not in after)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()) - ended


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine used so far (from /proc/stat), to see what others used."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_quiet(options, label: str) -> None:
    """Wait (at most --wait-quiet seconds) until the rest of the machine uses less than 0.25 CPU,
    since other jobs on the same 2 cores skew a phase. The server is idle here."""
    deadline = time.monotonic() + options.wait_quiet
    while True:
        before = machine_busy_seconds()
        time.sleep(2)
        busy = (machine_busy_seconds() - before) / 2
        if busy < 0.25:
            return
        if time.monotonic() > deadline:
            print(f"  note: machine still busy ({busy:.2f} CPUs) before {label}; going on", flush=True)
            return


def database_backends(name: str) -> list[int]:
    """PostgreSQL backend processes connected to database `name` (their title is "postgres: ... name ...")."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if title.startswith("postgres: ") and f" {name} " in title:
            found.append(int(cmdline.parent.name))
    return found


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(int(stat.parent.name))
        if fields is not None and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def postmaster() -> int | None:
    """The PostgreSQL server's main process: the parent of its helper processes ("postgres: ...")."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = _stat_fields(int(cmdline.parent.name)) if title.startswith("postgres: ") else None
        if fields is not None:
            return int(fields[1])
    return None


class Server:
    """gunicorn in its own process group, so that stopping it stops its workers too."""

    def __init__(self, env: dict, workdir: Path, options, pg_name: str | None = None):
        self.pg_name = pg_name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            PYTHON, "-m", "gunicorn", "eportal.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(options.workers),
            "--worker-class", options.worker_class,
            "--timeout", "300",
            "--access-logfile", str(workdir / "access.log"),
            "--error-logfile", str(workdir / "gunicorn.log"),
        ]  # fmt: skip
        if options.worker_class == "gthread":
            command += ["--threads", str(options.threads)]
        self.log = (workdir / "server-output.log").open("w")
        self.process = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.pids = [self.process.pid]

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/bench/bare/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        self.pids = [self.process.pid, *children_of(self.process.pid)]
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def cpu_snapshot(self) -> dict[int, float]:
        """The app server's CPU time, and with PostgreSQL also that of the backends serving its database
        (SQLite works inside the app processes; a local PostgreSQL would otherwise count as "other jobs").
        Processes that end between two snapshots are counted through their parent: gunicorn's workers,
        and PostgreSQL's backends and parallel workers (short-lived; their titles do not name the database,
        so backends of other databases that end during a phase are counted too)."""
        if not self.pg_name:
            return process_cpu_seconds(self.pids, [self.process.pid])
        parents = [self.process.pid, *filter(None, [postmaster()])]
        return process_cpu_seconds(self.pids + database_backends(self.pg_name), parents)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # any worker left behind in the group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


AUTH_LOAD = BENCH_DIR / "auth_load.py"
# The samples that count one completed round of a phase, where they are not named like the phase.
DONE_SAMPLE = {"login": "code_step", "code": "code_only", "reset": ("reset_account", "reset_unknown")}


def run_load(
    server: Server, workdir: Path, phase: str, users: int, per_user: int, options, accounts=None, script=AUTH_LOAD
) -> dict:
    """One load phase: the load generator `script` (auth_load.py or one built on it) in a process of its
    own, with the server's CPU and what the rest of the machine used meanwhile."""
    out = workdir / f"load-{phase}-{time.monotonic_ns()}.json"
    command = [
        PYTHON, str(script), "--base-url", server.url, "--phase", phase,
        "--users", str(users), "--per-user", str(per_user), "--max-seconds", str(options.max_seconds),
        "--sms-dir", str(workdir / "sms"), "--out", str(out),
    ]  # fmt: skip
    if accounts is not None:
        accounts_file = workdir / f"accounts-{time.monotonic_ns()}.json"
        accounts_file.write_text(json.dumps(accounts))
        command += ["--accounts", str(accounts_file)]
    cpu_before, machine_before, wall_before = server.cpu_snapshot(), machine_busy_seconds(), time.perf_counter()
    process = subprocess.Popen(command, start_new_session=True)
    try:
        process.wait(timeout=options.max_seconds * 2 + 180)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"load generator for {phase} did not stop") from None
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    result = json.loads(out.read_text())
    result["server_cpu_seconds"] = cpu_used(cpu_before, server.cpu_snapshot())
    # What the rest of the machine (other people's jobs) used meanwhile, in CPUs on average.
    others = machine_busy_seconds() - machine_before - result["server_cpu_seconds"] - result["load_cpu_seconds"]
    result["other_cpus"] = max(0.0, others) / (time.perf_counter() - wall_before)
    if result["errors"] or result["stragglers"]:
        raise RuntimeError(f"{phase}: {len(result['errors'])} errors, e.g. {result['errors'][:3]}")
    done_samples = DONE_SAMPLE.get(phase, phase)
    done_samples = (done_samples,) if isinstance(done_samples, str) else done_samples
    result["done"] = sum(len(result["samples"].get(name, [])) for name in done_samples)
    if result["done"] < users * per_user:
        print(f"  note: {phase} stopped at --max-seconds after {result['done']} of {users * per_user}", flush=True)
    return result


class AccountPool:
    def __init__(self, accounts: list):
        self.accounts, self.next = accounts, 0

    def take(self, count: int) -> list:
        if self.next + count > len(self.accounts):
            raise RuntimeError("out of benchmark accounts")
        self.next += count
        return self.accounts[self.next - count : self.next]


def client_address(index: int) -> str:
    """The index-th client address of a run (10.0.0.1 on): one per reset request, never used twice."""
    index += 1
    return f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"


class ResetPool:
    """Reset requests for the load generator, each number and each client address used once: per virtual
    user of `per_user` rounds, account and unknown numbers alternately (every other user starts with an
    unknown one), so both kinds meet the same load."""

    def __init__(self, numbers: dict[str, list[str]], per_user: int):
        self.pools = {kind: AccountPool(numbers[kind]) for kind in RESET_KINDS}
        self.per_user, self.addresses = per_user, 0

    def take(self, count: int, per_user: int | None = None) -> list:
        per_user = per_user or self.per_user
        if count % 2 or per_user % 2:
            raise ValueError("reset requests come in pairs (one with an account, one for an unknown number)")
        numbers = {kind: iter(pool.take(count // 2)) for kind, pool in self.pools.items()}
        entries = []
        for index in range(count):
            user, round_ = divmod(index, per_user)
            kind = RESET_KINDS[(round_ + user) % 2]
            entries.append({"national_id": next(numbers[kind]), "kind": kind, "ip": client_address(self.addresses)})
            self.addresses += 1
        return entries


def measured(server, workdir, phase, options, pool=None, *, per_user=None, accounts=None, script=AUTH_LOAD) -> dict:
    """One measured phase, repeated (at most --retries times) while other jobs on the machine used more
    than --max-other-cpus CPUs during it. Each attempt takes fresh accounts from `pool` if given, else
    uses `accounts`."""
    if per_user is None:
        per_user = options.bare_per_user if phase == "bare" else options.logins_per_user
    earlier = None
    for attempt in range(options.retries + 1):
        wait_quiet(options, phase)
        if pool is not None:
            accounts = pool.take(options.users * per_user)
        result = run_load(server, workdir, phase, options.users, per_user, options, accounts, script)
        result["attempts"] = attempt + 1
        # Every attempt's completed requests per sample name, for checks of what the database holds afterwards.
        counts = {name: len(values) for name, values in result["samples"].items()}
        result["attempt_counts"] = [*(earlier or []), counts]
        earlier = result["attempt_counts"]
        if result["other_cpus"] <= options.max_other_cpus:
            return result
        print(f"  {phase}: other jobs used {result['other_cpus']:.2f} CPUs meanwhile", flush=True)
    print(f"  {phase}: kept the last attempt although the machine was busy", flush=True)
    return result


def summarize(name: str, values: list[float], duration: float) -> dict:
    return {
        "step": name,
        "n": len(values),
        "p50_ms": percentile(values, 50) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "mean_ms": statistics.fmean(values) * 1000,
        "throughput_per_s": len(values) / duration,
    }


def bare_rows(bare_a: dict, bare_b: dict) -> dict:
    """The yardstick: bare A and B pooled (key "bare"), and each alone."""
    values = bare_a["samples"]["bare"] + bare_b["samples"]["bare"]
    return {
        "bare": summarize("bare", values, bare_a["duration"] + bare_b["duration"]),
        "bare_a": summarize("bare (A, first)", bare_a["samples"]["bare"], bare_a["duration"]),
        "bare_b": summarize("bare (B, last)", bare_b["samples"]["bare"], bare_b["duration"]),
    }


def page_rows(phases: dict, pages: dict) -> tuple[dict, dict, list]:
    """A run's rows: the bare views pooled (bare_a, bare_b) and each page's, with the server's CPU per request of
    each page and of the bare view; and the bare phases, for what else is reckoned against them."""
    rows = bare_rows(phases["bare_a"], phases["bare_b"])
    for key, name in pages.items():
        rows[key] = summarize(name, phases[key]["samples"][key], phases[key]["duration"])
    bare = [phases["bare_a"], phases["bare_b"]]
    cpu = {key: per_request_ms([phases[key]], "server") for key in pages}
    cpu["bare"] = per_request_ms(bare, "server", rows["bare"]["n"])
    return rows, cpu, bare


def per_request_ms(phases: list[dict], what: str, count: int | None = None) -> float:
    """CPU (`what`: "server" or "load") per completed round of these phases, in ms."""
    count = count if count is not None else sum(phase["done"] for phase in phases)
    return sum(phase[f"{what}_cpu_seconds"] for phase in phases) / count * 1000


def create_pg_database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name} exists already; refusing to use it")
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def workspace(name: str, scale: int, options):
    """A temporary folder, the environment of the setup process and of gunicorn, and with --database
    postgres a database of its own; yields (folder, environment, database name or None). The database
    is dropped and the folder removed at the end (the folder kept with --keep), also on errors."""
    workdir = Path(tempfile.mkdtemp(prefix=f"eportal-{name}-bench-x{scale}-"))
    pg_name = None
    try:
        (workdir / "sms").mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([options.src_dir, str(BENCH_DIR), os.environ.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            # Production settings refuse to start without a message key (texts are encrypted at rest).
            "EPORTAL_MESSAGE_KEYS": f"bench:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}",
            "EPORTAL_DATA_DIR": str(workdir),
            "EPORTAL_BENCH_SMS_DIR": str(workdir / "sms"),
            "EPORTAL_LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        if options.pg_setting:
            env["EPORTAL_BENCH_PG_SETTINGS"] = ",".join(options.pg_setting)
        if options.database == "postgres":
            name_to_make = f"eportal_{name}_bench_{os.getpid()}_x{scale}"
            env["DATABASE_URL"] = create_pg_database(options.postgres_url, name_to_make)
            pg_name = name_to_make  # only a database this run made is dropped
        yield workdir, env, pg_name
    finally:
        if pg_name:
            drop_pg_database(options.postgres_url, pg_name)
        if options.keep:
            print(f"[x{scale}] kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_helper(script, command: list[str], env: dict, workdir: Path, timeout: float = 300) -> dict:
    """Run `script _command ...` (Django set up inside) and return the JSON object it prints last."""
    done = subprocess.run(
        [PYTHON, str(script), *command], env=env, cwd=workdir, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise RuntimeError(f"{Path(script).name} {command[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_setup(script, scale: int, args: list[str], env: dict, workdir: Path, options) -> dict:
    """The data for one scale, made by `script _setup --scale N ...`; checks it used the eportal benchmarked."""
    print(f"[x{scale}] setting up the data ({options.database}) ...", flush=True)
    info = run_helper(script, ["_setup", "--scale", str(scale), *args], env, workdir, timeout=3600)
    if not Path(info["eportal"]).is_relative_to(Path(options.src_dir).resolve()):
        raise RuntimeError(f"the setup imported {info['eportal']}, not the eportal in {options.src_dir}")
    print(f"[x{scale}] {json.dumps(info)}", flush=True)
    return info


def start_server(env: dict, workdir: Path, options, pg_name: str | None, scale: int) -> Server:
    server = Server(env, workdir, options, pg_name)
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    print(f"[x{scale}] gunicorn at {server.url}, {options.workers} {options.worker_class} workers", flush=True)
    return server


def run_scale(scale: int, options) -> dict:
    with workspace("auth", scale, options) as (workdir, env, pg_name):
        warm_up_logins = WARM_UP_LOGINS_PER_WORKER * options.workers
        logins = warm_up_logins + 2 * (options.retries + 1) * options.users * options.logins_per_user
        warm_up_resets = WARM_UP_RESETS_PER_WORKER * options.workers
        resets = (warm_up_resets + (options.retries + 1) * options.users * options.resets_per_user) // 2  # each kind
        setup_args = ["--logins", str(logins), "--resets", str(resets)]
        setup_args += ["--accounts-out", str(workdir / "accounts.json")]
        info = run_setup(__file__, scale, setup_args, env, workdir, options)
        pool = AccountPool(json.loads((workdir / "accounts.json").read_text()))
        reset_pool = ResetPool(json.loads((workdir / RESETS_FILE).read_text()), options.resets_per_user)

        server = start_server(env, workdir, options, pg_name, scale)
        try:
            run_load(server, workdir, "bare", options.workers * 2, 10, options)  # warm-up
            run_load(
                server, workdir, "login", options.workers, WARM_UP_LOGINS_PER_WORKER, options, pool.take(warm_up_logins)
            )
            warm_up = run_load(
                server, workdir, "reset", options.workers, WARM_UP_RESETS_PER_WORKER, options,
                reset_pool.take(warm_up_resets, per_user=WARM_UP_RESETS_PER_WORKER),
            )  # fmt: skip
            phases = {
                "bare_a": measured(server, workdir, "bare", options),
                "login": measured(server, workdir, "login", options, pool),
                "code": measured(server, workdir, "code", options, pool),
                "reset": measured(server, workdir, "reset", options, reset_pool, per_user=options.resets_per_user),
                "bare_b": measured(server, workdir, "bare", options),
            }
        finally:
            server.stop()
        counts = run_helper(__file__, ["_count"], env, workdir)

    # Every login that answered 302 /min-side/ must have left its session row (warm-up, retries included).
    if counts["account_sessions"] != counts["codes_used"]:
        raise RuntimeError(f"{counts['account_sessions']} sessions in the database for {counts['codes_used']} codes")
    warm_up_counts = {name: len(values) for name, values in warm_up["samples"].items()}
    reset_requests = check_reset_jobs(info, counts, [warm_up_counts, *phases["reset"]["attempt_counts"]])

    bare_a, login, code, reset, bare_b = (phases[key] for key in ("bare_a", "login", "code", "reset", "bare_b"))
    rows = bare_rows(bare_a, bare_b)
    for step in ("login_page", "password_step", "code_step"):
        rows[step] = summarize(step, login["samples"][step], login["duration"])
    rows["code_only"] = summarize("code step alone", code["samples"]["code_only"], code["duration"])
    rows["reset_account"] = summarize("reset (account)", reset["samples"]["reset_account"], reset["duration"])
    rows["reset_unknown"] = summarize("reset (unknown number)", reset["samples"]["reset_unknown"], reset["duration"])
    return {
        "scale": scale,
        "info": info,
        "counts": counts,
        "rows": rows,
        "logins": login["done"],
        "logins_per_s": login["done"] / login["duration"],
        "login_server_cpu_ms": per_request_ms([login], "server"),
        "login_load_cpu_ms": per_request_ms([login], "load"),
        "resets_per_s": reset["done"] / reset["duration"],
        "reset_server_cpu_ms": per_request_ms([reset], "server"),
        "reset_load_cpu_ms": per_request_ms([reset], "load"),
        "reset_requests": reset_requests,
        "bare_server_cpu_ms": per_request_ms([bare_a, bare_b], "server", rows["bare"]["n"]),
        "bare_load_cpu_ms": per_request_ms([bare_a, bare_b], "load", rows["bare"]["n"]),
        "other_cpus": {name: phase["other_cpus"] for name, phase in phases.items()},
        "attempts": {name: phase["attempts"] for name, phase in phases.items()},
    }


def check_reset_jobs(info: dict, counts: dict, attempts: list[dict]) -> dict:
    """Exactly one queued reset e-mail job per reset request answered (warm-up and every attempt): with the
    account for each number with one, asked for once, and with no account for each unknown number.
    Returns the requests and jobs counted."""
    asked = {kind: sum(attempt.get(f"reset_{kind}", 0) for attempt in attempts) for kind in RESET_KINDS}
    found = {
        "requests_account": asked["account"],
        "requests_unknown": asked["unknown"],
        "jobs_account": counts["reset_jobs_account"],
        "jobs_unknown": counts["reset_jobs_unknown"],
        "jobs_before": info["reset_jobs_before"],
    }
    wrong = []
    if info["reset_jobs_before"]:
        wrong.append(f"{info['reset_jobs_before']} reset jobs in the database before the run")
    if counts["reset_jobs_account"] != asked["account"] or counts["reset_jobs_accounts"] != asked["account"]:
        wrong.append(
            f"{counts['reset_jobs_account']} jobs for {counts['reset_jobs_accounts']} accounts after "
            f"{asked['account']} requests for numbers with an account"
        )
    if counts["reset_jobs_unknown"] != asked["unknown"]:
        wrong.append(f"{counts['reset_jobs_unknown']} jobs without an account for {asked['unknown']} unknown numbers")
    if counts["reset_jobs_repeated"] or counts["reset_jobs_not_asked"]:
        wrong.append(
            f"{counts['reset_jobs_repeated']} accounts with more than one job, "
            f"{counts['reset_jobs_not_asked']} with a job not asked for"
        )
    if wrong:
        raise RuntimeError("reset jobs: " + "; ".join(wrong))
    return found


def describe_source(options) -> str:
    if options.commit:
        return f"eportal at commit {options.commit_id} (exported)"
    git = ["git", "-C", options.src_dir]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return f"eportal from {options.src_dir}"
    changes = f", with uncommitted changes in {len(dirty.stdout.splitlines())} files" if dirty.stdout.strip() else ""
    return f"eportal from {options.src_dir} (HEAD {head.stdout.strip()}{changes})"


def print_heading(options, what: str) -> None:
    print()
    print(describe_source(options))
    print(
        f"{what}: {options.users} virtual users, {options.database}, gunicorn {options.workers} "
        f"{options.worker_class} workers, {os.cpu_count()} CPUs shared by server and load"
    )
    if options.pg_setting:
        print(f"PostgreSQL settings on the app's connections: {', '.join(options.pg_setting)}")


def print_rows(rows: dict, keys, throughput_ratio: bool = False) -> None:
    """One line per step, with p50 and p99 (and requests/s if asked) as ratios to rows["bare"]."""
    bare = rows["bare"]
    width = max(18, *(len(rows[key]["step"]) + 2 for key in keys))
    extra = f"{'req/s/bare':>12}" if throughput_ratio else ""
    print(f"  {'step':<{width}}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>9}{'p50/bare':>10}{'p99/bare':>10}{extra}")
    for key in keys:
        row = rows[key]
        extra = f"{row['throughput_per_s'] / bare['throughput_per_s']:>12.2f}" if throughput_ratio else ""
        print(
            f"  {row['step']:<{width}}{row['n']:>6}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}"
            f"{row['throughput_per_s']:>9.1f}{row['p50_ms'] / bare['p50_ms']:>10.1f}"
            f"{row['p99_ms'] / bare['p99_ms']:>10.1f}{extra}"
        )


def print_other_cpus(result: dict) -> None:
    others = ", ".join(
        f"{k} {v:.2f} ({result['attempts'][k]} attempt{'s' if result['attempts'][k] > 1 else ''})"
        for k, v in result["other_cpus"].items()
    )
    print(f"  CPUs used by other jobs on the machine during each phase: {others}")


def scaling(results: list[dict], keys) -> dict:
    """Highest scale over lowest, per step: {key: {"p50": (raw, divided by bare's ratio), "p99": ...,
    "per_s": ...}}."""
    low, high = results[0]["rows"], results[-1]["rows"]
    found = {}
    for key in keys:
        found[key] = {}
        for stat in ("p50_ms", "p99_ms", "throughput_per_s"):
            raw = high[key][stat] / low[key][stat]
            found[key][stat] = (raw, raw / (high["bare"][stat] / low["bare"][stat]))
    return found


def print_scaling(results: list[dict], keys, throughput: bool = False) -> None:
    if len(results) < 2:
        return
    print()
    print(
        f"Data scaling x{results[-1]['scale']}/x{results[0]['scale']} (raw ratio; in brackets divided by bare's "
        "ratio, since the two scales are two server runs):"
    )
    stats = ("p50_ms", "p99_ms", "throughput_per_s") if throughput else ("p50_ms", "p99_ms")
    for key, ratios in scaling(results, keys).items():
        parts = [f"{stat[:3]} {ratios[stat][0]:.2f} [{ratios[stat][1]:.2f}]" for stat in stats]
        print(f"  {key:<15}" + "   ".join(parts))


def scale_sections(results: list[dict], options, what: str):
    """The report's heading, then (result, its info, its rows) for each scale, each after a blank line."""
    print_heading(options, what)
    for result in results:
        print()
        yield result, result["info"], result["rows"]


LOGIN_ROWS = ("login_page", "password_step", "code_step", "code_only")
RESET_ROWS = ("reset_account", "reset_unknown")


def report(results: list[dict], options) -> None:
    for result, info, rows in scale_sections(results, options, "Login load benchmark"):
        print(
            f"x{result['scale']}: {info['list_patients']} list patients, {info['accounts']} accounts; "
            f"{info['hasher']} verify {info['verify_wall_ms']:.0f} ms wall / {info['verify_cpu_ms']:.0f} ms CPU "
            f"(setup process, no load)"
        )
        print_rows(rows, ("bare", "bare_a", "bare_b", *LOGIN_ROWS, *RESET_ROWS))
        print(
            f"  logins {result['logins_per_s']:.2f}/s; server CPU {result['login_server_cpu_ms']:.0f} ms per login "
            f"(3 requests), {result['bare_server_cpu_ms']:.1f} ms per bare request; load generator CPU "
            f"{result['login_load_cpu_ms']:.1f} ms per login, {result['bare_load_cpu_ms']:.1f} ms per bare request"
        )
        account, unknown = rows["reset_account"], rows["reset_unknown"]
        jobs = result["reset_requests"]
        print(
            f"  resets {result['resets_per_s']:.1f}/s; server CPU {result['reset_server_cpu_ms']:.1f} ms per reset "
            f"request; reset(account)/reset(unknown): p50 {account['p50_ms'] / unknown['p50_ms']:.2f}, "
            f"p99 {account['p99_ms'] / unknown['p99_ms']:.2f}, mean {account['mean_ms'] / unknown['mean_ms']:.2f}"
        )
        print(
            f"  reset jobs queued: {jobs['jobs_account']} with an account for {jobs['requests_account']} requests, "
            f"{jobs['jobs_unknown']} without for {jobs['requests_unknown']} unknown numbers "
            f"(warm-up and every attempt; one each, as expected)"
        )
        print_other_cpus(result)
    print_scaling(results, ("bare", *LOGIN_ROWS, *RESET_ROWS))
    if options.json_out:
        Path(options.json_out).write_text(json.dumps({"options": vars(options), "results": results}, indent=1))


def common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every load benchmark here has (the server, the database, the source, the noise guards)."""
    parser.add_argument("--scales", default="1,10", help="comma-separated data scales (default 1,10)")
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    parser.add_argument("--bare-per-user", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=300, help="time limit for each load phase")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="as `eportal serve`")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG, help="server to create the benchmark database on")
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the app's connections (an experiment; repeatable)",
    )
    parser.add_argument(
        "--commit",
        help="benchmark this git revision's src/ (exported to a temporary folder) instead of the installed one",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=120,
        help="wait up to this many seconds for an idle machine before each phase",
    )
    parser.add_argument("--retries", type=int, default=2, help="repeat a phase while other jobs were busy (default 2)")
    parser.add_argument("--max-other-cpus", type=float, default=0.25, help="what counts as busy (CPUs, default 0.25)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (logs, database)")
    parser.add_argument("--json-out", help="write all figures to this file")


def run_all_scales(options, run_scale_function, report_function) -> None:
    """Each of --scales with the eportal benchmarked (installed, or --commit's src/ exported), then the report."""
    scales = [int(s) for s in options.scales.split(",")]
    exported = None
    try:
        if options.commit:
            exported = Path(tempfile.mkdtemp(prefix="eportal-bench-src-"))
            options.commit_id = subprocess.run(
                ["git", "-C", str(PROJECT_DIR), "rev-parse", "--short", options.commit],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            archive = subprocess.run(
                ["git", "-C", str(PROJECT_DIR), "archive", options.commit, "src"], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(exported)], input=archive.stdout, check=True)
            options.src_dir = str(exported / "src")
        else:
            import eportal

            options.src_dir = str(Path(eportal.__file__).resolve().parent.parent)
        results = [run_scale_function(scale, options) for scale in scales]
        report_function(results, options)
    finally:
        if exported is not None:
            shutil.rmtree(exported, ignore_errors=True)


def internal_command(commands: dict, numbers: dict[str, int]) -> bool:
    """`script.py _name --scale N ...`, a step run in a process of its own with Django set up (set-up,
    counts); `numbers` are further integer options with their defaults. False if this is not one."""
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        return False
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--accounts-out")
    for name, default in numbers.items():
        parser.add_argument(name, type=int, default=default)
    options = parser.parse_args()
    commands[options.command](options)
    return True


def main() -> None:
    if internal_command({"_setup": setup_command, "_count": count_command}, {"--logins": 0, "--resets": 0}):
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--logins-per-user", type=int, default=10)
    parser.add_argument(
        "--resets-per-user", type=int, default=20, help="reset requests per virtual user (even; default 20)"
    )
    options = parser.parse_args()
    if options.resets_per_user < 2 or options.resets_per_user % 2:
        parser.error("--resets-per-user must be even (half with an account, half for unknown numbers)")
    run_all_scales(options, run_scale, report)


if __name__ == "__main__":
    main()
