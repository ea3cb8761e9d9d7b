"""The calendar's limits as the processes check them: every date and instant a process is given
(its input, an action) lies in the calendar's years and every instant carries its offset.

Pure functions, no I/O. A date outside the years would make a deadline rule raise inside the
workflow, which Temporal answers by retrying the workflow task forever (a stuck process); checked
here first, it is a refused start or a rejected action with a Swedish reason instead.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from typing import Any

from workflows import calendar
from workflows.model import FieldError

# Free text (notes, descriptions, an order's "övrigt", a message body): about 4 pages, at most
# 40 KB in UTF-8, far below Temporal's 2 MB payload limit. The API's edge uses the same number.
FREE_TEXT_MAX = 10_000
# An id of a user or a unit (provider, homecoming team, alarm team, night district): the read
# model's id columns (``api.limits.ID_MAX`` reads them; a test holds the two equal).
ID_MAX = 64
# A person's name or a service's name as the read model's author and item columns hold it.
NAME_MAX = 171

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


def text_problem(text: str, limit: int) -> tuple[str, str] | None:
    """(type, Swedish message) when ``text`` breaks a string limit, else None: a character
    PostgreSQL refuses (NUL) or cannot encode (a lone surrogate), or more than ``limit`` characters."""
    if "\x00" in text:
        return "forbidden_character", "innehåller ett otillåtet tecken (NUL)"
    if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        return "forbidden_character", "innehåller ett ogiltigt tecken (ensamt surrogattecken)"
    if len(text) > limit:
        return "string_too_long", f"får vara högst {limit} tecken"
    return None


# A field's name as the dataclasses spell it (``provider_contact``, ``items.name``).
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")


def _fields(field: str, at: str | None) -> tuple[str, ...]:
    """The input a refusal is about: ``at``, else ``field`` when it is a field's name (not words)."""
    if at:
        return (at,)
    return (field,) if FIELD_NAME.fullmatch(field) else ()


def check_text(
    value: str, field: str, limit: int = FREE_TEXT_MAX, required: bool = False, at: str | None = None
) -> None:
    """A process's text within the system's limits (``text_problem``); ``required``: not blank.
    Raises a FieldError in Swedish naming ``field`` (about the input ``at``, by default ``field``
    when that is a field's name)."""
    if required and not value.strip():
        raise FieldError(f"Ange {field}.", *_fields(field, at))
    problem = text_problem(value, limit)
    if problem is not None:
        raise FieldError(f"{field} {problem[1]} (nu {len(value)} tecken).", *_fields(field, at))


def check_id(value: str | None, field: str) -> None:
    """A unit's or user's id within the read model's id columns (None: not given)."""
    if value is not None:
        check_text(value, field, ID_MAX)


def check_name(value: str, field: str, required: bool = False, at: str | None = None) -> None:
    """A person's or a service's name within the read model's name columns."""
    check_text(value, field, NAME_MAX, required, at)
