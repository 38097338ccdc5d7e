"""`eportal worker` processes against the test database, as an operator starts them: for the tests that need
real separate workers (two at once, one that stops)."""

import contextlib
import os
import subprocess
import sys
import tempfile

from django.db import connection

from tests.helpers import SOURCE_DIR, stop_process


def database_url() -> str:
    """The test database (the tests' own, with the test's committed rows), as DATABASE_URL."""
    found = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{found['NAME']}"
    user = found["USER"] or "postgres"
    return f"postgres://{user}@{found['HOST'] or '127.0.0.1'}:{found['PORT'] or 5432}/{found['NAME']}"


@contextlib.contextmanager
def workers(count: int, *args: str, env: dict | None = None):
    """`count` workers until the block ends; yields the processes. Each one's output goes to its own file, read
    with output(process)."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": SOURCE_DIR,
        "PYTHONUNBUFFERED": "1",
        "EPORTAL_ENV": "test",
        "DATABASE_URL": database_url(),
        "EPORTAL_LOG_LEVEL": "INFO",
    }
    processes = []
    try:
        for _ in range(count):
            log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed with the process, below
            process = subprocess.Popen(
                [sys.executable, "-m", "eportal.cli", "worker", "--interval", "0.1", "--no-startup-delay", *args],
                env={**base, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            process.log = log
            processes.append(process)
        yield processes
    finally:
        for process in processes:
            process.terminate()  # all at once, then each waited for
        for process in processes:
            stop_process(process)


def output(process) -> str:
    process.log.seek(0)
    return process.log.read()
