"""Inputs of the temporary extension (EXT-1..EXT-6): the workflow input, the start request and one
dataclass per action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from workflows.model import Action, Actor, only_when
from workflows.profiles import Profile
from workflows.rules.order import ServiceItem
from workflows.rules.temporary_extension import FollowUpOutcome


@dataclass
class TemporaryExtensionInput:
    case_id: str
    profile: Profile
    provider_id: str
    reported_by: Actor
    reported_at: datetime  # when the provider's notice was registered (UTC instant)
    started_on: date  # local date: day 1, when the provider first inserted the extra support
    inserted: str  # what support was inserted
    reason: str  # why
    case_worker_id: str | None = None


@dataclass
class StartTemporaryExtension:
    """The HTTP body of ``POST /processes`` with type ``temporary-extension`` (besides type and
    case_id): the provider's manager has inserted extra support under the 14-day agreement."""

    started_on: date  # day 1: the day the extra support was first inserted; not in the future
    inserted: str  # what was inserted, e.g. "Tillsyn två gånger per natt"
    reason: str  # why, e.g. "Urinvägsinfektion, orolig nattetid"


@dataclass(kw_only=True)
class ConfirmStart(Action):
    """EXT-2: the case worker confirms the start under the 14-day agreement (COM-1)."""

    note: str = ""


@dataclass(kw_only=True)
class ReportLasting(Action):
    """EXT-3: the provider judges the change will last more than 14 days; ``established_on`` is
    the local date that was established (due within a week of it)."""

    established_on: date
    message: str = ""


@dataclass(kw_only=True)
class FollowUp(Action):
    """EXT-4: the case worker's follow-up with the provider: did the need remain?"""

    outcome: FollowUpOutcome
    provider_contact: str  # whom at the provider the case worker spoke with
    note: str = ""


@dataclass(kw_only=True)
class RegisterApplication(Action):
    """EXT-5: the person's application for continued support (or that the person declines)."""

    received_on: date | None = None  # required unless declined
    declined: bool = False
    note: str = ""


@dataclass(kw_only=True)
class Decide(Action):
    """EXT-5: granted → the decision is back-dated to ``started_on`` (state
    ``details.proposed_decision_date``; None means that date) and the updated order gets ``items``."""

    granted: bool
    decision_date: date | None = field(default=None, metadata=only_when("granted", True))
    items: list[ServiceItem] = field(default_factory=list, metadata=only_when("granted", True))
    other: str = field(default="", metadata=only_when("granted", True))  # COM-4: for the updated order
    note: str = ""
