"""The calendar's limits as the processes check them: every date and instant a process is given
(its input, an action) lies in the calendar's years and every instant carries its offset.

Pure functions, no I/O. A date outside the years would make a deadline rule raise inside the
workflow, which Temporal answers by retrying the workflow task forever (a stuck process); checked
here first, it is a refused start or a rejected action with a Swedish reason instead.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from workflows import calendar

FIRST_YEAR = calendar.YEARS.start
LAST_YEAR = calendar.YEARS.stop - 1
OUTSIDE_CALENDAR = f"ligger utanför kalenderns år {FIRST_YEAR}–{LAST_YEAR}"


def in_calendar(value: date) -> bool:
    """A date, or an aware instant's Stockholm date, within the calendar's years (naive instants
    by their own date; the offset is checked elsewhere)."""
    if isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None:
        try:
            return calendar.local_date(value).year in calendar.YEARS
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 has no Stockholm date
            return False
    return value.year in calendar.YEARS


def check_dates(value: Any, name: str = "") -> None:
    """Raise ValueError (Swedish, naming the field) for the first naive instant, or date or instant
    (its Stockholm date) outside the calendar's years, anywhere in ``value``: a dataclass, list,
    tuple, dict, date or datetime, nested to any depth."""
    problem = date_problem(value, name)
    if problem is not None:
        raise ValueError(problem)


def date_problem(value: Any, name: str = "") -> str | None:
    """The first problem ``check_dates`` would raise, or None."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return f"{name or 'Tidpunkten'} måste anges med tidszon."
        return None if in_calendar(value) else _outside(name, value.date())
    if isinstance(value, date):
        return None if in_calendar(value) else _outside(name, value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: list[tuple[str, Any]] = [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, list | tuple):
        items = [(name, item) for item in value]
    else:
        return None
    return next((p for p in (date_problem(item, key) for key, item in items) if p is not None), None)


def _outside(name: str, day: date) -> str:
    return f"{name or 'Datumet'} {day.isoformat()} {OUTSIDE_CALENDAR}."
