"""What the demo shows to whom: no DEBUG pages, no debugger, and its outbox and test BankID only on loopback."""

import datetime
import re
import socket
import subprocess

import httpx
import pytest

from eportal.identity.synthetic import synthetic_national_id
from tests.demo_process import free_port, serving_demo, start_demo, stop_demo
from tests.test_settings_and_cli import MESSAGE_KEYS, eportal

CALLBACK = "http://127.0.0.1:1/logg-inn/bankid/retur/"
DEBUGGER_SCRIPT = "/?__debugger__=yes&cmd=resource&f=debugger.js"
DEBUGGER_SIGNS = ["Traceback", "__debugger__", "Werkzeug Debugger", "SECRET", "EVALEX", "docReady", "KeyError"]


def test_the_demo_outbox_answers_only_loopback_clients_unless_the_demo_is_exposed(client, db, settings):
    settings.EPORTAL_DEMO_OUTBOX = True
    for exposed in [False, True]:
        settings.EPORTAL_DEMO_EXPOSED = exposed
        for address in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]:
            assert client.get("/demo/utboks/", REMOTE_ADDR=address).status_code == 200, (exposed, address)
        for address, headers in [
            ("192.0.2.10", {}),
            ("2001:db8::10", {}),
            ("192.0.2.10", {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}),  # anyone can send the header
        ]:
            status = client.get("/demo/utboks/", REMOTE_ADDR=address, **headers).status_code
            assert status == (200 if exposed else 404), (exposed, address, headers)


def _authorize(query: str) -> str:
    return f"/oauth2/authorize?client_id=eportal-test&scope=openid&state=s&{query}"


MALFORMED = {
    "deny, redirect_uri in the form only": ("POST", _authorize("response_type=code&nonce=n"), {"action": "deny", "redirect_uri": CALLBACK}),
    "deny": ("POST", _authorize(f"response_type=code&nonce=n&redirect_uri={CALLBACK}"), {"action": "deny"}),
    "no nonce": ("GET", _authorize(f"response_type=code&redirect_uri={CALLBACK}"), None),
    "unknown response_type": ("GET", _authorize(f"response_type=bogus&nonce=n&redirect_uri={CALLBACK}"), None),
    "no client": ("POST", "/oauth2/authorize", {"sub": "12345678901"}),
    "the debugger's script": ("GET", DEBUGGER_SCRIPT, None),
    "the debugger's console": ("GET", "/console?__debugger__=yes&cmd=printpin&s=x", None),
}  # fmt: skip


def test_the_demo_provider_answers_a_denied_or_malformed_authorization_without_its_debugger(oidc_provider):
    for name, (method, path, form) in MALFORMED.items():
        answer = httpx.request(method, oidc_provider.base_url + path, data=form)
        assert answer.status_code < 500, (name, answer.status_code)
        for shown in DEBUGGER_SIGNS:
            assert shown not in answer.text, (name, shown)


def test_the_demo_providers_pages_are_norwegian_labelled_and_fetch_nothing_from_other_hosts(oidc_provider):
    """A demo user's browser talks to this machine only (no stylesheet from a CDN), the fødselsnummer field has
    a real label, and the end-session page does not print the ID token it was given."""
    login = httpx.get(oidc_provider.base_url + _authorize(f"response_type=code&nonce=n&redirect_uri={CALLBACK}"))
    end = httpx.post(
        oidc_provider.base_url + "/oauth2/end_session",
        data={"id_token_hint": "eyJhbGciOi.secret-claims.sig", "post_logout_redirect_uri": CALLBACK},
    )
    for answer in (login, end):
        assert answer.status_code == 200
        assert '<html lang="nb">' in answer.text
        assert not re.search(r"""(?:href|src)=["']?(?:https?:)?//""", answer.text), answer.text
    assert '<label for="sub">Fødselsnummer (11 siffer)</label>' in login.text and 'id="sub"' in login.text
    assert ">Logg inn</button>" in login.text and ">Avbryt</button>" in login.text
    assert "Logg ut av test-BankID" in end.text and "secret-claims" not in end.text
    # Someone logged in before: the next visitor is not shown their fødselsnummer.
    number = synthetic_national_id(datetime.date(1980, 1, 1))
    httpx.post(login.url, data={"sub": number})
    again = httpx.get(oidc_provider.base_url + _authorize(f"response_type=code&nonce=n&redirect_uri={CALLBACK}"))
    assert again.status_code == 200 and number not in again.text


