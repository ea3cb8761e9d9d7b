"""Inputs of the homecoming process: the workflow input, the start request and one dataclass per
action (HT-1..HT-6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from workflows.model import Action, Actor, only_when
from workflows.profiles import Profile
from workflows.rules.homecoming import Mode, Need, Origin
from workflows.rules.order import ServiceItem


@dataclass
class HomecomingInput:
    case_id: str
    profile: Profile
    started_by: Actor
    mode: Mode
    origin: Origin
    team_id: str  # the homecoming team's unit
    provider_id: str | None  # the chosen provider (HT-3/HT-4) or, in reverse, the case's provider
    decision_date: date
    night_help_minutes: int | None = None  # HT-2
    safety_alarm: bool = False  # HT-2
    meal_distribution: bool = False  # HT-2
    items: list[ServiceItem] = field(default_factory=list)  # HT-4: the regular decision's services
    night_district_id: str | None = None  # HT-2: the person's night district
    discharge_need: Need | None = None  # HT-6
    called_at: datetime | None = None  # HT-6
    case_worker_id: str | None = None
    # HT-5: the provider's orders running when the process started: they end while the team
    # holds the case, and a new order to the provider follows the hand-back.
    provider_orders: list[str] = field(default_factory=list)


@dataclass
class StartHomecoming:
    """The HTTP body of ``POST /processes`` with type ``homecoming`` (besides type and case_id).

    ``simplified`` (HT-2) and ``regular`` (HT-4) are started by the case worker; ``reverse`` (HT-5)
    by the case worker or the case's provider."""

    mode: Mode
    origin: Origin = "hospital_discharge"  # HT-1
    decision_date: date | None = None  # the decision's start date; default today
    night_help_minutes: int | None = None  # HT-2: night help's own time (min/month)
    safety_alarm: bool = False  # HT-2: a separate decision and an order to the alarm team
    meal_distribution: bool = False  # HT-2: a separate decision
    items: list[ServiceItem] = field(default_factory=list)  # HT-4: the regular decision's services
    chosen_provider_id: str | None = None  # default: the case's provider
    night_district_id: str | None = None  # default: the profile's night district
    # HT-6 (profile botkyrka, hospital discharge): unchanged need → when the hospital called the
    # provider; increased need → when the provider and the case worker were in contact.
    discharge_need: Need | None = None
    called_at: datetime | None = None


@dataclass(kw_only=True)
class SendTeamInfo(Action):
    """HT-4: the template information the team needs, sent as soon as possible after the decision."""

    information: str
    contacts: str = ""  # relatives, the hospital's contact, keys


@dataclass(kw_only=True)
class SendOrder(Action):
    """HT-2 / HT-4: the orders of the decision, each with its own "övrigt" (COM-4)."""

    start_date: date
    other: str = ""  # the team's order
    alarm_other: str = ""  # the alarm team's order (simplified, with a safety alarm)
    night_other: str = ""  # the night district's order (simplified, with night help)


@dataclass(kw_only=True)
class AnnounceHandover(Action):
    """HT-3 / HT-4: the team announces the handover. Simplified: ``handover_date``; regular:
    ``planned_at`` and the ``services`` to hand over (the template)."""

    handover_date: date | None = None
    planned_at: datetime | None = None
    services: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(kw_only=True)
class Dialogue(Action):
    """HT-3: the senior case worker's dialogue with the team about a late announcement."""

    note: str
    deviate_from_order: bool = False  # reason found to deviate from the ordinary order


@dataclass(kw_only=True)
class FollowUp(Action):
    """HT-3 / HT-4: the case worker follows up before the handover; a new home-care decision if
    needed (``services``, dated ``decision_date``, proposed: the handover date)."""

    contacted_person: bool = True
    new_decision: bool = False
    services: list[str] = field(default_factory=list, metadata=only_when("new_decision", True))
    decision_date: date | None = field(default=None, metadata=only_when("new_decision", True))
    note: str = ""


@dataclass(kw_only=True)
class MoveOrder(Action):
    """HT-3 / HT-4 / HT-5: the order moves to the chosen provider (or, HT-5, to the team and back),
    starting ``start_date``; the previous receiver's order ends that day."""

    provider_id: str | None = None  # default: the proposed receiver
    start_date: date
    items: list[ServiceItem]
    other: str = ""  # COM-4


@dataclass(kw_only=True)
class RequestTakeover(Action):
    """HT-5: the provider asks that the team takes over the case for a period, and why."""

    reason: str
    period_start: date
    period_end: date | None = None


@dataclass(kw_only=True)
class HandBack(Action):
    """HT-5: the provider says it is time for the order to move back, from ``back_on``."""

    back_on: date
    note: str = ""
