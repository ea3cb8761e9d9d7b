"""Rules of extra visits registered by the provider and reviewed by the case worker (UC-5, SU).

Pure functions over months, dates and instants, and the record of one registered visit; the
extra-visits workflow and the API use them. A month is given as ``"YYYY-MM"``; every check raises
ValueError with a Swedish message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol

from workflows import calendar
from workflows.model import FieldError

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
        raise FieldError(f"Månaden '{month}' ska anges som ÅÅÅÅ-MM, t.ex. 2026-11.", "month")
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 12:
        raise FieldError(f"Månaden '{month}' finns inte.", "month")
    first = date(year, number, 1)
    if year not in calendar.YEARS:
        raise FieldError(f"Månaden '{month}' ligger utanför kalenderns år.", "month")
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
        raise FieldError(
            f"Registreringen av extra insatser för {month_label(month)} stängde "
            f"{closes:%Y-%m-%d %H:%M} (första vardagen i månaden efter). "
            f"Registreringen {calendar.local(at):%Y-%m-%d %H:%M} är för sen; kontakta handläggaren.",
            "visit_date",
        )


def check_start(month: str, now: datetime) -> None:
    """UC-5: a month's registration can begin during the month and until its deadline, not before."""
    first = parse_month(month)
    today = calendar.local_date(now)
    if (first.year, first.month) > (today.year, today.month):
        raise FieldError(f"Månaden {month_label(month)} har inte börjat än.", "month")
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
        raise FieldError(f"Besöket {visit_date} ligger inte i {month_label(month)}.", "visit_date")
    if visit_date > calendar.local_date(now):
        raise FieldError(f"Besöksdatum {visit_date} ligger i framtiden.", "visit_date")
    if not [name for name in services if name.strip()]:
        raise FieldError("Ange minst en utförd insats.", "services")
    if kind == EXTRA_ON_ORDINARY and (minutes is None or minutes <= 0):
        raise FieldError("Ange tiden i minuter för de extra insatserna på det ordinarie besöket.", "minutes")
    if minutes is not None and minutes <= 0:
        raise FieldError("Tiden för extra insatser måste vara fler än 0 minuter.", "minutes")
    if not reason.strip():
        raise FieldError(
            f"En anteckning av typen [{NOTE_TYPE}] med orsaken till de extra insatserna krävs.", "reason"
        )


def review_due(opened_at: datetime) -> datetime:
    """UC-5: the case worker reviews extra visits at least weekly: a review step is due within a
    week (CAL-6, end of date+7) of opening."""
    return calendar.within_a_week(opened_at)


def answer_due(questioned_at: datetime) -> datetime:
    """UC-5: the provider answers a question about an extra visit within a week (CAL-6)."""
    return calendar.within_a_week(questioned_at)


@dataclass
class Visit:
    """One registered extra visit and what became of it; the process shows ``view()`` in its details."""

    visit_id: str
    visit_date: date
    kind: VisitKind
    services: list[str]
    minutes: int | None
    reason: str
    registered_at: datetime
    registered_by: str
    status: str = REGISTERED
    question: str | None = None
    questioned_at: datetime | None = None
    answer_due: datetime | None = None
    answer: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    lasting_need: bool = False
    order_id: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "visit_date": self.visit_date.isoformat(),
            "kind": self.kind,
            "services": list(self.services),
            "minutes": self.minutes,
            "note_type": NOTE_TYPE,
            "reason": self.reason,
            "registered_at": self.registered_at.isoformat(),
            "registered_by": self.registered_by,
            "status": self.status,
            "question": self.question,
            "answer_due": self.answer_due.isoformat() if self.answer_due else None,
            "answer": self.answer,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "lasting_need": self.lasting_need,
            "order_id": self.order_id,
        }


class Decision(Protocol):
    """The case worker's decision on one visit, as the review carries it."""

    visit_id: str
    decision: ReviewDecision
    question: str
    lasting_need: bool


def find_visit(visits: list[Visit], visit_id: str) -> Visit | None:
    return next((v for v in visits if v.visit_id == visit_id), None)


