"""A real OpenID Connect provider on loopback for the BankID tests, with a switch to forge its ID tokens."""

import base64
import hashlib
import json
import time
import urllib.parse

import httpx
import pytest
from django.core.cache import cache
from joserfc import jwt
from joserfc.jwk import RSAKey

from eportal.core.actor import HIGH
from eportal.demo import oidc_provider as demo_provider  # the name oidc_provider is the fixture below
from eportal.notifications import backends


class Forger:
    """WSGI middleware: records the token requests and, when told, replaces the ID token in the answer."""

    def __init__(self, app):
        self.app = app
        self.transform = None  # (header, claims) -> token string
        self.token_requests: list[dict] = []
        self.delay = 0.0

    def __call__(self, environ, start_response):
        if self.delay:
            time.sleep(self.delay)
        if environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        self.token_requests.append(dict(urllib.parse.parse_qsl(body.decode())))
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = b"".join(self.app(environ, capture))
        if self.transform and captured["status"].startswith("200"):
            answer = json.loads(chunks)
            header_b64, payload_b64, _ = answer["id_token"].split(".")
            header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
            claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
            answer["id_token"] = self.transform(header, claims)
            chunks = json.dumps(answer).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(chunks)))])
        return [chunks]


@pytest.fixture(scope="session")
def oidc_provider():
    forger = Forger(demo_provider.make_app())
    with demo_provider.running(forger) as base_url:
        forger.base_url = base_url
        yield forger


@pytest.fixture
def bankid(oidc_provider, settings):
    settings.EPORTAL_OIDC_DISCOVERY_URL = f"{oidc_provider.base_url}/.well-known/openid-configuration"
    settings.EPORTAL_OIDC_CLIENT_ID = "eportal-test"
    settings.EPORTAL_OIDC_CLIENT_SECRET = "test-secret"
    settings.EPORTAL_OIDC_PRESET = "bankid"
    settings.EPORTAL_OIDC_TIMEOUT_SECONDS = 2
    oidc_provider.transform, oidc_provider.delay = None, 0.0
    oidc_provider.token_requests.clear()
    cache.clear()
    yield oidc_provider
    oidc_provider.transform, oidc_provider.delay = None, 0.0
    cache.clear()


@pytest.fixture
def bankid_kari(client, family, kari_account, bankid):
    """Kari logged in with BankID: a session at the high level."""
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 302
    assert client.session["eportal.auth"]["level"] == HIGH
    backends.sms_outbox.clear()
    return client


def provider_answer(client, national_id, *, start="/logg-inn/bankid/", action=None):
    """Click BankID and pick the person on the provider's page, but do not follow the answer yet.
    Returns (the portal's callback URL the provider sent the browser to, the authorization URL)."""
    started = client.get(start)
    assert started.status_code == 302, started.content.decode()[:500]
    authorize_url = started["Location"]
    form = {"sub": national_id} if action is None else {"action": action}
    answer = httpx.post(authorize_url, data=form)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["location"], authorize_url


def provider_login(client, national_id, *, start="/logg-inn/bankid/", action=None):
    """Click BankID, pick the person on the provider's page, and follow the answer back to the portal.
    Returns (portal response, the authorization URL the portal sent the browser to)."""
    callback, authorize_url = provider_answer(client, national_id, start=start, action=action)
    return client.get(callback), authorize_url


def forged_with_own_key(header, claims):
    key = RSAKey.generate_key(2048)
    return jwt.encode({"alg": "RS256", "kid": header.get("kid", "x")}, claims, key)


def unsigned(header, claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
