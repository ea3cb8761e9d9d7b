"""Due times and delays in plain Swedish, with Babel's Swedish calendar words (CAL-2: Stockholm time).

``senast mån 28 dec 23:59`` for a task due, ``försenad 2 dagar`` for one past its due time; the
year is added when it is not the current one (a deadline in January seen in December).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date, format_datetime, format_timedelta

from workflows import calendar

LOCALE = "sv_SE"


def _short(text: str) -> str:
    """Babel writes Swedish month abbreviations with a full stop ("dec."); people write "dec"."""
    return text.replace(".", "")


def moment(instant: datetime, now: datetime | None = None) -> str:
    """An instant as Stockholm wall-clock time in words, e.g. ``mån 28 dec 23:59`` (with the year,
    ``mån 4 jan 2027 10:00``, when it is not the year of ``now``)."""
    local = calendar.local(instant)
    same_year = now is None or calendar.local(now).year == local.year
    pattern = "EEE d MMM HH:mm" if same_year else "EEE d MMM yyyy HH:mm"
    return _short(format_datetime(local, pattern, tzinfo=calendar.STOCKHOLM, locale=LOCALE))


def day(value: date) -> str:
    """A local date in words, e.g. ``mån 28 dec 2026``."""
    return _short(format_date(value, "EEE d MMM yyyy", locale=LOCALE))


def month(value: date) -> str:
    """The month of a date, e.g. ``dec 2026`` (for chart axes)."""
    return _short(format_date(value, "MMM yyyy", locale=LOCALE))


def span(delta: timedelta) -> str:
    """A duration in whole days ("2 dagar", "1 dag"), below a day in hours or minutes (Babel)."""
    days = delta.days
    if days >= 1:
        return f"{days} dag" if days == 1 else f"{days} dagar"
    return format_timedelta(delta, threshold=1, locale=LOCALE)


def due_text(due_at: datetime | None, now: datetime, overdue: bool = False) -> str:
    """The due time of a task as people say it: ``senast mån 28 dec 23:59``, or when it has passed
    ``försenad 2 dagar`` (counted from the due time to ``now``); empty without a due time."""
    if due_at is None:
        return ""
    if due_at <= now:
        return f"försenad {span(now - due_at)}"
    if overdue:  # marked overdue by the process though its own due time lies ahead
        return f"försenad, senast {moment(due_at, now)}"
    return f"senast {moment(due_at, now)}"
