"""Inputs of the follow-up cycle and the follow-up process: workflow inputs, signals, actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from workflows.model import Action, TimelineEntry, only_when
from workflows.profiles import Profile
from workflows.rules.follow_up import DecisionTerm, Form, Outcome, Reason
from workflows.rules.order import ServiceItem

# -- the cycle ---------------------------------------------------------------------------------


@dataclass
class DecisionGranted:
    """Signal: a decision of the case was recorded (or changed); keyed by ``decision_id``."""

    decision_id: str
    start_date: date
    end_date: date | None = None
    new_case: bool = False  # FU-2 / NEW-7
    services: list[str] = field(default_factory=list)
    kind: str = "care"


@dataclass
class DecisionEnded:
    """Signal: a decision ended on ``ended_on`` (services ended, END-1, END-2)."""

    decision_id: str
    ended_on: date


@dataclass
class FollowUpClosed:
    """Signal from a follow-up process when it closes: the cycle schedules the next one (FU-11)."""

    process_id: str
    held_on: date | None  # None: closed without a follow-up held (e.g. the case ended)
    outcome: str


@dataclass
class CycleCarry:
    """What a cycle hands to its next run on continue-as-new: its whole state."""

    decisions: list[DecisionTerm] = field(default_factory=list)
    last_follow_up: date | None = None
    follow_ups_started: int = 0
    current: str | None = None  # the running follow-up process
    current_due: date | None = None
    applied_keys: list[str] = field(default_factory=list)  # recent idempotency keys (update ids)
    timeline: list[TimelineEntry] = field(default_factory=list)  # the recent part
    effects_counter: int = 0
    runs: int = 1
    started_at: datetime | None = None
    journaled_due: date | None = None
    current_reason: str | None = None  # why the running follow-up was started (the board's reason)


@dataclass
class CycleInput:
    case_id: str
    profile: Profile
    case_worker_id: str | None = None
    provider_id: str | None = None
    carried: CycleCarry | None = None
    # Continue as new once the history is this long even without a closed follow-up.
    max_history_events: int = 2000


@dataclass
class NoHttpStart:
    """The cycle and the follow-up process are not started over ``POST /processes``."""


@dataclass(kw_only=True)
class StartNow(Action):
    """FU-1: a changed need, a complaint or other circumstances: the case worker starts a
    follow-up now, outside the schedule."""

    reason: str


# -- the follow-up process ---------------------------------------------------------------------


@dataclass
class FollowUpInput:
    case_id: str
    profile: Profile
    cycle_id: str
    due_on: date  # the follow-up is due at the end of this local date
    reason: Reason | Literal["unscheduled"]
    decisions: list[DecisionTerm] = field(default_factory=list)  # the living ones (FU-8 wording)
    case_worker_id: str | None = None
    provider_id: str | None = None
    number: int = 1
    unscheduled_reason: str = ""


@dataclass(kw_only=True)
class Plan(Action):
    """FU-4: when the follow-up is held; the report template goes to the provider's mailbox."""

    planned_at: datetime
    note: str = ""


@dataclass(kw_only=True)
class SubmitReport(Action):
    """FU-4: the provider's pre-follow-up report, five questions."""

    need_matches_order: bool
    need_reason: str = ""
    given_as_ordered: bool
    given_reason: str = ""
    fully_executed: bool
    executed_reason: str = ""
    provider_attends: bool
    attend_reason: str = ""
    other: str = ""


@dataclass(kw_only=True)
class ChooseForm(Action):
    """FU-6: home visit, phone or digital; without the provider, the person was told the
    provider's information is gathered another way."""

    form: Form
    provider_attends: bool
    person_told_other_way: bool = False


@dataclass(kw_only=True)
class NewDecision:
    """The new decision a follow-up led to, and the order it needs."""

    services: list[str]
    start_date: date
    end_date: date | None = None
    kind: Literal["care", "service", "safety_alarm", "meals", "night"] = "care"
    order_items: list[ServiceItem] = field(default_factory=list)  # none: no new order
    order_start_date: date | None = None
    order_other: str = ""  # COM-4


@dataclass(kw_only=True)
class Record(Action):
    """FU-7 (four quality questions, need and care plan), FU-10 (consent for this occasion) and
    the outcome (FU-8). ``occurred_at`` is when the follow-up was held."""

    gets_granted_help: bool
    takes_part_when: bool
    takes_part_how: bool
    feels_good: bool
    need_matches_order: bool
    care_plan_current: bool
    consent_needed: bool = False
    consent_asked: bool = False
    consent_given: bool | None = None
    outcome: Outcome
    new_decision: NewDecision | None = field(default=None, metadata=only_when("outcome", "new_decision"))
    ended_decision_ids: list[str] = field(
        default_factory=list, metadata=only_when("outcome", "services_ended")
    )
    ended_on: date | None = field(default=None, metadata=only_when("outcome", "services_ended"))
    note: str = ""
