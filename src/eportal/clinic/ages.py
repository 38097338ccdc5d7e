"""The ages the law draws lines at, from the national identity number and the calendar.

Pasient- og brukerrettighetsloven § 3-4 as Helsenorge applies it: a guardian acts for a child under 12 in
every service, for a child of 12 to 15 in appointments only, and from 16 the young person has their own
access. A fullmakt is given by someone of 16 or more to an adult (18 or more).
"""

import datetime

from eportal.identity.national_id import birth_date

GUARDIAN_FULL_UNTIL = 12
OWN_ACCESS_FROM = 16
PROXY_GIVER_FROM = 16
PROXY_HOLDER_FROM = 18


def age_on(number: str, day: datetime.date) -> int:
    """Whole years on `day` of the person with this national identity number. Someone born on 29 February
    turns a year older on 1 March in a common year."""
    born = birth_date(number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def has_own_access(number: str, day: datetime.date) -> bool:
    """From 16 a person's data is their own: no guardian reaches it, and a guardian's mobile no longer opens
    an account in their number."""
    return age_on(number, day) >= OWN_ACCESS_FROM
