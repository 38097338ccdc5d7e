"""Load generator for bench/messaging_bench.py: auth_load.py's client and runner, with the message pages.

    python bench/messaging_load.py --base-url http://127.0.0.1:PORT --phase PHASE --users 20 --per-user 50 \
        --max-seconds 300 --accounts accounts.json --sms-dir DIR --out result.json

Virtual user i uses account i of --accounts: {national_id, mobile, password, thread_id, subject,
thread_messages, threads_rows, threads_pages, inbox_rows, inbox_pages, staff, cookies, staff_cookies}.
Phases (each answer is checked, so an error page is never timed):

login         once per user, the patient's real login (auth_load.run_login); the result's "sessions" has
              each user's cookies.
staff_login   once (one user), the staff login: GET /personale/logg-inn/, POST username, password and the
              current TOTP code of account 0's "staff" (computed here, RFC 6238); must answer 302 with a
              session cookie. Its cookies are every user's "staff_cookies".
bare          GET /bench/bare/ without a session (auth_load.py's yardstick).
bare_session  the same GET with the patient's session; bare_staff: with the staff session.
threads       GET /meldinger/: 200, heading «Meldinger», `threads_rows` threads, «Side 1 av `threads_pages`».
thread        GET /meldinger/<thread_id>/: 200, the subject as heading, `thread_messages` messages.
inbox         GET /personale/meldinger/resepsjon/ with the staff session: 200, «Innboks: Resepsjonen»,
              `inbox_rows` rows, «Side 1 av `inbox_pages`».
staff_thread  GET /personale/meldinger/samtale/<thread_id>/ with the staff session: 200, the subject as
              heading, `thread_messages` messages.
"""

import argparse
import hashlib
import hmac
import html
import json
import re
import struct
import time
import urllib.parse

from auth_load import CSRF_INPUT, Client, add_common_arguments, expect, run_bare, run_login, run_users, session_cookie
from booking_load import get

THREADS_HEADING = re.compile(rb"<h1>\s*Meldinger\s*</h1>")
INBOX_HEADING = re.compile(rb"<h1>\s*Innboks: Resepsjonen\s*</h1>")
THREAD_ROW = re.compile(rb'<li class="thread[ "]')
INBOX_ROW = re.compile(rb'<tr class="inbox-row[ "]')
MESSAGE = re.compile(rb'<li class="message message-')
STAFF_LOGIN = "/personale/logg-inn/"


def totp(key_hex: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The authenticator app's code for a django-otp TOTPDevice key (hex), as RFC 6238 (HMAC-SHA1)."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def staff_login(client: Client, record, staff: dict) -> None:
    client.cookies.clear()
    status, _, content, elapsed = client.request("GET", STAFF_LOGIN)
    match = CSRF_INPUT.search(content.decode())
    expect(status == 200 and match is not None, f"staff login page: HTTP {status}")
    record("staff_login_page", elapsed)
    before = session_cookie(client)
    form = {
        "csrfmiddlewaretoken": match.group(1),
        "username": staff["username"],
        "password": staff["password"],
        "otp_token": totp(staff["totp_key_hex"]),
    }
    status, headers, content, elapsed = client.request("POST", STAFF_LOGIN, form)
    session = session_cookie(client)
    expect(
        status == 302 and session and session != before,
        f"staff login: HTTP {status} {headers.get('Location')} {content[:300]!r}",
    )
    record("staff_login", elapsed)


def check_page(heading: re.Pattern, row: re.Pattern, rows: int, pages: int | None = None):
    """200 answers must have the heading, exactly `rows` rows and (if given) «Side 1 av `pages`»."""

    def check(content: bytes) -> str | None:
        if not heading.search(content):
            return f"no heading {heading.pattern!r}"
        shown = len(row.findall(content))
        if shown != rows:
            return f"{shown} rows, expected {rows}"
        if pages is not None and f"Side 1 av {pages}".encode() not in content:
            return f"no «Side 1 av {pages}»"
        return None

    return check


def subject_heading(account: dict) -> re.Pattern:
    return re.compile(rb"<h1>\s*" + re.escape(html.escape(account["subject"]).encode()) + rb"\s*</h1>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    phases = ["login", "staff_login", "bare", "bare_session", "bare_staff", "threads", "thread", "inbox"]
    add_common_arguments(parser, [*phases, "staff_thread"])
    options = parser.parse_args()

    url = urllib.parse.urlsplit(options.base_url)
    accounts = json.loads(options.accounts.read_text()) if options.accounts else []
    if options.phase != "bare" and len(accounts) < options.users:
        parser.error(f"need {options.users} accounts, got {len(accounts)}")
    sessions: dict[str, dict] = {}

    def prepare(index: int, _record, _fail) -> Client:
        client = Client(url.hostname, url.port)
        if options.phase in {"bare_session", "threads", "thread"}:
            client.cookies.update(accounts[index]["cookies"])
        elif options.phase in {"bare_staff", "inbox", "staff_thread"}:
            client.cookies.update(accounts[index]["staff_cookies"])
        return client

    def one_round(index: int, client: Client, _round: int, record) -> None:
        account = accounts[index] if accounts else {}
        phase = options.phase
        if phase == "login":
            run_login(client, record, account, options.sms_dir)
            sessions[str(index)] = dict(client.cookies)
        elif phase == "staff_login":
            staff_login(client, record, account["staff"])
            sessions[str(index)] = dict(client.cookies)
        elif phase == "bare":
            run_bare(client, record, None)
        elif phase in {"bare_session", "bare_staff"}:
            get(client, record, "/bench/bare/", phase, lambda content: None if b"<h1>" in content else "no h1")
        elif phase == "threads":
            check = check_page(THREADS_HEADING, THREAD_ROW, account["threads_rows"], account["threads_pages"])
            get(client, record, "/meldinger/", phase, check)
        elif phase == "thread":
            check = check_page(subject_heading(account), MESSAGE, account["thread_messages"])
            get(client, record, f"/meldinger/{account['thread_id']}/", phase, check)
        elif phase == "inbox":
            check = check_page(INBOX_HEADING, INBOX_ROW, account["inbox_rows"], account["inbox_pages"])
            get(client, record, "/personale/meldinger/resepsjon/", phase, check)
        else:
            check = check_page(subject_heading(account), MESSAGE, account["thread_messages"])
            get(client, record, f"/personale/meldinger/samtale/{account['thread_id']}/", phase, check)

    run_users(options, prepare, one_round, {"sessions": sessions})


if __name__ == "__main__":
    main()
