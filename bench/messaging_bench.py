"""Load benchmark of the message pages (the patient's list and a thread, a staff inbox and a staff thread page)
against a bare Django view, at 1x and 10x the data; the cost of sealing a message; key-rotation throughput.

    .venv/bin/python bench/messaging_bench.py --commit HEAD                       # SQLite, data at 1x and 10x
    .venv/bin/python bench/messaging_bench.py --commit HEAD --database postgres   # PostgreSQL (own db, dropped)

For each data scale S it makes a fresh database (as auth_bench.py does), migrates and builds, with bulk
inserts (set-up, not measured):

    clinic       the demo clinic's row; 15 S GPs and 2 S nurses (booking_bench._practitioners); every GP
                 with a staff user of its own (its inbox); a receptionist (is_staff, messaging.view_thread
                 and messaging.read_reception_inbox, a TOTP device) who logs in over HTTP once
    patients     20,000 S synthetic list patients (auth_bench._extra_patients), a third with an account
    threads      10,000 S threads, 1-6 messages each (bodies 200-2,000 characters, sealed with
                 eportal.messaging.crypto as the app seals them; rows inserted with their sealed columns),
                 over the last two years; a third waiting in the reception inbox (waiting_since set, the
                 patient's last messages unread by the clinic), the rest in the patient's GP's inbox (30 %
                 of those waiting, the others answered, some closed); 3 % with one attachment (a sealed
                 ~50 KB JPEG)
    --users      benchmark patients, each with 30 threads (the list pages at 25), one of them in the
                 reception inbox with 20 messages and an attachment: the thread both pages open

Then it starts gunicorn as auth_bench.py does, logs each virtual user in once (password + SMS code) and the
receptionist once (password + TOTP code), and reuses those sessions. Phases, each answer checked (status,
heading, and the number of rows or messages the database says the page must show):

    bare A         GET /bench/bare/ without a session (one query, one small template)
    bare session   GET /bench/bare/ with the patient's session; bare staff: with the receptionist's
    thread list    GET /meldinger/ : the patient's threads, page 1 of 2 (25 rows)
    thread         GET /meldinger/<id>/ : 20 messages (also marks the clinic's messages read: 0 rows)
    inbox          GET /personale/meldinger/resepsjon/ : the ~3,300 S waiting threads, page 1, oldest first
    staff thread   GET /personale/meldinger/samtale/<id>/ : the same 20 messages (audits a read each time)
    bare B         as bare A

Reported per scale: p50, p99, requests/s, each as a ratio to bare (A and B pooled), and server CPU per
request; then the 10x/1x ratios. After the load, with the server stopped: each page rendered in-process to
count its queries (must be the same at both scales), each query on the message tables timed alone and its
plan shown (EXPLAIN); at the first scale also seal/unseal per message and per file, and rotate_keys() with a
new key first in EPORTAL_MESSAGE_KEYS (values/s, MB/s).
"""

import argparse
import contextlib
import datetime
import json
import math
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
    wait_quiet,
    workspace,
)
from booking_bench import _plan, _practitioners

BENCH_DIR = Path(__file__).resolve().parent
MESSAGING_LOAD = BENCH_DIR / "messaging_load.py"
SEED = 20261202
PATIENTS, THREADS = 20_000, 10_000  # at 1x
RECEPTION_WAITING_SHARE = 1 / 3
GP_WAITING_SHARE = 0.3
CLOSED_SHARE = 0.1
UNREAD_ANSWER_SHARE = 0.3  # answered threads whose last answer the patient has not read
ATTACHMENT_SHARE = 0.03
MESSAGES_PER_THREAD = (1, 6)
BODY_CHARS = (200, 2000)
BENCH_THREADS, BIG_THREAD_MESSAGES = 30, 20
PAGE_SIZE = 25  # eportal.messaging.selectors.PAGE_SIZE
JPEG_PIXELS = (800, 600)  # noise, blurred, quality 70: about 50 KB
RECEPTIONIST = "benk-resepsjon"
CHUNK = 2000  # threads per bulk insert round
PAGES = {
    "bare_session": "bare, logged in",
    "bare_staff": "bare, staff session",
    "threads": "thread list",
    "thread": "thread, 20 messages",
    "inbox": "reception inbox",
    "staff_thread": "staff thread page",
}
IN_PROCESS = ("threads", "thread", "inbox", "staff_thread")
WORDS_TEXT = (
    "hei jeg har hatt vondt i ryggen siden forrige uke og lurer på om dere kan fornye resepten min legen sa at "
    "prøvesvarene skulle komme før helgen kan få time hos fastlegen blodtrykket er høyt om morgenen takk for "
    "svaret vi har sendt resepten til apoteket ring oss gjerne i telefontiden hilsen sykmelding attest vaksine "
    "feber hoste utslett magen søvn øyet ørene bør må skal kanskje dessverre fortsatt bedre verre"
)
SUBJECTS = ["Resept", "Prøvesvar", "Sykmelding", "Time", "Blodtrykk", "Attest", "Vaksine", "Henvisning", "Utslett"]


