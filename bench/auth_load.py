"""Load generator for bench/auth_bench.py: a separate process, standard library only (booking_load.py
builds on its Client, login steps and run_users).

    python bench/auth_load.py --base-url http://127.0.0.1:PORT --phase bare|login|code|reset --users 20 \
        --per-user 10 --max-seconds 120 [--accounts accounts.json --sms-dir DIR] --out result.json

Each virtual user is a thread with its own cookies and a new TCP connection per request (gunicorn's
sync workers close the connection after every response anyway). All users start together (a barrier)
and each stops after --per-user rounds or when --max-seconds have passed, whichever comes first.

bare:  GET /bench/bare/ per round.
login: per round, with a fresh cookie jar and the next of this user's accounts:
         login_page     GET  /logg-inn/engangspassord/          (CSRF cookie and token)
         password_step  POST /logg-inn/engangspassord/          (Argon2 check, SMS code sent) -> 302 /logg-inn/kode/
         (read the code the server wrote to SMS_DIR/<mobile>; not timed)
         code_step      POST /logg-inn/kode/                    (code checked, session made)  -> 302 /min-side/
code:  the code step alone: every user first does the login page and password step for all its
       rounds (recorded as prep_*), then all users wait for each other and post only the codes
       (recorded as code_only), so no Argon2 hashing competes with the code checks.
reset: «Hjelp til innlogging». Each user first GETs /hjelp-til-innlogging/ once for the CSRF cookie and
       token (recorded as prep_help_page, from 127.0.0.1), then per round POSTs the next of its entries
       ({national_id, kind, ip}) with "X-Forwarded-For: <ip>" (the benchmark server trusts a proxy, and
       every entry has an address of its own, so the per-network throttles count each request once) and
       expects 200 with the heading «Sjekk e-posten din»; recorded as reset_<kind> (account or unknown).
Latencies are wall-clock times from connect to the end of the response body, in seconds.
"""

import argparse
import http.client
import json
import re
import resource
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RESET_SENT = re.compile(rb"<h1>\s*Sjekk e-posten din\s*</h1>")
HELP_PATH = "/hjelp-til-innlogging/"
TIMEOUT_SECONDS = 120


class Unexpected(Exception):
    pass


FAILURES = (Unexpected, OSError, http.client.HTTPException)


class Client:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, extra_headers: dict | None = None):
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "eportal-auth-bench/1", **(extra_headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        elapsed = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, content, elapsed


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Unexpected(message)


def run_bare(client: Client, record, _account) -> None:
    status, _, content, elapsed = client.request("GET", "/bench/bare/")
    expect(status == 200 and b"<h1>" in content, f"bare: HTTP {status}")
    record("bare", elapsed)


def read_code(sms_dir: Path, mobile: str) -> str:
    path = sms_dir / mobile.lstrip("+")
    deadline = time.monotonic() + 5
    while True:
        try:
            code = path.read_text().strip()
        except FileNotFoundError:
            code = ""
        if len(code) == 6:
            path.unlink()
            return code
        expect(time.monotonic() < deadline, f"no SMS code for {mobile}")
        time.sleep(0.01)


def session_cookie(client: Client) -> str | None:
    return client.cookies.get("__Host-sessionid") or client.cookies.get("sessionid")


def password_steps(client: Client, record, account, sms_dir: Path, prefix: str = "") -> tuple[str, str, str]:
    """Login page and password step; returns (CSRF token, code, session before login)."""
    client.cookies.clear()
    status, _, content, elapsed = client.request("GET", "/logg-inn/engangspassord/")
    match = CSRF_INPUT.search(content.decode())
    expect(status == 200 and match is not None, f"login page: HTTP {status}")
    record(prefix + "login_page", elapsed)
    token = match.group(1)
    form = {"csrfmiddlewaretoken": token, "national_id": account["national_id"], "password": account["password"]}
    status, headers, content, elapsed = client.request("POST", "/logg-inn/engangspassord/", form)
    expect(
        status == 302 and headers.get("Location") == "/logg-inn/kode/",
        f"password step: HTTP {status} {headers.get('Location')} {content[:300]!r}",
    )
    record(prefix + "password_step", elapsed)
    return token, read_code(sms_dir, account["mobile"]), session_cookie(client)


def code_step(client: Client, token: str, code: str, pre_login_session: str, *, record, name: str) -> None:
    form = {"csrfmiddlewaretoken": token, "code": code}
    status, headers, content, elapsed = client.request("POST", "/logg-inn/kode/", form)
    session = session_cookie(client)
    expect(
        status == 302 and headers.get("Location") == "/min-side/" and session and session != pre_login_session,
        f"code step: HTTP {status} {headers.get('Location')} {content[:300]!r}",
    )
    record(name, elapsed)


def run_login(client: Client, record, account, sms_dir: Path) -> None:
    token, code, pre_login_session = password_steps(client, record, account, sms_dir)
    code_step(client, token, code, pre_login_session, record=record, name="code_step")


def help_page(client: Client, record) -> str:
    """GET «Hjelp til innlogging» (CSRF cookie and token; not a throttled request); returns the token."""
    status, _, content, elapsed = client.request("GET", HELP_PATH)
    match = CSRF_INPUT.search(content.decode())
    expect(status == 200 and match is not None, f"help page: HTTP {status}")
    record("prep_help_page", elapsed)
    return match.group(1)


def run_reset(client: Client, token: str, entry: dict, record) -> None:
    """One reset request from the entry's own client address; the answer must be «Sjekk e-posten din»."""
    form = {"csrfmiddlewaretoken": token, "national_id": entry["national_id"]}
    status, _, content, elapsed = client.request("POST", HELP_PATH, form, {"X-Forwarded-For": entry["ip"]})
    expect(
        status == 200 and RESET_SENT.search(content) is not None,
        f"reset ({entry['kind']}): HTTP {status} {content[:300]!r}",
    )
    record(f"reset_{entry['kind']}", elapsed)


def add_common_arguments(parser: argparse.ArgumentParser, phases: list[str]) -> None:
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--phase", choices=phases, required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--per-user", type=int, default=10, help="rounds per virtual user")
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument(
        "--accounts", type=Path, help="JSON list of {national_id, mobile, password}; for reset {national_id, kind, ip}"
    )
    parser.add_argument("--sms-dir", type=Path)
    parser.add_argument("--out", type=Path, required=True)


