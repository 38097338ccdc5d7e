"""Load generator for bench/booking_bench.py: auth_load.py's client and runner, with the appointment pages.

    python bench/booking_load.py --base-url http://127.0.0.1:PORT --phase PHASE --users 20 --per-user 50 \
        --max-seconds 300 --accounts accounts.json --sms-dir DIR --out result.json

Virtual user i uses account i of --accounts: {national_id, mobile, password, type_id, slots_path,
free_slots, future, past, cookies}. Phases (each answer is checked, so an error page is never timed):

login         once per user, the real login (GET the login page, POST personnummer + password, read the
              code the server wrote to SMS_DIR/<mobile>, POST the code); the result's "sessions" has each
              user's cookies, which the phases below send (one session per user, made once).
bare          GET /bench/bare/ without a session (auth_load.py's yardstick): 200 and an <h1>.
bare_session  the same GET with the user's session (session, account-session check, session save).
slots         GET `slots_path`, /timer/bestill/<type_id>/?uke=<week> (one week of free times): 200,
              heading «Velg tidspunkt (hos <GP>)», and exactly `free_slots` links to free times.
mine          GET /timer/ («Mine timer»): 200, heading «Mine timer», `future` coming appointments and
              `past` earlier ones.
"""

import argparse
import json
import re
import urllib.parse

from auth_load import Client, add_common_arguments, expect, run_bare, run_login, run_users

SLOTS_HEADING = re.compile(rb"<h1>\s*Velg tidspunkt( hos [^<]+)?</h1>")
MINE_HEADING = re.compile(rb"<h1>\s*Mine timer\s*</h1>")
SLOT_LINK = re.compile(rb'<a class="slot" href="/timer/bestill/tid/\d+/">')
COMING = re.compile(rb'<li class="appointment">')
PAST_SECTION = re.compile(rb'<h2 id="past">(.*?)</section>', re.S)


def get(client: Client, record, path: str, name: str, check) -> None:
    """GET a page as the user, check the answer with check(content) -> problem or None, and time it."""
    status, headers, content, elapsed = client.request("GET", path)
    problem = check(content) if status == 200 else f"HTTP {status} {headers.get('Location', '')}"
    expect(problem is None, f"{name} {path}: {problem}")
    record(name, elapsed)


def check_slots(account: dict):
    def check(content: bytes) -> str | None:
        if not SLOTS_HEADING.search(content):
            return "no heading «Velg tidspunkt»"
        shown = len(SLOT_LINK.findall(content))
        return None if shown == account["free_slots"] else f"{shown} free times, expected {account['free_slots']}"

    return check


def check_mine(account: dict):
    def check(content: bytes) -> str | None:
        if not MINE_HEADING.search(content):
            return "no heading «Mine timer»"
        past = PAST_SECTION.search(content)
        counts = (len(COMING.findall(content)), past.group(1).count(b"<li>") if past else -1)
        expected = (account["future"], account["past"])
        return None if counts == expected else f"(coming, earlier) appointments {counts}, expected {expected}"

    return check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, ["login", "bare", "bare_session", "slots", "mine"])
    options = parser.parse_args()

    url = urllib.parse.urlsplit(options.base_url)
    accounts = json.loads(options.accounts.read_text()) if options.accounts else []
    if options.phase != "bare" and len(accounts) < options.users:
        parser.error(f"need {options.users} accounts, got {len(accounts)}")
    sessions: dict[str, dict] = {}

    def prepare(index: int, _record, _fail) -> Client:
        client = Client(url.hostname, url.port)
        if options.phase not in {"login", "bare"}:
            client.cookies.update(accounts[index]["cookies"])
        return client

    def one_round(index: int, client: Client, _round: int, record) -> None:
        account = accounts[index] if accounts else {}
        if options.phase == "login":
            run_login(client, record, account, options.sms_dir)
            sessions[str(index)] = dict(client.cookies)
        elif options.phase == "bare":
            run_bare(client, record, None)
        elif options.phase == "bare_session":
            get(client, record, "/bench/bare/", "bare_session", lambda content: None if b"<h1>" in content else "no h1")
        elif options.phase == "slots":
            get(client, record, account["slots_path"], "slots", check_slots(account))
        else:
            get(client, record, "/timer/", "mine", check_mine(account))

    run_users(options, prepare, one_round, {"sessions": sessions})


if __name__ == "__main__":
    main()
