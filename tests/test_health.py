"""`/healthz`: 200 when the database answers, every migration is applied, no background job waits too long and the
worker's scheduled jobs run; 503 otherwise, never a 500. No login, no cookie, nothing personal."""

import datetime
import json

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from eportal.operations import health
from eportal.operations.models import ScheduledJob
from eportal.operations.schedule import scheduled_jobs

pytestmark = pytest.mark.django_db

CHECKS = {"database", "migrations", "job_queue", "scheduled_jobs"}


def _jobs_ran(ago: datetime.timedelta = datetime.timedelta(0), *, succeeded=True) -> None:
    """Every scheduled job finished `ago`, as the worker records it."""
    finished = timezone.now() - ago
    for job in scheduled_jobs():
        ScheduledJob.objects.update_or_create(
            name=job.name,
            defaults={
                "last_started_at": finished - datetime.timedelta(seconds=5),
                "last_finished_at": finished,
                "last_succeeded": succeeded,
            },
        )


def _waiting_job(*, queued_ago: datetime.timedelta, run_after: datetime.datetime | None = None) -> DBTaskResult:
    job = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"message_id": 4711}},
        task_path="eportal.messaging.tasks.notify",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - queued_ago)
    return job


def _get(client=None, **extra):
    response = (client or Client()).get("/healthz", **extra)
    return response, json.loads(response.content)


def test_all_well_after_the_migrations_is_200_without_login_cookie_or_cache():
    _jobs_ran()
    client = Client()
    response, body = _get(client)
    assert response.status_code == 200, body
    assert body["ok"] is True and set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["migrations"]["unapplied"] == 0
    assert body["checks"]["job_queue"]["oldest_waiting_seconds"] is None
    assert set(body["checks"]["scheduled_jobs"]["jobs"]) == {job.name for job in scheduled_jobs()}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies and not client.cookies  # neither a session nor a CSRF cookie
    assert "Set-Cookie" not in response


def test_head_answers_and_other_methods_are_refused():
    _jobs_ran()
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405
    assert Client().get("/healthz/").status_code == 404  # the address has no slash, and no redirect to one


def test_a_job_waiting_too_long_is_503():
    _jobs_ran()
    _waiting_job(queued_ago=datetime.timedelta(seconds=30))
    response, body = _get()
    assert response.status_code == 200 and body["checks"]["job_queue"]["waiting"] == 1
    _waiting_job(queued_ago=datetime.timedelta(seconds=700))
    response, body = _get()
    assert response.status_code == 503
    queue = body["checks"]["job_queue"]
    assert queue["ok"] is False and queue["waiting"] == 2 and 700 <= queue["oldest_waiting_seconds"] < 760
    assert queue["max_wait_seconds"] == 600
    assert body["checks"]["database"]["ok"] is True


def test_a_job_waits_from_its_run_after_and_one_for_later_does_not_wait():
    _jobs_ran()
    now = timezone.now()
    _waiting_job(queued_ago=datetime.timedelta(hours=2), run_after=now + datetime.timedelta(hours=1))
    _waiting_job(queued_ago=datetime.timedelta(hours=2), run_after=now - datetime.timedelta(seconds=60))
    response, body = _get()
    assert response.status_code == 200, body
    assert body["checks"]["job_queue"]["waiting"] == 1
    assert 60 <= body["checks"]["job_queue"]["oldest_waiting_seconds"] < 120
    with override_settings(EPORTAL_HEALTH_MAX_JOB_WAIT_SECONDS=30):
        assert _get()[0].status_code == 503


def test_a_running_or_finished_job_does_not_wait():
    _jobs_ran()
    for status in ("RUNNING", "SUCCESSFUL", "FAILED"):
        job = _waiting_job(queued_ago=datetime.timedelta(hours=1))
        DBTaskResult.objects.filter(pk=job.pk).update(status=status)
    assert _get()[0].status_code == 200


def test_an_overdue_scheduled_job_is_503():
    every = {job.name: job.every for job in scheduled_jobs()}
    _jobs_ran()
    ScheduledJob.objects.filter(name="notices").update(
        last_finished_at=timezone.now() - 2 * every["notices"] - datetime.timedelta(minutes=6)
    )
    response, body = _get()
    assert response.status_code == 503
    jobs = body["checks"]["scheduled_jobs"]["jobs"]
    assert jobs["notices"]["ok"] is False and jobs["notices"]["overdue"] is True
    assert jobs["notices"]["seconds_since_finished"] > jobs["notices"]["limit_seconds"]
    assert jobs["booking-jobs"]["ok"] is True and jobs["booking-jobs"]["last_finished"].endswith("Z")


