"""Inputs of the urgent change process: the workflow input, the start request and one dataclass per action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from workflows.model import Action, Actor, only_when
from workflows.profiles import Profile
from workflows.rules.urgent_change import Kind, Outcome


@dataclass
class UrgentChangeInput:
    case_id: str
    profile: Profile
    provider_id: str
    reported_by: Actor
    kind: Kind
    started_at: datetime  # UC-3: the real moment the extra support began
    description: str
    person_can_contact: bool = True
    reported_for_person_reason: str = ""  # COM-6
    case_worker_id: str | None = None


@dataclass
class StartUrgentChange:
    """The HTTP body of ``POST /processes`` with type ``urgent-change`` (besides type and case_id)."""

    kind: Kind  # lasting (UC-1) or short (UC-2)
    started_at: datetime  # when the extra support actually began; may be in the past
    description: str  # what changed and what support was inserted
    # COM-6: false when the person cannot or will not contact the case worker; then the reason.
    person_can_contact: bool = True
    reported_for_person_reason: str = ""


@dataclass(kw_only=True)
class NotifyCaseWorker(Action):
    """UC-1 / UC-2: the provider tells the case worker (via the case workers' mailbox)."""

    message: str = ""


@dataclass(kw_only=True)
class NeedEnded(Action):
    """UC-2: the short need ended before day 4; ``occurred_at`` is when."""

    note: str = ""


@dataclass(kw_only=True)
class Respond(Action):
    """UC-4: the case worker's answer. ``decision_date`` is required when granted and must be the
    proposed date (state ``details.proposed_decision_date``); ``follow_up_on`` when booked."""

    outcome: Outcome
    decision_date: date | None = field(default=None, metadata=only_when("outcome", "granted"))
    services: list[str] = field(default_factory=list, metadata=only_when("outcome", "granted"))
    follow_up_on: date | None = field(default=None, metadata=only_when("outcome", "follow_up_booked"))
    note: str = ""


@dataclass(kw_only=True)
class Escalate(Action):
    """COM-7: the responsible case worker is absent; the reason for the extra priority."""

    reason: str
