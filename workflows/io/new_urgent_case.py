"""Inputs of the new urgent case process: the workflow input, the start request and one dataclass
per action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from workflows.model import Action, Actor, only_when
from workflows.profiles import Profile
from workflows.rules.order import PhoneTarget, ServiceItem


@dataclass
class NewUrgentCaseInput:
    case_id: str
    profile: Profile
    # Personal data: passes through the history; the payload codec of DESIGN.md must encrypt it.
    person_name: str
    started_by: Actor
    provider_id: str  # the provider that performs the help (NEW-5: the default provider)
    reported_at: datetime | None = None  # when reported / granted; None: now
    help_started_at: datetime | None = None  # NEW-4: the decision is dated from this day
    granted_by_on_call: bool = False  # NEW-2
    unknown_person: bool = False  # NEW-5
    case_worker_id: str | None = None


@dataclass
class StartNewUrgentCase:
    """The HTTP body of ``POST /processes`` with type ``new-urgent-case`` (no case_id: it creates one)."""

    person_name: str
    help_started_at: datetime | None = None  # required for an on-call grant: help starts with it
    reported_at: datetime | None = None  # default: the grant (on-call) or now
    granted_by_on_call: bool = False  # NEW-2: only the on-call supervisor, only in on-call time
    unknown_person: bool = False  # NEW-5
    case_worker_id: str | None = None  # the responsible case worker; default the starting case worker
    provider_id: str | None = None  # default: the profile's default provider (ickevalsalternativ)


@dataclass(kw_only=True)
class TakeOver(Action):
    """NEW-1/NEW-2: the case worker takes responsibility for the new case."""

    note: str = ""


@dataclass(kw_only=True)
class PhoneProvider(Action):
    """NEW-3/ORD-6: the provider was phoned about continued help; ``occurred_at`` is when."""

    phoned_name: str
    phoned_role: PhoneTarget = "coordinator"


@dataclass(kw_only=True)
class Decide(Action):
    """NEW-4: granted help is dated from the day help started (the form proposes that date)."""

    granted: bool
    # None: the proposed date (NEW-4)
    decision_date: date | None = field(default=None, metadata=only_when("granted", True))
    services: list[str] = field(default_factory=list, metadata=only_when("granted", True))
    kind: Literal["care", "service"] = field(default="care", metadata=only_when("granted", True))
    note: str = ""


@dataclass(kw_only=True)
class SendOrder(Action):
    """NEW-3/ORD-6: the order for the decision; it continues as its own ``order`` process."""

    start_date: date
    items: list[ServiceItem]
    other: str = ""  # COM-4


@dataclass(kw_only=True)
class CloseCase(Action):
    """NEW-6: no continued need; the help given during the mandate stands."""

    note: str = ""
