"""Working days at the clinic: weekdays that are not Norwegian public holidays, for the promised answer day."""

import datetime

import pytest

from eportal.clinic.working_days import add_working_days, is_working_day


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (datetime.date(2026, 12, 2), 3, datetime.date(2026, 12, 7)),  # Wednesday + 3: over the weekend
        (datetime.date(2026, 12, 4), 1, datetime.date(2026, 12, 7)),  # Friday + 1: Monday
        (datetime.date(2026, 12, 5), 1, datetime.date(2026, 12, 7)),  # sent on a Saturday: Monday
        (datetime.date(2026, 12, 23), 1, datetime.date(2026, 12, 24)),  # Christmas Eve is a working day
        (datetime.date(2026, 12, 23), 2, datetime.date(2026, 12, 28)),  # Christmas Day (Friday) is not
        (datetime.date(2027, 3, 24), 1, datetime.date(2027, 3, 30)),  # Maundy Thursday to Easter Monday
        (datetime.date(2026, 5, 15), 1, datetime.date(2026, 5, 18)),  # 17 May 2026 is a Sunday anyway
        (datetime.date(2027, 5, 14), 1, datetime.date(2027, 5, 18)),  # 17 May 2027 is a Monday
    ],
)
def test_working_days_skip_weekends_and_public_holidays(start, count, expected):
    assert add_working_days(start, count) == expected


def test_public_holidays_are_not_working_days():
    assert not is_working_day(datetime.date(2027, 1, 1))
    assert not is_working_day(datetime.date(2026, 5, 14))  # Ascension Day 2026
    assert is_working_day(datetime.date(2026, 12, 2))
