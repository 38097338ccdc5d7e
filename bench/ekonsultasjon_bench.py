"""Load benchmark of a GP's inbox with prescription renewals and eKonsultasjoner (the waiting list and «vis=alle»)
and of «Betalinger» (the month's page and its CSV export), against a bare Django view, at 1x and 10x the data.

    .venv/bin/python bench/ekonsultasjon_bench.py --commit HEAD                       # SQLite, data at 1x and 10x
    .venv/bin/python bench/ekonsultasjon_bench.py --commit HEAD --database postgres   # PostgreSQL (own db, dropped)

(--commit exports that revision's src/, so the run is not broken by the working tree changing meanwhile; without
it the installed eportal, i.e. the working tree, is measured.)

For each data scale S it makes a fresh database (as auth_bench.py does), migrates and builds, with bulk inserts
(set-up, not measured; texts sealed with eportal.messaging.crypto as the models' setters seal them):

    clinic       the demo clinic's row; 15 S GPs (every other one a specialist in general practice) and 2 S nurses
                 (booking_bench._practitioners); every GP with a staff user of its own and a receptionist
                 (messaging_bench._staff); a bookkeeper with only messaging.see_payments
    patients     20,000 S synthetic list patients (auth_bench._extra_patients); no patient accounts (the pages
                 measured are the staff's)
    threads      10,000 S threads over the last two years, 1-6 sealed messages each (messaging_bench.Writer), every
                 one with answer_due as the service sets it (3 working days after it was sent):
                   55 % messages to reception (messaging_bench's mix: a third waiting in reception, the rest in
                        the patient's GP's inbox, 30 % of those waiting)
                   25 % prescription renewals in the GP's inbox, with 1-4 Medicine rows (15 % waiting)
                   20 % eKonsultasjoner in the GP's inbox, with their Consultation (20 % waiting; of those
                        answered, 80 % closed and billed by messaging.fees.fix, never in the export month)
                 the waiting renewals and eKonsultasjoner were sent in the last 10 days, so about half of them
                 are overdue (answer_due in the past)
    month        --month-consultations (5,000) more eKonsultasjoner, answered and closed (billed) last month, the
                 patients of the first 15 GPs (so the export month and the benchmark GP's inbox are the same
                 size at every scale while the tables grow)

The benchmark GP is the first one: its inbox holds about 1/15 of the GP-inbox threads at 1x and the same at 10x.
Then it starts gunicorn as auth_bench.py does, logs the GP and the bookkeeper in once each (password + TOTP,
messaging_load.staff_login) and reuses those sessions. Phases, each answer checked (heading, rows, pages):

    bare A       GET /bench/bare/ without a session (one query, one small template)
    bare staff   GET /bench/bare/ with the GP's session (the logged-in yardstick)
    inbox        GET /personale/meldinger/<GP id>/ : the waiting threads, oldest first, page 1
    inbox all    GET /personale/meldinger/<GP id>/?vis=alle : every thread of the inbox, newest first, page 1
    payments     GET /personale/betalinger/?maned=YYYY-MM (the bookkeeper): the month's 5,000 billed, page 1 of 50
    bare B       as bare A
    export       GET /personale/betalinger/YYYY-MM.csv, one user, --export-repeat times (wall time over HTTP)

After the load, with the server stopped, in-process: each page's queries (count and shapes; each query on the
message tables timed alone, median of 20, with its plan) and the export streamed through Django's test client:
seconds (median of --export-repeat), rows/s, bytes, queries, and peak Python memory (tracemalloc) in the view
(before the first byte: the audit of every patient in the file) and while streaming the rows.
"""

import argparse
import datetime
import json
import math
import random
import re
import time
import tracemalloc
from pathlib import Path

from auth_bench import (
    PASSWORD,
    _django,
    _extra_patients,
    common_arguments,
    internal_command,
    measured,
    page_rows,
    percentile,
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
    wait_quiet,
    workspace,
)
from booking_bench import GPS, _plan, _practitioners
from messaging_bench import (
    PAGE_SIZE,
    PATIENTS,
    SEED,
    THREADS,
    UNREAD_ANSWER_SHARE,
    Writer,
    _median_seconds,
    _shape,
    _staff,
)

