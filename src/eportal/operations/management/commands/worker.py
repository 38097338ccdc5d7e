"""`eportal worker`: the background jobs (django-tasks-db's worker) and, beside them, the scheduled jobs.

The schedule runs in a thread of the worker process: every --schedule-every seconds it runs the jobs that are
due (operations.schedule), each only in the one worker that takes its lease. Any number of workers may run:
the jobs are shared out by the leases, not by configuration.

The database away for a while (PostgreSQL restarting) does not end the worker: django-tasks-db's loop raises any
database error but a locked SQLite, so the loop is started again after a pause, until the database answers.
"""

import contextlib
import logging
import threading
import time

from django.db import close_old_connections, connections
from django_tasks_db.management.commands import db_worker

from eportal.core.errors import DATABASE_UNAVAILABLE, database_failure
from eportal.operations.schedule import run_due, scheduled_jobs

logger = logging.getLogger("eportal.operations")

RETRY_SECONDS = 1.0  # the pause before the loop starts again after the database failed it


def _run_schedule(owner: str, every: float, stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            run_due(owner)
        except Exception:  # the database away for a moment: try again at the next tick
            logger.exception("the schedule could not run")
        finally:
            connections.close_all()
        stop.wait(every)


class Command(db_worker.Command):
    help = (
        "Run the background jobs, and the scheduled ones (slots daily, booking jobs every few minutes, notices "
        "every minute; EPORTAL_JOB_*_MINUTES, 0 turns one off). Any number of workers may run at once."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-schedule", action="store_true", help="run the background jobs only")
        parser.add_argument(
            "--schedule-every", type=float, default=15, metavar="SECONDS", help="how often to look for due jobs"
        )

    def handle(self, *args, no_schedule=False, schedule_every=15, **options):
        stop = threading.Event()
        if not no_schedule and scheduled_jobs():
            names = ", ".join(job.name for job in scheduled_jobs())
            logger.info("scheduled jobs in this worker: %s", names)
            thread = threading.Thread(
                target=_run_schedule, args=(options["worker_id"], schedule_every, stop), daemon=True, name="schedule"
            )
            thread.start()
        try:
            while True:
                try:
                    super().handle(*args, **options)
                    return
                except DATABASE_UNAVAILABLE as exc:
                    if options.get("batch"):  # a batch run reports the failure, and whoever started it decides
                        raise
                    logger.warning(
                        "the database is not answering (%s): the worker tries again in %g s",
                        database_failure(exc),
                        RETRY_SECONDS,
                    )
                    with contextlib.suppress(*DATABASE_UNAVAILABLE):
                        connections.close_all()
                    time.sleep(RETRY_SECONDS)
        finally:
            stop.set()
