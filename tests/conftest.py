import pytest

from eportal.i18n import compile_catalogues
from eportal.notifications import backends

pytest_plugins = ["tests.accounts_fixtures", "tests.oidc_fixtures"]

compile_catalogues()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    backends.sms_outbox.clear()
    yield
    backends.sms_outbox.clear()