def check_review(decisions: Sequence[Decision], visits: list[Visit]) -> None:
    """UC-5: each decision concerns another visit pending review; a question has its text, and a
    lasting need comes only with an approval."""
    seen: set[str] = set()
    for index, decision in enumerate(decisions):
        visit = find_visit(visits, decision.visit_id)
        if visit is None:
            raise FieldError(
                f"Det finns inget extra besök {decision.visit_id}.", f"decisions.{index}.visit_id"
            )
        if decision.visit_id in seen:
            raise FieldError(
                f"Besöket {decision.visit_id} förekommer flera gånger i granskningen.",
                f"decisions.{index}.visit_id",
            )
        seen.add(decision.visit_id)
        if visit.status not in PENDING_REVIEW:
            raise FieldError(
                f"Besöket {visit.visit_id} väntar inte på granskning "
                f"(status: {STATUS_LABELS[visit.status]}).",
                f"decisions.{index}.visit_id",
            )
        if decision.decision == "question" and not decision.question.strip():
            raise FieldError(
                f"Skriv frågan till utföraren om besöket {visit.visit_id}.", f"decisions.{index}.question"
            )
        if decision.lasting_need and decision.decision != "approve":
            raise FieldError(
                "Ett varaktigt behov kan bara anges när den extra insatsen godkänns.",
                f"decisions.{index}.lasting_need",
            )


def check_answer(visits: list[Visit], visit_id: str, answer: str) -> None:
    """UC-5: the provider answers a visit's open question with a text."""
    visit = find_visit(visits, visit_id)
    if visit is None:
        raise FieldError(f"Det finns inget extra besök {visit_id}.", "visit_id")
    if visit.status != QUESTIONED:
        raise FieldError(f"Besöket {visit.visit_id} har ingen obesvarad fråga.", "visit_id")
    if not answer.strip():
        raise FieldError("Skriv ett svar på frågan.", "answer")


def pending_review(visits: Sequence[Mapping[str, Any]]) -> list[str]:
    """UC-5: the ids of the visits (as the process shows them, ``Visit.view``) a review decides on."""
    return [str(v["visit_id"]) for v in visits if v.get("status") in PENDING_REVIEW]


def questioned(visits: Sequence[Mapping[str, Any]]) -> list[str]:
    """UC-5: the ids of the visits with an open question, the answer due first first."""
    open_ = [v for v in visits if v.get("status") == QUESTIONED]
    open_.sort(key=lambda v: datetime.fromisoformat(str(v["answer_due"])) if v.get("answer_due") else MAX_DUE)
    return [str(v["visit_id"]) for v in open_]


MAX_DUE = datetime.max.replace(tzinfo=UTC)


def visit_text(visit: Visit) -> str:
    """A registered visit as the timeline and the journal note show it."""
    minutes = f", {visit.minutes} min extra" if visit.minutes else ""
    return (
        f"{VISIT_KIND_LABELS[visit.kind]} {visit.visit_date} ({visit.visit_id}): "
        f"{', '.join(visit.services)}{minutes}"
    )


def decide(visit: Visit, decision: ReviewDecision, question: str, by: str, at: datetime) -> str:
    """UC-5: record the case worker's decision on the visit (a question is answered within a week,
    CAL-6); returns the decision's line of the review."""
    visit.decided_by = by
    visit.decided_at = at
    line = (
        f"Extra insats {visit.visit_id} ({VISIT_KIND_LABELS[visit.kind]}, {visit.visit_date}): "
        f"{DECISION_LABELS[decision]}"
    )
    match decision:
        case "approve":
            visit.status = APPROVED
        case "reject":
            visit.status = REJECTED
        case "question":
            visit.status = QUESTIONED
            visit.question = question.strip()
            visit.questioned_at = at
            visit.answer_due = answer_due(at)
            visit.answer = None
            line += f": {visit.question} Svar senast {calendar.local(visit.answer_due):%Y-%m-%d}"
    return line


def review_text(lines: list[str], note: str) -> str:
    """A review's decisions, one line each, and the case worker's note."""
    text = "\n".join(lines) if lines else "Inga extra insatser att besluta om."
    return text + (f"\n{note.strip()}" if note.strip() else "")


def summary(visits: list[Visit]) -> dict[str, Any]:
    """UC-5: what the month's extra visits came to."""
    approved = [v for v in visits if v.status == APPROVED]
    rejected = [v for v in visits if v.status == REJECTED]
    return {
        "registered": len(visits),
        "approved": len(approved),
        "rejected": len(rejected),
        "approved_extra_minutes": sum(v.minutes or 0 for v in approved),
        "rejected_extra_minutes": sum(v.minutes or 0 for v in rejected),
        "orders": [v.order_id for v in approved if v.order_id],
    }


def summary_text(month: str, summary: dict[str, Any]) -> str:
    return (
        f"Extra insatser {month_label(month)}: {summary['registered']} registrerade, "
        f"{summary['approved']} godkända ({summary['approved_extra_minutes']} min extra), "
        f"{summary['rejected']} avslagna, {len(summary['orders'])} nya beställningar."
    )
