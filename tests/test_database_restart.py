"""PostgreSQL restarted under load: the portal answers a clean 503 while it is down and 200 again after, with no
restart of the app servers or the worker.

In the test process (any suite database): a view, and a middleware before the view, failing on the database get
the 503 page (Retry-After, Norwegian text, no traceback) rendered without the database, logged in one line.

Against a real restart: a throwaway PostgreSQL cluster of the test's own (tests/pg_cluster.py; never the main one
on 5432, which the suite shares), migrated and seeded with the demo clinic; `eportal serve` (gunicorn, production
settings, two workers) and one `eportal worker` on it. Four threads GET the front page (the clinic's name, from
the database) and the login page for about ten seconds; three seconds in, the cluster is stopped (fast: the open
connections are cut), left down two seconds and started again. The test then shows that:

1. no answer is a 500, and the server always answers (a refused or dropped connection fails the test);
2. every failed answer is a 503 with «Tjenesten er midlertidig utilgjengelig» and Retry-After: 5;
3. the pages answer 200 again within a few seconds of the cluster being back, by the same gunicorn processes;
   and after a second restart with no request in between, the very first requests are 200 (CONN_HEALTH_CHECKS:
   each gunicorn worker's cut connection is found dead and replaced before a request uses it);
4. the worker is still running, has said it waits for the database, and runs a job queued after the restart.

It runs the same in both CI passes: the cluster is its own whatever DATABASE_URL the suite has.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation

from eportal import urls
from eportal.demo.clinic import CLINIC
from eportal.web.actor import ActorMiddleware
from eportal.web.errors import database_unavailable
from tests.app_servers import app_servers, production_environment, run_eportal
from tests.helpers import stop_process
from tests.pg_cluster import throwaway_cluster

UNAVAILABLE_TEXT = "Tjenesten er midlertidig utilgjengelig"
UNAVAILABLE_MSGID = "The service is temporarily unavailable. Try again in a little while."
PAGES = ("/", "/logg-inn/")
THREADS = 4
DOWN_AFTER_SECONDS = 3.0  # of load before the cluster is stopped
DOWN_FOR_SECONDS = 2.0  # stopped this long
LOAD_AFTER_SECONDS = 5.0  # of load after the cluster is back
RECOVERED_WITHIN_SECONDS = 3.0  # every answer to a request sent this long after the cluster is back is a 200
WORKER_JOB_SECONDS = 20

# Queued through `eportal shell` after the restart: a notice job for no notice (it finds nothing due and
# succeeds), enough to see the worker take and run a job; prints its id and the jobs' table.
ENQUEUE_SCRIPT = """
import json
from django_tasks_db.models import DBTaskResult
from eportal.notifications.tasks import send_message_task
result = send_message_task.enqueue(message_id=0)
print(json.dumps({"id": str(result.id), "table": DBTaskResult._meta.db_table}))
"""


# --- In the test process: where the database fails, and what the page is ---------------------------------------


def _database_gone(request):
    raise OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def _failing_view_urls(settings):
    settings.ROOT_URLCONF = type(
        "urls", (), {"urlpatterns": [path("test/database-gone/", _database_gone), *urls.urlpatterns]}
    )


def _assert_unavailable_page(response):
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    with translation.override("nb"):
        assert translation.gettext(UNAVAILABLE_MSGID) in body
    assert "Traceback" not in body and "OperationalError" not in body and "server closed" not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("_failing_view_urls")
def test_a_view_failing_on_the_database_gets_the_unavailable_page(caplog):
    response = Client(raise_request_exception=False).get("/test/database-gone/")
    _assert_unavailable_page(response)
    failures = [record for record in caplog.records if record.levelname in ("WARNING", "ERROR")]
    assert [record.getMessage() for record in failures] == [
        "database unavailable, answered 503: OperationalError: server closed the connection unexpectedly"
    ]
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.django_db
def test_a_middleware_failing_on_the_database_gets_the_unavailable_page(caplog, monkeypatch):
    """Django turns an error in a middleware into a 500 right there (process_exception never sees it): the early
    middleware still answers 503, and django.request's traceback is not logged."""
    monkeypatch.setattr(ActorMiddleware, "__call__", lambda self, request: _database_gone(request))
    response = Client(raise_request_exception=False).get("/")
    _assert_unavailable_page(response)
    failures = [record for record in caplog.records if record.levelname in ("WARNING", "ERROR")]
    assert [record.name for record in failures] == ["eportal.web"]
    assert not any(record.exc_info for record in caplog.records)


