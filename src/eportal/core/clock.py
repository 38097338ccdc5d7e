"""Times of day as people read them in a message: «14:30» today, «mandag 8. desember 14:30» another day."""

import datetime

from django.utils import formats, timezone


def local_clock(moment: datetime.datetime, *, at: str = "") -> str:
    """The clinic-time clock of `moment`, after `at` if given («kl.»), with the day in front when it is not
    today (a hold or a wait may run past midnight)."""
    local = timezone.localtime(moment)
    clock = f"{at} {local:%H:%M}" if at else f"{local:%H:%M}"
    if local.date() == timezone.localdate():
        return clock
    return f"{formats.date_format(local, 'l j. F')} {clock}"
