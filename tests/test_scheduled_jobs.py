"""`eportal worker` runs the scheduled jobs itself (slots daily, booking jobs every few minutes, the notices'
reconciliation every minute), and two workers never run the same job at once: a lease in the database."""

import datetime
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from eportal.booking.models import Slot
from eportal.operations import schedule
from eportal.operations.models import ScheduledJob
from tests import factories
from tests.helpers import run_concurrently
from tests.worker_process import output, workers

pytestmark = pytest.mark.django_db

JOB = next(job for job in schedule.JOBS if job.name == "booking-jobs")


@pytest.mark.django_db(transaction=True)
def test_of_many_workers_asking_at_once_exactly_one_takes_a_due_job():
    outcomes = run_concurrently([lambda n=n: schedule.take(JOB, f"worker-{n}") for n in range(12)])
    assert outcomes.count(True) == 1
    holder = ScheduledJob.objects.get(name=JOB.name).lease_owner
    assert holder.startswith("worker-")
    # Not again while it runs, nor right after it finished: only when its interval has passed.
    assert not schedule.take(JOB, "another")
    schedule.finish(JOB, holder, succeeded=True)
    assert not schedule.take(JOB, "another")
    assert schedule.take(JOB, "another", now=timezone.now() + JOB.every)


def test_a_lease_of_a_worker_that_died_runs_out_and_another_takes_over():
    assert schedule.take(JOB, "died")
    later = timezone.now() + JOB.every + datetime.timedelta(seconds=1)
    assert not schedule.take(JOB, "alive", now=later)  # the lease still holds
    assert schedule.take(JOB, "alive", now=later + JOB.lease)
    schedule.finish(JOB, "died", succeeded=False)  # the old holder coming back does not end the new lease
    row = ScheduledJob.objects.get(name=JOB.name)
    assert row.lease_owner == "alive" and row.last_finished_at is None


def test_a_due_job_runs_records_its_finish_and_a_failing_one_does_not_stop_the_others(monkeypatch):
    gp = factories.practitioner()
    factories.schedule(gp)  # the weekly schedule only: generate-slots makes its slots
    failing = schedule.Job("failing", "EPORTAL_JOB_BOOKING_MINUTES", lambda: 1 / 0, datetime.timedelta(minutes=1))
    monkeypatch.setattr(schedule, "JOBS", [failing, *schedule.JOBS])
    assert schedule.run_due("worker-1") == ["failing", "generate-slots", "booking-jobs", "notices"]
    assert Slot.objects.filter(practitioner=gp).exists()
    rows = {row.name: row for row in ScheduledJob.objects.all()}
    assert rows["failing"].last_succeeded is False and rows["generate-slots"].last_succeeded is True
    assert all(row.last_finished_at and not row.lease_owner for row in rows.values())
    assert schedule.run_due("worker-2") == []  # none is due again yet


@override_settings(EPORTAL_JOB_GENERATE_SLOTS_MINUTES=0)
def test_a_job_set_to_0_is_off():
    assert [job.name for job in schedule.scheduled_jobs()] == ["booking-jobs", "notices"]
    assert "generate-slots" not in schedule.run_due("worker-1")


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_run_each_scheduled_job_once():
    gp = factories.practitioner()
    factories.schedule(gp)
    with workers(2, "--schedule-every", "0.3") as processes:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ScheduledJob.objects.filter(last_finished_at__isnull=False).count() == 3:
                break
            time.sleep(0.2)
        time.sleep(1.5)  # several more ticks of both workers: nothing is due again
    logs = "".join(output(process) for process in processes)
    for name in ("generate-slots", "booking-jobs", "notices"):
        assert logs.count(f"scheduled job {name}:") == 1, logs[-3000:]
    assert all(row.last_succeeded for row in ScheduledJob.objects.all())
    assert Slot.objects.filter(practitioner=gp).exists()
