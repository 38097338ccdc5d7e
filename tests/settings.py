"""The test suite's settings: eportal's own, in test mode (synthetic ids on, messages in memory)."""

import os

os.environ["EPORTAL_ENV"] = "test"

from eportal.settings import *  # noqa: E402,F403

# The concurrency tests open many connections at once: give each back when its request or job ends.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent tests then lock as SQLite does in production.
    import tempfile

    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"eportal-test-{os.getpid()}.sqlite3")}  # noqa: F405

# Tests run at any hour: no quiet hours for waiting-list offers (the test of quiet hours sets its own).
EPORTAL_WAITLIST_QUIET_HOURS = (0, 0)
