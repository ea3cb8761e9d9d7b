"""Deadline and validation rules of the urgent change in an ongoing case: UC-1..UC-4, COM-1, COM-6.

Pure functions over instants and dates; the urgent-change workflow and the API's forms both use
them. Deadlines count from ``started_at``, the real moment the extra support began, whoever
inserted it (UC-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Literal

from workflows import calendar
from workflows.model import FieldError
from workflows.profiles import Deadlines
from workflows.rules import plausibility

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


def check_start(started_at: datetime, now: datetime, case_since: datetime | None = None) -> None:
    """UC-3: ``started_at`` is the real moment support began: it carries its offset and may be in
    the past, never in the future; issue 6 §2: nor before the case existed or absurdly far back
    (``plausibility.MAX_BACKDATED``). Raises ValueError in Swedish."""
    if started_at.tzinfo is None:
        raise FieldError("started_at måste anges med tidszon.", "started_at")
    if started_at > now:
        raise FieldError(
            "started_at ligger i framtiden: ange när det utökade stödet faktiskt började.", "started_at"
        )
    plausibility.check_reported_moment("started_at", started_at, now, case_since)


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
        raise FieldError(
            f"Meddelandet kan inte ha lämnats före {calendar.local(earliest):%Y-%m-%d %H:%M}"
            + ("" if kind == LASTING else " (dag 4)")
            + ".",
            "occurred_at",
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
        raise FieldError(
            f"Beslutet ska dateras från {rule}: {proposed.isoformat()}, inte {decision_date}.",
            "decision_date",
        )


def check_need_ended(ended_at: datetime, started_at: datetime, rules: Deadlines) -> None:
    """UC-2: the need ended within the three days, i.e. after support started and before day 4."""
    if ended_at < started_at:
        raise FieldError("Behovet kan inte ha upphört innan det utökade stödet började.", "occurred_at")
    if ended_at >= notify_opens_at(started_at, rules):
        raise FieldError("Behovet kvarstod dag 4: meddela biståndshandläggaren i stället.", "occurred_at")


def check_response(
    outcome: Outcome,
    decision_date: date | None,
    follow_up_on: date | None,
    kind: Kind,
    started_at: datetime,
    notified_at: datetime,
    rules: Deadlines,
    services: Sequence[str] = (),
) -> None:
    """UC-4: a grant carries the proposed decision date (UC-1 / UC-2) and the services it grants
    (at least one: a decision grants something), a booked follow-up its date, not before the
    notification; neither date otherwise. Raises ValueError in Swedish."""
    if outcome == GRANTED:
        if decision_date is None:
            proposed = proposed_decision_date(kind, started_at, rules)
            raise FieldError(f"Ange beslutsdatum (decision_date): {proposed.isoformat()}.", "decision_date")
        check_decision_date(decision_date, kind, started_at, rules)
        if not any(service.strip() for service in services):
            raise ValueError("Insatser: ange minst en insats som beviljas.")
    elif decision_date is not None:
        raise FieldError("Beslutsdatum anges bara när utökat stöd beviljas.", "decision_date")
    if outcome == FOLLOW_UP_BOOKED:
        if follow_up_on is None:
            raise FieldError("Ange när uppföljningen är bokad (follow_up_on).", "follow_up_on")
        if follow_up_on < calendar.local_date(notified_at):
            raise FieldError(
                f"Uppföljningen {follow_up_on} kan inte ligga före meddelandet "
                f"{calendar.local_date(notified_at)}.",
                "follow_up_on",
            )
    elif follow_up_on is not None:
        raise FieldError("follow_up_on anges bara när en uppföljning bokas.", "follow_up_on")


def notification_text(
    kind: Kind,
    started_at: datetime,
    description: str,
    message: str,
    reported_for_person_reason: str | None,
    proposed: str,
) -> str:
    """UC-1 / UC-2: the provider's message to the case workers' mailbox; COM-6: with the reason the
    person does not contact the case worker (``None`` when they do)."""
    reason = (
        f"\nBrukaren kontaktar inte själv handläggaren: {reported_for_person_reason}"
        if reported_for_person_reason is not None
        else ""
    )
    message = f"\n{message}" if message else ""
    return (
        f"{KIND_LABELS[kind].capitalize()}: utökat stöd sedan "
        f"{calendar.local(started_at):%Y-%m-%d %H:%M}. {description}{message}{reason}\n"
        f"Beslut vid beviljande dateras från {proposed}."
    )


def need_ended_text(ended_at: datetime, note: str) -> str:
    """UC-2: the need ended within three days: no decision, no payment for the extra."""
    return (
        f"Behovet upphörde {calendar.local(ended_at):%Y-%m-%d %H:%M}, före dag 4. "
        f"Inget beslut och ingen ersättning för det utökade stödet.{f' {note}' if note else ''}"
    )


def escalation_text(reason: str, kind: Kind, started_at: datetime, description: str) -> str:
    """COM-7: the message to the senior case worker: why, and what the change is."""
    return (
        f"Ansvarig biståndshandläggare är frånvarande. Anledning till extra prioritet: "
        f"{reason}. {KIND_LABELS[kind].capitalize()} sedan "
        f"{calendar.local(started_at):%Y-%m-%d %H:%M}: {description}"
    )
