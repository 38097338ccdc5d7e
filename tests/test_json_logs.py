"""Logs an operator can follow: EPORTAL_LOG_FORMAT=json writes one JSON object per line, each request's lines
carry the id its answer's X-Request-ID header names; and the suite's own log scan (tests/log_scan.py) finds what
must never be logged."""

import datetime
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from eportal.identity.synthetic import synthetic_national_id
from eportal.operations.logs import JsonFormatter, RequestIdFilter, current_request_id
from tests import factories, log_scan
from tests.helpers import SOURCE_DIR

NEW_ID = re.compile(r"[0-9a-f]{32}")
FIELDS = {"time", "level", "logger", "message"}

# The real settings with EPORTAL_LOG_FORMAT=json: one request through the whole middleware stack (a /healthz on
# a database without tables: 503, and the warnings of the checks that failed), then a line outside any request.
SCRIPT = """
import json, logging
import django
django.setup()
from django.test import Client
response = Client().get("/healthz", HTTP_X_REQUEST_ID="proxy-7f3a.1_b")
fresh = Client().get("/healthz")
logging.getLogger("eportal.worker").warning("outside a request")
print(json.dumps({"status": response.status_code, "kept": response["X-Request-ID"], "fresh": fresh["X-Request-ID"]}))
"""


def _run_with(tmp_path, log_format: str):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "PYTHONPATH": SOURCE_DIR,
        "DJANGO_SETTINGS_MODULE": "eportal.settings",
        "EPORTAL_ENV": "test",
        "EPORTAL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'eportal.sqlite3'}",
        "EPORTAL_LOG_FORMAT": log_format,
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_json_lines_carry_the_request_id_of_the_answer(tmp_path):
    result = _run_with(tmp_path, "JSON")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == 503 and answer["kept"] == "proxy-7f3a.1_b" and NEW_ID.fullmatch(answer["fresh"])
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is one JSON object
    for line in lines:
        assert FIELDS <= set(line) <= {*FIELDS, "request_id", "exception"}
        assert datetime.datetime.fromisoformat(line["time"]).utcoffset() == datetime.timedelta(0)
        assert line["time"].endswith("Z")
    kept, fresh = ([line for line in lines if line.get("request_id") == answer[key]] for key in ("kept", "fresh"))
    assert {"django.request", "eportal.operations.views"} <= {line["logger"] for line in kept}
    assert any(line["message"] == "Service Unavailable: /healthz" for line in kept)
    assert len(fresh) == len(kept)  # the second request's lines carry its own id
    outside = [line for line in lines if line["message"] == "outside a request"]
    assert outside == [{**outside[0], "logger": "eportal.worker", "level": "WARNING"}]
    assert "request_id" not in outside[0]


def test_plain_stays_the_default_and_a_malformed_format_stops_start_up(tmp_path):
    plain = _run_with(tmp_path, "")
    assert plain.returncode == 0, plain.stderr
    assert plain.stderr.splitlines() and not plain.stderr.lstrip().startswith("{")
    assert re.search(
        r"^\d{4}-\d\d-\d\d [\d:,]+ ERROR django.request Service Unavailable: /healthz$", plain.stderr, re.M
    )
    wrong = subprocess.run(
        [sys.executable, "-m", "eportal.cli", "check"],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SOURCE_DIR, "EPORTAL_ENV": "test",
             "EPORTAL_DATA_DIR": str(tmp_path), "EPORTAL_LOG_FORMAT": "xml"},
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert wrong.returncode == 2
    assert "EPORTAL_LOG_FORMAT must be plain or json, not 'xml'" in wrong.stderr
    assert "Traceback" not in wrong.stderr