def test_the_unavailable_page_needs_no_database():
    """Rendered without the request, so without the context processors (the clinic's row): this test is not
    allowed the database at all (no django_db mark)."""
    response = database_unavailable(RequestFactory().get("/"), OperationalError("connection refused"))
    _assert_unavailable_page(response)


# --- A real restart -----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    started: float
    path: str
    status: int | None = None
    retry_after: str | None = None
    text: str = ""
    error: str | None = None


def _get(port: int, page: str, number: int) -> Outcome:
    outcome = Outcome(time.monotonic(), page)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(
            "GET",
            page,
            headers={"Host": f"127.0.0.1:{port}", "X-Forwarded-For": f"198.51.100.{number % 250 + 1}"},
        )
        response = connection.getresponse()
        outcome.text = response.read().decode("utf-8", "replace")
        outcome.status = response.status
        outcome.retry_after = response.headers.get("Retry-After")
    except OSError as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return outcome


def _load(port: int, number: int, stop: threading.Event, outcomes: list, lock: threading.Lock) -> None:
    while not stop.is_set():
        for page in PAGES:
            outcome = _get(port, page, number)
            with lock:
                outcomes.append(outcome)
            time.sleep(0.01)


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (gunicorn's workers, of its master)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _worker_log(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def test_postgresql_restarted_under_load(tmp_path):
    with throwaway_cluster() as cluster:
        cluster.create_database("eportal")
        env = production_environment(
            database_url=cluster.url("eportal"),
            redis_url="",  # the local-memory cache: nothing here is about Redis
            data_dir=tmp_path,
            EPORTAL_WORKERS="2",
            EPORTAL_LOG_LEVEL="INFO",
        )
        run_eportal(env, "migrate", "--no-input", cwd=tmp_path)
        run_eportal(env, "seed-demo", cwd=tmp_path)

        worker_log = tmp_path / "worker.log"
        with worker_log.open("w") as output:
            worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                [sys.executable, "-m", "eportal.cli", "worker", "--interval", "0.2", "--no-startup-delay"],
                env=env,
                cwd=tmp_path,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            with app_servers(env, ["a"], folder=tmp_path) as (server,):
                master = server.process.pid
                gunicorn_workers = _children(master)
                assert len(gunicorn_workers) == 2, gunicorn_workers

                outcomes: list[Outcome] = []
                lock = threading.Lock()
                stop = threading.Event()
                threads = [
                    threading.Thread(target=_load, args=(server.port, number, stop, outcomes, lock))
                    for number in range(THREADS)
                ]
                load_started = time.monotonic()
                for thread in threads:
                    thread.start()
                try:
                    time.sleep(DOWN_AFTER_SECONDS)
                    down_at = time.monotonic()
                    cluster.stop("fast")
                    stopped_at = time.monotonic()
                    time.sleep(DOWN_FOR_SECONDS)
                    cluster.start()
                    up_at = time.monotonic()
                    time.sleep(LOAD_AFTER_SECONDS)
                finally:
                    stop.set()
                    for thread in threads:
                        thread.join(timeout=30)
                load_ended = time.monotonic()

                statuses = [outcome.status for outcome in outcomes]
                failed = [outcome for outcome in outcomes if outcome.status != 200]
                unavailable = [outcome for outcome in outcomes if outcome.status == 503]
                after = [outcome for outcome in outcomes if outcome.started >= up_at]
                first_ok_after = next((o.started - up_at for o in after if o.status == 200), float("nan"))
                first_503 = min((o.started for o in unavailable), default=down_at)
                last_503 = max((o.started for o in unavailable), default=down_at)
                figures = (
                    f"{len(outcomes)} requests in {load_ended - load_started:.1f} s: {statuses.count(200)} x 200, "
                    f"{len(unavailable)} x 503, {statuses.count(500)} x 500, "
                    f"{sum(o.error is not None for o in outcomes)} connection errors; cluster down "
                    f"{up_at - down_at:.1f} s (stopping took {stopped_at - down_at:.2f} s); 503s sent from "
                    f"{first_503 - down_at:+.2f} s to {last_503 - down_at:+.2f} s of the stop; first 200 "
                    f"{first_ok_after:.2f} s after the cluster was back"
                )
                print(figures)

                assert not [o.error for o in outcomes if o.error], figures
                assert 500 not in statuses, (figures, server.log_tail())
                assert unavailable, f"no request met the database down: {figures}"
                for outcome in failed:
                    assert outcome.status == 503, (outcome.status, outcome.path, outcome.text[:300])
                    assert UNAVAILABLE_TEXT in outcome.text, outcome.text[:500]
                    assert outcome.retry_after == "5"
                    assert "Traceback" not in outcome.text
                ok = [outcome for outcome in outcomes if outcome.status == 200]
                assert all(CLINIC["name"] in outcome.text for outcome in ok if outcome.path == "/")
                recovered = [o for o in outcomes if o.started >= up_at + RECOVERED_WITHIN_SECONDS]
                assert len(recovered) >= 20, figures
                assert [o.status for o in recovered] == [200] * len(recovered), figures
                assert [o.status for o in outcomes[-20:]] == [200] * 20, figures

                # A restart between requests: each gunicorn worker holds a connection the restart cut. With
                # CONN_HEALTH_CHECKS it is found dead and replaced before the first request uses it: no 503 at all.
                cluster.stop("fast")
                cluster.start()
                quiet: list[Outcome] = []
                stop.clear()
                threads = [
                    threading.Thread(target=_load, args=(server.port, number, stop, quiet, lock))
                    for number in range(THREADS)
                ]
                for thread in threads:
                    thread.start()
                time.sleep(1)
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)
                print(
                    f"after a restart between requests: {len(quiet)} requests, statuses {sorted({o.status for o in quiet})}"
                )
                assert quiet and [o.status for o in quiet] == [200] * len(quiet), [(o.status, o.error) for o in quiet]

                # The same gunicorn: its master and both workers lived through it.
                assert server.process.poll() is None
                assert _children(master) == gunicorn_workers

            # The worker lived through it too, met the database away, and runs a job queued afterwards.
            assert worker.poll() is None, _worker_log(worker_log)
            assert "the database is not answering" in _worker_log(worker_log), _worker_log(worker_log)
            queued = json.loads(run_eportal(env, "shell", "-c", ENQUEUE_SCRIPT, cwd=tmp_path).strip().splitlines()[-1])
            deadline = time.monotonic() + WORKER_JOB_SECONDS
            status = None
            with psycopg.connect(cluster.url("eportal"), autocommit=True, connect_timeout=5) as database:
                while time.monotonic() < deadline:
                    status = database.execute(
                        f'SELECT status FROM "{queued["table"]}" WHERE id = %s',  # noqa: S608 - the model's table
                        [queued["id"]],
                    ).fetchone()[0]
                    if status in ("SUCCESSFUL", "FAILED"):
                        break
                    time.sleep(0.2)
            assert status == "SUCCESSFUL", (status, _worker_log(worker_log)[-3000:])
            assert worker.poll() is None
        finally:
            stop_process(worker)
