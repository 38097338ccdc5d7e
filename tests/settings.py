"""The test suite's settings: eportal's own, in test mode (synthetic ids on, messages in memory)."""

import os

os.environ["EPORTAL_ENV"] = "test"

from eportal.settings import *  # noqa: E402,F403
