"""The hottest read queries compiled once per process: written as ordinary querysets, run with new values.

Django builds and compiles a queryset's SQL on every call: 0.5-1 ms of CPU for a query the database answers
in 0.02-0.2 ms (bench/README.md). A page that reads five things spends more on that than on anything else.
`Prepared` keeps the rule in the queryset: it builds the queryset with stand-in values, compiles it once per
thread's connection, and later calls run that SQL with the real values through Django's own cursor and row
machinery (converters, model instances, select_related; the query shows in connection.queries as any other).

The builder must only pass its values on into the queryset: ints, strings, dates, aware datetimes, None, or
lists of them (an IN; its length is part of the shape).
What changes the SQL's shape (a role, a setting) is given as `shape`. Preparing checks this: it builds twice
with different stand-ins and refuses (PreparedError) when the SQL differs, when a parameter differs without
being a stand-in (computed from a value), when a parameter is a date or time that is not a value (the clock,
read once and frozen), or when building ran a query (data frozen into the SQL). A changed setting (the tests'
override_settings) drops what was compiled. Prefetching is not supported.
"""

import datetime
import re
import threading
from collections.abc import Callable

from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet

_generation = 0  # bumped when a setting changes: what was compiled before is compiled again


def _settings_changed(**_kwargs) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_settings_changed)


class PreparedError(Exception):
    """A builder whose SQL is not fixed by its shape: a programming error, found the first time it runs."""


def _stand_in(value, index: int, round_: int):
    """A value of `value`'s type that no real call uses, different in each round and at each index."""
    if isinstance(value, bool):
        raise PreparedError("a bool changes the SQL's shape: give it as shape")
    if isinstance(value, int):
        return 1_000_000_000 + 100 * index + round_
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise PreparedError("datetimes must be aware")
        return datetime.datetime(1901, 1, 1, round_, 7, 11, tzinfo=datetime.UTC) + datetime.timedelta(days=index)
    if isinstance(value, datetime.date):
        return datetime.date(1901 + round_, 1, 1) + datetime.timedelta(days=index)
    if isinstance(value, str):
        return f"prepared-{index}-{round_}"
    raise PreparedError(f"cannot stand in for a {type(value).__name__}")


def _places(values: dict) -> list[tuple[str, int | None]]:
    """Every place a value goes: (name, None) for a single value, (name, position) for each of a list's."""
    places = []
    for name, value in values.items():
        if isinstance(value, list | tuple):
            places.extend((name, position) for position in range(len(value)))
        elif value is not None:
            places.append((name, None))
    return places


def _value_at(values: dict, place: tuple[str, int | None]):
    name, position = place
    return values[name] if position is None else values[name][position]


class _Entry:
    """One compiled query: the compiler (of one thread's connection) and where each value goes."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, plan: list, generation: int):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.plan = plan  # per parameter: (None, None, constant) or (place, adapter, None)
        self.generation = generation
        self.params: list = []
        compiler.as_sql = lambda *args, **kwargs: (self.sql, self.params)
        # The iterable classes ask the queryset's query for a compiler: this one, already set up.
        queryset.query.get_compiler = lambda *args, **kwargs: compiler

    def run(self, values: dict) -> list:
        self.params = [
            constant if place is None else adapter(_value_at(values, place)) for place, adapter, constant in self.plan
        ]
        queryset = self.queryset
        return list(queryset._iterable_class(queryset))


def _identity(value):
    return value


class Prepared:
    """A queryset built by `build(**shape, **values)`, compiled once per thread and shape, run by calling."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._local = threading.local()

    def queryset(self, shape: dict | None = None, **values) -> QuerySet:
        """The ordinary queryset with the real values (the same rule, built and compiled as usual)."""
        return self._build(**(shape or {}), **values)

    def __call__(self, shape: dict | None = None, **values) -> list:
        """The rows (or model instances) the queryset would give for these values."""
        shape = shape or {}
        # The SQL's shape: the given shape, and each value's type (None: IS NULL), a list's with its length (IN).
        key = (
            tuple(sorted(shape.items())),
            tuple(
                sorted(
                    (name, type(value), len(value) if isinstance(value, list | tuple) else 0)
                    for name, value in values.items()
                )
            ),
        )
        entries = self._local.__dict__.setdefault("entries", {})
        entry = entries.get(key)
        if entry is None or entry.generation != _generation or entry.compiler.connection is not _connection(entry):
            entry = entries[key] = self._prepare(shape, values)
        return entry.run(values)

    def _prepare(self, shape: dict, values: dict) -> _Entry:
        places = _places(values)
        rounds = []
        for round_ in (1, 2):
            stand_ins = {place: _stand_in(_value_at(values, place), at, round_) for at, place in enumerate(places)}
            built = {
                name: [stand_ins[name, position] for position in range(len(value))]
                if isinstance(value, list | tuple)
                else stand_ins.get((name, None))
                for name, value in values.items()
            }
            with _refuse_queries():
                queryset = self._build(**shape, **built)
                if queryset._prefetch_related_lookups:
                    raise PreparedError("prefetch_related is not supported")
                compiler = queryset.query.get_compiler(using=queryset.db)
                sql, params = compiler.as_sql()
            rounds.append((sql, list(params), stand_ins))
        (sql1, params1, ins1), (sql2, params2, ins2) = rounds
        if sql1 != sql2 or len(params1) != len(params2):
            raise PreparedError("the SQL depends on the values: give what changes it as shape")
        ops = compiler.connection.ops
        adapters = (_identity, ops.adapt_datetimefield_value, ops.adapt_datefield_value)
        plan = []
        for first, second in zip(params1, params2, strict=True):
            if first == second:
                if isinstance(first, datetime.date | datetime.datetime) or _LOOKS_LIKE_A_DATE.match(str(first)):
                    raise PreparedError("a date or time in the SQL that is not a value: pass it in")
                plan.append((None, None, second))
                continue
            found = next(
                (
                    (place, adapter, None)
                    for place in places
                    for adapter in adapters
                    if _same(adapter, ins1[place], first) and _same(adapter, ins2[place], second)
                ),
                None,
            )
            if found is None:
                raise PreparedError("a parameter computed from the values: compute it before and pass it in")
            plan.append(found)
        return _Entry(queryset, compiler, sql2, plan, _generation)


# A date or time as SQLite's adapters write it (PostgreSQL's stay date and datetime objects).
_LOOKS_LIKE_A_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?)?$")


def _same(adapter, stand_in, parameter) -> bool:
    try:
        return adapter(stand_in) == parameter
    except (TypeError, ValueError, AttributeError):
        return False


def _connection(entry: _Entry):
    return connections[entry.queryset.db]


class _refuse_queries:
    """Building must not read the database: what it read would be frozen into the SQL."""

    def __enter__(self):
        self._wrapped = connections.all()
        for connection in self._wrapped:
            connection.execute_wrappers.append(_refuse)

    def __exit__(self, *exc):
        for connection in self._wrapped:
            connection.execute_wrappers.remove(_refuse)


def _refuse(*_args, **_kwargs):
    raise PreparedError("building the query read the database: pass what it read in as values or shape")