BENCH_DIR = Path(__file__).resolve().parent
EKONSULTASJON_LOAD = BENCH_DIR / "ekonsultasjon_load.py"
MONTH_CONSULTATIONS = 5_000
BOOKKEEPER = "benk-regnskap"
PAYMENTS_PAGE_SIZE = 100  # eportal.staff.payment_views.PAGE_SIZE
KIND_SHARES = {"renewal": 0.25, "ekonsultasjon": 0.20}  # of the 10,000 S threads; the rest are reception's kind
WAITING_SHARE = {"renewal": 0.15, "ekonsultasjon": 0.20}
CLOSED_SHARE = {"renewal": 0.6, "ekonsultasjon": 0.8}  # of those answered
WAITING_DAYS = 10  # the waiting renewals and eKonsultasjoner were sent in the last 10 days
MEDICINES = (
    ("Metformin", "500 mg"), ("Levaxin", "50 mikrog"), ("Atorvastatin", "20 mg"), ("Ramipril", "5 mg"),
    ("Sertralin", "50 mg"), ("Ventoline", "0,1 mg/dose"), ("Omeprazol", "20 mg"), ("Amlodipin", "5 mg"),
    ("Losartan", "50 mg"), ("Albyl-E", "75 mg"), ("Cetirizin", "10 mg"), ("Paracet", "500 mg"),
)  # fmt: skip
USAGES = ("1 tablett morgen og kveld", "1 tablett daglig", "2 drag ved behov", "1 kapsel om morgenen")
EXEMPTIONS = (("frikort", 0.06), ("pregnancy", 0.02), ("infectious_disease", 0.01))  # the rest pay
PAGES = {
    "bare_staff": "bare, GP session",
    "inbox": "GP inbox, waiting",
    "inbox_all": "GP inbox, vis=alle",
    "payments": "Betalinger page",
}
IN_PROCESS = ("inbox", "inbox_all", "payments", "export")


# --- inside the setup process (Django configured with benchsite.settings) -------------------------


def _month_before(now: datetime.datetime) -> tuple[int, int]:
    from django.utils import timezone

    first = timezone.localdate(now).replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


