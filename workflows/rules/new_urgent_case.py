"""Deadline and validation rules of the new urgent case (person without home care): NEW-1..NEW-7.

Pure functions over instants and dates; the new-urgent-case workflow and the API previews both
use them.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime
from typing import Literal

from workflows import calendar
from workflows.profiles import Profile

ReportedIn = Literal["office_hours", "on_call"]
OFFICE_HOURS: ReportedIn = "office_hours"
ON_CALL: ReportedIn = "on_call"
REPORTED_IN_LABELS = {OFFICE_HOURS: "kontorstid", ON_CALL: "jourtid"}

# NEW-3 says "as soon as" the case worker knows about a continued need, without a number. Our
# interpretation: the provider is phoned by the end of the working day after the take-over (CAL-4).
PHONE_PROVIDER_WORKING_DAYS = 1


def reported_in(at: datetime, profile: Profile) -> ReportedIn:
    """CAL-3: a report in office hours, or in on-call time (everything else)."""
    return OFFICE_HOURS if calendar.is_office_hours(at, profile.office_hours) else ON_CALL


def mandate_end(granted_at: datetime, profile: Profile) -> datetime:
    """NEW-2: the on-call supervisor's grant holds until 12:00 on the first working day whose
    08:00 (office hours open) is after the grant; then the case worker is responsible.

    Mon 20:00 -> Tue 12:00; Tue 02:00 -> Tue 12:00; Thu 2026-12-31 20:00 -> Mon 2027-01-04 12:00.
    """
    day = calendar.local_date(granted_at)
    opens = profile.office_hours.opens
    if not (calendar.is_working_day(day) and calendar.at_local(day, opens) > granted_at):
        day = calendar.next_working_day(day)
    return calendar.at_local(day, profile.deadlines.on_call_mandate_until)


def take_over_due(reported_at: datetime, profile: Profile) -> datetime:
    """NEW-1: reported in office hours -> the case worker takes over by the end of office hours
    that day (CAL-3); reported in on-call time -> by the mandate end of NEW-2."""
    if reported_in(reported_at, profile) == OFFICE_HOURS:
        return calendar.office_hours_end(calendar.local_date(reported_at), profile.office_hours)
    return mandate_end(reported_at, profile)


def phone_provider_due(taken_over_at: datetime) -> datetime:
    """NEW-3 (interpretation): phone the provider by the end of the next working day (CAL-4)."""
    return calendar.working_days_after(taken_over_at, PHONE_PROVIDER_WORKING_DAYS)


def order_due(called_at: datetime, profile: Profile) -> datetime:
    """NEW-3 / ORD-6: the decision and the order at the latest 3 working days after the call (CAL-4)."""
    return calendar.working_days_after(called_at, profile.orders.verbal_decision_order_working_days)


def proposed_decision_date(help_started_at: datetime) -> date:
    """NEW-4: a granted decision is dated from the (local) day help started."""
    return calendar.local_date(help_started_at)


def check_decision_date(decision_date: date, help_started_at: datetime | None, now: datetime) -> None:
    """NEW-4: the decision date must be the day help started; never in the future.

    When the start of help is not known to the process the case worker states the day; it can
    then only be checked against the present. Raises ValueError with the reason in Swedish.
    """
    if decision_date > calendar.local_date(now):
        raise ValueError(f"Beslutsdatum {decision_date} ligger i framtiden.")
    if help_started_at is not None:
        proposed = proposed_decision_date(help_started_at)
        if decision_date != proposed:
            raise ValueError(
                f"Beslutet ska dateras från den dag hjälpen påbörjades ({proposed}), inte {decision_date}."
            )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter
    (2026-12-31 + 2 months = 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = month_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def first_follow_up_due(decision_date: date, profile: Profile) -> date:
    """NEW-7 / FU-2: a granted new case is followed up 2 months after the decision."""
    return add_months(decision_date, profile.deadlines.first_follow_up_months)


def check_order_start(start_date: date, decision_date: date | None, help_started_at: datetime | None) -> None:
    """An order for the new case starts no earlier than the day help started (the decision date)."""
    floor = decision_date or (proposed_decision_date(help_started_at) if help_started_at else None)
    if floor is not None and start_date < floor:
        raise ValueError(f"Beställningens startdatum {start_date} är före dagen hjälpen påbörjades {floor}.")
