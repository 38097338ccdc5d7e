"""Working days at the clinic: weekdays that are not Norwegian public holidays (the `holidays` package)."""

import datetime
import functools

import holidays


@functools.cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The working day `count` working days after `start` (a message sent on a Friday with count 1 is answered
    by Monday; one sent on Saturday or on a holiday counts from the next working day)."""
    day = start
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
