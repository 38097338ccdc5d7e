import pytest

from eportal.notifications import backends

pytest_plugins = ["tests.accounts_fixtures", "tests.oidc_fixtures"]


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    backends.sms_outbox.clear()
    yield
    backends.sms_outbox.clear()
