"""Load generator for bench/two_servers_bench.py: a bounded mixed patient load over one or more app servers,
built on auth_load.py's Client, login steps and run_users.

    python bench/mixed_load.py --base-url http://127.0.0.1:PORT --phase mixed --users 20 --per-user 1000000 \
        --max-seconds 180 --accounts accounts.json --sms-dir DIR --out result.json

Virtual user i uses account i of --accounts: {national_id, mobile, password, type_id, week_path, servers}.
`servers` lists the base URLs of the app servers (default: --base-url alone); each user sends its requests
to them in turn (request k of user i to server (i + k) % len(servers)), so a login begun on one server is
finished on the other and every page is read from both: the session must live in the shared database.

Each user logs in once (login_page, password_step, code_step: auth_load.run_login, the code read from
SMS_DIR/<mobile>), then repeats this journey until --max-seconds have passed:

    min_side      GET  /min-side/                         200, <h1>Min side</h1>
    types         GET  /timer/bestill/                    200, <h1>Bestill time</h1>, a link to the GP type
    week          GET  week_path (the GP type, one week)  200, <h1>Velg tidspunkt ...</h1>; one of its free times
                                                          is picked at random (none free: outcome "no_free_time")
    confirm_page  GET  /timer/bestill/tid/<slot>/         200, <h1>Bekreft timen</h1> and the form's CSRF token
    book          POST the same, with a reason            302 to /timer/<id>/bestilt/; or 400 with «Timen er
                                                          dessverre ikke lenger ledig» / «Denne timen kan ikke
                                                          bestilles på nett» (another user took the time between
                                                          the week page and the POST): recorded as book_taken,
                                                          counted as outcome "taken", not an error; the journey
                                                          then goes on from «Mine timer» without a cancel
    mine          GET  /timer/                            200, <h1>Mine timer</h1> (and a link to cancel the
                                                          appointment just booked)
    cancel_page   GET  /timer/<id>/avbestill/             200, <h1>Vil du avbestille timen?</h1> and its form
    cancel        POST the same                           302 to /timer/<id>/avbestilt/
    receipt       GET  /timer/<id>/avbestilt/             200, <h1>Timen er avbestilt</h1>

An error is any other status (5xx included), a connection error or timeout, or a page without its marker;
it is counted under the request's kind (errors_by_kind, with the first messages in error_messages), and the
user logs in afresh at its next round. Latencies (connect to end of body, seconds) are kept for answers that
are not errors. The result's "requests" counts every request sent, by kind.
"""

import argparse
import json
import random
import re
import threading
import urllib.parse

from auth_load import FAILURES, Client, Unexpected, add_common_arguments, run_login, run_users

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
MIN_SIDE = re.compile(rb"<h1>\s*Min side\s*</h1>")
TYPES = re.compile(rb"<h1>\s*Bestill time\s*</h1>")
WEEK = re.compile(rb"<h1>\s*Velg tidspunkt( hos [^<]+)?\s*</h1>")
SLOT_LINK = re.compile(rb'<a class="slot" href="/timer/bestill/tid/(\d+)/">')
CONFIRM = re.compile(rb"<h1>\s*Bekreft timen\s*</h1>")
# The refusal of a time booked by another user between the week page and the POST: «no longer available» when
# the two bookings raced (the unique constraint), «cannot be booked online» when the other one was saved first
# (the time is no longer among the bookable ones). form_page answers a refusal with 400.
TAKEN = re.compile(
    '<div class="form-error" role="alert"><p>(Timen er dessverre ikke lenger ledig|Denne timen kan ikke bestilles på '
    "nett.)</p>".encode()
)
FORM_ERROR = re.compile(rb'<div class="form-error" role="alert"><p>(.*?)</p>', re.S)
MINE = re.compile(rb"<h1>\s*Mine timer\s*</h1>")
CANCEL_PAGE = re.compile(rb"<h1>\s*Vil du avbestille timen\?\s*</h1>")
RECEIPT = re.compile(rb"<h1>\s*Timen er avbestilt\s*</h1>")
BOOKED_LOCATION = re.compile(r"^/timer/(\d+)/bestilt/$")
REASONS = ["Kontroll", "Vondt i ryggen", "Resept", "Hoste og feber", "Sykmelding", "Blodtrykk"]
KEEP_MESSAGES = 50


class AlternatingClient(Client):
    """auth_load's Client (one cookie jar) sending each request to the next server in turn."""

    def __init__(self, servers: list[tuple[str, int]], first: int):
        super().__init__(*servers[first % len(servers)])
        self.servers, self.turn = servers, first

    def request(self, method, path, form=None, extra_headers=None):
        self.host, self.port = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        return super().request(method, path, form, extra_headers)


