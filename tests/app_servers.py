"""Running `eportal serve` (gunicorn, production settings) as real processes on loopback, several of them against
one PostgreSQL database and one Redis database of their own, and talking to them over HTTP as a browser does.

Used by tests/test_two_app_servers.py. Whatever DATABASE_URL and REDIS_URL the test suite itself runs with, the
servers get a database made for them (`own_postgres_database`) and an empty Redis database number
(`own_redis_database`), both removed at the end; everything they need is in the environment built here, nothing
is inherited from the suite's.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
import pytest
import redis
from cryptography.fernet import Fernet
from psycopg import sql

from tests.demo_process import free_port
from tests.helpers import SOURCE_DIR

POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Written into the Redis database this run takes, so that another run looking for an empty one passes it by.
REDIS_CLAIM_KEY = "eportal-tests-app-servers-claim"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SESSION_COOKIES = ("__Host-sessionid", "sessionid")


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not answering at {POSTGRES_HOST}:{POSTGRES_PORT} (user {POSTGRES_USER}, trust auth): "
            f"this test needs it whichever database the suite runs on. {exc}",
            pytrace=False,
        )


@contextlib.contextmanager
def own_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database `<prefix>_<pid>`, as a DATABASE_URL; dropped at the end, also on failure
    (with the connections the servers may still hold)."""
    name = f"{prefix}_{os.getpid()}"
    with _admin_connection() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with _admin_connection() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def own_redis_database() -> Iterator[str]:
    """An empty Redis database number (15 down to 1; 0 is the test suite's own on PostgreSQL), claimed for this
    run, as a REDIS_URL; flushed at the end, leaving it empty as it was found. Only that number is touched."""
    try:
        with redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5, socket_connect_timeout=5) as client:
            client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not answering at {REDIS_HOST}:{REDIS_PORT}: this test needs it. {exc}", pytrace=False)
    claimed = None
    for number in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=5)
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, str(os.getpid()), nx=True, ex=3600):
                claimed = number
                break
        except redis.ResponseError:  # fewer databases configured than 16
            pass
        client.close()
    if claimed is None:
        pytest.fail("Redis has no empty database numbered 1 to 15 for this test to use.", pytrace=False)
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{claimed}"
    finally:
        client.flushdb()  # the database claimed above, and only it
        client.close()


def production_environment(*, database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an `eportal` process in production mode on plain-HTTP loopback: fresh secrets, the
    given database and Redis, synthetic fødselsnummer allowed (the demo clinic's), a trusted proxy's
    X-Forwarded-For read as the client's address (so a test can be several clients), and SMS written to the
    database's outbox table (the demo's backend), where the test reads the codes. `extra` adds or overrides."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(data_dir)),  # its cache keeps the compiled catalogues between runs
        "PYTHONPATH": SOURCE_DIR,
        "PYTHONUNBUFFERED": "1",
        "EPORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EPORTAL_MESSAGE_KEYS": f"tests:{Fernet.generate_key().decode('ascii')}",
        "EPORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECURE_SSL_REDIRECT": "0",
        "EPORTAL_BEHIND_PROXY": "1",
        "EPORTAL_ALLOW_SYNTHETIC_IDS": "1",
        "EPORTAL_SMS_BACKEND": "eportal.notifications.backends.OutboxSmsBackend",
        "EMAIL_BACKEND": "eportal.notifications.backends.OutboxEmailBackend",
        **extra,
    }


def run_eportal(env: dict[str, str], *args: str, cwd: Path, timeout: float = 240) -> str:
    """Run `eportal <args>` to the end; its output, or the test fails with it."""
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "eportal.cli", *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`eportal {args[0]}` did not finish in {timeout} s: {exc.stdout}\n{exc.stderr}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"`eportal {args[0]}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


@dataclass
class AppServer:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _answering(server: AppServer) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": f"127.0.0.1:{server.port}"})
        response = connection.getresponse()
        body = response.read()
    except OSError:
        return False
    finally:
        connection.close()
    try:
        checks = json.loads(body)["checks"]
    except (ValueError, KeyError, TypeError):
        return False
    return response.status in (200, 503) and checks["database"]["ok"] and checks["migrations"]["ok"]


def _stop(server: AppServer) -> None:
    """Stop gunicorn (its master is the process started: `eportal serve` replaces itself with it) and, should it
    leave any, its workers: they are in the process group started with it."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # only what is left of the group this test started
    if process.poll() is None:
        process.wait(timeout=10)


@contextlib.contextmanager
def app_servers(env: dict[str, str], names: list[str], *, folder: Path, timeout: float = 60) -> Iterator[list]:
    """`eportal serve` once per name, each on a free loopback port (EPORTAL_BIND), until all answer /healthz;
    stopped at the end, also on failure."""
    ports: list[int] = []
    while len(ports) < len(names):
        port = free_port()
        if port not in ports:
            ports.append(port)
    servers: list[AppServer] = []
    try:
        for name, port in zip(names, ports, strict=True):
            log = folder / f"server-{name}.log"
            with log.open("w") as output:
                process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                    [sys.executable, "-m", "eportal.cli", "serve"],
                    env={**env, "EPORTAL_BIND": f"127.0.0.1:{port}"},
                    cwd=folder,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: its workers are stopped with it
                )
            servers.append(AppServer(name, port, process, log))
        deadline = time.monotonic() + timeout
        waiting = list(servers)
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    pytest.fail(f"server {server.name} exited:\n{server.log_tail()}", pytrace=False)
                if _answering(server):
                    waiting.remove(server)
            if waiting and time.monotonic() > deadline:
                tails = "\n".join(f"--- {server.name}\n{server.log_tail()}" for server in waiting)
                pytest.fail(f"servers not answering after {timeout} s:\n{tails}", pytrace=False)
            time.sleep(0.2)
        yield servers
    finally:
        for server in servers:
            _stop(server)


@dataclass
class Answer:
    status: int
    location: str
    text: str


@dataclass
class Browser:
    """One browser: its own cookies, coming from `address` (X-Forwarded-For, which the servers trust as a proxy's).
    Each request opens a new connection to the server it is sent to, so one browser may use several servers."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, server: AppServer, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {
            "Host": f"127.0.0.1:{server.port}",
            "User-Agent": "eportal-tests/two-app-servers",
            "X-Forwarded-For": self.address,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, response.headers.get("Location", ""), content.decode("utf-8", "replace"))

    def form_token(self, server: AppServer, path: str) -> str:
        """GET a page with a form; its CSRF token (the cookie comes with the answer)."""
        answer = self.request(server, "GET", path)
        found = CSRF_INPUT.search(answer.text)
        assert answer.status == 200 and found, f"GET {path} on {server.name}: {answer.status} {answer.text[:500]}"
        return found.group(1)

    def post_form(self, server: AppServer, path: str, fields: dict, *, token: str | None = None) -> Answer:
        """POST the form of the page at `path` (fetched first for its token unless `token` is given)."""
        token = token or self.form_token(server, path)
        return self.request(server, "POST", path, {"csrfmiddlewaretoken": token, **fields})

    @property
    def session(self) -> str | None:
        return next((self.cookies[name] for name in SESSION_COOKIES if name in self.cookies), None)