@pytest.fixture
def json_lines():
    """The JSON lines the root logger writes while the test runs, formatted as EPORTAL_LOG_FORMAT=json does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_gets_an_id_its_log_lines_and_its_answer_share(json_lines):
    response = Client().get("/finnes-ikke/")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert NEW_ID.fullmatch(request_id)
    lines = [line for line in json_lines() if line["logger"] == "django.request"]
    assert lines == [{**lines[0], "level": "WARNING", "message": "Not Found: /finnes-ikke/", "request_id": request_id}]
    assert current_request_id() is None  # the id ends with its request


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["lb-1", "a" * 64, "Proxy.7f3a_B-9"])
def test_a_valid_incoming_id_is_kept(json_lines, incoming):
    response = Client().get("/finnes-ikke/", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert [line["request_id"] for line in json_lines() if line["logger"] == "django.request"] == [incoming]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["", "a" * 65, "two words", "line\nbreak", 'quote"', "bøtte", "<script>", "a/b"], ids=repr
)
def test_a_malformed_incoming_id_is_replaced(json_lines, incoming):
    response = Client().get("/finnes-ikke/", HTTP_X_REQUEST_ID=incoming)
    assert NEW_ID.fullmatch(response["X-Request-ID"])
    assert [line["request_id"] for line in json_lines() if line["logger"] == "django.request"] == [
        response["X-Request-ID"]
    ]


def test_a_json_line_holds_the_exception_and_nothing_from_outside_a_request(json_lines):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("eportal.test").exception("it failed: %s", "here")
    [line] = [line for line in json_lines() if line["logger"] == "eportal.test"]
    assert line["level"] == "ERROR" and line["message"] == "it failed: here" and "request_id" not in line
    assert "Traceback" in line["exception"] and "ValueError: broken" in line["exception"]


# The log scan itself: given records with a planted fødselsnummer, code or message text, it finds each.


def _scan(*texts, test="t", codes=None, message_texts=()):
    return log_scan.scan(
        [(test, "WARNING eportal.test", text) for text in texts], codes=codes or {}, message_texts=message_texts
    )


def test_the_log_scan_finds_a_national_id_and_masks_it():
    number = factories.national_id()
    d_number = synthetic_national_id(datetime.date(1990, 5, 17), d_number=True)
    for text in (f"login by {number}", f"user {number[:6]} {number[6:]}", f"args ('{d_number}',)"):
        [finding] = _scan(text)
        assert finding.what == "fødselsnummer" and number not in finding.record and d_number not in finding.record
        assert "*****" in finding.record
    # Other 11 digits (wrong control digits, a timestamp in ms, a phone number) are not one.
    assert not _scan("order 12345678901", "at 17333216000", "+4791234567", f"masked {number[:6]}*****")


def test_the_log_scan_finds_an_sms_code():
    [text] = _scan("SMS: Engangspassordet ditt for e-portalen til Legesenteret er 482913. Det gjelder i 5 minutter.")
    assert text.what == "SMS code" and "482913" not in text.record
    assert _scan("checking code=482913") and _scan("OTP 482913")
    # A code the test sent matches anywhere in that test's records; in another test's records it is any number.
    assert _scan("attempt 123 got 730115", test="a", codes={"a": {"730115"}})[0].what == "SMS code"
    assert not _scan("attempt 123 got 730115", test="b", codes={"a": {"730115"}})
    assert not _scan("GET /timer/123456/ 404", "took 0.123456 s", "id 4f7a-123456-ab")


def test_the_log_scan_finds_message_text():
    sealed = ["Jeg har vondt i ryggen", "Svar", "x", "Første linje\nAndre linje i meldingen", '{"name": "Paracet"}']
    found = _scan(
        "body was: Jeg har vondt i ryggen",
        "reply: Svar",
        "Andre linje i meldingen",
        "medicine Paracet",
        message_texts=sealed,
    )
    assert [finding.what for finding in found] == ["message text"] * 4
    assert all("vondt" not in finding.record and "Paracet" not in finding.record for finding in found)
    # Short texts match only as whole words, the shortest not at all.
    assert not _scan("Svaret kommer", "max 5 x 3", "Not Found: /svar/", message_texts=sealed)


PLANTED = """
import logging

def test_that_logs_a_national_id():
    logging.getLogger("eportal.planted").warning("login by %s", "{number}")
"""


def test_a_finding_fails_the_whole_run(tmp_path):
    """The plugin end to end, in a run of its own: a test that passes but logs a fødselsnummer fails the run."""
    number = factories.national_id()
    (tmp_path / "test_planted.py").write_text(PLANTED.format(number=number), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.log_scan", "-p", "no:randomly", "-c", "pyproject.toml",
         "--rootdir", ".", str(tmp_path / "test_planted.py")],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "log scan: personal data in the logs" in result.stdout
    assert "test_that_logs_a_national_id: fødselsnummer" in result.stdout
    assert f"login by {number[:6]}*****" in result.stdout and number not in result.stdout + result.stderr
