"""Synthetic fødselsnummer in the scheme of the Norwegian synthetic test population (month + 80).

No real person has a month above 12 (or above 52 for H-numbers), so these can never be a real
person's number. Used by the demo clinic, the tests and the benchmarks.
"""

import datetime
import random

from stdnum.no import fodselsnummer

from .national_id import SYNTHETIC_MONTH_OFFSET


def _individual_range(year: int) -> range:
    if 1900 <= year <= 1999:
        return range(0, 500)
    if 2000 <= year <= 2039:
        return range(500, 1000)
    if 1854 <= year <= 1899:
        return range(500, 750)
    raise ValueError(f"no individual-number range for {year}")


def synthetic_national_id(born: datetime.date, *, rng: random.Random | None = None, d_number: bool = False) -> str:
    """A valid synthetic fødselsnummer (or D-nummer) for someone born on `born`."""
    rng = rng or random.SystemRandom()
    day = born.day + (40 if d_number else 0)
    prefix = f"{day:02d}{born.month + SYNTHETIC_MONTH_OFFSET:02d}{born.year % 100:02d}"
    individuals = _individual_range(born.year)
    while True:
        base = f"{prefix}{rng.choice(individuals):03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) != 1:
            continue
        return base + k1 + k2


def random_birth_date(rng: random.Random, *, min_age: int, max_age: int, today=None) -> datetime.date:
    today = today or datetime.date.today()
    oldest = today - datetime.timedelta(days=int(365.25 * (max_age + 1)) - 1)
    youngest = today - datetime.timedelta(days=int(365.25 * min_age))
    return oldest + datetime.timedelta(days=rng.randrange((youngest - oldest).days + 1))
