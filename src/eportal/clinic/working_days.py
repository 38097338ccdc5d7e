"""Working days and closed days at the clinic.

Public holidays come from the `holidays` package; the clinic's own closed days (e.g. «Romjulen») from
ClosedDay. `closed_days` is the one place that says which days the clinic is closed: slot generation, the
withdrawal of free times and the staff capacity page all ask it. `is_working_day` (answer deadlines and
eKonsultasjon fees) counts weekends and public holidays only: those are the rules' days, not the clinic's.
"""

import datetime
import functools

import holidays
from django.utils.translation import gettext, gettext_noop

from .models import ClosedDay

# The package's English names, marked here for the catalogue, which gives the names staff read («1. juledag»).
HOLIDAY_NAMES = (
    gettext_noop("New Year's Day"),
    gettext_noop("Maundy Thursday"),
    gettext_noop("Good Friday"),
    gettext_noop("Easter Sunday"),
    gettext_noop("Easter Monday"),
    gettext_noop("Labor Day"),
    gettext_noop("Ascension Day"),
    gettext_noop("Constitution Day"),
    gettext_noop("Pentecost"),
    gettext_noop("Pentecost Monday"),
    gettext_noop("Christmas Day"),
    gettext_noop("Second Day of Christmas"),
)


@functools.cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year, language="en_US")


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


def public_holidays(first_day: datetime.date, last_day: datetime.date) -> dict[datetime.date, str]:
    """Norwegian public holidays from `first_day` to `last_day` (both included), by their Norwegian names."""
    found = {}
    for year in range(first_day.year, last_day.year + 1):
        found_in_year = _holidays(year)
        for day in found_in_year:
            if first_day <= day <= last_day:  # two on one day (17. mai and 2. pinsedag 2027): both named
                found[day] = " · ".join(gettext(name) for name in found_in_year.get_list(day))
    return found


def closed_days(first_day: datetime.date, last_day: datetime.date) -> dict[datetime.date, str]:
    """The days from `first_day` to `last_day` (both included) the clinic is closed, in date order, each with
    what staff read: a public holiday's name, a closed day's reason (both, when they fall together)."""
    found = public_holidays(first_day, last_day)
    for day, reason in ClosedDay.objects.filter(date__range=(first_day, last_day)).values_list("date", "reason"):
        found[day] = f"{found[day]} · {reason}" if day in found else reason
    return dict(sorted(found.items()))
