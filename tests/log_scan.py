"""A pytest plugin (tests/conftest.py loads it): every log record of the whole run is kept, and when the run ends
it is scanned for what must never reach a log. A finding is printed (masked) and fails the run.

What counts as a finding in a record (its message with the arguments filled in, the arguments, the traceback):

- a fødselsnummer or D-nummer: 11 digits (or 6 + space + 5) that eportal.identity.national_id accepts, synthetic
  numbers included (the tests' people have them); the control digits and the birth date make a random
  11-digit number pass about once in a thousand, and logs rarely hold 11-digit numbers at all.
- an SMS code: the code text (the SMS template's words, English msgid or Norwegian, or "code"/"kode"/"OTP"
  followed by six digits; not such a word inside an address like /logg-inn/engangspassord/), or a 6-digit number
  equal to a code the portal made or checked in the same test. The codes are taken where the portal hashes them
  (accounts.services.codes._code_hmac, for a code it sends and one it checks). Any 6 digits would fail on
  timestamps and ids; any code of the whole run would meet some 6-digit number by chance among thousands of
  codes; within one test that chance is about one in a million.
- message text: a text the portal sealed at rest during the run (messaging.models' seal_text: message bodies,
  subjects, attachment names, renewal medicine details), whole or any line of it. What the portal encrypts
  in the database must never stand in plain in a log, whichever test or page wrote it, so the rule needs no
  list of the tests' texts. Texts of 8 characters or more match anywhere; 4 to 7 characters only as a whole
  word (the tests write bodies such as "Svar" or "Vondt"); shorter ones ("x", "Til") are ignored.

The level is the one the settings give the root logger (INFO, production's default), or lower where a test
lowers it: the scan sees what the portal would write. Logs of subprocesses (the demo) are not seen.
"""

import contextlib
import json
import logging
import re
from dataclasses import dataclass

import pytest

from eportal.identity.national_id import InvalidNationalId, parse_national_id

NATIONAL_ID = re.compile(r"(?<![0-9])[0-9]{6} ?[0-9]{5}(?![0-9])")
SIX_DIGITS = re.compile(r"(?<![A-Za-z0-9])[0-9]{6}(?![A-Za-z0-9])")
CODE_TEXT = re.compile(
    r"(?i)(?<![/\w-])(?:one-time password|engangspassord|engangskode|codes?\b|koden?\b|otp\b)[^0-9\n]{0,80}"
    r"(?<![0-9])[0-9]{6}(?![0-9])"
)
WHOLE_TEXT_LENGTH = 8  # texts this long match anywhere in a record
WORD_TEXT_LENGTH = 4  # shorter texts, down to this, match as whole words only

_formatter = logging.Formatter()


@dataclass(frozen=True)
class Finding:
    test: str
    what: str
    record: str  # masked