class Tally:
    """Requests, errors and outcomes by kind, shared by the users' threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.outcomes: dict[str, int] = {}
        self.messages: list[str] = []

    def count(self, table: dict, key: str, n: int = 1) -> None:
        with self.lock:
            table[key] = table.get(key, 0) + n

    def error(self, kind: str, message: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.messages) < KEEP_MESSAGES:
                self.messages.append(f"{kind}: {message}")


class StepFailed(Exception):
    """A request of the journey was an error (already counted); the round ends."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, ["mixed"])
    options = parser.parse_args()
    accounts = json.loads(options.accounts.read_text())
    if len(accounts) < options.users:
        parser.error(f"need {options.users} accounts, got {len(accounts)}")
    tally = Tally()

    def call(client, record, kind, method, path, *, form=None, expect_status=200, marker=None):
        """One request of the journey: counted, checked (status, marker), timed if it is not an error."""
        tally.count(tally.requests, kind)
        try:
            status, headers, content, elapsed = client.request(method, path, form)
        except FAILURES as exc:
            tally.error(kind, f"{method} {path}: {type(exc).__name__}: {exc}")
            raise StepFailed from exc
        location = headers.get("Location", "")
        problem = None
        if status != expect_status:
            problem = f"HTTP {status} {location} {content[:200]!r}"
        elif marker is not None and not marker.search(content):
            problem = f"HTTP {status} without {marker.pattern!r}: {content[:200]!r}"
        if problem:
            tally.error(kind, f"{method} {path}: {problem}")
            raise StepFailed
        record(kind, elapsed)
        return status, location, content

    def token(content: bytes, kind: str) -> str:
        found = CSRF_INPUT.search(content)
        if found is None:
            tally.error(kind, "no CSRF token in the form")
            raise StepFailed
        return found.group(1).decode()

    def login(client: AlternatingClient, record, account: dict) -> None:
        done = {"login_page": 0, "password_step": 0, "code_step": 0}

        def record_login(name, seconds):
            done[name] += 1
            record(name, seconds)

        try:
            run_login(client, record_login, account, options.sms_dir)
        except FAILURES as exc:
            # The step that failed is the first one not recorded; the ones before it were counted when recorded.
            failed = next(name for name, n in done.items() if not n)
            for name, n in done.items():
                tally.count(tally.requests, name, n)
            tally.count(tally.requests, failed)
            tally.error(failed, f"{type(exc).__name__}: {exc}")
            raise StepFailed from exc
        for name, n in done.items():
            tally.count(tally.requests, name, n)
        tally.count(tally.outcomes, "logins")

    def journey(client: AlternatingClient, record, account: dict, rng: random.Random) -> None:
        call(client, record, "min_side", "GET", "/min-side/", marker=MIN_SIDE)
        type_link = re.compile(f'href="/timer/bestill/{account["type_id"]}/"'.encode())
        _, _, content = call(client, record, "types", "GET", "/timer/bestill/", marker=TYPES)
        if not type_link.search(content):
            tally.error("types", "no link to the GP type")
            raise StepFailed
        _, _, content = call(client, record, "week", "GET", account["week_path"], marker=WEEK)
        free = SLOT_LINK.findall(content)
        if not free:
            tally.count(tally.outcomes, "no_free_time")
            return
        slot_path = f"/timer/bestill/tid/{rng.choice(free).decode()}/"
        _, _, content = call(client, record, "confirm_page", "GET", slot_path, marker=CONFIRM)
        form = {"csrfmiddlewaretoken": token(content, "confirm_page"), "reason": rng.choice(REASONS)}
        tally.count(tally.requests, "book")
        try:
            status, headers, content, elapsed = client.request("POST", slot_path, form)
        except FAILURES as exc:
            tally.error("book", f"POST {slot_path}: {type(exc).__name__}: {exc}")
            raise StepFailed from exc
        booked = BOOKED_LOCATION.match(headers.get("Location", "")) if status == 302 else None
        taken = TAKEN.search(content) if booked is None and status == 400 and CONFIRM.search(content) else None
        if taken is not None:
            record("book_taken", elapsed)
            tally.count(tally.outcomes, "taken")
            tally.count(tally.outcomes, "taken: " + taken.group(1).decode())
            call(client, record, "mine", "GET", "/timer/", marker=MINE)
            return
        if booked is None:
            shown = FORM_ERROR.search(content)
            what = shown.group(1).decode(errors="replace") if shown else repr(content[:300])
            tally.error("book", f"POST {slot_path}: HTTP {status} {headers.get('Location', '')} {what}")
            raise StepFailed
        record("book", elapsed)
        tally.count(tally.outcomes, "booked")
        appointment = booked.group(1)
        cancel_path = f"/timer/{appointment}/avbestill/"
        _, _, content = call(client, record, "mine", "GET", "/timer/", marker=MINE)
        if cancel_path.encode() not in content:
            tally.error("mine", f"no link to cancel appointment {appointment}")
            raise StepFailed
        _, _, content = call(client, record, "cancel_page", "GET", cancel_path, marker=CANCEL_PAGE)
        receipt_path = f"/timer/{appointment}/avbestilt/"
        _, location, _ = call(
            client,
            record,
            "cancel",
            "POST",
            cancel_path,
            form={"csrfmiddlewaretoken": token(content, "cancel_page")},
            expect_status=302,
        )
        if location != receipt_path:
            tally.error("cancel", f"redirected to {location}, not {receipt_path}")
            raise StepFailed
        call(client, record, "receipt", "GET", receipt_path, marker=RECEIPT)
        tally.count(tally.outcomes, "cancelled")

    default = urllib.parse.urlsplit(options.base_url)

    def prepare(index: int, _record, _fail):
        urls = accounts[index].get("servers") or [options.base_url]
        servers = [(u.hostname, u.port) for u in map(urllib.parse.urlsplit, urls)] or [(default.hostname, default.port)]
        return {"client": AlternatingClient(servers, index), "logged_in": False, "rng": random.Random(index)}

    def one_round(index: int, state: dict, _round: int, record) -> None:
        account = accounts[index]
        try:
            if not state["logged_in"]:
                login(state["client"], record, account)
                state["logged_in"] = True
            journey(state["client"], record, account, state["rng"])
            record("mixed", 0.0)  # one journey done (its count is the phase's completed rounds)
        except StepFailed:
            state["logged_in"] = False  # start again with a fresh login
        except Unexpected as exc:  # not expected here; counted rather than stopping the user
            tally.error("other", str(exc))
            state["logged_in"] = False

    run_users(
        options,
        prepare,
        one_round,
        {
            "requests": tally.requests,
            "errors_by_kind": tally.errors,
            "outcomes": tally.outcomes,
            "error_messages": tally.messages,
        },
    )


if __name__ == "__main__":
    main()
