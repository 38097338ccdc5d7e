"""Login with BankID through OpenID Connect against a real provider on loopback (docs/security.md, BankID)."""

import datetime
import urllib.parse

import httpx
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import path

from eportal.accounts.models import AccountSession, User
from eportal.audit.models import AuditEvent
from eportal.core.actor import HIGH
from eportal.demo import oidc_provider as demo_provider
from eportal.web.decorators import requires_level
from tests import factories
from tests.accounts_fixtures import NEW_PASSWORD, log_in
from tests.helpers import last_email_link
from tests.oidc_fixtures import forged_with_own_key, provider_answer, provider_login, s256, unsigned


def _failed(reason):
    return AuditEvent.objects.filter(action="login_failed", details__factor="bankid", details__reason=reason).exists()


def test_login_choice_offers_bankid_when_configured(client, family, bankid):
    html = client.get("/logg-inn/").content.decode()
    assert 'href="/logg-inn/bankid/"' in html and "Slik skaffer du deg BankID" in html


def test_bankid_login_of_an_existing_account_gives_a_high_session(client, family, kari_account, bankid):
    client.get("/")
    before = client.session.session_key
    response, authorize_url = provider_login(client, family["kari"].national_id)
    assert response.status_code == 302 and response["Location"] == "/min-side/"
    assert client.session.session_key != before
    auth = client.session["eportal.auth"]
    assert (auth["method"], auth["level"]) == ("bankid", "high")
    assert client.get("/min-side/").status_code == 200
    assert AuditEvent.objects.filter(action="login_succeeded", details__factor="bankid").exists()


def test_authorization_request_uses_pkce_state_nonce_and_the_presets_scope(client, family, kari_account, bankid):
    _, authorize_url = provider_login(client, family["kari"].national_id)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["scope"] == "openid nnin_altsub" and query["acr_values"] == "urn:bankid:bid;LOA=3"
    token_request = bankid.token_requests[-1]
    assert s256(token_request["code_verifier"]) == query["code_challenge"]  # the provider does not check PKCE
    assert len(token_request["code_verifier"]) >= 43


def test_first_bankid_login_of_a_listed_patient_creates_an_active_account(client, family, bankid):
    emma = family["emma"]
    response, _ = provider_login(client, emma.national_id)
    assert response["Location"] == "/logg-inn/bankid/ny-bruker/"
    page = client.get("/logg-inn/bankid/ny-bruker/").content.decode()
    assert emma.national_id in page and 'name="national_id"' not in page  # fixed from the token
    data = {"email": "emma.foresatt@example.com", "mobile": family["kari"].mobile, "consent": "on"}
    response = client.post("/logg-inn/bankid/ny-bruker/", data)
    assert response.status_code == 302 and response["Location"] == "/min-side/"
    user = User.objects.get(national_id=emma.national_id)
    assert user.is_active and not user.has_usable_password()
    assert (user.email, user.pending_email) == ("", "emma.foresatt@example.com")  # notices wait for the link
    page = client.get(last_email_link("emma.foresatt@example.com"))["Location"]
    client.post(page)  # the button on the page the link opens
    user.refresh_from_db()
    assert user.email == "emma.foresatt@example.com"


def test_first_bankid_login_checks_the_mobile_against_the_registry(client, family, bankid):
    provider_login(client, family["kari"].national_id)
    data = {"email": "kari@example.com", "mobile": "+4799999999", "consent": "on"}
    response = client.post("/logg-inn/bankid/ny-bruker/", data)
    assert response.status_code == 400 and "ikke det legekontoret har registrert" in response.content.decode()
    assert not User.objects.exists()


