"""The jobs `eportal worker` runs on its own schedule, and the lease that lets only one worker run a job at once.

Each job has a row (models.ScheduledJob). A worker takes a due job by one conditional UPDATE: the job's last
start is at least its interval ago and no lease is held (or the lease ran out: a worker that died). Only the
worker whose UPDATE changed the row runs it; it then records the finish and gives the lease back. This works
alike on SQLite and PostgreSQL, and across any number of workers and machines on one database.
"""

import datetime
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from eportal.notifications.tasks import sweep

from .models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    setting: str  # minutes between runs; 0: off
    run: Callable[[], str]  # returns a one-line summary for the log (no personal data)
    lease: datetime.timedelta  # longer than a run takes: a worker that dies mid-run holds it this long

    @property
    def every(self) -> datetime.timedelta | None:
        minutes = getattr(settings, self.setting)
        return datetime.timedelta(minutes=minutes) if minutes else None


def _command(name: str) -> Callable[[], str]:
    """A management command as a job: what it printed is its summary."""

    def run() -> str:
        out = io.StringIO()
        call_command(name, stdout=out)
        return out.getvalue().strip()

    return run


MINUTES = datetime.timedelta(minutes=1)
JOBS = [
    Job("generate-slots", "EPORTAL_JOB_GENERATE_SLOTS_MINUTES", _command("generate_slots"), 30 * MINUTES),
    Job("booking-jobs", "EPORTAL_JOB_BOOKING_MINUTES", _command("booking_jobs"), 10 * MINUTES),
    Job("notices", "EPORTAL_JOB_NOTICES_MINUTES", sweep, 10 * MINUTES),
]


def scheduled_jobs() -> list[Job]:
    """The jobs that are on (an interval above 0)."""
    return [job for job in JOBS if job.every]


def take(job: Job, owner: str, now: datetime.datetime | None = None) -> bool:
    """Take the job if it is due and nobody holds it: True for exactly one of the workers asking at once."""
    now = now or timezone.now()
    ScheduledJob.objects.get_or_create(name=job.name)
    taken = (
        ScheduledJob.objects.filter(name=job.name)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.every))
        .update(lease_owner=owner, lease_until=now + job.lease, last_started_at=now)
    )
    return taken == 1


def finish(job: Job, owner: str, *, succeeded: bool) -> None:
    """Record the finish and give the lease back (only the holder's: a lease taken over after it ran out stays)."""
    ScheduledJob.objects.filter(name=job.name, lease_owner=owner).update(
        last_finished_at=timezone.now(), last_succeeded=succeeded, lease_owner="", lease_until=None
    )


def run_due(owner: str) -> list[str]:
    """Run every scheduled job that is due and that this worker could take; the names of those run."""
    ran = []
    for job in scheduled_jobs():
        if not take(job, owner):
            continue
        try:
            summary = job.run()
        except Exception:
            logger.exception("scheduled job %s failed", job.name)
            finish(job, owner, succeeded=False)
        else:
            logger.info("scheduled job %s: %s", job.name, summary)
            finish(job, owner, succeeded=True)
        ran.append(job.name)
    return ran
