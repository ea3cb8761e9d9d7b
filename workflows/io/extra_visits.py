"""Inputs of the extra visits process: the workflow input, the start request and one dataclass per action."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workflows.model import Action, Actor, only_when
from workflows.profiles import Profile
from workflows.rules import extra_visits as rules
from workflows.rules.order import ItemKind


@dataclass
class ExtraVisitsInput:
    case_id: str
    profile: Profile
    provider_id: str
    month: str  # "YYYY-MM"
    started_by: Actor
    case_worker_id: str | None = None


@dataclass
class StartExtraVisits:
    """The HTTP body of ``POST /processes`` with type ``extra-visits`` (besides type and case_id)."""

    month: str  # "YYYY-MM", e.g. "2026-11"


@dataclass(kw_only=True)
class RegisterVisit(Action):
    """UC-5: one extra visit, or extra services on an ordinary visit, with the reason."""

    visit_date: date
    kind: rules.VisitKind
    services: list[str]
    reason: str  # the note of type "Extra insatser"
    minutes: int | None = None  # required for extra_on_ordinary
    note_type: str = rules.NOTE_TYPE


@dataclass
class VisitDecision:
    """The case worker's decision on one pending visit."""

    visit_id: str
    decision: rules.ReviewDecision
    question: str = field(default="", metadata=only_when("decision", "question"))  # required then
    # only with "approve": the need lasts, a new order follows, its items of this kind
    lasting_need: bool = field(default=False, metadata=only_when("decision", "approve"))
    item_kind: ItemKind = field(default="service", metadata=only_when("decision", "approve"))
    note: str = ""


@dataclass(kw_only=True)
class Review(Action):
    """UC-5: the weekly review of the extra visits pending review."""

    decisions: list[VisitDecision] = field(default_factory=list)
    note: str = ""


@dataclass(kw_only=True)
class AnswerQuestion(Action):
    """UC-5: the provider's answer to a questioned extra visit."""

    visit_id: str
    answer: str
