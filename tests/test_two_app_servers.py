"""Two app servers, one database: the portal's limits hold across `eportal serve` processes, not only within one.

Two `eportal serve` processes (gunicorn, production settings, two workers each) run on two loopback ports against
one PostgreSQL database and one Redis database made for this test, seeded with the demo clinic and a few patient
accounts. Requests alternate between the two servers (A, B, A, ...), or go to both at the same moment, and the
test shows that:

1. the SMS caps count across servers: login codes asked for one account alternately on A and B stop at the
   per-account cap (EPORTAL_SMS_CAP_ACCOUNT_15MIN, 3 here); the next request is refused on either server with
   «For mange SMS er sendt», the SMS ledger holds exactly the cap's number of entries, and the last code sent
   still logs in on the other server. Asked for at the same moment from many addresses on both servers, exactly
   the cap's number of codes is sent again;
2. the password lockout counts across servers: wrong passwords alternated between A and B lock the account from
   that address at exactly AXES_FAILURE_LIMIT failures («For mange mislykkede forsøk» on the last one), after
   which even the right password is refused on both servers and no SMS is sent;
3. one booking per slot: two patients, one logged in through each server, book the same free time at the same
   moment, one through A and one through B; exactly one gets it, the other reads «Timen er dessverre ikke lenger
   ledig», and the database holds one active appointment for the time. Repeated for three times, the servers
   swapped each round;
4. the counters kept in Redis are shared too: «Hjelp til innlogging» asked for one person from a new address each
   time, alternately on A and B, queues exactly EPORTAL_MAIL_CAP_PERSON_HOUR e-mails (3 here), while every answer
   stays «Sjekk e-posten din» (counted per process, each of the four gunicorn workers would let 3 through).

The database and Redis are the test's own whatever the suite runs on (tests/app_servers.py), so it runs in both
CI passes; PostgreSQL or Redis not answering fails the test, it never skips.
"""

import json
import re
import threading

import psycopg
from django.conf import settings

from tests.app_servers import (
    CSRF_INPUT,
    AppServer,
    Browser,
    app_servers,
    own_postgres_database,
    own_redis_database,
    production_environment,
    run_eportal,
)

SMS_CAP = 3  # EPORTAL_SMS_CAP_ACCOUNT_15MIN on the servers
MAIL_CAP = 3  # EPORTAL_MAIL_CAP_PERSON_HOUR on the servers
BOOKING_ROUNDS = 3
PASSWORD = "to servere en database"  # noqa: S105 - the test accounts' password
LOGIN_PATH = "/logg-inn/engangspassord/"
CODE_PATH = "/logg-inn/kode/"
SMS_LIMIT_TEXT = "For mange SMS er sendt. Du kan be om en ny kode"
WRONG_PASSWORD_TEXT = "Feil personnummer eller passord"
LOCKOUT_TEXT = "For mange mislykkede forsøk."
TAKEN_TEXT = "Timen er dessverre ikke lenger ledig"
HELP_PATH = "/hjelp-til-innlogging/"
HELP_SENT_TEXT = "Sjekk e-posten din"
ACCOUNT_MAIL_TASK = "eportal.accounts.services.account_mail.send_account_email"
BOOKED_LOCATION = re.compile(r"^/timer/(\d+)/bestilt/$")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

