"""The portal's health, for a monitor or a load balancer (`/healthz`): the database answers, every migration is
applied, background jobs do not wait too long, and the worker's scheduled jobs run.

Only facts about the installation are reported: counts, ages in seconds, times and job names; never a person, an
id or a host name (a failing check names the exception's class; its text goes to the log).

The rules, each check's "ok":

- database: `SELECT 1` through Django's connection answers. When it does not, the other checks are not run (each
  would wait for the database again) and are reported as not ok.
- migrations: Django's migration plan to the newest migration of every app is empty.
- job_queue: the oldest background job that may run now (status READY, no run_after or one in the past) has
  waited at most EPORTAL_HEALTH_MAX_JOB_WAIT_SECONDS, counted from its run_after when it has one, else from
  when it was queued.
- scheduled_jobs: every job the schedule has on (operations.schedule.scheduled_jobs()) finished within
  2 x its interval + 5 minutes, and its last run succeeded. A job that never finished is reported as "never" and
  counts as overdue once that same limit has passed since the schedule could first have run it: the earliest of
  this process's start and the earliest start of any scheduled job recorded (ScheduledJob.last_started_at, proof
  that a worker was running then). A fresh installation thus gets one limit's grace (7 minutes for a job every
  minute) before a missing worker makes the portal unhealthy.
"""

import datetime
import logging

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, Count, F, Min, When
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import ScheduledJob
from .schedule import scheduled_jobs

logger = logging.getLogger(__name__)

# When this process started (first imported this module): the reference for jobs that never ran.
PROCESS_STARTED_AT = timezone.now()
# A scheduled job is overdue after twice its interval and this grace (a run's own length, a worker restart).
JOB_GRACE = datetime.timedelta(minutes=5)


def check_health(now: datetime.datetime | None = None) -> dict:
    """{"ok": bool, "checks": {name: {"ok": bool, ...}}}; never raises for a database that fails."""
    now = now or timezone.now()
    checks = {"database": _guarded(_database)}
    if checks["database"]["ok"]:
        checks["migrations"] = _guarded(_migrations)
        checks["job_queue"] = _guarded(_job_queue, now)
        checks["scheduled_jobs"] = _guarded(_scheduled_jobs, now)
    else:
        for name in ("migrations", "job_queue", "scheduled_jobs"):
            checks[name] = {"ok": False, "error": "database unavailable"}
    return {"ok": all(check["ok"] for check in checks.values()), "checks": checks}


def _guarded(check, *args) -> dict:
    """The check's answer, or a failed check naming only the exception's class (its text may name hosts or paths:
    it goes to the log). Any exception, not only the database's: the answer is a 503, never a 500."""
    try:
        return check(*args)
    except Exception as exc:
        logger.warning("health check %s failed: %s: %s", check.__name__.lstrip("_"), type(exc).__name__, exc)
        return {"ok": False, "error": type(exc).__name__}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _migrations() -> dict:
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    return {"ok": unapplied == 0, "unapplied": unapplied}


def _job_queue(now: datetime.datetime) -> dict:
    """django-tasks-db stores "no run_after" as its far-future date, so a job waits since it was queued then."""
    never = get_date_max()
    waiting = DBTaskResult.objects.ready()  # django-tasks-db's own rule for a job that may run now
    found = waiting.aggregate(
        count=Count("id"),
        since=Min(Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))),
    )
    oldest = max(0, round((now - found["since"]).total_seconds())) if found["since"] else None
    limit = settings.EPORTAL_HEALTH_MAX_JOB_WAIT_SECONDS
    return {
        "ok": oldest is None or oldest <= limit,
        "waiting": found["count"],
        "oldest_waiting_seconds": oldest,
        "max_wait_seconds": limit,
    }


def _scheduled_jobs(now: datetime.datetime) -> dict:
    rows = {row.name: row for row in ScheduledJob.objects.all()}
    started = [row.last_started_at for row in rows.values() if row.last_started_at]
    schedule_since = min([PROCESS_STARTED_AT, *started])
    jobs = {}
    for job in scheduled_jobs():
        row = rows.get(job.name)
        limit = 2 * job.every + JOB_GRACE
        finished = row.last_finished_at if row else None
        overdue = now - (finished or schedule_since) > limit
        failed = bool(row and row.last_succeeded is False)
        jobs[job.name] = {
            "ok": not overdue and not failed,
            "every_seconds": round(job.every.total_seconds()),
            "limit_seconds": round(limit.total_seconds()),
            "last_started": _when(row.last_started_at if row else None),
            "last_finished": _when(finished),
            "last_succeeded": row.last_succeeded if row else None,
            "seconds_since_finished": round((now - finished).total_seconds()) if finished else None,
            "overdue": overdue,
        }
    return {"ok": all(job["ok"] for job in jobs.values()), "jobs": jobs}


def _when(moment: datetime.datetime | None) -> str:
    """ISO 8601 in UTC, or "never"."""
    if moment is None:
        return "never"
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
