"""Load generator for bench/ekonsultasjon_bench.py: auth_load.py's client and runner, messaging_load.py's staff
login, with a GP's inbox and «Betalinger».

    python bench/ekonsultasjon_load.py --base-url http://127.0.0.1:PORT --phase PHASE --users 20 --per-user 25 \
        --max-seconds 300 --accounts accounts.json --out result.json

Every virtual user reads the same account: {login, gp_cookies, pay_cookies, gp_name, inbox_path, inbox_rows,
inbox_pages, all_rows, all_pages, payments_path, payment_rows, payment_pages, export_path, export_rows}.
Phases (each answer is checked, so an error page is never timed):

staff_login  once (one user): account 0's `login` (username, password, TOTP key) through /personale/logg-inn/;
             the result's "sessions" has the cookies.
bare         GET /bench/bare/ without a session (auth_load.py's yardstick).
bare_staff   the same GET with the GP's session (the logged-in yardstick).
inbox        GET the GP's inbox (waiting, oldest first): heading «Innboks: <GP>», `inbox_rows` rows and
             «Side 1 av `inbox_pages`» when there is more than one page.
inbox_all    GET the same inbox ?vis=alle (every thread, newest first): `all_rows` rows, «Side 1 av `all_pages`».
payments     GET «Betalinger» for the month with the payments session: `payment_rows` rows, «Side 1 av
             `payment_pages`».
export       GET the month's CSV with the payments session: 200, text/csv, the header and `export_rows` lines.
"""

import argparse
import html
import json
import re
import urllib.parse

from auth_load import Client, add_common_arguments, expect, run_bare, run_users
from booking_load import get
from messaging_load import INBOX_ROW, check_page, staff_login

PAYMENTS_HEADING = re.compile(rb"<h1>[^<]*eKonsultasjon")
PAYMENT_ROW = re.compile(rb'<th scope="row">')
CSV_HEADER = b"sendt;besvart;lukket;fodselsnummer;"


def inbox_heading(account: dict) -> re.Pattern:
    return re.compile(rb"<h1>\s*Innboks: " + re.escape(html.escape(account["gp_name"]).encode()) + rb"\s*</h1>")


def more_than_one(pages: int) -> int | None:
    """«Side 1 av N» is shown only when there is more than one page."""
    return pages if pages > 1 else None


def check_export(rows: int):
    def check(content: bytes) -> str | None:
        if not content.startswith(CSV_HEADER):
            return f"not the CSV: {content[:80]!r}"
        lines = content.count(b"\r\n") - 1
        return None if lines == rows else f"{lines} lines, expected {rows}"

    return check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    phases = ["staff_login", "bare", "bare_staff", "inbox", "inbox_all", "payments", "export"]
    add_common_arguments(parser, phases)
    options = parser.parse_args()

    url = urllib.parse.urlsplit(options.base_url)
    accounts = json.loads(options.accounts.read_text()) if options.accounts else []
    if options.phase != "bare" and len(accounts) < options.users:
        parser.error(f"need {options.users} accounts, got {len(accounts)}")
    sessions: dict[str, dict] = {}

    def prepare(index: int, _record, _fail) -> Client:
        client = Client(url.hostname, url.port)
        if options.phase in {"bare_staff", "inbox", "inbox_all"}:
            client.cookies.update(accounts[index]["gp_cookies"])
        elif options.phase in {"payments", "export"}:
            client.cookies.update(accounts[index]["pay_cookies"])
        return client

    def one_round(index: int, client: Client, _round: int, record) -> None:
        account = accounts[index] if accounts else {}
        phase = options.phase
        if phase == "staff_login":
            staff_login(client, record, account["login"])
            sessions[str(index)] = dict(client.cookies)
        elif phase == "bare":
            run_bare(client, record, None)
        elif phase == "bare_staff":
            get(client, record, "/bench/bare/", phase, lambda content: None if b"<h1>" in content else "no h1")
        elif phase == "inbox":
            pages = more_than_one(account["inbox_pages"])
            get(client, record, account["inbox_path"], phase,
                check_page(inbox_heading(account), INBOX_ROW, account["inbox_rows"], pages))  # fmt: skip
        elif phase == "inbox_all":
            pages = more_than_one(account["all_pages"])
            get(client, record, account["inbox_path"] + "?vis=alle", phase,
                check_page(inbox_heading(account), INBOX_ROW, account["all_rows"], pages))  # fmt: skip
        elif phase == "payments":
            pages = more_than_one(account["payment_pages"])
            get(client, record, account["payments_path"], phase,
                check_page(PAYMENTS_HEADING, PAYMENT_ROW, account["payment_rows"], pages))  # fmt: skip
        else:
            status, headers, content, elapsed = client.request("GET", account["export_path"])
            expect(
                status == 200 and headers.get("Content-Type", "").startswith("text/csv"),
                f"export: HTTP {status} {headers.get('Content-Type')}",
            )
            problem = check_export(account["export_rows"])(content)
            expect(problem is None, f"export: {problem}")
            record(phase, elapsed)

    run_users(options, prepare, one_round, {"sessions": sessions})


if __name__ == "__main__":
    main()
