"""Slots made from the weekly schedule; absences and the days the clinic is closed (public holidays and its
own closed days: clinic.working_days.closed_days) left out.

Times are Europe/Oslo wall-clock times turned into aware datetimes per date, so a schedule that says
08:00 means 08:00 on both sides of a daylight-saving change.
"""

import datetime

from django.utils import timezone

from eportal.clinic.working_days import closed_days

from ..models import Absence, Slot, WeeklySchedule


def generate_slots(*, first_day: datetime.date, days: int) -> int:
    """Make the slots of the weekly schedule for `days` days from `first_day`; safe to run again
    (existing slots are kept as they are). Returns how many slots were made."""
    zone = timezone.get_default_timezone()
    last_day = first_day + datetime.timedelta(days=days - 1)
    absences = list(Absence.objects.filter(first_day__lte=last_day, last_day__gte=first_day))
    closed = closed_days(first_day, last_day)
    blocks_by_weekday: dict[int, list[WeeklySchedule]] = {}
    for block in WeeklySchedule.objects.select_related("appointment_type", "practitioner").filter(
        practitioner__active=True
    ):
        blocks_by_weekday.setdefault(block.weekday, []).append(block)
    new_slots = []
    for offset in range(days):
        day = first_day + datetime.timedelta(days=offset)
        if day in closed:
            continue
        for block in blocks_by_weekday.get(day.weekday(), []):
            if any(
                absence.first_day <= day <= absence.last_day
                and absence.practitioner_id in (None, block.practitioner_id)
                for absence in absences
            ):
                continue
            length = datetime.timedelta(minutes=block.appointment_type.duration_minutes)
            start = datetime.datetime.combine(day, block.starts, tzinfo=zone)
            block_end = datetime.datetime.combine(day, block.ends, tzinfo=zone)
            while start + length <= block_end:
                new_slots.append(
                    Slot(
                        practitioner=block.practitioner,
                        appointment_type=block.appointment_type,
                        starts_at=start,
                        ends_at=start + length,
                        online=block.online,
                    )
                )
                start += length
    before = Slot.objects.count()
    Slot.objects.bulk_create(new_slots, batch_size=1000, ignore_conflicts=True)
    return Slot.objects.count() - before
