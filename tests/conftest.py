import pytest
from django.core.cache import cache

from eportal.notifications import backends

pytest_plugins = ["tests.accounts_fixtures", "tests.oidc_fixtures"]


@pytest.fixture(autouse=True)
def _fresh_outbox_and_cache():
    """Each test starts with no SMS sent and no counters (throttles, cached provider metadata)."""
    backends.sms_outbox.clear()
    cache.clear()
    yield
    backends.sms_outbox.clear()