def test_bankid_person_not_on_the_list_gets_the_registration_pages_message(client, family, bankid):
    response, _ = provider_login(client, factories.national_id())
    assert response.status_code == 400
    assert (
        "Det er kun pasienter som har fastlege ved Gjerdrum legesenter som kan opprette bruker."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session and _failed("not_on_list")


def test_bankid_refuses_an_account_whose_patient_left_the_list(client, family, kari_account, bankid):
    from django.utils import timezone

    family["kari"].on_list_to = timezone.localdate()
    family["kari"].save()
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and "står ikke lenger på listen" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_bankid_first_login_page_is_not_cached(client, family, bankid):
    provider_login(client, family["emma"].national_id)
    response = client.get("/logg-inn/bankid/ny-bruker/")
    assert "no-store" in response["Cache-Control"]


def test_step_up_from_a_substantial_session_goes_to_bankid_and_back(client, family, kari_account, bankid, settings):
    log_in(client, family["kari"])
    assert client.session["eportal.auth"]["level"] == "substantial"
    old_key = client.session.session_key
    response = client.get("/test/hoy/")
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/bankid/?")
    response, authorize_url = provider_login(client, family["kari"].national_id, start=response["Location"])
    assert "acr_values=urn%3Abankid%3Abid%3BLOA%3D4" in authorize_url
    assert response["Location"] == "/test/hoy/"
    assert client.get("/test/hoy/").content == b"high"
    assert client.session.session_key != old_key and client.session["eportal.auth"]["level"] == "high"
    assert AccountSession.objects.count() == 1


def test_step_up_as_another_person_is_refused(client, family, kari_account, bankid):
    log_in(client, family["kari"])
    response, _ = provider_login(
        client, family["emma"].national_id, start="/logg-inn/bankid/?niva=high&next=/min-side/"
    )
    assert response.status_code == 400 and "som en annen person" in response.content.decode()
    assert client.session["eportal.auth"]["level"] == "substantial"
    assert _failed("step_up_other_person")


def test_bankid_at_the_high_level_can_change_password_and_email_without_the_old_password(
    client, family, kari_account, bankid
):
    provider_login(client, family["kari"].national_id)
    assert 'name="current_password"' not in client.get("/min-side/passord/").content.decode()
    response = client.post("/min-side/passord/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and User.objects.get().check_password(NEW_PASSWORD)
    response = client.post("/min-side/opplysninger/", {"email-new_email": "min@example.com"})
    assert response.status_code == 302 and User.objects.get().pending_email == "min@example.com"


def test_cancel_at_the_provider(client, family, bankid):
    response, _ = provider_login(client, family["kari"].national_id, action="deny")
    assert response.status_code == 400 and "Innloggingen med BankID ble avbrutt." in response.content.decode()
    assert _failed("cancelled")


def test_replayed_and_wrong_state_are_refused(client, family, kari_account, bankid):
    callback, _ = provider_answer(client, family["kari"].national_id)
    tampered = callback.replace("state=", "state=x")
    assert client.get(tampered).status_code == 400 and _failed("bad_state")
    other = Client()
    assert other.get(callback).status_code == 400  # another browser: no state in its session
    provider_login(client, family["kari"].national_id)  # a fresh login works
    client.post("/logg-ut/")
    replay = client.get(callback)
    assert replay.status_code == 400 and "_auth_user_id" not in client.session


def test_wrong_iss_response_parameter_is_refused(client, family, kari_account, bankid):
    callback, _ = provider_answer(client, family["kari"].national_id)
    response = client.get(callback + "&iss=https%3A%2F%2Fevil.example")
    assert response.status_code == 400 and _failed("bad_iss")


@pytest.mark.parametrize(
    ("transform", "name"),
    [
        (forged_with_own_key, "signed with another key"),
        (unsigned, "alg none"),
        (lambda header, claims: "not.a.token", "garbage"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_forged_id_tokens_are_refused(client, family, kari_account, bankid, transform, name):
    bankid.transform = transform
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400, name
    assert "Innloggingen kunne ikke bekreftes." in response.content.decode()
    assert "_auth_user_id" not in client.session and _failed("bad_id_token")


def test_id_token_with_another_nonce_is_refused(client, family, kari_account, bankid):
    callback, _ = provider_answer(client, family["kari"].national_id)
    session = client.session
    session["eportal.oidc"] = {**session["eportal.oidc"], "nonce": "another-nonce"}
    session.save()
    response = client.get(callback)  # the provider's own signature, the old nonce
    assert response.status_code == 400 and _failed("bad_id_token")


def test_expired_id_token_is_refused(client, family, kari_account, bankid, settings):
    expired_provider = demo_provider.make_app(token_lifetime=datetime.timedelta(seconds=-300))
    with demo_provider.running(expired_provider) as base_url:
        settings.EPORTAL_OIDC_DISCOVERY_URL = f"{base_url}/.well-known/openid-configuration"
        response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and _failed("bad_id_token")


def test_issuer_must_match_exactly(client, family, kari_account, bankid, settings):
    from eportal.accounts import oidc

    metadata = {**oidc.metadata(), "issuer": f"{bankid.base_url}/other"}
    cache.set(f"eportal.oidc.metadata.{settings.EPORTAL_OIDC_DISCOVERY_URL}", metadata, 60)
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and _failed("bad_id_token")


def test_wrong_audience_is_refused(client, family, kari_account, bankid):
    # The provider signs whatever client id asks; a token for another client must not log in here.
    started = client.get("/logg-inn/bankid/")
    other_client_url = started["Location"].replace("client_id=eportal-test", "client_id=another-client")
    answer = httpx.post(other_client_url, data={"sub": family["kari"].national_id})
    response = client.get(answer.headers["location"])
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_missing_national_id_claim_is_refused(client, family, bankid, settings):
    settings.EPORTAL_OIDC_NATIONAL_ID_CLAIM = "pid"  # the provider sends nnin_altsub only
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and "fødselsnummer" in response.content.decode()
    assert _failed("no_national_id")


def test_unknown_acr_is_refused(client, family, bankid, settings):
    settings.EPORTAL_OIDC_PRESET = "idporten"
    settings.EPORTAL_OIDC_NATIONAL_ID_CLAIM = "nnin_altsub"
    response, _ = provider_login(client, family["kari"].national_id)
    assert response.status_code == 400 and _failed("unknown_acr")


def test_provider_down_or_slow_gives_a_clear_message(client, family, bankid, settings):
    settings.EPORTAL_OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get("/logg-inn/bankid/")
    assert response.status_code == 503 and "BankID svarer ikke akkurat nå." in response.content.decode()
    settings.EPORTAL_OIDC_DISCOVERY_URL = f"{bankid.base_url}/.well-known/openid-configuration"
    callback, _ = provider_answer(client, family["kari"].national_id)
    settings.EPORTAL_OIDC_TIMEOUT_SECONDS = 0.3
    bankid.delay = 0.6
    response = client.get(callback)
    assert response.status_code == 400 and "BankID svarer ikke akkurat nå." in response.content.decode()
    assert _failed("provider_unavailable")


def test_bankid_not_configured_says_so(client, family, settings):
    settings.EPORTAL_OIDC_DISCOVERY_URL = ""
    assert "ikke satt opp" in client.get("/logg-inn/").content.decode()
    assert client.get("/logg-inn/bankid/").status_code == 503


def test_logout_ends_the_provider_session_too(client, family, kari_account, bankid):
    provider_login(client, family["kari"].national_id)
    csp = client.get("/min-side/")["Content-Security-Policy"]
    assert f"form-action 'self' {bankid.base_url}" in csp  # the logout form may be followed there
    response = client.post("/logg-ut/")
    # A page whose form posts the ID token to the provider, never a redirect that carries it in the URL.
    assert response.status_code == 200 and "Location" not in response
    page = response.content.decode()
    assert f'<form method="post" action="{bankid.base_url}/oauth2/end_session" id="provider-logout">' in page
    assert 'name="id_token_hint" value="ey' in page
    assert 'name="post_logout_redirect_uri" value="http://testserver/"' in page
    assert f"form-action 'self' {bankid.base_url}" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session
    assert "Du er logget ut." not in page and "Du er logget ut." in client.get("/").content.decode()


def test_tampered_callbacks_never_give_a_500(client, family, bankid):
    for query in ["", "?code=x", "?state=x", "?code=x&state=y", "?error=server_error", "?code=" + "a" * 5000]:
        assert client.get("/logg-inn/bankid/retur/" + query).status_code == 400


def _high_view(request):
    from django.http import HttpResponse

    return HttpResponse("high")


urlpatterns = [path("test/hoy/", requires_level(HIGH)(_high_view))]


@pytest.fixture(autouse=True)
def _high_test_url(settings):
    from eportal import urls

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [*urlpatterns, *urls.urlpatterns]})


def test_private_key_jwt_client_authentication(client, family, kari_account, bankid, settings, tmp_path):
    """ID-porten wants private_key_jwt: the token request carries an assertion signed with our key."""
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048)
    key_file = tmp_path / "client-key.pem"
    key_file.write_bytes(key.as_pem(private=True))
    settings.EPORTAL_OIDC_PRIVATE_KEY_FILE = str(key_file)
    provider_login(client, family["kari"].national_id)
    token_request = bankid.token_requests[-1]
    assert token_request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = jose_jwt.decode(token_request["client_assertion"], key, algorithms=["RS256"])
    assert assertion.claims["iss"] == assertion.claims["sub"] == "eportal-test"
    assert assertion.claims["aud"] == f"{bankid.base_url}/oauth2/token"
    assert assertion.claims["exp"] - assertion.claims["iat"] <= 60
    assert "client_secret" not in token_request
