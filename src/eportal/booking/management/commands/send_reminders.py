"""The old name of `booking-jobs`, so that a cron line written for an earlier version keeps working."""

from .booking_jobs import Command  # noqa: F401
