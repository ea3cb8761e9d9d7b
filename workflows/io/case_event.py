"""Case-level events (END-1..END-6, CAL-7, COM-5): the reports of ``POST /cases/{case_id}/events``,
the ``case-event`` process's input and actions, and the update every process accepts when a case
event ends it (``CaseEnding``, END-2).

One dataclass per event type (the HTTP body's fields besides ``type``; the forms are generated
from them): ``service_ended`` (END-1), ``death`` (END-2), ``pause`` (END-3), ``time_adjustment``
(END-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from workflows.model import Action, Actor, DecisionInfo
from workflows.profiles import Profile

SERVICE_ENDED = "service_ended"
DEATH = "death"
PAUSE = "pause"
TIME_ADJUSTMENT = "time_adjustment"
EventType = Literal["service_ended", "death", "pause", "time_adjustment"]

# END-6: the services outside the frame time (rules.follow_up.OUTSIDE_FRAME_TIME, as a type).
OutsideFrameTime = Literal[
    "night_help", "digital_supervision", "self_care", "escort", "relief", "meal_distribution"
]


@dataclass
class ServiceEndedReport:
    """END-1: services ended; ``ended_on`` is the date they were last performed (or, told by the
    case worker, the date the need ends). The case worker confirms with the person."""

    ended_on: date
    services: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class DeathReport:
    """END-2: whoever learns first reports the date of death; every process of the case closes."""

    died_on: date
    note: str = ""


@dataclass
class PauseReport:
    """END-3: a pause of the whole case (``scope`` case, by the provider alone, e.g. a hospital
    stay) or of single services (``scope`` services: the case worker confirms the period)."""

    scope: Literal["case", "services"]
    starts_on: date
    ends_on: date | None = None  # None: until further notice
    services: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class TimeAdjustmentReport:
    """END-6: ordered and performed time differ for a service outside the frame time in ``month``
    ("YYYY-MM"); the case worker handles it within 5 working days."""

    service: OutsideFrameTime
    month: str
    ordered_minutes: int
    performed_minutes: int
    reason: str = ""


REPORTS: dict[str, type[object]] = {
    SERVICE_ENDED: ServiceEndedReport,
    DEATH: DeathReport,
    PAUSE: PauseReport,
    TIME_ADJUSTMENT: TimeAdjustmentReport,
}


@dataclass
class CaseEventInput:
    """The ``case-event`` process: one reported event of a case, exactly one report set."""

    case_id: str
    profile: Profile
    event: str
    reported_by: Actor
    reported_at: datetime
    case_worker_id: str | None = None
    provider_id: str | None = None
    decisions: list[DecisionInfo] = field(default_factory=list)  # the case's active decisions
    open_orders: list[str] = field(default_factory=list)  # orders of the case not yet ended
    service_ended: ServiceEndedReport | None = None
    death: DeathReport | None = None
    pause: PauseReport | None = None
    time_adjustment: TimeAdjustmentReport | None = None
    # The local date the case existed from (its registration or an earlier decision): no event
    # date lies before it (None in processes started before it was known).
    case_from: date | None = None


@dataclass
class NoHttpStart:
    """The ``case-event`` process is started by ``POST /cases/{case_id}/events``, never by
    ``POST /processes``."""


# -- the case-event process's actions ---------------------------------------------------------


@dataclass(kw_only=True)
class ConfirmEnd(Action):
    """END-1: the case worker has confirmed with the person and back-dates the end to ``ended_on``;
    the decisions and orders listed end (COM-5: the provider is told)."""

    ended_on: date
    confirmed_with_person: bool = False
    ended_decision_ids: list[str] = field(default_factory=list)
    ended_order_ids: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(kw_only=True)
class ConfirmPause(Action):
    """END-3: the case worker has confirmed the pause period of single services with the person."""

    starts_on: date
    ends_on: date | None = None
    confirmed_with_person: bool = False
    note: str = ""


@dataclass(kw_only=True)
class HandleTimeAdjustment(Action):
    """END-6: the case worker's handling of a reported time difference."""

    approved: bool = False
    adjusted_minutes: int | None = None  # the time that applies; default the performed time
    note: str = ""


# -- the update every process accepts -----------------------------------------------------------


@dataclass(kw_only=True)
class CaseEnding(Action):
    """END-2: a case event ends the process: open steps are cancelled, the outcome is recorded and
    no deadline fires any more. ``on`` is the date the event concerns (orders end that date)."""

    event: str
    on: date
    event_process_id: str = ""
    reason: str = ""

    @property
    def outcome(self) -> str:
        return f"ended_by_{self.event}"