class KindWriter(Writer):
    """messaging_bench.Writer with the new kinds: each thread's kind and answer_due, a renewal's Medicine rows and
    an eKonsultasjon's Consultation (billed as messaging.billing.fix_on_close bills it when closed answered)."""

    def __init__(self, rng, now, gp_names, specialists: set[int], month: tuple[datetime.datetime, datetime.datetime]):
        from eportal.messaging.fees import FeeTable

        super().__init__(rng, now, gp_names)
        self.specialists, self.month = specialists, month
        self.table = FeeTable.current().as_json()
        self.kinds: list[tuple[str, object]] = []  # (kind, medicines or exemption), in step with self.pending
        self.counts.update(medicines=0, consultations=0, billed=0)

    def add(self, patient, *, kind: str = "reception", extra=None, **thread):
        self.kinds.append((kind, extra))  # before Writer.add, which may save the chunk this thread ends
        return super().add(patient, **thread)

    def add_request(self, patient, kind: str, *, end: datetime.datetime | None = None):
        """A renewal or an eKonsultasjon in the patient's GP's inbox: waiting, or answered (and maybe closed),
        or with `end` answered and closed then."""
        rng = self.rng
        waiting = end is None and rng.random() < WAITING_SHARE[kind]
        closed = not waiting and (end is not None or rng.random() < CLOSED_SHARE[kind])
        if end is None:
            end = self.now - datetime.timedelta(minutes=rng.randint(30, (WAITING_DAYS if waiting else 730) * 1440))
            in_month = self.month[0] - datetime.timedelta(minutes=10) <= end < self.month[1]
            if kind == "ekonsultasjon" and closed and in_month:
                end -= datetime.timedelta(days=40)  # the export month holds exactly --month-consultations
        roles = self.roles(rng.choice((1, 1, 3)) if waiting else rng.choice((2, 2, 2, 4)), waiting)
        subject = None
        if kind == "renewal":
            extra = [self.medicine() for _ in range(rng.randint(1, 4))]
            subject = "Reseptfornyelse: " + ", ".join(medicine["name"] for medicine in extra)
        else:
            draw, extra = rng.random(), ""
            for exemption, share in EXEMPTIONS:
                if draw < share:
                    extra = exemption
                    break
                draw -= share
        return self.add(
            patient, kind=kind, extra=extra, practitioner_id=patient[1], roles=roles, waiting=waiting, end=end,
            subject=subject, closed=closed, last_answer_unread=rng.random() < UNREAD_ANSWER_SHARE,
        )  # fmt: skip

    def medicine(self) -> dict:
        name, strength = self.rng.choice(MEDICINES)
        note = "Trenger ny resept før ferien." if self.rng.random() < 0.2 else ""
        return {"name": name, "strength": strength, "usage": self.rng.choice(USAGES), "note": note}

    def consultation(self, thread, messages, exemption: str):
        from eportal.messaging import fees
        from eportal.messaging.models import Consultation, Message

        answers = [message.created_at for message in messages if message.author_role == Message.Role.STAFF]
        consultation = Consultation(
            thread_id=thread.pk, sent_at=thread.created_at, fee_table=self.table,
            specialist=thread.practitioner_id in self.specialists, exemption=exemption,
            answered_at=answers[-1] if answers else None,
        )  # fmt: skip
        if consultation.answered_at:  # by the GP whose inbox it is in (billing.note_answer: a GP's answer)
            consultation.answered_by_id = thread.practitioner_id
        if thread.closed_at and consultation.answered_at:
            fee = fees.fix(consultation.quote, consultation.answered_at)
            consultation.takst, consultation.base_fee, consultation.amount = fee.takst, fee.base, fee.amount
            consultation.specialist_supplement, consultation.invoice_fee = fee.specialist_supplement, fee.invoice_fee
            consultation.billed_at = thread.closed_at
            self.counts["billed"] += 1
        return consultation

    def save(self) -> None:
        from eportal.messaging.models import Consultation, Medicine
        from eportal.messaging.services import answer_by

        chunk = list(zip(self.pending, self.kinds, strict=True))
        self.kinds = []
        for (thread, _messages, _at), (kind, _extra) in chunk:
            thread.kind = kind
            thread.answer_due = answer_by(thread.created_at)
        super().save()  # the threads have their ids now
        medicines, consultations = [], []
        for (thread, messages, _at), (kind, extra) in chunk:
            if kind == "renewal":
                for position, details in enumerate(extra, 1):
                    medicine = Medicine(thread_id=thread.pk, position=position)
                    medicine.details = details  # sealed by the model's setter
                    medicines.append(medicine)
            elif kind == "ekonsultasjon":
                consultations.append(self.consultation(thread, messages, extra))
        Medicine.objects.bulk_create(medicines, batch_size=500)
        Consultation.objects.bulk_create(consultations, batch_size=500)
        self.counts["medicines"] += len(medicines)
        self.counts["consultations"] += len(consultations)


def _logins(gp) -> dict:
    """Staff users for every GP and the receptionist (messaging_bench._staff); the benchmark GP gets a TOTP device;
    a bookkeeper with only messaging.see_payments (no inbox, so no count of unread messages in the navigation:
    the page's own cost). Returns the GP's and the bookkeeper's logins."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eportal.accounts.models import User

    password_hash = make_password(PASSWORD)
    _staff(password_hash)
    bookkeeper = User.objects.create(
        username=BOOKKEEPER, first_name="Berit", last_name="Bokfører", password=password_hash, is_staff=True
    )
    see_payments = Permission.objects.get(content_type__app_label="messaging", codename="see_payments")
    bookkeeper.user_permissions.add(see_payments)
    gp.refresh_from_db()
    logins = {}
    for who, user in (("gp", gp.user), ("payments", bookkeeper)):
        device = TOTPDevice.objects.create(user=user, name="benk", confirmed=True)
        logins[who] = {"username": user.username, "password": PASSWORD, "totp_key_hex": device.key}
    return logins


def _settle(connection) -> str:
    """After the bulk load: PostgreSQL's VACUUM ANALYZE (what autovacuum would do, done now so the figures do not
    depend on when it runs); SQLite's WAL truncated (no ANALYZE, as live)."""
    statement, step = ("VACUUM ANALYZE", "vacuum_analyze")
    if connection.vendor != "postgresql":
        statement, step = ("PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint")
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return step