# Run in `eportal shell` after `eportal seed-demo`: accounts (Argon2, as in production) for five adult list
# patients of one GP who share their mobile with nobody and have no appointment yet, and three free times of
# that GP at least two days ahead; printed as one JSON line.
SETUP_SCRIPT = """
import datetime, json
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Count
from django.utils import timezone
from eportal.accounts.models import User
from eportal.booking import selectors
from eportal.booking.models import Appointment, AppointmentType
from eportal.clinic.models import Guardianship, ListPatient, Practitioner

gp = Practitioner.objects.get(hpr_number="9100022")
shared = set(
    ListPatient.objects.values("mobile").annotate(n=Count("id")).filter(n__gt=1).values_list("mobile", flat=True)
)
children = set(Guardianship.objects.values_list("child_id", flat=True))
booked = set(Appointment.objects.values_list("patient_id", flat=True))
patients = [
    patient
    for patient in ListPatient.objects.filter(gp=gp).exclude(last_name="Nordmann").order_by("pk")
    if patient.mobile and patient.mobile not in shared and patient.pk not in children and patient.pk not in booked
][:5]
encoded = make_password(PASSWORD)
now = timezone.now()
accounts = []
for patient in patients:
    user = User.objects.create(
        username=patient.national_id,
        national_id=patient.national_id,
        email=patient.email or f"pasient{patient.pk}@example.com",
        password=encoded,
        is_active=True,
        consent_version=settings.EPORTAL_CONSENT_VERSION,
        consent_given_at=now,
    )
    accounts.append(
        {"user": user.pk, "patient": patient.pk, "national_id": patient.national_id, "mobile": patient.mobile}
    )
kind = AppointmentType.objects.get(name="Vanlig konsultasjon")
free = selectors.free_online_slots(patient=patients[0], appointment_type=kind, limit=None)
slots = list(free.filter(starts_at__gt=now + datetime.timedelta(days=2)).values_list("pk", flat=True)[:SLOTS])
print("SETUP " + json.dumps({"accounts": accounts, "slots": slots}))
"""


class Database:
    """The servers' database, read directly by the test (autocommit: every query sees what has been committed)."""

    def __init__(self, url: str):
        self.connection = psycopg.connect(url, autocommit=True)

    def value(self, query: str, *params):
        return self.connection.execute(query, params).fetchone()[0]

    def rows(self, query: str, *params) -> list[tuple]:
        return self.connection.execute(query, params).fetchall()

    def last_code(self, mobile: str) -> str:
        body = self.value(
            "SELECT body FROM notifications_outboxmessage WHERE channel = 'sms' AND recipient = %s "
            "ORDER BY id DESC LIMIT 1",
            mobile,
        )
        return CODE.search(body).group(1)

    def sms_count(self, mobile: str) -> int:
        return self.value(
            "SELECT count(*) FROM notifications_outboxmessage WHERE channel = 'sms' AND recipient = %s", mobile
        )

    def ledger(self, user_id: int) -> list[tuple]:
        return self.rows(
            "SELECT purpose, status FROM notifications_smsledgerentry WHERE user_id = %s ORDER BY id", user_id
        )