def test_a_scheduled_job_whose_last_run_failed_is_503():
    _jobs_ran(succeeded=False)
    response, body = _get()
    assert response.status_code == 503
    assert all(job["last_succeeded"] is False for job in body["checks"]["scheduled_jobs"]["jobs"].values())


@override_settings(EPORTAL_JOB_GENERATE_SLOTS_MINUTES=0, EPORTAL_JOB_BOOKING_MINUTES=0)
def test_a_job_turned_off_is_not_checked():
    _jobs_ran()
    ScheduledJob.objects.filter(name="booking-jobs").update(
        last_finished_at=timezone.now() - datetime.timedelta(days=9)
    )
    response, body = _get()
    assert response.status_code == 200
    assert set(body["checks"]["scheduled_jobs"]["jobs"]) == {"notices"}


def test_a_job_that_never_ran_has_grace_from_the_process_start(monkeypatch):
    """A fresh installation: no worker has run yet. Unhealthy once 2 x the interval + 5 minutes have passed."""
    now = timezone.now()
    monkeypatch.setattr(health, "PROCESS_STARTED_AT", now - datetime.timedelta(minutes=3))
    response, body = _get()
    assert response.status_code == 200, body
    notices = body["checks"]["scheduled_jobs"]["jobs"]["notices"]
    assert notices["last_finished"] == "never" and notices["last_succeeded"] is None and notices["ok"] is True
    monkeypatch.setattr(health, "PROCESS_STARTED_AT", now - datetime.timedelta(minutes=8))
    response, body = _get()
    assert response.status_code == 503
    jobs = body["checks"]["scheduled_jobs"]["jobs"]
    assert jobs["notices"]["overdue"] is True and jobs["generate-slots"]["ok"] is True  # once a day: not yet


def test_a_job_that_never_ran_is_overdue_when_the_worker_has_long_run_others(monkeypatch):
    """Another job's start proves a worker ran then: the one that never finished is overdue from there."""
    monkeypatch.setattr(health, "PROCESS_STARTED_AT", timezone.now())
    ScheduledJob.objects.create(name="booking-jobs", last_started_at=timezone.now() - datetime.timedelta(hours=1))
    response, body = _get()
    assert response.status_code == 503
    assert body["checks"]["scheduled_jobs"]["jobs"]["notices"]["last_finished"] == "never"
    assert body["checks"]["scheduled_jobs"]["jobs"]["notices"]["overdue"] is True


def test_an_unapplied_migration_is_503():
    _jobs_ran()
    MigrationRecorder(connection).record_unapplied("operations", "0001_initial")
    response, body = _get()
    assert response.status_code == 503
    assert body["checks"]["migrations"] == {"ok": False, "unapplied": 1}


@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_is_503_not_500():
    """A real failure: the connection is opened anew against a database that does not exist (SQLite: a file in a
    folder that does not exist; PostgreSQL: a database of that name)."""
    name = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = "/nonexistent-eportal-folder/no-database"
    try:
        client = Client(raise_request_exception=False)
        response, body = _get(client)
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
    assert response.status_code == 503
    assert body["ok"] is False
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["migrations"] == {"ok": False, "error": "database unavailable"}
    assert "nonexistent" not in response.content.decode()  # the error's text stays in the log
    assert not response.cookies


def test_the_answer_holds_nothing_personal(logged_in, family):
    """Patients, an account, a session and queued jobs exist: the answer names none of them."""
    _jobs_ran()
    _waiting_job(queued_ago=datetime.timedelta(seconds=900))
    response = Client().get("/healthz")
    text = response.content.decode()
    for patient in (family["kari"], family["emma"]):
        for value in (patient.national_id, patient.first_name, patient.last_name, patient.mobile):
            assert value not in text
    assert family["gp"].last_name not in text and family["ola_mobile"] not in text
    assert "4711" not in text and "eportal.messaging" not in text
    assert set(json.loads(text)) == {"ok", "checks"}
    # The logged-in client's session is neither read nor renewed.
    answer = logged_in.get("/healthz")
    assert answer.status_code == 503 and not answer.cookies


def test_plain_http_is_answered_when_https_is_required():
    """SECURE_SSL_REDIRECT sends every other address to https; a load balancer on loopback asks on plain HTTP."""
    _jobs_ran()
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["portal.example"]):
        client = Client(HTTP_HOST="portal.example", REMOTE_ADDR="127.0.0.1")
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 301
        # ALLOWED_HOSTS still holds: the check must send the portal's host name, not the loopback address.
        assert Client(HTTP_HOST="127.0.0.1", raise_request_exception=False).get("/healthz").status_code == 400
