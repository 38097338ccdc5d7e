"""Running eportal as an operator would: the command, its modes and its refusals."""

import contextlib
import datetime
import http.cookiejar
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation

from eportal.clinic.ages import GUARDIAN_FULL_UNTIL, OWN_ACCESS_FROM, PROXY_HOLDER_FROM, age_on
from eportal.clinic.models import Guardianship, ListPatient, Practitioner, Proxy
from eportal.demo.banner import demo_banner
from eportal.demo.clinic import CHILDREN, featured_birth_dates, seed_demo_clinic
from eportal.environment import env_bool, env_float, env_hours_range, env_int, env_nok
from eportal.identity.national_id import parse_national_id
from eportal.identity.synthetic import synthetic_national_id
from eportal.representation.policy import ALL, Capability, Relation, decide_for_number
from tests.accounts_fixtures import PASSWORD
from tests.demo_process import free_port, running_in, serving_demo
from tests.helpers import SOURCE_DIR

# A key for the message texts, as an operator sets one (a test's own, never used elsewhere).
MESSAGE_KEYS = "k1:dGVzdHMtb25seS1wcm9kdWN0aW9uLW1lc3NhZ2Uta3k="
PRODUCTION_ENV = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "portal.example", "EPORTAL_MESSAGE_KEYS": MESSAGE_KEYS}