def together(calls: list) -> list:
    """Run the calls in threads released at the same moment; what each returned (an exception fails the test)."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[str] = []

    def run(index: int, call) -> None:
        start.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and not any(thread.is_alive() for thread in threads), errors or "a request did not finish"
    return results


def log_in(browser: Browser, server: AppServer, account: dict, db: Database) -> None:
    """Password, then the SMS code from the outbox, on one server."""
    answer = browser.post_form(server, LOGIN_PATH, {"national_id": account["national_id"], "password": PASSWORD})
    assert (answer.status, answer.location) == (302, CODE_PATH), answer.text[:1000]
    before = browser.session
    answer = browser.post_form(server, CODE_PATH, {"code": db.last_code(account["mobile"])})
    assert (answer.status, answer.location) == (302, "/min-side/"), answer.text[:1000]
    assert browser.session and browser.session != before


def check_sms_caps(servers: list[AppServer], db: Database, account: dict, burst_account: dict) -> dict:
    a, b = servers
    # One person asks for a new code again and again, alternately on A and on B, from one address.
    browser = Browser("192.0.2.10")
    answers = []
    for attempt in range(SMS_CAP + 2):
        server = servers[attempt % 2]
        answer = browser.post_form(server, LOGIN_PATH, {"national_id": account["national_id"], "password": PASSWORD})
        answers.append((server.name, answer.status, answer.location))
        if attempt < SMS_CAP:
            assert (answer.status, answer.location) == (302, CODE_PATH), f"SMS {attempt + 1} on {server.name}"
            assert db.sms_count(account["mobile"]) == attempt + 1
        else:
            assert answer.status == 400 and SMS_LIMIT_TEXT in answer.text, (server.name, answer.text[:1000])
    assert db.ledger(account["user"]) == [("login_code", "sent")] * SMS_CAP
    assert db.sms_count(account["mobile"]) == SMS_CAP
    # The refusals replaced nothing: the last code sent (on A) logs in on the other server.
    last_server = servers[(SMS_CAP - 1) % 2]
    other = b if last_server is a else a
    answer = browser.post_form(other, CODE_PATH, {"code": db.last_code(account["mobile"])})
    assert (answer.status, answer.location) == (302, "/min-side/"), answer.text[:1000]

    # Many ask at the same moment, half on each server, each from an address of its own: still the cap.
    burst = 4 * SMS_CAP
    browsers = [Browser(f"198.51.100.{index + 1}") for index in range(burst)]
    targets = [servers[index % 2] for index in range(burst)]
    tokens = [browser.form_token(server, LOGIN_PATH) for browser, server in zip(browsers, targets, strict=True)]
    form = {"national_id": burst_account["national_id"], "password": PASSWORD}
    results = together(
        [
            lambda browser=browser, server=server, token=token: browser.post_form(server, LOGIN_PATH, form, token=token)
            for browser, server, token in zip(browsers, targets, tokens, strict=True)
        ]
    )
    sent = [answer for answer in results if (answer.status, answer.location) == (302, CODE_PATH)]
    refused = [answer for answer in results if answer.status == 400 and SMS_LIMIT_TEXT in answer.text]
    assert (len(sent), len(refused)) == (SMS_CAP, burst - SMS_CAP), [(r.status, r.location) for r in results]
    assert db.ledger(burst_account["user"]) == [("login_code", "sent")] * SMS_CAP
    assert db.sms_count(burst_account["mobile"]) == SMS_CAP
    return {"alternated": answers, "burst_requests": burst, "burst_sent": len(sent)}


def check_lockout(servers: list[AppServer], db: Database, account: dict) -> dict:
    limit = settings.AXES_FAILURE_LIMIT  # the servers run the same settings module
    address = "192.0.2.20"
    browser = Browser(address)
    statuses = []
    for attempt in range(1, limit + 1):
        server = servers[(attempt - 1) % 2]
        answer = browser.post_form(
            server, LOGIN_PATH, {"national_id": account["national_id"], "password": "feil-passord"}
        )
        statuses.append((server.name, answer.status))
        if attempt < limit:
            assert answer.status == 400 and WRONG_PASSWORD_TEXT in answer.text, (attempt, answer.text[:1000])
        else:
            assert answer.status == 429 and LOCKOUT_TEXT in answer.text, (attempt, answer.text[:1000])
    failures = db.value(
        "SELECT coalesce(sum(failures_since_start), 0) FROM axes_accessattempt WHERE ip_address = %s", address
    )
    assert failures == limit
    # Now even the right password is refused, on both servers, and no code is sent.
    for server in servers:
        answer = browser.post_form(server, LOGIN_PATH, {"national_id": account["national_id"], "password": PASSWORD})
        statuses.append((server.name, answer.status))
        assert answer.status == 429 and LOCKOUT_TEXT in answer.text, (server.name, answer.text[:1000])
    assert db.ledger(account["user"]) == []
    assert (
        db.value(  # tries during the lockout neither count nor prolong it
            "SELECT coalesce(sum(failures_since_start), 0) FROM axes_accessattempt WHERE ip_address = %s", address
        )
        == limit
    )
    return {"limit": limit, "failures_recorded": failures, "answers": statuses}


def check_one_booking_per_slot(servers: list[AppServer], db: Database, accounts: list[dict], slots: list) -> list:
    a, b = servers
    patients = [Browser("192.0.2.31"), Browser("192.0.2.32")]
    log_in(patients[0], a, accounts[0], db)
    log_in(patients[1], b, accounts[1], db)
    winners = []
    for round_, slot in enumerate(slots):
        # The sessions are the database's: each patient may use either server. Swap them every round.
        sides = [a, b] if round_ % 2 == 0 else [b, a]
        path = f"/timer/bestill/tid/{slot}/"
        tokens = []
        for browser, server in zip(patients, sides, strict=True):
            page = browser.request(server, "GET", path)
            assert page.status == 200 and "BESTILL TIME" in page.text, (server.name, page.status, page.text[:1000])
            tokens.append(CSRF_INPUT.search(page.text).group(1))
        results = together(
            [
                lambda browser=browser, server=server, token=token, path=path: browser.post_form(
                    server, path, {"reason": "Kontroll"}, token=token
                )
                for browser, server, token in zip(patients, sides, tokens, strict=True)
            ]
        )
        booked = [index for index, answer in enumerate(results) if answer.status == 302]
        assert len(booked) == 1, [(answer.status, answer.location, answer.text[:300]) for answer in results]
        winner, loser = booked[0], 1 - booked[0]
        assert BOOKED_LOCATION.match(results[winner].location), results[winner].location
        assert results[loser].status == 400 and TAKEN_TEXT in results[loser].text, results[loser].text[:1000]
        active = db.rows(
            "SELECT id, patient_id FROM booking_appointment WHERE slot_id = %s AND cancelled_at IS NULL", slot
        )
        appointment_id = int(BOOKED_LOCATION.match(results[winner].location).group(1))
        assert active == [(appointment_id, accounts[winner]["patient"])]
        winners.append({"slot": slot, "winner": f"patient {winner + 1} via {sides[winner].name}"})
    return winners


def check_mail_cap(servers: list[AppServer], db: Database, account: dict) -> dict:
    """The per-person e-mail cap, a counter in Redis: a new address each time, so no per-address limit counts."""
    requests = 2 * MAIL_CAP
    for index in range(requests):
        server = servers[index % 2]
        answer = Browser(f"203.0.113.{index + 1}").post_form(server, HELP_PATH, {"national_id": account["national_id"]})
        assert answer.status == 200 and HELP_SENT_TEXT in answer.text, (server.name, answer.text[:1000])
    queued = db.value(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
        "AND args_kwargs->'kwargs'->>'user_id' = %s",
        ACCOUNT_MAIL_TASK,
        str(account["user"]),
    )
    assert queued == MAIL_CAP
    return {"requests": requests, "emails_queued": queued}


def test_two_app_servers_share_the_caps_the_lockout_and_the_bookings(tmp_path):
    with own_postgres_database("eportal_two_servers") as database_url, own_redis_database() as redis_url:
        env = production_environment(
            database_url=database_url,
            redis_url=redis_url,
            data_dir=tmp_path,
            EPORTAL_WORKERS="2",
            EPORTAL_SMS_CAP_ACCOUNT_15MIN=str(SMS_CAP),
            EPORTAL_MAIL_CAP_PERSON_HOUR=str(MAIL_CAP),
            EPORTAL_BOOKING_MAX_FUTURE=str(BOOKING_ROUNDS + 1),  # one patient may win every round
            EPORTAL_LOG_LEVEL="WARNING",
        )
        run_eportal(env, "migrate", "--verbosity", "0", cwd=tmp_path)
        run_eportal(env, "seed-demo", cwd=tmp_path)
        script = f"PASSWORD = {PASSWORD!r}\nSLOTS = {BOOKING_ROUNDS}\n{SETUP_SCRIPT}"
        output = run_eportal(env, "shell", "-c", script, cwd=tmp_path)
        setup = json.loads(next(line for line in output.splitlines() if line.startswith("SETUP "))[6:])
        accounts, slots = setup["accounts"], setup["slots"]
        assert len(accounts) == 5 and len(slots) == BOOKING_ROUNDS, setup

        db = Database(database_url)
        try:
            with app_servers(env, ["A", "B"], folder=tmp_path) as servers:
                sms = check_sms_caps(servers, db, accounts[0], accounts[1])
                lockout = check_lockout(servers, db, accounts[2])
                bookings = check_one_booking_per_slot(servers, db, accounts[3:5], slots)
                mail = check_mail_cap(servers, db, accounts[0])
        finally:
            db.connection.close()
        print(f"\nSMS caps: {sms}\nlockout: {lockout}\nbookings: {bookings}\ne-mail cap: {mail}")
