"""BankID / ID-porten login through OpenID Connect: authorization code flow with PKCE, state and
nonce tied to the browser session, the `iss` response parameter checked (RFC 9207), and the ID token
verified against the provider's JWKS with an allow-list of algorithms (docs/security.md, "BankID").

The provider is configuration only (settings.EPORTAL_OIDC_*), with presets for BankID and ID-porten;
a broker (Criipto, Signicat) works by pointing the discovery URL at it. Users are never keyed on `sub`
(pairwise in ID-porten): the fødselsnummer claim links the login to the clinic's list.
"""

import base64
import dataclasses
import hashlib
import secrets
import time
import uuid

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, import_key

from eportal.core.actor import HIGH, SUBSTANTIAL
from eportal.core.errors import UserError
from eportal.identity.national_id import InvalidNationalId, parse_national_id

PENDING_MAX_AGE_SECONDS = 10 * 60
METADATA_CACHE_SECONDS = 60 * 60
CLOCK_LEEWAY_SECONDS = 60

PRESETS = {
    # BankID OIDC: the fødselsnummer needs the nnin_altsub scope; sub is BankID's serial number.
    "bankid": {
        "scopes": "openid nnin_altsub",
        "national_id_claim": "nnin_altsub",
        "acr_levels": {"urn:bankid:bid;LOA=4": HIGH, "urn:bankid:bid;LOA=3": SUBSTANTIAL},
        "acr_values": {HIGH: "urn:bankid:bid;LOA=4", SUBSTANTIAL: "urn:bankid:bid;LOA=3"},
    },
    # ID-porten: the fødselsnummer is pid; sub is pairwise per client.
    "idporten": {
        "scopes": "openid profile",
        "national_id_claim": "pid",
        "acr_levels": {"idporten-loa-high": HIGH, "idporten-loa-substantial": SUBSTANTIAL},
        "acr_values": {HIGH: "idporten-loa-high", SUBSTANTIAL: "idporten-loa-substantial"},
    },
}


class OidcError(UserError):
    """A failed login; str() is the Norwegian message, `reason` (its code) a short word for the audit log."""

    def __init__(self, message, reason: str):
        super().__init__(message, code=reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Identity:
    national_id: str
    level: str
    acr: str
    id_token: str


def is_configured() -> bool:
    return bool(settings.EPORTAL_OIDC_DISCOVERY_URL and settings.EPORTAL_OIDC_CLIENT_ID)


def preset() -> dict:
    base = PRESETS[settings.EPORTAL_OIDC_PRESET]
    return {
        "scopes": settings.EPORTAL_OIDC_SCOPES or base["scopes"],
        "national_id_claim": settings.EPORTAL_OIDC_NATIONAL_ID_CLAIM or base["national_id_claim"],
        "acr_levels": base["acr_levels"],
        "acr_values": base["acr_values"],
    }


def _unavailable():
    return OidcError(_("BankID is not answering right now. Try again in a little while."), "provider_unavailable")


def _get_json(url: str) -> dict:
    try:
        response = httpx.get(url, timeout=settings.EPORTAL_OIDC_TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError):
        raise _unavailable() from None
    if not isinstance(data, dict):
        raise _unavailable()
    return data


def metadata() -> dict:
    key = f"eportal.oidc.metadata.{settings.EPORTAL_OIDC_DISCOVERY_URL}"
    data = cache.get(key)
    if data is None:
        data = _get_json(settings.EPORTAL_OIDC_DISCOVERY_URL)
        for field in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(field), str):
                raise _unavailable()
        cache.set(key, data, METADATA_CACHE_SECONDS)
    return data


def _key_set(*, refresh: bool = False) -> KeySet:
    key = f"eportal.oidc.jwks.{settings.EPORTAL_OIDC_DISCOVERY_URL}"
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(metadata()["jwks_uri"])
        cache.set(key, data, METADATA_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, TypeError, KeyError):
        raise _unavailable() from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def authorization_url(*, redirect_uri: str, purpose: str, level: str, next_url: str) -> tuple[str, dict]:
    """Where to send the browser, and the pending login (state, nonce, PKCE verifier) that the caller keeps
    for this browser alone and hands back to complete()."""
    verifier = _b64(secrets.token_bytes(48))
    pending = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": verifier,
        "purpose": purpose,
        "next": next_url,
        "redirect_uri": redirect_uri,
        "at": int(time.time()),
    }
    config = preset()
    params = {
        "response_type": "code",
        "client_id": settings.EPORTAL_OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": config["scopes"],
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
        "acr_values": config["acr_values"][level],
        "ui_locales": "nb",
    }
    return str(httpx.URL(metadata()["authorization_endpoint"], params=params)), pending