def test_the_demo_runs_without_debug_unless_a_developer_asks(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG, s.EPORTAL_DEMO_OUTBOX, s.EPORTAL_DEMO_EXPOSED)"
    production = {"EPORTAL_ENV": "production", "SECRET_KEY": "k" * 50, "EPORTAL_MESSAGE_KEYS": MESSAGE_KEYS}
    asked = {"EPORTAL_DEBUG": "yes", "EPORTAL_DEMO_EXPOSED": "yes"}
    for env, expected in [
        ({}, ["False", "True", "False"]),
        (asked, ["True", "True", "True"]),
        ({**production, **asked}, ["False", "False", "False"]),
    ]:
        result = eportal("shell", "-c", code, env={"EPORTAL_ENV": "demo", "EPORTAL_DATA_DIR": str(tmp_path), **env})
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[-3:] == expected, env


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--host", "0.0.0.0"], "Add --expose"),  # noqa: S104 - refused
        (["--host", "192.0.2.10"], "Add --expose"),
        (["--host", "::"], "Add --expose"),
        (["--host", "demo.example"], "Add --expose"),
        (["--host", "0.0.0.0", "--expose"], "--expose needs the address other machines reach"),  # noqa: S104
    ],
    ids=["all interfaces", "a LAN address", "all IPv6 interfaces", "a host name", "exposed on all interfaces"],
)
def test_eportal_demo_refuses_other_interfaces_than_loopback_unless_told_and_starts_nothing(tmp_path, args, expected):
    port = free_port()
    process = start_demo(tmp_path, "--port", str(port), *args, stderr=subprocess.PIPE)
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        stop_demo(tmp_path, process)
    assert process.returncode == 2, stderr
    assert expected in stderr and "Traceback" not in stderr
    if expected == "Add --expose":
        assert "outbox shows every code and link" in stderr and "anyone log in as anyone" in stderr
        assert "only on 127.0.0.1" in stderr
    assert not (tmp_path / "eportal-demo").exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_eportal_demo_answers_with_its_own_error_pages_and_serves_its_static_files(tmp_path):
    port, provider_port = free_port(), free_port()
    with serving_demo(tmp_path, "--port", str(port), env={"EPORTAL_DEMO_OIDC_PORT": str(provider_port)}):
        base_url = f"http://127.0.0.1:{port}"
        missing = httpx.get(f"{base_url}/finnes-ikke/")
        assert missing.status_code == 404
        assert "Fant ikke siden" in missing.text
        assert "URLconf" not in missing.text and "urlpatterns" not in missing.text and "DEBUG" not in missing.text
        bad_host = httpx.get(f"{base_url}/", headers={"Host": "evil.example"})
        assert bad_host.status_code == 400
        assert "Noe var galt med forespørselen" in bad_host.text
        for shown in ["ALLOWED_HOSTS", "DisallowedHost", "SECRET_KEY", "EPORTAL_", "Traceback", "PATH", "DEBUG"]:
            assert shown not in bad_host.text, shown
        no_token = httpx.post(f"{base_url}/registrer/", data={"national_id": "x"})
        assert no_token.status_code == 403 and "CSRF_FAILURE_VIEW" not in no_token.text  # no DEBUG help section
        assert "Siden var utløpt. Gå tilbake, last inn siden på nytt og prøv igjen." in no_token.text
        css = httpx.get(f"{base_url}/static/eportal/site.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert httpx.get(f"{base_url}/demo/utboks/").status_code == 200  # from loopback
        provider = f"http://127.0.0.1:{provider_port}"
        for name in ["deny, redirect_uri in the form only", "the debugger's script"]:
            method, path, form = MALFORMED[name]
            answer = httpx.request(method, provider + path, data=form)
            assert answer.status_code < 500, name
            for shown in DEBUGGER_SIGNS:
                assert shown not in answer.text, (name, shown)
