"""Pure rules of case-level events (END-1..END-6, COM-1, COM-5): who may report which event, what a
report must hold, and when its case-worker task is due. ValueError (Swedish) for a bad report,
PermissionError (Swedish) for a caller who may not report it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from workflows import calendar
from workflows.io.case_event import (
    DEATH,
    PAUSE,
    SERVICE_ENDED,
    TIME_ADJUSTMENT,
    CaseEnding,
    DeathReport,
    PauseReport,
    ServiceEndedReport,
    TimeAdjustmentReport,
)
from workflows.model import (
    CASE_WORKER,
    DEPUTY_MANAGER,
    HOMECOMING_TEAM,
    ON_CALL_SUPERVISOR,
    PROVIDER,
    SENIOR_CASE_WORKER,
    Actor,
    FieldError,
)
from workflows.profiles import Profile
from workflows.rules import plausibility

CASE_WORKERS = (CASE_WORKER, SENIOR_CASE_WORKER)
PROVIDER_SIDE = (PROVIDER, HOMECOMING_TEAM, DEPUTY_MANAGER)
# Who reports which event (DESIGN.md "case-level": provider or case worker, by the rule).
REPORTERS: dict[str, tuple[str, ...]] = {
    SERVICE_ENDED: (PROVIDER, *CASE_WORKERS),  # END-1
    DEATH: (*PROVIDER_SIDE, *CASE_WORKERS, ON_CALL_SUPERVISOR),  # END-2: whoever learns first
    # END-3: the provider MAY register the whole case's pause alone (without the case worker);
    # a case worker who learns of it registers it too.
    PAUSE: (PROVIDER, *CASE_WORKERS),
    TIME_ADJUSTMENT: (PROVIDER,),  # END-6: the provider reports the difference
}
EVENT_LABELS = {
    SERVICE_ENDED: "Insats upphört",
    DEATH: "Dödsfall",
    PAUSE: "Uppehåll",
    TIME_ADJUSTMENT: "Tidsjustering",
}
MAX_MONTH_MINUTES = 31 * 24 * 60
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

Report = ServiceEndedReport | DeathReport | PauseReport | TimeAdjustmentReport


def death_ending(actor: Actor, died_on: date, event_process_id: str) -> CaseEnding:
    """END-2: how a death ends a process of the case (its orders end on ``died_on``), whether the
    API ends it or the process, started after the case was closed, ends itself."""
    return CaseEnding(
        actor=actor,
        event=DEATH,
        on=died_on,
        event_process_id=event_process_id,
        reason=f"Dödsfall den {died_on}: ärendets processer avslutas (END-2).",
    )


def check_reporter(event: str, report: Report, actor: Actor, case_provider: str | None) -> None:
    """PermissionError when ``actor`` may not report ``event`` on a case of ``case_provider``."""
    if actor.role not in REPORTERS[event]:
        raise PermissionError(f"Rollen {actor.role} rapporterar inte händelsen {event}.")
    if actor.role in (PROVIDER, DEPUTY_MANAGER) and event != DEATH and actor.org != case_provider:
        raise PermissionError(f"Ärendet hör till utföraren {case_provider}, inte {actor.org}.")


def month_start(month: str) -> date:
    """The first day of "YYYY-MM"; ValueError (Swedish) for anything else."""
    match = _MONTH.match(month)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise FieldError(f"Månaden ska anges som ÅÅÅÅ-MM (fick {month!r}).", "month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def check_report(report: Report, now: datetime, case_from: date | None = None) -> None:
    """What a report must hold: dates within the case's life and the calendar's years (no limit
    on how far back: CAL-7, a late registration raises a billing notice, it is not refused; at
    most a year ahead), no death or month in the future, the services it concerns, a period in
    order, minutes that make sense. ``case_from``: the local date the case existed from."""
    if isinstance(report, ServiceEndedReport):
        plausibility.check_date_in_case("ended_on", report.ended_on, now, case_from)
        if not [s for s in report.services if s.strip()]:
            raise FieldError("Ange vilka insatser som upphört (services).", "services")
    elif isinstance(report, DeathReport):
        plausibility.check_date_in_case("died_on", report.died_on, now, case_from)
        if report.died_on > calendar.local_date(now):
            raise FieldError(f"died_on ({report.died_on}) ligger i framtiden.", "died_on")
    elif isinstance(report, PauseReport):
        check_period(report.starts_on, report.ends_on, now, case_from)
        if report.scope == "services" and not [s for s in report.services if s.strip()]:
            raise FieldError("Ange vilka insatser som får uppehåll (services).", "services")
    else:
        first = month_start(report.month)
        plausibility.check_date_in_case("month", first, now, _month_of(case_from))
        if first > calendar.local_date(now):
            raise FieldError(f"Månaden {report.month} har inte börjat.", "month")
        for name in ("ordered_minutes", "performed_minutes"):
            minutes = getattr(report, name)
            if not 0 <= minutes <= MAX_MONTH_MINUTES:
                raise FieldError(f"{name} ska vara 0–{MAX_MONTH_MINUTES} minuter (fick {minutes}).", name)
        if report.ordered_minutes == report.performed_minutes:
            raise FieldError("Beställd och utförd tid är lika: ingen justering behövs.", "performed_minutes")


def _month_of(day: date | None) -> date | None:
    return day.replace(day=1) if day is not None else None


def check_period(starts_on: date, ends_on: date | None, now: datetime, case_from: date | None = None) -> None:
    """END-3: a pause period within the case's life, an end (if any) no earlier than the start."""
    plausibility.check_date_in_case("starts_on", starts_on, now, case_from)
    if ends_on is not None:
        plausibility.check_date_in_case("ends_on", ends_on, now, case_from)
        if ends_on < starts_on:
            raise FieldError(f"Uppehållet slutar ({ends_on}) före det börjar ({starts_on}).", "ends_on")


def check_end(ended_on: date, decision_starts: list[date], now: datetime, case_from: date | None) -> None:
    """END-1: the confirmed end lies within the case's life and not before any ended decision
    started (a decision cannot end before it starts)."""
    plausibility.check_date_in_case("ended_on", ended_on, now, case_from)
    latest = max(decision_starts, default=None)
    if latest is not None and ended_on < latest:
        raise FieldError(f"Slutdatumet ({ended_on}) ligger före beslutets start ({latest}).", "ended_on")


def feedback_due(reported_at: datetime, profile: Profile) -> datetime:
    """COM-1 / END-1 / END-3: the case worker answers a provider's report within 5 working days
    (CAL-4: the end of the 5th working day after the report's local date)."""
    return calendar.working_days_after(reported_at, profile.deadlines.feedback_working_days)


def period_text(starts_on: date, ends_on: date | None) -> str:
    return f"{starts_on}–{ends_on}" if ends_on is not None else f"från {starts_on} tills vidare"


def billing_concerns(report: Report) -> date:
    """CAL-7 / END-4: the date whose month a report's change concerns."""
    if isinstance(report, ServiceEndedReport):
        return report.ended_on
    if isinstance(report, DeathReport):
        return report.died_on
    if isinstance(report, PauseReport):
        return report.starts_on
    return month_start(report.month)