def fresh_pending(pending) -> dict | None:
    """A pending login as kept by the caller, if it is one and not older than PENDING_MAX_AGE_SECONDS."""
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_AGE_SECONDS:
        return None
    return pending


def _client_auth(token_endpoint: str) -> tuple[dict, tuple | None]:
    """Client authentication: private_key_jwt if a key is configured, else client_secret_basic."""
    client_id = settings.EPORTAL_OIDC_CLIENT_ID
    if settings.EPORTAL_OIDC_PRIVATE_KEY_FILE:
        with open(settings.EPORTAL_OIDC_PRIVATE_KEY_FILE, "rb") as key_file:
            private_key = import_key(key_file.read(), "RSA")
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        header = {"alg": "RS256", **({"kid": private_key.kid} if private_key.kid else {})}
        assertion = jwt.encode(header, claims, private_key)
        return {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }, None
    return {}, (client_id, settings.EPORTAL_OIDC_CLIENT_SECRET)


def complete(pending: dict | None, params) -> Identity:
    """Turn the provider's answer into a verified identity, or raise OidcError."""
    if params.get("error"):
        raise OidcError(_("The BankID login was cancelled."), "cancelled")
    state = params.get("state", "")
    if not pending or not state or not constant_time_compare(state, pending["state"]):
        raise OidcError(_("The login could not be completed. Start again."), "bad_state")
    meta = metadata()
    iss = params.get("iss")
    if (iss is not None or meta.get("authorization_response_iss_parameter_supported")) and iss != meta["issuer"]:
        raise OidcError(_("The login could not be completed. Start again."), "bad_iss")
    code = params.get("code", "")
    if not code or len(code) > 2048:
        raise OidcError(_("The login could not be completed. Start again."), "no_code")
    extra, auth = _client_auth(meta["token_endpoint"])
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": pending["redirect_uri"],
        "code_verifier": pending["verifier"],
        "client_id": settings.EPORTAL_OIDC_CLIENT_ID,
        **extra,
    }
    try:
        response = httpx.post(
            meta["token_endpoint"], data=data, auth=auth, timeout=settings.EPORTAL_OIDC_TIMEOUT_SECONDS
        )
        tokens = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        raise _unavailable() from None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise OidcError(_("The login could not be completed. Start again."), "token_refused")
    claims = verify_id_token(tokens["id_token"], nonce=pending["nonce"])
    config = preset()
    level = config["acr_levels"].get(claims.get("acr"))
    if level is None:
        raise OidcError(_("The login did not give a known security level."), "unknown_acr")
    try:
        national_id = parse_national_id(str(claims.get(config["national_id_claim"], "")))
    except InvalidNationalId:
        raise OidcError(_("BankID did not tell us your national identity number."), "no_national_id") from None
    return Identity(national_id=national_id, level=level, acr=claims["acr"], id_token=tokens["id_token"])


def verify_id_token(id_token: str, *, nonce: str) -> dict:
    invalid = OidcError(_("The login could not be verified. Start again."), "bad_id_token")
    algorithms = settings.EPORTAL_OIDC_ALGORITHMS
    try:
        token = jwt.decode(id_token, _key_set(), algorithms=algorithms)
    except JoseError:
        # The provider may have rotated its keys: fetch them once more before refusing.
        try:
            token = jwt.decode(id_token, _key_set(refresh=True), algorithms=algorithms)
        except (JoseError, ValueError):
            raise invalid from None
    except ValueError:
        raise invalid from None
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": metadata()["issuer"]},
        aud={"essential": True, "value": settings.EPORTAL_OIDC_CLIENT_ID},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except JoseError:
        raise invalid from None
    audience = token.claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and token.claims.get("azp") != settings.EPORTAL_OIDC_CLIENT_ID:
        raise invalid
    return token.claims


def _end_session_endpoint() -> httpx.URL | None:
    try:
        endpoint = metadata().get("end_session_endpoint")
    except OidcError:
        return None
    return httpx.URL(endpoint) if isinstance(endpoint, str) else None


def end_session_origin() -> str | None:
    endpoint = _end_session_endpoint()
    return f"{endpoint.scheme}://{endpoint.netloc.decode()}" if endpoint else None


def end_session_form(id_token: str, post_logout_redirect_uri: str) -> tuple[str, dict] | None:
    """Where and what to POST to end the provider's session too, where it supports that: (endpoint, fields).

    A form post, never a redirect: the ID token names the person (BankID's nnin_altsub), and a URL would carry
    it into the browser's history and the provider's access logs."""
    endpoint = _end_session_endpoint()
    if endpoint is None:
        return None
    fields = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": settings.EPORTAL_OIDC_CLIENT_ID,
    }
    return str(endpoint), fields
