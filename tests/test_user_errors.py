"""One family of refusals: every domain error is a UserError with a stable code, and the web shows any of
them as a Norwegian page with the status its code maps to, never a 500."""

import pytest
from django.urls import path

from eportal import urls
from eportal.accounts.errors import AccountError
from eportal.accounts.oidc import OidcError
from eportal.core.errors import UserError
from eportal.notifications.backends import SmsNotSent
from eportal.notifications.sms import SmsLimitReached
from eportal.web.errors import error_status


def _refusing_view(error):
    def view(request):
        raise error

    return view


urlpatterns = [
    path("test/konto/", _refusing_view(AccountError("Kontoen er stengt."))),
    path("test/borte/", _refusing_view(AccountError("Økten finnes ikke.", code="not_found"))),
    path("test/sperret/", _refusing_view(AccountError("For mange forsøk.", code="locked_out"))),
    path("test/bankid/", _refusing_view(OidcError("BankID svarer ikke.", "provider_unavailable"))),
]


@pytest.fixture(autouse=True)
def _refusing_urls(settings):
    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [*urlpatterns, *urls.urlpatterns]})


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/test/konto/", 400, "Kontoen er stengt."),
        ("/test/borte/", 404, "Økten finnes ikke."),
        ("/test/sperret/", 429, "For mange forsøk."),
        ("/test/bankid/", 503, "BankID svarer ikke."),
    ],
)
@pytest.mark.django_db
def test_a_refusal_no_view_caught_is_a_page_with_its_message_and_status(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert message in html and "<h1>" in html and "Til forsiden" in html


def test_every_domain_error_is_a_user_error_with_a_code():
    for error in [AccountError("x"), OidcError("x", "bad_state"), SmsNotSent("x"), SmsLimitReached("x")]:
        assert isinstance(error, UserError) and error.code and str(error) == "x"
    assert OidcError("x", "bad_state").code == "bad_state"
    assert SmsLimitReached("x").code == "sms_limit"


def test_the_status_of_a_code_is_decided_in_one_place():
    assert error_status(UserError("x")) == 400
    assert error_status(UserError("x", code="not_found")) == 404
    assert error_status("a plain message") == 400