def record_text(record: logging.LogRecord) -> str:
    """What a formatted line holds of a record: the message with its arguments, the arguments, the traceback."""
    try:
        parts = [record.getMessage()]
    except Exception:
        parts = [str(record.msg)]
    if record.args:
        parts.append(repr(record.args))
    if record.exc_info:
        parts.append(_formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def national_ids(text: str) -> list[str]:
    found = []
    for match in NATIONAL_ID.findall(text):
        with contextlib.suppress(InvalidNationalId):
            found.append(parse_national_id(match.replace(" ", ""), allow_synthetic=True))
    return found


def message_fragments(texts) -> set[str]:
    """Each sealed text and each of its lines, stripped; a JSON object's string values (medicine details)."""
    fragments = set()
    for text in texts:
        values = [text]
        with contextlib.suppress(ValueError):
            data = json.loads(text)
            if isinstance(data, dict):
                values += [value for value in data.values() if isinstance(value, str)]
        for value in values:
            fragments.add(value.strip())
            fragments.update(line.strip() for line in value.splitlines())
    return {fragment for fragment in fragments if len(fragment) >= WORD_TEXT_LENGTH}


def _text_pattern(fragments: set[str]) -> re.Pattern | None:
    if not fragments:
        return None
    ordered = sorted(fragments, key=len, reverse=True)
    return re.compile(
        "|".join(
            re.escape(fragment) if len(fragment) >= WHOLE_TEXT_LENGTH else rf"(?<!\w){re.escape(fragment)}(?!\w)"
            for fragment in ordered
        )
    )


def scan(records, *, codes: dict[str, set[str]], message_texts) -> list[Finding]:
    """The findings in records, (test id, "LEVEL logger", record text) triples; codes: each test's SMS codes;
    message_texts: the texts sealed at rest."""
    texts = _text_pattern(message_fragments(message_texts))
    findings = []
    for test, source, text in records:
        what = []
        if national_ids(text):
            what.append("fødselsnummer")
        test_codes = codes.get(test, set())
        if CODE_TEXT.search(text) or any(code in test_codes for code in SIX_DIGITS.findall(text)):
            what.append("SMS code")
        if texts and texts.search(text):
            what.append("message text")
        if what:
            findings.append(Finding(test, ", ".join(what), f"{source}: {mask(text, test_codes, texts)}"))
    return findings


def mask(text: str, codes: set[str], texts: re.Pattern | None) -> str:
    """The record as it can be shown: birth date part of a number, no code, no message text."""
    text = NATIONAL_ID.sub(
        lambda match: f"{match[0][:6]}*****" if national_ids(match[0]) else match[0],
        text,
    )
    codes = codes | {match[-6:] for match in CODE_TEXT.findall(text)}  # also where the arguments repeat them
    text = SIX_DIGITS.sub(lambda match: "******" if match[0] in codes else match[0], text)
    if texts:
        text = texts.sub("[message text]", text)
    return text


class _Keeper(logging.Handler):
    """On the root logger for the whole run: keeps each record's text with the test it came from."""

    def __init__(self, run):
        super().__init__(logging.NOTSET)
        self.run = run

    def emit(self, record):
        self.run.records.append((self.run.test, f"{record.levelname} {record.name}", record_text(record)))


class _Run:
    def __init__(self):
        self.test = "(session)"
        self.records: list[tuple[str, str, str]] = []
        self.codes: dict[str, set[str]] = {}
        self.message_texts: set[str] = set()
        self.findings: list[Finding] = []
        self.handler = _Keeper(self)

    def attach(self):
        """Again before every test: a test that configures logging anew (dictConfig) drops the root's handlers."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)


_run = _Run()


def pytest_sessionstart(session):
    _run.attach()


def pytest_runtest_logstart(nodeid, location):
    _run.test = nodeid
    _run.attach()


def pytest_runtest_logfinish(nodeid, location):
    _run.test = "(session)"


@pytest.fixture(autouse=True, scope="session")
def _log_scan_sees_codes_and_sealed_texts():
    """The SMS codes where the portal hashes them, the texts where it seals them: what the scan looks for."""
    from eportal.accounts.services import codes
    from eportal.messaging import models

    code_hmac, seal_text = codes._code_hmac, models.seal_text

    def keeping_the_code(attempt_id, code):
        _run.codes.setdefault(_run.test, set()).add(str(code))
        return code_hmac(attempt_id, code)

    def keeping_the_text(text):
        _run.message_texts.add(text)
        return seal_text(text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codes, "_code_hmac", keeping_the_code)
        patch.setattr(models, "seal_text", keeping_the_text)
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    logging.getLogger().removeHandler(_run.handler)
    _run.findings = scan(_run.records, codes=_run.codes, message_texts=_run.message_texts)
    if _run.findings and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # 1, as a failed test; an interrupted run keeps its own


def pytest_terminal_summary(terminalreporter):
    reporter = terminalreporter
    if not _run.findings:
        reporter.write_line(f"log scan: {len(_run.records)} log records, no personal data found")
        return
    reporter.section("log scan: personal data in the logs", red=True, bold=True)
    for finding in _run.findings:
        reporter.write_line(f"{finding.test}: {finding.what}", red=True)
        reporter.write_line("    " + finding.record[:2000].replace("\n", "\n    "))
    reporter.write_line(
        f"log scan: {len(_run.findings)} of {len(_run.records)} log records hold personal data: the run fails",
        red=True,
        bold=True,
    )