def run_users(options, prepare, one_round, extra: dict | None = None) -> None:
    """Run --users virtual users, one thread each, and write the result to --out (exit status 1 on errors).

    Each user first calls prepare(index, record, fail) -> state (not timed: the phase's clock starts
    when all users are ready), then one_round(index, state, round_, record) --per-user times or until
    --max-seconds have passed. record(name, seconds) keeps a latency; fail(label, exc) an error.
    `extra` is written into the result as it is when all users are done."""
    samples: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(options.users + 1)
    deadline_box = {}

    def record(name: str, seconds: float) -> None:
        with lock:
            samples.setdefault(name, []).append(seconds)

    def fail(label: str, exc: Exception) -> None:
        with lock:
            errors.append(f"{label}: {type(exc).__name__}: {exc}")

    def virtual_user(index: int) -> None:
        state = None
        try:
            state = prepare(index, record, fail)
        except FAILURES as exc:
            fail(f"user {index} prepare", exc)
        ready.wait()
        if state is None:
            return
        for round_ in range(options.per_user):
            if time.monotonic() > deadline_box["deadline"]:
                break
            try:
                one_round(index, state, round_, record)
            except FAILURES as exc:
                fail(f"user {index} round {round_}", exc)

    threads = [threading.Thread(target=virtual_user, args=(i,), daemon=True) for i in range(options.users)]
    for thread in threads:
        thread.start()
    deadline_box["deadline"] = time.monotonic() + 3600  # set for real once every user is ready
    ready.wait()
    deadline_box["deadline"] = time.monotonic() + options.max_seconds
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=options.max_seconds + TIMEOUT_SECONDS + 5)
    duration = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "phase": options.phase,
        "users": options.users,
        "per_user": options.per_user,
        "duration": duration,
        "samples": samples,
        "errors": errors,
        "stragglers": sum(thread.is_alive() for thread in threads),
        "load_cpu_seconds": usage.ru_utime + usage.ru_stime,
        **(extra or {}),
    }
    options.out.write_text(json.dumps(result))
    sys.exit(1 if errors or result["stragglers"] else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, ["bare", "login", "code", "reset"])
    options = parser.parse_args()

    url = urllib.parse.urlsplit(options.base_url)
    accounts = json.loads(options.accounts.read_text()) if options.accounts else []
    if options.phase != "bare" and len(accounts) < options.users * options.per_user:
        parser.error(f"need {options.users * options.per_user} accounts, got {len(accounts)}")

    def mine(index: int) -> list:
        return accounts[index * options.per_user : (index + 1) * options.per_user]

    def prepare(index: int, record, fail):
        if options.phase == "reset":
            client = Client(url.hostname, url.port)
            return client, help_page(client, record)
        if options.phase != "code":
            return Client(url.hostname, url.port)
        # The code step alone: the login page and password step for every round first (recorded as prep_*).
        pending = []
        for round_, account in enumerate(mine(index)):
            client = Client(url.hostname, url.port)
            try:
                pending.append((client, *password_steps(client, record, account, options.sms_dir, "prep_")))
            except FAILURES as exc:
                fail(f"user {index} prep {round_}", exc)
        return pending

    def one_round(index: int, state, round_: int, record) -> None:
        if options.phase == "bare":
            run_bare(state, record, None)
        elif options.phase == "login":
            run_login(state, record, mine(index)[round_], options.sms_dir)
        elif options.phase == "reset":
            run_reset(*state, mine(index)[round_], record)
        elif round_ < len(state):
            code_step(*state[round_], record=record, name="code_only")

    run_users(options, prepare, one_round)


if __name__ == "__main__":
    main()
