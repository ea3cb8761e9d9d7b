"""Dates plausible for the start of a process (issue 6 §2): pure checks, ValueError in Swedish.

A process starts from a real-world moment someone reports (an order's ``sent_at``, an urgent
change's ``started_at``, a new case's ``reported_at``): it lies neither in the future nor before
the case existed, nor further back than a late registration can plausibly be. The limit is two
months: a change of one month is registered at the latest by the 4th of the next (CAL-7), and a
late one must still be recordable (it raises a billing notice), but a moment years back is a typo.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from workflows import calendar
from workflows.model import CaseInfo, FieldError

MAX_BACKDATED = timedelta(days=62)  # CAL-7: the previous month, registered late, stays possible
MAX_AHEAD = timedelta(days=366)  # a service planned to start more than a year ahead is a typo


def stamp(instant: datetime) -> str:
    """An instant as users read it: local date and time (CAL-2)."""
    return f"{calendar.local(instant):%Y-%m-%d %H:%M}"


def case_known_since(case: CaseInfo | None) -> datetime | None:
    """When the case existed at the latest: its registration, or an earlier decision's start
    (a case registered here after its decisions were taken), as an aware instant."""
    if case is None:
        return None
    moments = [case.created_at] if case.created_at is not None else []
    moments += [
        calendar.at_local(d.start_date, time(0, 0)) for d in case.decisions if d.start_date is not None
    ]
    return min(moments, default=None)


def check_reported_moment(
    field: str, instant: datetime | None, now: datetime, case_since: datetime | None = None
) -> None:
    """A reported real-world moment: with its offset, not in the future, not before the case
    existed, at most ``MAX_BACKDATED`` ago. None (not given: "now") passes."""
    if instant is None:
        return
    if instant.tzinfo is None:
        raise FieldError(f"{field} måste anges med tidszon.", field)
    if instant > now:
        raise FieldError(f"{field} ligger i framtiden.", field)
    if now - instant > MAX_BACKDATED:
        raise FieldError(
            f"{field} ({stamp(instant)}) ligger mer än {MAX_BACKDATED.days} dagar bakåt i tiden.", field
        )
    if case_since is not None and instant < case_since:
        raise FieldError(
            f"{field} ({stamp(instant)}) ligger före ärendets början ({stamp(case_since)}).", field
        )


def check_date_near(field: str, day: date, anchor: datetime) -> None:
    """A planned date (e.g. a service's start): at most ``MAX_BACKDATED`` before ``anchor``'s local
    date and at most ``MAX_AHEAD`` after it."""
    base = calendar.local_date(anchor)
    if day < base - MAX_BACKDATED:
        raise FieldError(f"{field} ({day}) ligger mer än {MAX_BACKDATED.days} dagar före {base}.", field)
    if day > base + MAX_AHEAD:
        raise FieldError(f"{field} ({day}) ligger mer än ett år efter {base}.", field)


def case_known_from(case: CaseInfo | None) -> date | None:
    """The local date the case existed from at the latest (see ``case_known_since``)."""
    since = case_known_since(case)
    return calendar.local_date(since) if since is not None else None


def check_date_in_case(field: str, day: date, now: datetime, case_from: date | None) -> None:
    """A date a late registration may carry (CAL-7: a late change raises a billing notice, it is
    not refused): in the calendar's years, not before the case existed (``case_from``, local
    date), at most ``MAX_AHEAD`` after ``now``'s local date. No limit on how far back."""
    if day.year not in calendar.YEARS:
        raise FieldError(
            f"{field} ({day}) ligger utanför kalenderns år {calendar.YEARS.start}-{calendar.YEARS.stop - 1}.",
            field,
        )
    if case_from is not None and day < case_from:
        raise FieldError(f"{field} ({day}) ligger före ärendets början ({case_from}).", field)
    base = calendar.local_date(now)
    if day > base + MAX_AHEAD:
        raise FieldError(f"{field} ({day}) ligger mer än ett år efter {base}.", field)
