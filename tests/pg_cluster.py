"""A throwaway PostgreSQL cluster of a test's own, on a free loopback port, that the test may stop and start (the
machine's main cluster on 5432 is shared by the suite and must never be restarted).

PostgreSQL 15's binaries (initdb, pg_ctl) refuse to run as root: as root they are run as the `postgres` user
(runuser), in a folder under the system's temp folder that user owns; as anyone else, directly. The cluster is
stopped and its folder removed when the block ends, also on failure. EPORTAL_TEST_PG_BIN names the binaries' folder
where it is not /usr/lib/postgresql/15/bin.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.demo_process import free_port

PG_BIN = Path(os.environ.get("EPORTAL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"


def _as_owner(command: list[str]) -> list[str]:
    """The command as the cluster's owner: `postgres` when we are root (PostgreSQL refuses root), else ourselves."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str], *, timeout: float = 60) -> str:
    done = subprocess.run(  # noqa: S603 - PostgreSQL's own binaries, fixed arguments
        _as_owner(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "start", "-w"])

    def stop(self, mode: str = "fast") -> None:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "stop", "-w"])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A new cluster (trust authentication, superuser `postgres`), started; stopped and removed at the end."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL's binaries are not in {PG_BIN} (EPORTAL_TEST_PG_BIN names another folder)")
    folder = Path(tempfile.mkdtemp(prefix="eportal-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(folder, free_port())
    try:
        _run(
            [str(PG_BIN / "initdb"), "-D", str(cluster.data), "--auth=trust", "-U", SUPERUSER, "-E", "UTF8"]
            + ["--no-locale", "--no-sync"]
        )
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                cluster.stop("immediate")
            deadline = time.monotonic() + 10
            while cluster.running() and time.monotonic() < deadline:
                time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)