# --- inside the setup process (Django configured with benchsite.settings) -------------------------


def _corpus(rng: random.Random, chars: int = 200_000) -> str:
    """Norwegian-looking text with æ, ø, å and line breaks, from which message bodies are cut."""
    words = WORDS_TEXT.split()
    parts, length = [], 0
    while length < chars:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(5, 16))).capitalize()
        sentence += "." + ("\n\n" if rng.random() < 0.15 else " ")
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)


def _jpeg(rng: random.Random) -> bytes:
    import io

    from PIL import Image, ImageFilter

    width, height = JPEG_PIXELS
    image = Image.frombytes("RGB", JPEG_PIXELS, rng.randbytes(width * height * 3)).filter(ImageFilter.GaussianBlur(2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@contextlib.contextmanager
def _dates_as_given():
    """Threads and messages keep the set-up's created_at (auto_now_add would set every row to now)."""
    from eportal.messaging.models import Message, Thread

    fields = [Thread._meta.get_field("created_at"), Message._meta.get_field("created_at")]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


class Writer:
    """Threads with their messages and attachments, sealed as the app seals them, saved CHUNK threads at a time."""

    def __init__(self, rng: random.Random, now: datetime.datetime, gp_names: dict[int, str]):
        self.rng, self.now, self.gp_names = rng, now, gp_names
        self.corpus = _corpus(rng)
        self.jpeg = _jpeg(rng)
        self.pending: list[tuple] = []  # (thread, [message, ...], index of the message with an attachment or None)
        self.counts = {"threads": 0, "messages": 0, "attachments": 0, "sealed_chars": 0}
        self.subjects = 0

    def body(self, chars: int | None = None) -> str:
        chars = chars or self.rng.randint(*BODY_CHARS)
        start = self.rng.randrange(len(self.corpus) - chars)
        return self.corpus[start : start + chars]

    def subject(self) -> str:
        self.subjects += 1
        return f"{self.rng.choice(SUBJECTS)} {self.subjects}"

    def roles(self, count: int, waiting: bool) -> list[str]:
        roles = ["patient"]
        for _ in range(count - 1):
            same = self.rng.random() < 0.25
            roles.append(roles[-1] if same else ("staff" if roles[-1] == "patient" else "patient"))
        if waiting:
            roles[-1] = "patient"
        elif count > 1:
            roles[-1] = "staff"
        return roles

    def add(
        self, patient: tuple[int, int | None, str], *, practitioner_id: int | None, roles: list[str], waiting: bool,
        end: datetime.datetime, subject: str | None = None, attachment_at: int | None = None, closed: bool = False,
        last_answer_unread: bool = False,
    ):  # fmt: skip
        """One thread of `patient` (id, GP id, name) ending at `end`, in reception's inbox (practitioner_id
        None) or a GP's. Waiting: the patient's messages after the clinic's last one are unread by the clinic."""
        from eportal.messaging.crypto import seal_text
        from eportal.messaging.models import Message, Thread

        rng = self.rng
        times = [end]
        for _ in roles[1:]:
            times.append(times[-1] - datetime.timedelta(minutes=rng.randint(10, 3 * 24 * 60)))
        times.reverse()
        last_staff = max((i for i, role in enumerate(roles) if role == "staff"), default=-1)
        staff_name = self.gp_names.get(practitioner_id, "Resepsjonen")
        messages = []
        for index, (role, at) in enumerate(zip(roles, times, strict=True)):
            later = times[index + 1] if index + 1 < len(times) else min(self.now, at + datetime.timedelta(hours=2))
            body = seal_text(self.body())
            self.counts["sealed_chars"] += len(body)
            messages.append(
                Message(
                    author_role=Message.Role.STAFF if role == "staff" else Message.Role.PATIENT,
                    author_name=staff_name if role == "staff" else patient[2],
                    body_sealed=body,
                    created_at=at,
                    read_by_clinic_at=None if role == "staff" or (waiting and index > last_staff) else later,
                    read_by_patient_at=(
                        None if role != "staff" or (index == len(roles) - 1 and last_answer_unread) else later
                    ),
                )
            )
        first_waiting = next((times[i] for i in range(last_staff + 1, len(roles))), None) if waiting else None
        sealed_subject = seal_text(subject or self.subject())
        self.counts["sealed_chars"] += len(sealed_subject)
        thread = Thread(
            patient_id=patient[0],
            kind=Thread.Kind.RECEPTION,
            subject_sealed=sealed_subject,
            practitioner_id=practitioner_id,
            created_at=times[0],
            last_message_at=times[-1],
            waiting_since=first_waiting,
            closed_at=times[-1] + datetime.timedelta(minutes=5) if closed and not waiting else None,
        )
        self.pending.append((thread, messages, attachment_at))
        if len(self.pending) >= CHUNK:
            self.save()
        return thread

    def add_usual(self, patient: tuple[int, int | None, str]):
        """A thread as most are: reception waiting (a third), else the GP's inbox, waiting or answered."""
        rng = self.rng
        count = rng.randint(*MESSAGES_PER_THREAD)
        reception = rng.random() < RECEPTION_WAITING_SHARE or patient[1] is None
        waiting = reception or rng.random() < GP_WAITING_SHARE
        days = 30 if waiting else 730
        end = self.now - datetime.timedelta(minutes=rng.randint(60, days * 24 * 60))
        roles = self.roles(count, waiting)
        patient_side = [i for i, role in enumerate(roles) if role == "patient"]
        return self.add(
            patient,
            practitioner_id=None if reception else patient[1],
            roles=roles,
            waiting=waiting,
            end=end,
            attachment_at=rng.choice(patient_side) if rng.random() < ATTACHMENT_SHARE else None,
            closed=not waiting and rng.random() < CLOSED_SHARE,
            last_answer_unread=rng.random() < UNREAD_ANSWER_SHARE,
        )

    def save(self) -> None:
        from eportal.messaging.crypto import seal, seal_text
        from eportal.messaging.models import Attachment, Message, Thread

        if not self.pending:
            return
        with _dates_as_given():
            Thread.objects.bulk_create([thread for thread, _, _ in self.pending], batch_size=500)
            messages = []
            for thread, thread_messages, _ in self.pending:
                for message in thread_messages:
                    message.thread_id = thread.pk
                    messages.append(message)
            Message.objects.bulk_create(messages, batch_size=500)
        attachments = []
        for _thread, thread_messages, at in self.pending:
            if at is not None:
                attachment = Attachment(
                    message_id=thread_messages[at].pk,
                    content_type="image/jpeg",
                    size=len(self.jpeg),
                    name_sealed=seal_text(f"bilde-{self.rng.randrange(10_000)}.jpg"),
                    data_sealed=seal(self.jpeg),
                )
                self.counts["sealed_chars"] += len(attachment.name_sealed) + len(attachment.data_sealed)
                attachments.append(attachment)
        Attachment.objects.bulk_create(attachments, batch_size=50)
        self.counts["threads"] += len(self.pending)
        self.counts["messages"] += len(messages)
        self.counts["attachments"] += len(attachments)
        self.pending = []


def _staff(password_hash: str) -> dict:
    """A staff user per GP (their inbox) and the receptionist who logs in; returns the receptionist's login."""
    from django.contrib.auth.models import Group, Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from eportal.accounts.models import User
    from eportal.clinic.models import Practitioner

    def group(name: str, codenames: list[str]) -> Group:
        made = Group.objects.create(name=name)
        made.permissions.set(Permission.objects.filter(content_type__app_label="messaging", codename__in=codenames))
        return made

    gps = list(Practitioner.objects.filter(role=Practitioner.Role.GP).order_by("pk"))
    users = User.objects.bulk_create(
        [
            User(username=f"lege-{gp.hpr_number}", first_name=gp.first_name, last_name=gp.last_name,
                 password=password_hash, is_staff=True)
            for gp in gps
        ]
    )  # fmt: skip
    for gp, user in zip(gps, users, strict=True):
        gp.user = user
    Practitioner.objects.bulk_update(gps, ["user"])
    group("Lege", ["view_thread"]).user_set.add(*users)
    receptionist = User.objects.create(
        username=RECEPTIONIST, first_name="Rita", last_name="Resepsjon", password=password_hash, is_staff=True
    )
    group("Resepsjon", ["view_thread", "read_reception_inbox"]).user_set.add(receptionist)
    device = TOTPDevice.objects.create(user=receptionist, name="benk", confirmed=True)
    return {"username": RECEPTIONIST, "password": PASSWORD, "totp_key_hex": device.key}


def setup_command(options) -> None:
    _django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    import eportal
    from eportal.accounts.models import User
    from eportal.clinic.models import ListPatient, Practitioner
    from eportal.messaging.models import Attachment, Message, Thread

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

    t0 = time.perf_counter()
    patients = [
        (pk, gp, f"{first} {last}")
        for pk, gp, first, last in ListPatient.objects.order_by("pk").values_list(
            "pk", "gp_id", "first_name", "last_name"
        )
    ]
    bench = rng.sample([p for p in patients if p[1] is not None], options.users)
    bench_ids = {p[0] for p in bench}
    others = [p for p in patients if p[0] not in bench_ids]
    gp_names = {
        pk: f"{first} {last}"
        for pk, first, last in Practitioner.objects.filter(role="gp").values_list("pk", "first_name", "last_name")
    }
    now = timezone.now()
    writer = Writer(rng, now, gp_names)
    big_threads = []
    for index, patient in enumerate(bench):
        subject = f"Benk-samtale {index + 1}: spørsmål om resept og prøvesvar"
        roles = ["patient", "staff"] * ((BIG_THREAD_MESSAGES - 2) // 2) + ["patient", "patient"]
        big_threads.append(
            (
                writer.add(
                    patient, practitioner_id=None, roles=roles, waiting=True, subject=subject, attachment_at=0,
                    end=now - datetime.timedelta(hours=rng.randint(2, 72)), last_answer_unread=True,
                ),
                subject,
            )
        )  # fmt: skip
        for _ in range(BENCH_THREADS - 1):
            writer.add_usual(patient)
    for _ in range(THREADS * options.scale - BENCH_THREADS * options.users):
        writer.add_usual(rng.choice(others))
    writer.save()
    times["threads"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    holders = list(ListPatient.objects.order_by("pk").values_list("pk", "national_id", "email"))
    holders = [h for h in rng.sample(holders, len(holders) // ACCOUNT_SHARE) if h[0] not in bench_ids]
    holders += ListPatient.objects.filter(pk__in=bench_ids).values_list("pk", "national_id", "email")
    hashing = make_accounts([(national_id, email) for _, national_id, email in holders])
    staff = _staff(User.objects.filter(national_id__isnull=False).values_list("password", flat=True).first())
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

    reception_waiting = Thread.objects.filter(practitioner__isnull=True, waiting_since__isnull=False).count()
    accounts = []
    for patient, (thread, subject) in zip(bench, big_threads, strict=True):
        listed = ListPatient.objects.get(pk=patient[0])
        threads = Thread.objects.filter(patient_id=patient[0]).count()
        accounts.append(
            {
                "national_id": listed.national_id,
                "mobile": listed.mobile,
                "password": PASSWORD,
                "thread_id": thread.pk,
                "subject": subject,
                "thread_messages": Message.objects.filter(thread_id=thread.pk).count(),
                "threads_rows": min(PAGE_SIZE, threads),
                "threads_pages": math.ceil(threads / PAGE_SIZE),
                "inbox_rows": min(PAGE_SIZE, reception_waiting),
                "inbox_pages": math.ceil(reception_waiting / PAGE_SIZE),
                "staff": staff,
            }
        )
    Path(options.accounts_out).write_text(json.dumps(accounts))
    gp_threads = Thread.objects.filter(practitioner__isnull=False)
    info = {
        "eportal": str(Path(eportal.__file__).resolve().parent),
        "database": connection.vendor,
        "gps": Practitioner.objects.filter(role="gp").count(),
        "nurses": Practitioner.objects.filter(role="nurse").count(),
        "list_patients": ListPatient.objects.count(),
        "accounts": User.objects.filter(national_id__isnull=False).count(),
        "staff_users": User.objects.filter(is_staff=True).count(),
        "threads": Thread.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "reception_waiting": reception_waiting,
        "reception_threads": Thread.objects.filter(practitioner__isnull=True).count(),
        "gp_threads": gp_threads.count(),
        "gp_waiting": gp_threads.filter(waiting_since__isnull=False).count(),
        "sealed_mb": writer.counts["sealed_chars"] / 1e6,
        "jpeg_bytes": len(writer.jpeg),
        "bench_threads": [Thread.objects.filter(patient_id=p[0]).count() for p in bench],
        **hashing,
        "setup_seconds_by_step": {k: round(v, 1) for k, v in times.items()},
        "setup_seconds": time.perf_counter() - started,
    }
    print(json.dumps(info))


def count_command(_options) -> None:
    _django()
    from eportal.accounts.models import AccountSession
    from eportal.audit.models import AuditEvent
    from eportal.messaging.models import Attachment, Message, Thread

    print(
        json.dumps(
            {
                "account_sessions": AccountSession.objects.count(),
                "threads": Thread.objects.count(),
                "messages": Message.objects.count(),
                "attachments": Attachment.objects.count(),
                "staff_viewed_thread": AuditEvent.objects.filter(action="staff_viewed_thread").count(),
                "staff_viewed_inbox": AuditEvent.objects.filter(action="staff_viewed_inbox").count(),
            }
        )
    )


def _page_paths(account: dict) -> dict[str, tuple[str, str]]:
    """page -> (which cookies, address)."""
    return {
        "threads": ("cookies", "/meldinger/"),
        "thread": ("cookies", f"/meldinger/{account['thread_id']}/"),
        "inbox": ("staff_cookies", "/personale/meldinger/resepsjon/"),
        "staff_thread": ("staff_cookies", f"/personale/meldinger/samtale/{account['thread_id']}/"),
    }


def _shape(sql: str) -> str:
    """A query with its literals blanked, to compare the queries of two runs."""
    return re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", sql)[:300]


def explain_command(options) -> None:
    """One benchmark user's pages rendered in-process (the sessions from the load run): the queries of each
    page, and for each SELECT on the message tables its time alone (median of 20) and the database's plan."""
    _django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    account = json.loads(Path(options.accounts_out).read_text())[0]
    found = {}
    for page, (cookies, path) in _page_paths(account).items():
        client = Client(SERVER_NAME="127.0.0.1")
        for name, value in account[cookies].items():
            client.cookies[name] = value
        client.get(path)  # the first request may do once-a-minute work (the session's last-seen time)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        queries = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.startswith("SELECT") or "messaging_" not in sql:
                    continue
                runs = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    runs.append(time.perf_counter() - t0)
                table = re.search(r'FROM "(\w+)"', sql).group(1)
                queries.append(
                    {
                        "label": table.removeprefix("messaging_") + (" count" if "COUNT(" in sql[:60] else ""),
                        "sql": sql,
                        "ms": statistics.median(runs) * 1000,
                        "plan": _plan(cursor, connection.vendor, sql),
                    }
                )
        found[page] = {
            "queries": len(captured.captured_queries),
            "shapes": [_shape(query["sql"]) for query in captured.captured_queries],
            "message_queries": queries,
        }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            found["max_parallel_workers_per_gather"] = cursor.fetchone()[0]
    print(json.dumps(found))


def _median_seconds(function, repeat: int, inner: int) -> float:
    """Median over `repeat` runs of the time of one call, each run timing `inner` calls."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            function()
        runs.append((time.perf_counter() - t0) / inner)
    return statistics.median(runs)


def crypto_command(_options) -> None:
    """seal_text + unseal_text of message texts, seal + unseal of attachment-sized files (in this process)."""
    _django()
    from eportal.messaging.crypto import seal, seal_text, unseal, unseal_text

    rng = random.Random(SEED)
    corpus = _corpus(rng)
    found = {"texts": [], "files": []}
    for chars in (200, 2000, 5000):
        text = corpus[:chars]
        sealed = seal_text(text)
        assert unseal_text(sealed) == text
        found["texts"].append(
            {
                "chars": chars,
                "bytes": len(text.encode()),
                "sealed_chars": len(sealed),
                "seal_us": _median_seconds(lambda text=text: seal_text(text), 25, 400) * 1e6,
                "unseal_us": _median_seconds(lambda sealed=sealed: unseal_text(sealed), 25, 400) * 1e6,
            }
        )
    for size in (1_000_000, 10_000_000):
        data = rng.randbytes(size)  # incompressible, like a photo
        sealed = seal(data)
        assert unseal(sealed) == data
        seal_s = _median_seconds(lambda data=data: seal(data), 7, 1)
        unseal_s = _median_seconds(lambda sealed=sealed: unseal(sealed), 7, 1)
        found["files"].append(
            {
                "bytes": size,
                "sealed_chars": len(sealed),
                "seal_ms": seal_s * 1000,
                "unseal_ms": unseal_s * 1000,
                "seal_mb_s": size / seal_s / 1e6,
                "unseal_mb_s": size / unseal_s / 1e6,
            }
        )
    print(json.dumps(found))


def rotate_command(_options) -> None:
    """rotate_keys() with a new key first in EPORTAL_MESSAGE_KEYS (the old one still opens the values): time per
    sealed field and for the whole, then check that every value is under the new key and still opens."""
    _django()
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.db.models import Count, Sum
    from django.db.models.functions import Length
    from django.test import override_settings

    from eportal.messaging.crypto import unseal_text
    from eportal.messaging.models import Message
    from eportal.messaging.rotation import SEALED_FIELDS, counts_by_key, rotate_keys

    before = {}
    for model, field, _batch in SEALED_FIELDS:
        sizes = model.objects.aggregate(values=Count("pk"), chars=Sum(Length(field)))
        before[f"{model._meta.model_name}.{field}"] = {"values": sizes["values"], "chars": sizes["chars"] or 0}
    sample = list(Message.objects.order_by("?").values_list("pk", "body_sealed")[:50])
    plain = {pk: unseal_text(sealed) for pk, sealed in sample}
    ring = [("rotert", Fernet.generate_key().decode()), *settings.EPORTAL_MESSAGE_KEYS]
    with override_settings(EPORTAL_MESSAGE_KEYS=ring):  # crypto._keys is cleared by its setting_changed receiver
        seconds: dict[str, float] = {}
        last = [time.perf_counter()]

        def progress(label: str, _count: int) -> None:
            now = time.perf_counter()
            seconds[label] = seconds.get(label, 0.0) + now - last[0]
            last[0] = now

        t0 = time.perf_counter()
        result = rotate_keys(progress=progress)
        total = time.perf_counter() - t0
        keys = counts_by_key()
        bodies = dict(Message.objects.filter(pk__in=plain).values_list("pk", "body_sealed"))
        opened = all(unseal_text(bodies[pk]) == text and bodies[pk].startswith("rotert:") for pk, text in plain.items())
    values = sum(b["values"] for b in before.values())
    if result.failed or result.rewritten != values or keys != {"rotert": values} or not opened:
        raise SystemExit(f"rotation: {result.rewritten} of {values} rewritten, failed {result.failed[:5]}, keys {keys}")
    fields = {
        label: {**b, "seconds": seconds.get(label, 0.0)}
        for label, b in before.items()  # (a field with no values has no batch, so no time)
    }
    print(json.dumps({"values": values, "chars": sum(b["chars"] for b in before.values()), "seconds": total,
                      "fields": fields}))  # fmt: skip


# --- the orchestrating process --------------------------------------------------------------------


def run_scale(scale: int, options) -> dict:
    with workspace("messaging", scale, options) as (workdir, env, pg_name):
        accounts_file = workdir / "accounts.json"
        setup_args = ["--users", str(options.users), "--accounts-out", str(accounts_file)]
        info = run_setup(__file__, scale, setup_args, env, workdir, options)
        accounts = json.loads(accounts_file.read_text())
        server = start_server(env, workdir, options, pg_name, scale)
        try:
            run_load(server, workdir, "bare", options.workers * 2, 10, options)  # warm-up
            login = run_load(server, workdir, "login", options.users, 1, options, accounts, MESSAGING_LOAD)
            staff = run_load(server, workdir, "staff_login", 1, 1, options, accounts, MESSAGING_LOAD)
            for index, account in enumerate(accounts):
                account["cookies"] = login["sessions"][str(index)]
                account["staff_cookies"] = staff["sessions"]["0"]  # one receptionist, one session for every user
            for page in PAGES:  # warm-up: every worker's first render of each page (and the first reads marked)
                run_load(server, workdir, page, options.users, 2, options, accounts, MESSAGING_LOAD)
            page_phase = {"per_user": options.pages_per_user, "accounts": accounts, "script": MESSAGING_LOAD}
            phases = {"bare_a": measured(server, workdir, "bare", options)}
            for page in PAGES:
                phases[page] = measured(server, workdir, page, options, **page_phase)
            phases["bare_b"] = measured(server, workdir, "bare", options)
        finally:
            server.stop()
        counts = run_helper(__file__, ["_count"], env, workdir)
        accounts_file.write_text(json.dumps(accounts))
        explained = run_helper(__file__, ["_explain", "--accounts-out", str(accounts_file)], env, workdir)
        crypto = rotation = None
        if scale == int(options.scales.split(",")[0]):
            wait_quiet(options, "crypto")
            crypto = run_helper(__file__, ["_crypto"], env, workdir, timeout=1800)
        if str(scale) in options.rotate_at.split(","):
            wait_quiet(options, "rotate-keys")
            rotation = run_helper(__file__, ["_rotate"], env, workdir, timeout=3600)

    # One session per patient and one for the receptionist, made at the logins; none lost (a logged-out user
    # would have failed the checks); no thread, message or attachment added or removed by the reads.
    expected = {"account_sessions": options.users + 1} | {k: info[k] for k in ("threads", "messages", "attachments")}
    if any(counts[key] != value for key, value in expected.items()):
        raise RuntimeError(f"after the run: {counts}; expected {expected}")
    rows, cpu, bare = page_rows(phases, PAGES)
    return {
        "scale": scale,
        "info": info,
        "counts": counts,
        "rows": rows,
        "server_cpu_ms": cpu,
        "load_cpu_ms": per_request_ms(bare, "load", rows["bare"]["n"]),
        "explain": explained,
        "crypto": crypto,
        "rotation": rotation,
        "other_cpus": {name: phase["other_cpus"] for name, phase in phases.items()},
        "attempts": {name: phase["attempts"] for name, phase in phases.items()},
    }


def describe_data(info: dict) -> str:
    return (
        f"{info['gps']} GPs, {info['nurses']} nurses, {info['staff_users']} staff users, {info['list_patients']} list "
        f"patients ({info['accounts']} accounts), {info['threads']} threads ({info['reception_waiting']} waiting in "
        f"reception, {info['gp_threads']} in GPs' inboxes of which {info['gp_waiting']} waiting), {info['messages']} "
        f"messages, {info['attachments']} attachments of {info['jpeg_bytes']} B, {info['sealed_mb']:.0f} MB sealed; "
        f"set-up {info['setup_seconds']:.0f} s {info['setup_seconds_by_step']}"
    )


def report_crypto(crypto: dict) -> None:
    print()
    print("Sealing (eportal.messaging.crypto, one process, median of many):")
    for row in crypto["texts"]:
        print(
            f"  message of {row['chars']:>5} chars ({row['bytes']} B, sealed {row['sealed_chars']} chars): "
            f"seal_text {row['seal_us']:.1f} µs, unseal_text {row['unseal_us']:.1f} µs"
        )
    for row in crypto["files"]:
        print(
            f"  file of {row['bytes'] / 1e6:.0f} MB (sealed {row['sealed_chars'] / 1e6:.1f} MB): "
            f"seal {row['seal_ms']:.1f} ms ({row['seal_mb_s']:.0f} MB/s), "
            f"unseal {row['unseal_ms']:.1f} ms ({row['unseal_mb_s']:.0f} MB/s)"
        )


def report_rotation(scale: int, rotation: dict) -> None:
    print()
    print(
        f"rotate_keys() at x{scale}: {rotation['values']} values, {rotation['chars'] / 1e6:.0f} MB sealed, "
        f"{rotation['seconds']:.1f} s: {rotation['values'] / rotation['seconds']:.0f} values/s, "
        f"{rotation['chars'] / 1e6 / rotation['seconds']:.1f} MB/s"
    )
    for label, field in rotation["fields"].items():
        rate = f"{field['values'] / field['seconds']:.0f} values/s, " if field["seconds"] else ""
        mb_rate = f"{field['chars'] / 1e6 / field['seconds']:.1f} MB/s" if field["seconds"] else ""
        print(
            f"  {label:<28}{field['values']:>8} values {field['chars'] / 1e6:>8.1f} MB {field['seconds']:>7.1f} s  "
            f"{rate}{mb_rate}"
        )


def report(results: list[dict], options) -> None:
    for result, info, rows in scale_sections(results, options, "Message pages load benchmark"):
        print(f"x{result['scale']}: {describe_data(info)}")
        print_rows(rows, ("bare", "bare_a", "bare_b", *PAGES), throughput_ratio=True)
        cpu = result["server_cpu_ms"]
        print("  server CPU per request: " + ", ".join(f"{key} {ms:.1f} ms" for key, ms in cpu.items()))
        print_other_cpus(result)
        if "max_parallel_workers_per_gather" in result["explain"]:
            print(f"  max_parallel_workers_per_gather: {result['explain']['max_parallel_workers_per_gather']}")
        for page in IN_PROCESS:
            explained = result["explain"][page]
            timings = ", ".join(f"{q['label']} {q['ms']:.2f} ms" for q in explained["message_queries"])
            print(f"  {PAGES[page]}: {explained['queries']} queries per page; message queries alone: {timings}")
    print_scaling(results, ("bare", *PAGES), throughput=True)
    if len(results) >= 2:
        low, high = results[0], results[-1]
        print("  server CPU per request: " + ", ".join(
            f"{key} {high['server_cpu_ms'][key] / low['server_cpu_ms'][key]:.2f}" for key in ("bare", *PAGES)
        ))  # fmt: skip
        for page in IN_PROCESS:
            a, b = low["explain"][page], high["explain"][page]
            pairs = zip(a["message_queries"], b["message_queries"], strict=False)
            ratios = ", ".join(f"{x['label']} {y['ms'] / x['ms']:.2f}" for x, y in pairs)
            print(f"  {PAGES[page]}: queries {a['queries']} -> {b['queries']}; message queries alone: {ratios}")
            if a["queries"] != b["queries"]:
                print(f"  !!! {PAGES[page]}: QUERIES PER PAGE DIFFER ({a['queries']} -> {b['queries']})")
                for shape in sorted(set(b["shapes"]) ^ set(a["shapes"]))[:20]:
                    print(f"      {shape}")
    for result in results:
        print()
        print(f"x{result['scale']} reception inbox: plans of the message queries ({result['info']['database']})")
        for query in result["explain"]["inbox"]["message_queries"]:
            print(f"  {query['ms']:.2f} ms  {query['sql'][:900]}")
            for line in query["plan"]:
                print(f"      {line}")
    for result in results:
        if result["crypto"]:
            report_crypto(result["crypto"])
        if result["rotation"]:
            report_rotation(result["scale"], result["rotation"])
    if options.json_out:
        summary = {"options": vars(options), "results": results, "scaling": scaling(results, ("bare", *PAGES))}
        Path(options.json_out).write_text(json.dumps(summary, indent=1, default=str))


def main() -> None:
    commands = {
        "_setup": setup_command,
        "_count": count_command,
        "_explain": explain_command,
        "_crypto": crypto_command,
        "_rotate": rotate_command,
    }
    if internal_command(commands, {"--users": 20}):
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser)
    parser.add_argument("--pages-per-user", type=int, default=50, help="requests per user in each page phase")
    parser.add_argument("--rotate-at", default="1", help="scales at which to time rotate_keys() (default 1)")
    options = parser.parse_args()
    run_all_scales(options, run_scale, report)


if __name__ == "__main__":
    main()
