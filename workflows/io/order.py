"""Inputs of the order process: the workflow input, the start request and one dataclass per action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from workflows.model import Action, Actor
from workflows.profiles import Profile
from workflows.rules import order as rules
from workflows.rules.order import ServiceItem


@dataclass
class OrderInput:
    case_id: str
    profile: Profile
    provider_id: str
    sent_by: Actor
    start_date: date  # the day the services are to start
    items: list[ServiceItem]
    other: str = ""  # COM-4: "övrigt", start-up information that is not in the investigation
    sent_at: datetime | None = None  # None: now
    case_worker_id: str | None = None
    decision_id: str | None = None
    # HT-6: when the services must have started, if a rule other than ORD-4 says so.
    execution_due: datetime | None = None
    # The role of the receiving unit's staff: a provider, or (HT-2/HT-4) the homecoming team.
    receiver_role: str = "provider"
    # ORD-2: the order formalises support already given since this local date (EXT-5: day 1;
    # HT-6: the discharge start day): the execution date may be from it, before the arrival.
    executed_since: date | None = None


@dataclass
class EndOrder:
    """The signal ``end_order``: the process that sent the order ends it, e.g. because the order
    moved to another unit (HT-3, HT-4, HT-5); the order's status becomes ended on ``ended_on``."""

    ended_on: date
    reason: str
    actor: Actor


@dataclass
class StartOrder:
    """The HTTP body of ``POST /processes`` with type ``order`` (besides type and case_id)."""

    start_date: date
    items: list[ServiceItem]
    other: str = ""  # COM-4
    provider_id: str | None = None  # default: the case's provider
    decision_id: str | None = None
    sent_at: datetime | None = None


@dataclass(kw_only=True)
class PhoneConfirmation(Action):
    """COM-3: who was phoned (by role) and their name; ``occurred_at`` is when."""

    phoned: rules.PhoneTarget
    phoned_name: str


@dataclass(kw_only=True)
class ConfirmOrder(Action):
    """ORD-1: the provider has received the order and starts planning with the person."""

    note: str = ""


@dataclass(kw_only=True)
class RegisterExecution(Action):
    """ORD-2: the date of the first visit actually performed."""

    execution_date: date


@dataclass(kw_only=True)
class ReportNotExecutable(Action):
    """ORD-3: why the provider cannot execute despite attempts."""

    reason: str
    contact_attempts: int = 0
    person_declined: bool = False


@dataclass(kw_only=True)
class ReviewNotExecuted(Action):
    """ORD-4: end the order as not executed, or tell the provider to execute it."""

    decision: Literal["end_not_executed", "execute"]
    note: str = ""


@dataclass(kw_only=True)
class CarePlanDone(Action):
    """ORD-5: the care plan (genomförandeplan) was made with the person."""

    done_on: date