def setup_command(options) -> None:
    _django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    import eportal
    from eportal.clinic.models import ListPatient, Practitioner
    from eportal.messaging import billing
    from eportal.messaging.models import Consultation, Medicine, Message, Thread

    rng = random.Random(SEED + 7 * options.scale)
    times = {}
    started = t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # this connection only: a page cache big enough for the bulk inserts
            cursor.execute("PRAGMA cache_size = -1000000")
    times["migrate"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _practitioners(options.scale)
    gps = list(Practitioner.objects.filter(role=Practitioner.Role.GP).order_by("pk"))
    specialists = {gp.pk for gp in gps[::2]}
    Practitioner.objects.filter(pk__in=specialists).update(specialist=True)
    _extra_patients(PATIENTS * options.scale, SEED + options.scale)
    times["patients"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    now = timezone.now()
    year, month = _month_before(now)
    bounds = billing.month_bounds(year, month)
    patients = [
        (pk, gp, f"{first} {last}")
        for pk, gp, first, last in ListPatient.objects.order_by("pk").values_list(
            "pk", "gp_id", "first_name", "last_name"
        )
    ]
    writer = KindWriter(rng, now, {gp.pk: gp.full_name for gp in gps}, specialists, bounds)
    for _ in range(THREADS * options.scale):
        patient, draw = rng.choice(patients), rng.random()
        if draw < KIND_SHARES["renewal"]:
            writer.add_request(patient, "renewal")
        elif draw < KIND_SHARES["renewal"] + KIND_SHARES["ekonsultasjon"]:
            writer.add_request(patient, "ekonsultasjon")
        else:
            writer.add_usual(patient)
    first_gps = {gp.pk for gp in gps[:GPS]}
    month_patients = [patient for patient in patients if patient[1] in first_gps]
    span = (bounds[1] - bounds[0]).total_seconds() - 3 * 3600
    for _ in range(options.month_consultations):  # answered, then closed 5 minutes later (Writer.add)
        end = bounds[0] + datetime.timedelta(hours=1, seconds=rng.uniform(0, span))
        writer.add_request(rng.choice(month_patients), "ekonsultasjon", end=end)
    writer.save()
    times["threads"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    logins = _logins(gps[0])
    times["staff"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step = _settle(connection)
    times[step] = time.perf_counter() - t0

    inbox = Thread.objects.filter(practitioner=gps[0])
    waiting, everything = inbox.filter(waiting_since__isnull=False).count(), inbox.count()
    billed = billing.month_payments(year, month).count()
    if billed != options.month_consultations:
        raise SystemExit(f"{billed} billed in {year}-{month:02d}, expected {options.month_consultations}")
    expected = {
        "gp_name": gps[0].full_name,
        "inbox_path": f"/personale/meldinger/{gps[0].pk}/",
        "inbox_rows": min(PAGE_SIZE, waiting),
        "inbox_pages": max(1, math.ceil(waiting / PAGE_SIZE)),
        "all_rows": min(PAGE_SIZE, everything),
        "all_pages": max(1, math.ceil(everything / PAGE_SIZE)),
        "payments_path": f"/personale/betalinger/?maned={year}-{month:02d}",
        "payment_rows": min(PAYMENTS_PAGE_SIZE, billed),
        "payment_pages": max(1, math.ceil(billed / PAYMENTS_PAGE_SIZE)),
        "export_path": f"/personale/betalinger/{year}-{month:02d}.csv",
        "export_rows": billed,
    }
    Path(options.accounts_out).write_text(json.dumps({**logins, "expected": expected}))
    today = timezone.localdate()
    gp_threads = Thread.objects.filter(practitioner__isnull=False)
    kinds = {kind: Thread.objects.filter(kind=kind).count() for kind in Thread.Kind.values}
    info = {
        "eportal": str(Path(eportal.__file__).resolve().parent),
        "database": connection.vendor,
        "gps": len(gps),
        "list_patients": ListPatient.objects.count(),
        "threads": Thread.objects.count(),
        "kinds": kinds,
        "messages": Message.objects.count(),
        "medicines": Medicine.objects.count(),
        "consultations": Consultation.objects.count(),
        "billed": Consultation.objects.filter(billed_at__isnull=False).count(),
        "month": f"{year}-{month:02d}",
        "month_billed": billed,
        "gp_threads": gp_threads.count(),
        "gp_waiting": gp_threads.filter(waiting_since__isnull=False).count(),
        "overdue": Thread.objects.filter(waiting_since__isnull=False, answer_due__lt=today).count(),
        "bench_gp_threads": everything,
        "bench_gp_waiting": waiting,
        "bench_gp_overdue": inbox.filter(waiting_since__isnull=False, answer_due__lt=today).count(),
        "bench_gp_kinds": {kind: inbox.filter(kind=kind).count() for kind in Thread.Kind.values},
        "sealed_mb": writer.counts["sealed_chars"] / 1e6,
        "setup_seconds_by_step": {k: round(v, 1) for k, v in times.items()},
        "setup_seconds": time.perf_counter() - started,
    }
    print(json.dumps(info))


def count_command(_options) -> None:
    _django()
    from eportal.accounts.models import AccountSession
    from eportal.audit.models import AuditEvent
    from eportal.messaging.models import Consultation, Medicine, Message, Thread

    models = {"threads": Thread, "messages": Message, "medicines": Medicine, "consultations": Consultation}
    found = {name: model.objects.count() for name, model in models.items()}
    found["account_sessions"] = AccountSession.objects.count()
    for action in ("staff_viewed_inbox", "staff_viewed_payments", "staff_exported_payments"):
        found[action] = AuditEvent.objects.filter(action=action).count()
    print(json.dumps(found))


def _client(cookies: dict):
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def _timed_alone(queries: list[dict]) -> list[dict]:
    """Each SELECT on the message tables of a page, run again alone (median of 20) and explained."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:

        def run(sql: str) -> None:
            cursor.execute(sql)
            cursor.fetchall()

        for query in queries:
            # PostgreSQL runs QuerySet.iterator() through a server-side cursor: DECLARE "…" … CURSOR … FOR SELECT …
            sql = re.sub(r"^DECLARE .*? CURSOR .*?FOR (?=SELECT )", "", query["sql"], flags=re.S)
            if sql.startswith("SELECT") and "messaging_" in sql:
                ms = _median_seconds(lambda sql=sql: run(sql), 20, 1) * 1000
                table = sql.split(" FROM ", 1)[1].split()[0].strip('"').removeprefix("messaging_")
                label = table + (" count" if "COUNT(" in sql[:80] else "")
                found.append({"label": label, "sql": sql, "ms": ms, "plan": _plan(cursor, connection.vendor, sql)})
    return found


def _export(cookies: dict, path: str, repeat: int) -> dict:
    """The CSV streamed in-process: time, size, queries, peak Python memory in the view and while streaming."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fetch(client):
        response = client.get(path)
        if response.status_code != 200 or not response.streaming:
            raise SystemExit(f"{path}: HTTP {response.status_code}, streaming {response.streaming}")
        return response

    client = _client(cookies)
    seconds, size, lines = [], 0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        size = lines = 0
        for chunk in fetch(client).streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        seconds.append(time.perf_counter() - t0)
    with CaptureQueriesContext(connection) as captured:
        for _chunk in fetch(client).streaming_content:
            pass
    queries = captured.captured_queries  # now: the next request empties the connection's log
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        response = fetch(client)
        view_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _chunk in response.streaming_content:
            pass
        stream_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    median = sorted(seconds)[len(seconds) // 2]
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": median,
        "seconds_all": seconds,
        "rows_per_s": (lines - 1) / median,
        "queries": len(queries),
        "shapes": [_shape(query["sql"]) for query in queries],
        "message_queries": _timed_alone(queries),
        "view_peak_bytes": view_peak,
        "stream_peak_bytes": stream_peak,
    }


def explain_command(options) -> None:
    """The pages rendered in-process with the sessions of the load run: queries per page, the message queries
    alone with their plans; then the export (_export)."""
    _django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = json.loads(Path(options.accounts_out).read_text())
    expected = plan["expected"]
    pages = {
        "inbox": ("gp_cookies", expected["inbox_path"]),
        "inbox_all": ("gp_cookies", expected["inbox_path"] + "?vis=alle"),
        "payments": ("pay_cookies", expected["payments_path"]),
    }
    found = {}
    for page, (who, path) in pages.items():
        client = _client(plan[who])
        client.get(path)  # the first request may do once-a-minute work (the session's last-seen time)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        found[page] = {
            "queries": len(captured.captured_queries),
            "shapes": [_shape(query["sql"]) for query in captured.captured_queries],
            "message_queries": _timed_alone(captured.captured_queries),
        }
    found["export"] = _export(plan["pay_cookies"], expected["export_path"], options.export_repeat)
    if found["export"]["rows"] != expected["export_rows"]:
        raise SystemExit(f"export: {found['export']['rows']} rows, expected {expected['export_rows']}")
    print(json.dumps(found))


# --- the orchestrating process --------------------------------------------------------------------


def run_scale(scale: int, options) -> dict:
    with workspace("ekonsultasjon", scale, options) as (workdir, env, pg_name):
        plan_file = workdir / "accounts.json"
        setup_args = ["--accounts-out", str(plan_file), "--month-consultations", str(options.month_consultations)]
        info = run_setup(__file__, scale, setup_args, env, workdir, options)
        plan = json.loads(plan_file.read_text())
        server = start_server(env, workdir, options, pg_name, scale)
        try:
            run_load(server, workdir, "bare", options.workers * 2, 10, options)  # warm-up
            for who, key in (("gp", "gp_cookies"), ("payments", "pay_cookies")):
                login = [{"login": plan[who]}]
                done = run_load(server, workdir, "staff_login", 1, 1, options, login, EKONSULTASJON_LOAD)
                plan[key] = done["sessions"]["0"]
            accounts = [{**plan["expected"], "gp_cookies": plan["gp_cookies"], "pay_cookies": plan["pay_cookies"]}]
            accounts *= options.users
            for page in PAGES:  # warm-up: every worker's first render of each page
                run_load(server, workdir, page, options.users, 2, options, accounts, EKONSULTASJON_LOAD)
            page_phase = {"per_user": options.pages_per_user, "accounts": accounts, "script": EKONSULTASJON_LOAD}
            phases = {"bare_a": measured(server, workdir, "bare", options)}
            for page in PAGES:
                phases[page] = measured(server, workdir, page, options, **page_phase)
            phases["bare_b"] = measured(server, workdir, "bare", options)
            wait_quiet(options, "export")
            export = run_load(
                server, workdir, "export", 1, options.export_repeat, options, accounts[:1], EKONSULTASJON_LOAD
            )
        finally:
            server.stop()
        counts = run_helper(__file__, ["_count"], env, workdir)
        plan_file.write_text(json.dumps(plan))
        wait_quiet(options, "in-process pages and export")
        explain_args = ["_explain", "--accounts-out", str(plan_file), "--export-repeat", str(options.export_repeat)]
        explained = run_helper(__file__, explain_args, env, workdir, timeout=1800)

    # Two staff sessions, made at the logins; the reads neither add nor remove a thread, message or row.
    expected = {"account_sessions": 2} | {
        key: info[key] for key in ("threads", "messages", "medicines", "consultations")
    }
    if any(counts[key] != value for key, value in expected.items()):
        raise RuntimeError(f"after the run: {counts}; expected {expected}")
    rows, cpu, bare = page_rows(phases, PAGES)
    result = {
        "scale": scale,
        "info": info,
        "counts": counts,
        "rows": rows,
        "server_cpu_ms": cpu,
        "export_http": {
            "n": export["done"],
            "p50_s": percentile(export["samples"]["export"], 50),
            "max_s": max(export["samples"]["export"]),
            "server_cpu_s": export["server_cpu_seconds"] / export["done"],
            "other_cpus": export["other_cpus"],
        },
        "explain": explained,
        "other_cpus": {name: phase["other_cpus"] for name, phase in phases.items()},
        "attempts": {name: phase["attempts"] for name, phase in phases.items()},
    }
    if options.json_out:  # this scale's figures now, in case a later scale fails
        Path(f"{options.json_out}.x{scale}").write_text(json.dumps(result, indent=1, default=str))
    return result


def describe_data(info: dict) -> str:
    return (
        f"{info['gps']} GPs, {info['list_patients']} list patients, {info['threads']} threads {info['kinds']}, "
        f"{info['messages']} messages, {info['medicines']} medicines, {info['consultations']} eKonsultasjoner "
        f"({info['billed']} billed, {info['month_billed']} in {info['month']}); GPs' inboxes {info['gp_threads']} "
        f"threads, {info['gp_waiting']} waiting, {info['overdue']} overdue in all inboxes; the benchmark GP "
        f"{info['bench_gp_threads']} threads {info['bench_gp_kinds']}, {info['bench_gp_waiting']} waiting, "
        f"{info['bench_gp_overdue']} overdue; {info['sealed_mb']:.0f} MB sealed; set-up {info['setup_seconds']:.0f} s "
        f"{info['setup_seconds_by_step']}"
    )


def _queries(result: dict, page: str) -> int:
    return result["explain"][page]["queries"]


def report_export(result: dict) -> None:
    export, http = result["explain"]["export"], result["export_http"]
    print(
        f"  export of {export['rows']} rows, {export['bytes'] / 1e6:.2f} MB: in-process {export['seconds']:.2f} s "
        f"(runs {', '.join(f'{s:.2f}' for s in export['seconds_all'])}), {export['rows_per_s']:.0f} rows/s, "
        f"{export['queries']} queries; peak Python memory {export['view_peak_bytes'] / 1e6:.1f} MB in the view "
        f"(before the first byte), {export['stream_peak_bytes'] / 1e6:.2f} MB while streaming the rows"
    )
    print(
        f"  export over HTTP (gunicorn, one request at a time, n={http['n']}): p50 {http['p50_s']:.2f} s, "
        f"slowest {http['max_s']:.2f} s, server CPU {http['server_cpu_s']:.2f} s per export; other jobs "
        f"{http['other_cpus']:.2f} CPUs"
    )


def print_summary(results: list[dict]) -> None:
    """The README's table: each page's p50 as a ratio to the bare view without and with a session, per scale."""
    print()
    scales = " | ".join(f"{r['scale']}x p50 ms | {r['scale']}x p50/bare (anon / logged-in)" for r in results)
    print(f"| page | {scales} | queries |")
    print("|---|" + "---:|---:|" * len(results) + "---|")
    for key in PAGES:
        cells = []
        for result in results:
            rows = result["rows"]
            cells.append(
                f"{rows[key]['p50_ms']:.1f} | {rows[key]['p50_ms'] / rows['bare']['p50_ms']:.1f} / "
                f"{rows[key]['p50_ms'] / rows['bare_staff']['p50_ms']:.1f}"
            )
        queries = " → ".join(str(_queries(r, key)) for r in results) if key in IN_PROCESS else ""
        print(f"| {PAGES[key]} | {' | '.join(cells)} | {queries} |")
    print()
    print("| scale | export rows | in-process s | rows/s | MB | peak memory view / streaming | queries | HTTP p50 s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        export, http = result["explain"]["export"], result["export_http"]
        print(
            f"| {result['scale']}x | {export['rows']:,} | {export['seconds']:.2f} | {export['rows_per_s']:,.0f} | "
            f"{export['bytes'] / 1e6:.2f} | {export['view_peak_bytes'] / 1e6:.1f} / "
            f"{export['stream_peak_bytes'] / 1e6:.2f} MB | {export['queries']} | {http['p50_s']:.2f} |"
        )


def report(results: list[dict], options) -> None:
    for result, info, rows in scale_sections(results, options, "eKonsultasjon and renewal load benchmark"):
        print(f"x{result['scale']}: {describe_data(info)}")
        print_rows(rows, ("bare", "bare_a", "bare_b", *PAGES), throughput_ratio=True)
        staff = rows["bare_staff"]
        ratios = [
            f"{rows[key]['step']} {rows[key]['p50_ms'] / staff['p50_ms']:.1f} / "
            f"{rows[key]['p99_ms'] / staff['p99_ms']:.1f}"
            for key in ("inbox", "inbox_all", "payments")
        ]
        print("  p50 / p99 as ratios to the logged-in bare view: " + ", ".join(ratios))
        cpu = result["server_cpu_ms"]
        print("  server CPU per request: " + ", ".join(f"{key} {ms:.1f} ms" for key, ms in cpu.items()))
        print_other_cpus(result)
        for page in IN_PROCESS:
            explained = result["explain"][page]
            timings = ", ".join(f"{q['label']} {q['ms']:.2f} ms" for q in explained["message_queries"])
            print(f"  {page}: {explained['queries']} queries; message queries alone: {timings}")
        report_export(result)
    print_scaling(results, ("bare", *PAGES), throughput=True)
    if len(results) >= 2:
        low, high = results[0], results[-1]
        print("  server CPU per request: " + ", ".join(
            f"{key} {high['server_cpu_ms'][key] / low['server_cpu_ms'][key]:.2f}" for key in ("bare", *PAGES)
        ))  # fmt: skip
        for page in IN_PROCESS:
            a, b = low["explain"][page], high["explain"][page]
            pairs = zip(a["message_queries"], b["message_queries"], strict=False)
            print(f"  {page}: queries {a['queries']} -> {b['queries']}; message queries alone: " + ", ".join(
                f"{x['label']} {x['ms']:.2f} -> {y['ms']:.2f} ms" for x, y in pairs
            ))  # fmt: skip
            if a["queries"] != b["queries"]:
                print(f"  !!! {page}: QUERIES PER PAGE DIFFER ({a['queries']} -> {b['queries']})")
                for shape in sorted(set(b["shapes"]) ^ set(a["shapes"]))[:20]:
                    print(f"      {shape}")
        ratio = high["explain"]["export"]["seconds"] / low["explain"]["export"]["seconds"]
        print(f"  export (in-process): {ratio:.2f}")
    for result in results:
        for page in IN_PROCESS:
            print()
            print(f"x{result['scale']} {page}: plans of the message queries ({result['info']['database']})")
            for query in result["explain"][page]["message_queries"]:
                print(f"  {query['ms']:.2f} ms  {query['sql'][:700]}")
                for line in query["plan"]:
                    print(f"      {line}")
    print_summary(results)
    if options.json_out:
        summary = {"options": vars(options), "results": results, "scaling": scaling(results, ("bare", *PAGES))}
        Path(options.json_out).write_text(json.dumps(summary, indent=1, default=str))


def main() -> None:
    commands = {"_setup": setup_command, "_count": count_command, "_explain": explain_command}
    if internal_command(commands, {"--month-consultations": MONTH_CONSULTATIONS, "--export-repeat": 3}):
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--pages-per-user", type=int, default=25, help="requests per user in each page phase")
    parser.add_argument("--month-consultations", type=int, default=MONTH_CONSULTATIONS, help="billed in the month")
    parser.add_argument("--export-repeat", type=int, default=3, help="exports timed over HTTP and in-process")
    options = parser.parse_args()
    run_all_scales(options, run_scale, report)


if __name__ == "__main__":
    main()