def eportal(*args, env=None, cwd=None, timeout=60):
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), "PYTHONPATH": SOURCE_DIR}
    return subprocess.run(
        [sys.executable, "-m", "eportal.cli", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "secret", [None, "", "short", "demo-only-not-secret-eportal-key-never-use-in-production"], ids=repr
)
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, secret):
    env = {"EPORTAL_DATA_DIR": str(tmp_path), "ALLOWED_HOSTS": "portal.example"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    for command in (["serve"], ["migrate"]):
        result = eportal(*command, env=env)
        assert result.returncode == 2
        assert "SECRET_KEY must be set" in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (None, "EPORTAL_MESSAGE_KEYS must be set outside the demo"),
        ("demo:ZGVtby1vbmx5LW5vdC1zZWNyZXQtbWVzc2FnZS1rZXk=", "EPORTAL_MESSAGE_KEYS must be set outside the demo"),
        ("k1:c2hvcnQ=", "the entry 'k1' is not"),
        ("k1:" + MESSAGE_KEYS[3:] + ",k1:" + MESSAGE_KEYS[3:], "each id unique"),
        ("bad id:" + MESSAGE_KEYS[3:], "the entry 'bad id' is not"),
        ("k1:" + MESSAGE_KEYS[3:] + ",K1:" + MESSAGE_KEYS[3:], "each id unique"),
    ],
    ids=["unset", "demo key", "short key", "repeated id", "bad id", "id repeated in another case"],
)
def test_production_refuses_to_start_without_a_real_message_key(tmp_path, keys, expected):
    env = {**PRODUCTION_ENV, "EPORTAL_DATA_DIR": str(tmp_path)}
    env.pop("EPORTAL_MESSAGE_KEYS")
    if keys is not None:
        env["EPORTAL_MESSAGE_KEYS"] = keys
    result = eportal("check", env=env)
    assert result.returncode == 2 and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_new_message_key_prints_a_key_production_starts_with(tmp_path):
    printed = eportal("new-message-key")
    assert printed.returncode == 0
    key = printed.stdout.strip()
    env = {**PRODUCTION_ENV, "EPORTAL_DATA_DIR": str(tmp_path), "EPORTAL_MESSAGE_KEYS": f"2026:{key},{MESSAGE_KEYS}"}
    code = "from eportal.messaging import crypto; print(crypto.seal_text('x')[:5], crypto.unseal_text(crypto.seal_text('hei')))"
    result = eportal("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["2026:", "hei"]


def test_production_serve_needs_allowed_hosts(tmp_path):
    env = {"EPORTAL_DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 50, "EPORTAL_MESSAGE_KEYS": MESSAGE_KEYS}
    result = eportal("serve", env=env)
    assert result.returncode == 2 and "ALLOWED_HOSTS" in result.stderr


def test_production_runs_with_a_real_key_no_debug_and_hardened_cookies(tmp_path):
    env = {"EPORTAL_DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 50, "EPORTAL_MESSAGE_KEYS": MESSAGE_KEYS}
    code = (
        "from django.conf import settings as s; print(s.DEBUG, s.EPORTAL_ALLOW_SYNTHETIC_IDS, s.SESSION_COOKIE_NAME, "
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_NAME, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_AGE, "
        "s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )
    result = eportal("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-12:] == [
        "False", "False", "__Host-sessionid", "True", "True", "Lax", "__Host-csrftoken", "True", "31536000", "True", "1800",
        "Argon2PasswordHasher",
    ]  # fmt: skip


def test_postgresql_connections_start_no_parallel_workers_and_keep_the_operators_options(tmp_path):
    """bench/README.md: parallel plans made the free-time query grow with the data on PostgreSQL."""
    code = (
        "from django.db import connection as c; k = c.cursor(); "
        "k.execute('SHOW max_parallel_workers_per_gather'); print(k.fetchone()[0]); "
        "k.execute('SHOW statement_timeout'); print(k.fetchone()[0])"
    )
    url = "postgres://postgres@127.0.0.1:5432/test?options=-c%20statement_timeout%3D12345"
    result = eportal("shell", "-c", code, env={"EPORTAL_ENV": "test", "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["0", "12345ms"]


def test_unknown_mode_is_refused(tmp_path):
    result = eportal("check", env={"EPORTAL_ENV": "staging", "EPORTAL_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "EPORTAL_ENV" in result.stderr


@pytest.mark.parametrize(
    ("command", "variable", "value", "expected"),
    [
        ("check", "EPORTAL_SMS_CAP_IP_DAY", "ten", "a whole number of at least 1"),
        ("check", "EPORTAL_SMS_CAP_ACCOUNT_15MIN", "0", "a whole number of at least 1"),
        ("check", "EPORTAL_CANCEL_DEADLINE_HOURS", "-3", "a whole number of at least 0"),
        ("check", "EPORTAL_BOOKING_HORIZON_DAYS", "2.5", "a whole number from 1 to 366"),
        ("check", "EPORTAL_OIDC_TIMEOUT_SECONDS", "abc", "a number of at least 0.1"),
        ("check", "EPORTAL_OIDC_TIMEOUT_SECONDS", "inf", "a number of at least 0.1"),
        ("check", "EPORTAL_WAITLIST_QUIET_HOURS", "22", "two hours FROM-TO, each 0-23 (e.g. 22-7, or 0-0 for none)"),
        ("check", "EPORTAL_WAITLIST_QUIET_HOURS", "22-24", "two hours FROM-TO, each 0-23"),
        ("check", "EPORTAL_SMS_PRICE_NOK", "1,50", "an amount in NOK of at most 9999 (e.g. 400 or 1.25)"),
        ("check", "EPORTAL_NO_SHOW_FEE_NOK", "400 kr", "an amount in NOK (e.g. 400 or 1.25)"),
        ("check", "EPORTAL_BEHIND_PROXY", "yse", "1/0, true/false, yes/no, on/off or ja/nei"),
        ("check", "EPORTAL_ALLOW_SYNTHETIC_IDS", "maybe", "1/0, true/false, yes/no, on/off or ja/nei"),
        ("check", "EPORTAL_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("check", "EMAIL_PORT", "smtp", "a whole number from 1 to 65535"),
        ("serve", "EPORTAL_WORKERS", "many", "a whole number of at least 1"),
        ("demo", "EPORTAL_PORT", "http", "a whole number from 1 to 65535"),
    ],
)
def test_a_malformed_setting_stops_the_command_naming_the_variable(tmp_path, command, variable, value, expected):
    env = {**PRODUCTION_ENV, "EPORTAL_DATA_DIR": str(tmp_path), variable: value}
    result = eportal(command, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"eportal: {variable} must be {expected}" in result.stderr
    assert f"not {value!r}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "(22, 7) 1 400 10.0 False False INFO"),
        (
            {
                "EPORTAL_WAITLIST_QUIET_HOURS": "0-0",
                "EPORTAL_SMS_PRICE_NOK": "1.25",
                "EPORTAL_NO_SHOW_FEE_NOK": "0",
                "EPORTAL_OIDC_TIMEOUT_SECONDS": "2.5",
                "EPORTAL_BOOKING_ANY_PRACTITIONER": "Ja",
                "EPORTAL_BEHIND_PROXY": "on",
                "EPORTAL_LOG_LEVEL": "warning",
            },
            "(0, 0) 1.25 0 2.5 True True WARNING",
        ),
        (
            {"EPORTAL_WAITLIST_QUIET_HOURS": " 23 - 6 ", "EPORTAL_BOOKING_ANY_PRACTITIONER": "nei"},
            "(23, 6) 1 400 10.0 False False INFO",
        ),
    ],
    ids=["defaults", "documented-values", "spaces-and-nei"],
)
def test_the_documented_values_are_accepted(tmp_path, env, expected):
    code = (
        "from django.conf import settings as s; print(s.EPORTAL_WAITLIST_QUIET_HOURS, s.EPORTAL_SMS_PRICE_NOK, "
        "s.EPORTAL_NO_SHOW_FEE_NOK, s.EPORTAL_OIDC_TIMEOUT_SECONDS, s.EPORTAL_BOOKING_ANY_PRACTITIONER, "
        "bool(s.SECURE_PROXY_SSL_HEADER), s.LOGGING['root']['level'])"
    )
    result = eportal("shell", "-c", code, env={**PRODUCTION_ENV, "EPORTAL_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == expected


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [
        (lambda: env_bool("X", False), "TRUE", True),
        (lambda: env_bool("X", True), "Off", False),
        (lambda: env_bool("X", True), "nei", False),
        (lambda: env_bool("X", True), "", True),
        (lambda: env_int("X", 3, minimum=1), " 7 ", 7),
        (lambda: env_int("X", 3, minimum=1), "", 3),
        (lambda: env_int("X", 3, minimum=0, maximum=5), "5", 5),
        (lambda: env_float("X", 10.0, minimum=0.1), "0.1", 0.1),
        (lambda: env_nok("X", "1"), "12.50", Decimal("12.50")),
        (lambda: env_nok("X", "1"), "", Decimal("1")),
        (lambda: env_hours_range("X", (22, 7)), "0-0", (0, 0)),
        (lambda: env_hours_range("X", (22, 7)), "23-0", (23, 0)),
        (lambda: env_hours_range("X", (22, 7)), "", (22, 7)),
    ],
)
def test_environment_helpers_read_good_values(monkeypatch, read, value, expected):
    monkeypatch.setenv("X", value)
    assert read() == expected


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (lambda: env_bool("X", False), "enabled"),
        (lambda: env_bool("X", False), "2"),
        (lambda: env_int("X", 3, minimum=1), "0"),
        (lambda: env_int("X", 3, minimum=0, maximum=5), "6"),
        (lambda: env_int("X", 3), "3.0"),
        (lambda: env_float("X", 10.0, minimum=0.1), "0"),
        (lambda: env_float("X", 10.0), "nan"),
        (lambda: env_nok("X", "1"), "-1"),
        (lambda: env_nok("X", "1"), "1.255"),
        (lambda: env_nok("X", "1"), "1e3"),
        (lambda: env_nok("X", "1", maximum=9999), "10000"),
        (lambda: env_hours_range("X", (22, 7)), "22:00-07:00"),
        (lambda: env_hours_range("X", (22, 7)), "7-24"),
        (lambda: env_hours_range("X", (22, 7)), "22-7-1"),
    ],
)
def test_environment_helpers_refuse_malformed_values_naming_the_variable(monkeypatch, read, value):
    monkeypatch.setenv("X", value)
    with pytest.raises(ImproperlyConfigured, match=rf"^X must be .*, not {re.escape(repr(value))}$"):
        read()


def test_help_lists_the_commands():
    result = eportal("--help")
    for command in ["demo", "serve", "worker", "seed-demo", "import-patients"]:
        assert command in result.stdout


def test_seed_demo_is_idempotent_and_builds_families(db):
    first = seed_demo_clinic()
    second = seed_demo_clinic()
    assert first == second
    assert 5500 <= first["patients"] <= 6500
    assert Practitioner.objects.filter(role="gp", has_patient_list=True).count() == 6
    assert Practitioner.objects.filter(role="nurse").count() == 1
    emma = ListPatient.objects.get(first_name="Emma", last_name="Nordmann")
    kari = ListPatient.objects.get(first_name="Kari", last_name="Nordmann")
    assert emma.mobile == kari.mobile
    guardianship = Guardianship.objects.get(child=emma, guardian_national_id=kari.national_id)
    assert guardianship.guardian_mobile == kari.mobile
    # Every number in the demo is synthetic and valid; none could be a real person's.
    for number in ListPatient.objects.values_list("national_id", flat=True)[:500]:
        assert parse_national_id(number, allow_synthetic=True) == number
        assert int(number[2:4]) > 80
    assert not ListPatient.objects.filter(national_id__regex=r"^\d{2}(0|1)\d").exists()


# The featured family: one child in each age band of the access rules, whatever day the demo is seeded.
BANDS = {  # role in the banner: the ages (whole years on the day) it may be printed for
    "barn under 12 år": range(0, GUARDIAN_FULL_UNTIL),
    "barn 12–15 år: foresatte ser bare timer": range(GUARDIAN_FULL_UNTIL, OWN_ACCESS_FROM),
    "ungdom 16–17 år: egen tilgang": range(OWN_ACCESS_FROM, PROXY_HOLDER_FROM),
}
FEATURED_LINE = re.compile(
    r"^    (?P<name>\w+ Nordmann)\s+(?P<number>\d{11})\s+mobil (?P<mobile>[\d ]+?)\s{2,}\((?P<role>[^)]+)\)$", re.M
)


def test_featured_children_are_in_their_bands_on_any_day_the_demo_is_seeded_and_for_months_after():
    day = datetime.date(2027, 1, 1)
    while day < datetime.date(2029, 1, 1):  # a common and a leap year, 29 February included
        born = dict(featured_birth_dates(day))
        for (name, _), band in zip(CHILDREN, BANDS.values(), strict=True):
            number = synthetic_national_id(born[name])
            for later in (0, 60, 200):
                assert age_on(number, day + datetime.timedelta(days=later)) in band, (name, day, later)
        day += datetime.timedelta(days=1)


def test_demo_banner_names_each_featured_persons_role_by_their_age_on_the_day(db):
    seed_demo_clinic()
    with translation.override("nb"):
        text = demo_banner("http://127.0.0.1:8000")
    today = timezone.localdate()
    people = {match["name"]: match for match in FEATURED_LINE.finditer(text)}
    assert set(people) == {f"{name} Nordmann" for name in ["Kari", "Ola", "Emma", "Nora", "Jakob", "Arne"]}, text
    registered = {patient.full_name: patient for patient in ListPatient.objects.filter(last_name="Nordmann")}
    kari = registered["Kari Nordmann"]
    for name, line in people.items():
        patient = registered[name]
        assert line["number"] == patient.national_id
        assert "+47" + line["mobile"].replace(" ", "") == patient.mobile
    roles = {name: line["role"] for name, line in people.items()}
    for role, band in BANDS.items():
        children = [name for name, printed in roles.items() if printed == role]
        assert len(children) == 1, (role, roles)
        assert age_on(people[children[0]]["number"], today) in band, (role, roles)
    elder = [name for name, role in roles.items() if role == "forelder som har gitt Kari fullmakt"]
    assert len(elder) == 1 and age_on(people[elder[0]]["number"], today) >= 80
    assert roles["Kari Nordmann"] == roles["Ola Nordmann"] == "forelder, foresatt for barna"

    # What the banner says is what the policy gives Kari on the day.
    for name, role in roles.items():
        decision = decide_for_number(kari.national_id, registered[name], day=today, high=False)
        expected = {
            "barn under 12 år": (Relation.GUARDIAN, ALL),
            "barn 12–15 år: foresatte ser bare timer": (Relation.GUARDIAN, {Capability.APPOINTMENTS}),
            "ungdom 16–17 år: egen tilgang": (Relation.GUARDIAN, frozenset()),
            "forelder som har gitt Kari fullmakt": (Relation.PROXY, ALL),
        }.get(role)
        if expected:
            assert (decision.relation, decision.capabilities) == expected, name
    youth = registered[next(name for name, role in roles.items() if role.startswith("ungdom"))]
    assert youth.mobile != kari.mobile and Guardianship.objects.filter(child=youth).count() == 2
    proxy = Proxy.objects.get(giver__first_name="Arne")
    assert (proxy.proxy_national_id, proxy.source, proxy.valid_until) == (kari.national_id, "clinic", None)

    assert "Logg inn som Kari, velg en person under «Personer du kan handle på vegne av» på Min side." in text
    assert "Utboks for SMS og e-post i demoen: http://127.0.0.1:8000/demo/utboks/" in text
    assert "http://127.0.0.1:8000/personale/ (bruker personale" in text
    assert "eportal import-patients FIL.csv" in text


def test_seeding_the_demo_again_on_a_later_day_adds_no_second_family(db):
    first = seed_demo_clinic(today=datetime.date(2026, 5, 1))
    family = set(ListPatient.objects.filter(last_name="Nordmann").values_list("national_id", "mobile"))
    assert seed_demo_clinic(today=datetime.date(2027, 9, 30)) == first
    assert set(ListPatient.objects.filter(last_name="Nordmann").values_list("national_id", "mobile")) == family
    assert Proxy.objects.count() == 1


def test_seed_demo_refuses_where_synthetic_ids_are_not_allowed(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.EPORTAL_ALLOW_SYNTHETIC_IDS = False
    with pytest.raises(ImproperlyConfigured):
        seed_demo_clinic()
    assert not ListPatient.objects.exists()


def test_eportal_demo_migrates_seeds_prints_how_to_try_it_and_serves(tmp_path):
    port, provider_port = free_port(), free_port()
    with serving_demo(tmp_path, "--port", str(port), env={"EPORTAL_DEMO_OIDC_PORT": str(provider_port)}) as text:
        assert f"http://127.0.0.1:{port}/" in text
        assert re.search(r"Kari Nordmann\s+\d{11}\s+mobil \d{3} \d{2} \d{3}", text), text
        assert "/demo/utboks/" in text and f"http://127.0.0.1:{port}/personale/ " in text
        assert "Gi meg beskjed om en tidligere time" in text
        html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "GJERDRUM LEGESENTER" in html
        outbox = urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/utboks/", timeout=10).read().decode()
        assert "Demo-utboks" in outbox
        assert (tmp_path / "eportal-demo" / "eportal.sqlite3").exists()
        # A new user registers with a printed patient; the worker the demo started delivers the link.
        national_id, mobile = re.search(r"Kari Nordmann\s+(\d{11})\s+mobil ([\d ]+?)\s{2}", text).groups()
        _register_over_http(f"http://127.0.0.1:{port}", national_id, mobile)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            outbox = urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/utboks/", timeout=10).read().decode()
            if "Aktiver brukeren din" in outbox:
                break
            time.sleep(0.5)
        assert "Aktiver brukeren din i e-portalen til Gjerdrum legesenter" in outbox
        assert f"http://127.0.0.1:{port}/aktiver/" in outbox
        assert len(running_in(tmp_path, b"worker")) == 1
        # The worker runs the scheduled jobs itself (reminders and waiting-list expiry every minute in the demo).
        database = tmp_path / "eportal-demo" / "eportal.sqlite3"
        finished = {}
        while time.monotonic() < deadline + 30 and len(finished) < 3:
            with contextlib.closing(sqlite3.connect(database)) as db:
                query = "SELECT name, last_succeeded FROM operations_scheduledjob WHERE last_finished_at IS NOT NULL"
                finished = dict(db.execute(query).fetchall())
            time.sleep(0.5)
        assert finished == {"generate-slots": 1, "booking-jobs": 1, "notices": 1}
        # The BankID button works: the demo's own provider on the next port answers with the typed person.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        to_provider = _location(browser, f"http://127.0.0.1:{port}/logg-inn/bankid/")
        assert to_provider.startswith(f"http://127.0.0.1:{provider_port}/oauth2/authorize?")
        back = _location(browser, to_provider, data=urllib.parse.urlencode({"sub": national_id}).encode())
        assert back.startswith(f"http://127.0.0.1:{port}/logg-inn/bankid/retur/?")
        assert _location(browser, back) == "/logg-inn/bankid/ny-bruker/"  # Kari has no active user yet
    # Leaving the block stopped the demo and asserted it left no worker running.


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _location(opener, url, data=None):
    try:
        opener.open(urllib.request.Request(url, data=data), timeout=20)  # noqa: S310 - loopback
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.read()[:500]
        return redirect.headers["Location"]
    raise AssertionError(f"{url} did not redirect")


def _register_over_http(base_url, national_id, mobile):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base_url}/registrer/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = {
        "csrfmiddlewaretoken": token,
        "national_id": national_id,
        "email": "kari@example.com",
        "mobile": mobile,
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        "consent": "on",
    }
    request = urllib.request.Request(  # noqa: S310 - the demo on loopback
        f"{base_url}/registrer/",
        data=urllib.parse.urlencode(data).encode(),
        headers={"Referer": f"{base_url}/registrer/"},
    )
    assert "Sjekk e-posten din" in opener.open(request, timeout=30).read().decode()
