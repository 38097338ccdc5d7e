import base64
import contextlib
import re
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.test.client import Client

from eportal.identity.national_id import InvalidNationalId, parse_national_id
from eportal.notifications import backends
from tests import factories

pytest_plugins = ["tests.accounts_fixtures", "tests.oidc_fixtures", "tests.log_scan"]


@pytest.fixture(autouse=True)
def _fresh_outbox_and_cache():
    """Each test starts with no SMS sent, no counters (throttles, cached provider metadata) and every synthetic
    fødselsnummer free."""
    backends.sms_outbox.clear()
    cache.clear()
    factories.forget_national_ids()
    yield
    backends.sms_outbox.clear()


ELEVEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")
BASE64URL = re.compile(r"[A-Za-z0-9_-]{16,}")  # a JWT's parts, or any other encoded value


def national_ids_in(location: str) -> list[str]:
    """The fødselsnummer in a redirect's address: as digits, or inside an encoded value (an ID token's claims)."""
    texts = [unquote(location)]
    for part in BASE64URL.findall(unquote(location)):
        with contextlib.suppress(ValueError):  # not base64 after all (a length no encoding gives)
            texts.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8", "ignore"))
    found = []
    for number in (match for text in texts for match in ELEVEN_DIGITS.findall(text)):
        with contextlib.suppress(InvalidNationalId):
            found.append(parse_national_id(number, allow_synthetic=True))
    return found


@pytest.fixture(autouse=True, scope="session")
def _no_national_id_in_any_redirect():
    """Every answer the tests' clients get: a fødselsnummer never travels in a Location header (into browser
    history, the logs of proxies and identity providers), in any flow."""
    request = Client.request

    def checked(self, **kwargs):
        response = request(self, **kwargs)
        location = response.get("Location", "")
        assert not national_ids_in(location), f"a fødselsnummer in a redirect: {location}"
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", checked)
        yield
