"""The Swedish working-day calendar (CAL-1..CAL-7).

Pure functions, no I/O. Every instant going in or out is a timezone-aware datetime; dates are
local Europe/Stockholm dates. Workflows import this module under
``workflow.unsafe.imports_passed_through()`` because ``holidays`` and ``zoneinfo`` do not load
inside the sandbox.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from holidays.countries.sweden import Sweden

from workflows.profiles import OfficeHours

STOCKHOLM = ZoneInfo("Europe/Stockholm")
END_OF_DAY = time(23, 59, 59)
OFFICE_OPENS = time(8, 0)  # CAL-3: orders are received 08:00-17:00 (B)


# The years a date given to the system may lie in (inputs are checked against them, see
# workflows/limits.py).
YEARS = range(2020, 2061)
# The table is built once, at import, for the years plus headroom: a deadline counted from a date
# late in 2060 (4 weeks, a month's first working day, N working days) lies in 2061 and must still be
# computable inside a workflow. Built lazily it would run inside the workflow sandbox, where
# holidays' translation lookup (locale) is forbidden.
TABLE_YEARS = range(YEARS.start, YEARS.stop + 2)
# CAL-1: public holidays plus the de facto ones (Midsommarafton, Julafton, Nyårsafton).
_HOLIDAYS = frozenset(
    Sweden(years=TABLE_YEARS, categories=("public", "de_facto"), include_sundays=False).keys()
)


def is_holiday(day: date) -> bool:
    """A Swedish public or de facto holiday (CAL-1). Raises ValueError outside the table's years."""
    if day.year not in TABLE_YEARS:
        raise ValueError(f"{day} is outside the calendar's years {YEARS.start}-{YEARS.stop - 1}")
    return day in _HOLIDAYS


def is_working_day(day: date) -> bool:
    """Monday-Friday that is no public or de facto holiday (CAL-1)."""
    return day.weekday() < 5 and not is_holiday(day)


def local(instant: datetime) -> datetime:
    """The instant in Stockholm local time (CAL-2)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry its offset")
    return instant.astimezone(STOCKHOLM)


# An instant as ISO 8601 text with its offset, e.g. 2026-11-23T09:00:00+00:00.
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")


def localised(value: Any) -> Any:
    """A copy of ``value`` (dicts and lists to any depth) in which every instant, a datetime or an
    ISO 8601 text with an offset, is ISO 8601 text in Stockholm local time (CAL-2; DESIGN.md: every
    time in a response carries the Europe/Stockholm offset). Other values are kept as they are."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return local(value).isoformat()
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value):
        return local(datetime.fromisoformat(value)).isoformat()
    if isinstance(value, dict):
        return {key: localised(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localised(item) for item in value]
    return value


def local_date(instant: datetime) -> date:
    return local(instant).date()


def at_local(day: date, clock: time) -> datetime:
    """The UTC instant of a local wall-clock time on a date (CAL-2)."""
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """A date-granular deadline: 23:59:59 local on that date, as UTC (CAL-2)."""
    return at_local(day, END_OF_DAY)


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def working_day_on_or_after(day: date) -> date:
    return day if is_working_day(day) else next_working_day(day)


def nth_working_day_after(day: date, n: int) -> date:
    """The Nth working day strictly after a local date (CAL-4)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    for _ in range(n):
        day = next_working_day(day)
    return day


def working_days_after(instant: datetime, n: int) -> datetime:
    """CAL-4: due at the end of the Nth working day strictly after the instant's local date."""
    return end_of_day(nth_working_day_after(local_date(instant), n))


def working_hours_24(instant: datetime) -> datetime:
    """CAL-5: 24 hours counted on working days only.

    On a working day the deadline is the same local time on the next working day; on a
    non-working day the clock starts at 08:00 of the next working day.
    """
    start = local(instant)
    if not is_working_day(start.date()):
        start = datetime.combine(next_working_day(start.date()), OFFICE_OPENS, tzinfo=STOCKHOLM)
    due_day = next_working_day(start.date())
    return at_local(due_day, start.time().replace(tzinfo=None))


def within_a_week(instant: datetime) -> datetime:
    """CAL-6: seven calendar days, due at the end of date(t)+7."""
    return end_of_day(local_date(instant) + timedelta(days=7))


def period_day(start: date, n: int) -> date:
    """CAL-6: day N of a period starting on ``start`` (the start day is day 1)."""
    if n < 1:
        raise ValueError("period days are counted from 1")
    return start + timedelta(days=n - 1)


def billing_deadline(concerns: date) -> datetime:
    """CAL-7: a change concerning month M is registered by the end of the 4th of month M+1."""
    return end_of_day(_first_of_next_month(concerns).replace(day=4))


def is_late_for_billing(concerns: date, registered_at: datetime) -> bool:
    """CAL-7: registered after the billing deadline (its local date), so billing must be told."""
    # Compare dates, not instants: 23:59:59.5 on the 4th is still the 4th.
    return local_date(registered_at) > local_date(billing_deadline(concerns))


def first_working_day_of_next_month(day: date) -> date:
    """The first working day of the month after ``day``'s month (UC-5 registration deadline)."""
    return working_day_on_or_after(_first_of_next_month(day))


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def office_closes(day: date, hours: OfficeHours) -> time:
    """CAL-3: the end of office hours on a date; the summer rule moves it in some profiles."""
    if hours.summer_closes is not None and day.month in hours.summer_months:
        return hours.summer_closes
    return hours.closes


def office_hours_end(day: date, hours: OfficeHours) -> datetime:
    """CAL-3: the instant office hours end on a date."""
    return at_local(day, office_closes(day, hours))


def is_office_hours(instant: datetime, hours: OfficeHours) -> bool:
    """CAL-3: a working day between opening and closing; everything else is on-call time."""
    moment = local(instant)
    if not is_working_day(moment.date()):
        return False
    return hours.opens <= moment.time() < office_closes(moment.date(), hours)
