"""Rules of extra visits registered by the provider and reviewed by the case worker (UC-5, SU).

Pure functions over months, dates and instants; the extra-visits workflow and the API use them.
A month is given as ``"YYYY-MM"``; every function raises ValueError with a Swedish message.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Literal

from workflows import calendar

VisitKind = Literal["extra_visit", "extra_on_ordinary"]
EXTRA_VISIT: VisitKind = "extra_visit"  # besök utanför beställningen: all its services are extra
EXTRA_ON_ORDINARY: VisitKind = "extra_on_ordinary"  # extra insatser på ett ordinarie besök
VISIT_KIND_LABELS = {
    EXTRA_VISIT: "Extra besök",
    EXTRA_ON_ORDINARY: "Extra insatser på ordinarie besök",
}
NOTE_TYPE = "Extra insatser"  # UC-5: the note type (anteckningstyp) of every registration

# Visit statuses.
REGISTERED = "registered"
APPROVED = "approved"
REJECTED = "rejected"
QUESTIONED = "questioned"
ANSWERED = "answered"
PENDING_REVIEW = (REGISTERED, ANSWERED)
STATUS_LABELS = {
    REGISTERED: "registrerad",
    APPROVED: "godkänd",
    REJECTED: "avslagen",
    QUESTIONED: "ifrågasatt",
    ANSWERED: "besvarad",
}

ReviewDecision = Literal["approve", "reject", "question"]
DECISION_LABELS = {"approve": "godkänd", "reject": "avslagen", "question": "ifrågasatt"}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_NAMES = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def parse_month(month: str) -> date:
    """``"2026-11"`` -> the first day of that month."""
    found = _MONTH.match(month.strip())
    if found is None:
        raise ValueError(f"Månaden '{month}' ska anges som ÅÅÅÅ-MM, t.ex. 2026-11.")
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12:
        raise ValueError(f"Månaden '{month}' finns inte.")
    first = date(year, number, 1)
    if year not in calendar.YEARS:
        raise ValueError(f"Månaden '{month}' ligger utanför kalenderns år.")
    return first


def month_label(month: str) -> str:
    """``"2026-11"`` -> ``"november 2026"``."""
    first = parse_month(month)
    return f"{MONTH_NAMES[first.month - 1]} {first.year}"


def in_month(day: date, month: str) -> bool:
    first = parse_month(month)
    return (day.year, day.month) == (first.year, first.month)


def registration_closes_at(month: str) -> datetime:
    """UC-5: extras of month M are registered by the first working day of month M+1, at its end
    (CAL-1 working days, CAL-2 end of the local day)."""
    return calendar.end_of_day(calendar.first_working_day_of_next_month(parse_month(month)))


def registration_ends_at(month: str) -> datetime:
    """UC-5: the instant the registration window shuts: 00:00 local after the deadline day."""
    deadline_day = calendar.first_working_day_of_next_month(parse_month(month))
    return calendar.at_local(deadline_day + timedelta(days=1), time(0, 0))


def is_registration_open(month: str, at: datetime) -> bool:
    """UC-5: registration for the month is open at ``at`` (not yet past its deadline)."""
    # Compare local dates, not instants: 23:59:59.5 on the deadline day is still that day.
    return calendar.local_date(at) <= calendar.local_date(registration_closes_at(month))


def check_registration_open(month: str, at: datetime) -> None:
    """UC-5: a registration after the deadline is rejected with the deadline in the message."""
    if not is_registration_open(month, at):
        closes = calendar.local(registration_closes_at(month))
        raise ValueError(
            f"Registreringen av extra insatser för {month_label(month)} stängde "
            f"{closes:%Y-%m-%d %H:%M} (första vardagen i månaden efter). "
            f"Registreringen {calendar.local(at):%Y-%m-%d %H:%M} är för sen; kontakta handläggaren."
        )


def check_start(month: str, now: datetime) -> None:
    """UC-5: a month's registration can begin during the month and until its deadline, not before."""
    first = parse_month(month)
    today = calendar.local_date(now)
    if (first.year, first.month) > (today.year, today.month):
        raise ValueError(f"Månaden {month_label(month)} har inte börjat än.")
    check_registration_open(month, now)


def check_visit(
    *,
    month: str,
    visit_date: date,
    kind: VisitKind,
    services: list[str],
    minutes: int | None,
    reason: str,
    now: datetime,
) -> None:
    """UC-5: a registered extra visit lies in the process's month and not in the future, names its
    services (all extra for an extra visit), gives the extra minutes for extras on an ordinary
    visit, and carries the reason for the note of type "Extra insatser"."""
    if not in_month(visit_date, month):
        raise ValueError(f"Besöket {visit_date} ligger inte i {month_label(month)}.")
    if visit_date > calendar.local_date(now):
        raise ValueError(f"Besöksdatum {visit_date} ligger i framtiden.")
    if not [name for name in services if name.strip()]:
        raise ValueError("Ange minst en utförd insats.")
    if kind == EXTRA_ON_ORDINARY and (minutes is None or minutes <= 0):
        raise ValueError("Ange tiden i minuter för de extra insatserna på det ordinarie besöket.")
    if minutes is not None and minutes <= 0:
        raise ValueError("Tiden för extra insatser måste vara fler än 0 minuter.")
    if not reason.strip():
        raise ValueError(f"En anteckning av typen [{NOTE_TYPE}] med orsaken till de extra insatserna krävs.")


def review_due(opened_at: datetime) -> datetime:
    """UC-5: the case worker reviews extra visits at least weekly: a review step is due within a
    week (CAL-6, end of date+7) of opening."""
    return calendar.within_a_week(opened_at)


def answer_due(questioned_at: datetime) -> datetime:
    """UC-5: the provider answers a question about an extra visit within a week (CAL-6)."""
    return calendar.within_a_week(questioned_at)
