"""Deadline and validation rules of the urgent change in an ongoing case: UC-1..UC-4, COM-1, COM-6.

Pure functions over instants and dates; the urgent-change workflow and the API's forms both use
them. Deadlines count from ``started_at``, the real moment the extra support began, whoever
inserted it (UC-3).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal

from workflows import calendar
from workflows.profiles import Deadlines

Kind = Literal["lasting", "short"]
LASTING: Kind = "lasting"  # UC-1: likely to last
SHORT: Kind = "short"  # UC-2: expected to last up to three days
KIND_LABELS = {
    LASTING: "bestående brådskande behovsförändring",
    SHORT: "brådskande behovsförändring under begränsad period",
}

Outcome = Literal["granted", "not_granted", "follow_up_booked"]
GRANTED: Outcome = "granted"
NOT_GRANTED: Outcome = "not_granted"
FOLLOW_UP_BOOKED: Outcome = "follow_up_booked"
OUTCOME_LABELS = {
    GRANTED: "utökat stöd beviljat",
    NOT_GRANTED: "utökat stöd beviljas inte",
    FOLLOW_UP_BOOKED: "uppföljning bokad",
}

MIDNIGHT = time(0, 0)


def check_start(started_at: datetime, now: datetime) -> None:
    """UC-3: ``started_at`` is the real moment support began: it carries its offset and may be in
    the past, never in the future. Raises ValueError in Swedish."""
    if started_at.tzinfo is None:
        raise ValueError("started_at måste anges med tidszon.")
    if started_at > now:
        raise ValueError("started_at ligger i framtiden: ange när det utökade stödet faktiskt började.")


def check_reported_for_person(person_can_contact: bool, reason: str) -> None:
    """COM-6: when the person cannot or will not contact the case worker, the report states why."""
    if not person_can_contact and not reason.strip():
        raise ValueError(
            "Ange varför brukaren inte själv kan eller vill kontakta biståndshandläggaren "
            "(reported_for_person_reason)."
        )


def notify_due(started_at: datetime) -> datetime:
    """UC-1: a lasting change is notified at the latest the next working day after support started
    (CAL-4, N=1), due at its end."""
    return calendar.working_days_after(started_at, 1)


def day_four(started_at: datetime, rules: Deadlines) -> date:
    """UC-2: the day after the short period (three days; the start day is day 1, CAL-6): day 4."""
    return calendar.period_day(calendar.local_date(started_at), rules.short_change_days + 1)


def notify_opens_at(started_at: datetime, rules: Deadlines) -> datetime:
    """UC-2: the notification step of a short change opens at 00:00 local of day 4 (calendar days,
    even when day 4 is a holiday)."""
    return calendar.at_local(day_four(started_at, rules), MIDNIGHT)


def short_notify_due(started_at: datetime, rules: Deadlines) -> datetime:
    """UC-2: notified at once on day 4, due at its end."""
    return calendar.end_of_day(day_four(started_at, rules))


def notification_due(kind: Kind, started_at: datetime, rules: Deadlines) -> datetime:
    """UC-1 / UC-2: when the provider's notification to the case worker is due."""
    return notify_due(started_at) if kind == LASTING else short_notify_due(started_at, rules)


def check_notified_at(notified_at: datetime, kind: Kind, started_at: datetime, rules: Deadlines) -> None:
    """UC-1 / UC-2: a notification (e.g. phoned before it was registered) is not earlier than the
    support began, and a short change's not before 00:00 of day 4."""
    earliest = started_at if kind == LASTING else notify_opens_at(started_at, rules)
    if notified_at < earliest:
        raise ValueError(
            f"Meddelandet kan inte ha lämnats före {calendar.local(earliest):%Y-%m-%d %H:%M}"
            + ("" if kind == LASTING else " (dag 4)")
            + "."
        )


def respond_due(notified_at: datetime, rules: Deadlines) -> datetime:
    """UC-4 / COM-1: the case worker answers within 5 working days of the notification (CAL-4)."""
    return calendar.working_days_after(notified_at, rules.feedback_working_days)


def proposed_decision_date(kind: Kind, started_at: datetime, rules: Deadlines) -> date:
    """UC-1: a lasting change is granted from the day the extra support started;
    UC-2: a short change from day 4."""
    if kind == LASTING:
        return calendar.local_date(started_at)
    return day_four(started_at, rules)


def check_decision_date(decision_date: date, kind: Kind, started_at: datetime, rules: Deadlines) -> None:
    """UC-1 / UC-2: a granted decision is dated from the proposed date and no other."""
    proposed = proposed_decision_date(kind, started_at, rules)
    if decision_date != proposed:
        rule = "den dag det utökade stödet började" if kind == LASTING else "dag 4"
        raise ValueError(f"Beslutet ska dateras från {rule}: {proposed.isoformat()}, inte {decision_date}.")


def check_need_ended(ended_at: datetime, started_at: datetime, rules: Deadlines) -> None:
    """UC-2: the need ended within the three days, i.e. after support started and before day 4."""
    if ended_at < started_at:
        raise ValueError("Behovet kan inte ha upphört innan det utökade stödet började.")
    if ended_at >= notify_opens_at(started_at, rules):
        raise ValueError("Behovet kvarstod dag 4: meddela biståndshandläggaren i stället.")
