"""Types shared by every process: who acts, open tasks, the readable timeline, the state answer.

Actions are workflow updates; each carries an ``Actor`` and ``occurred_at``, the real-world moment
it refers to, so histories say who did what and deadlines count from the real event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from temporalio.exceptions import ApplicationError

# Roles of DESIGN.md (token claim `role`).
CASE_WORKER = "case_worker"
SENIOR_CASE_WORKER = "senior_case_worker"
PROVIDER = "provider"
HOMECOMING_TEAM = "homecoming_team"
ON_CALL_SUPERVISOR = "on_call_supervisor"
DEPUTY_MANAGER = "deputy_manager"
SUPERVISOR = "supervisor"
BILLING = "billing"
SYSTEM_ROLE = "system"  # the process itself: deadlines, escalations; no person acts
ROLES = (
    CASE_WORKER,
    SENIOR_CASE_WORKER,
    PROVIDER,
    HOMECOMING_TEAM,
    ON_CALL_SUPERVISOR,
    DEPUTY_MANAGER,
    SUPERVISOR,
    BILLING,
)
ROLE_LABELS = {
    CASE_WORKER: "biståndshandläggare",
    SENIOR_CASE_WORKER: "förste biståndshandläggare",
    PROVIDER: "hemtjänstutförare",
    HOMECOMING_TEAM: "hemgångsteam",
    ON_CALL_SUPERVISOR: "jourhavande arbetsledare",
    DEPUTY_MANAGER: "biträdande enhetschef",
    SUPERVISOR: "tillsyn",
    BILLING: "debiteringen",
}

# Error kinds carried as ApplicationError.type; the API maps them to HTTP statuses.
NOT_OPEN = "NotOpen"  # 409
FORBIDDEN = "Forbidden"  # 403
INVALID = "Invalid"  # 422


def not_open(message: str) -> ApplicationError:
    return ApplicationError(message, type=NOT_OPEN, non_retryable=True)


def forbidden(message: str) -> ApplicationError:
    return ApplicationError(message, type=FORBIDDEN, non_retryable=True)


class FieldError(ValueError):
    """A rule's refusal (its Swedish reason) about particular inputs: ``fields`` names them, a
    nested one dotted (``new_decision.services``), so that a form shows the reason next to each
    field it is about, not only above the form (issue 10). A plain ValueError names none."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


class FieldPermissionError(PermissionError):
    """A refusal (403) of what an input asks for, e.g. a provider choosing a mode of a process only
    the case worker starts: ``fields`` names the inputs, as FieldError does."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


def fields_of(error: BaseException) -> tuple[str, ...]:
    """The inputs a refusal is about (a FieldError's ``fields``; none for any other error)."""
    return tuple(str(name) for name in getattr(error, "fields", ()))


# The key of an Invalid ApplicationError's details that names its fields (``invalid``).
FIELDS_DETAIL = "fields"


def invalid(message: str, *fields: str) -> ApplicationError:
    """An Invalid refusal; ``fields``: the inputs it is about, carried in the error's details
    (``[{"fields": [...]}]``), where the API finds them (api.errors.refusal_fields)."""
    details = [{FIELDS_DETAIL: list(fields)}] if fields else []
    return ApplicationError(message, *details, type=INVALID, non_retryable=True)


@contextmanager
def rule_check() -> Iterator[None]:
    """In a validator: a pure rule's ValueError (its Swedish reason) rejects the action (422),
    naming the fields a FieldError names."""
    try:
        yield
    except ValueError as error:
        raise invalid(str(error), *fields_of(error)) from error


@dataclass
class Actor:
    user_id: str
    role: str
    name: str = ""
    org: str | None = None

    @property
    def label(self) -> str:
        who = self.name or self.user_id
        if self.role == SYSTEM_ROLE:
            return who
        return f"{who} ({ROLE_LABELS.get(self.role, self.role)})"


SYSTEM = Actor(user_id="system", role=SYSTEM_ROLE, name="Systemet")


# Field metadata: the field applies only when another field of the same input has a value (e.g.
# a new decision only with the outcome "new_decision"). The generated forms show it as such and
# leave it out of the body otherwise, so a value they propose for one outcome never reaches another.
ONLY_WHEN = "only_when"


def only_when(field_name: str, value: str | bool) -> dict[str, tuple[str, str | bool]]:
    """``dataclasses.field(metadata=only_when("outcome", "granted"))``."""
    return {ONLY_WHEN: (field_name, value)}


@dataclass(kw_only=True)
class Action:
    """The part every action shares; each action's input dataclass extends it."""

    actor: Actor
    occurred_at: datetime | None = None  # None: the moment the action was accepted


@dataclass
class OpenTask:
    """An open human step, as the HTTP contract shows it."""

    task_id: str
    action: str
    role: str
    org: str | None
    title: str
    due_at: datetime | None
    overdue: bool = False
    escalated_to: str | None = None


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    text: str  # Swedish: what a supervisor reads


@dataclass
class ProcessRef:
    """What identifies a running process in the read model and in search attributes."""

    process_id: str
    process_type: str
    case_id: str
    municipality: str
    case_worker_id: str | None = None
    provider_id: str | None = None


@dataclass
class ProcessState:
    """The answer to GET /processes/{id} and to every action."""

    process_id: str
    type: str
    case_id: str
    stage: str
    open_tasks: list[OpenTask] = field(default_factory=list)
    deadlines: dict[str, datetime] = field(default_factory=dict)
    deviations: list[str] = field(default_factory=list)
    outcome: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)


@dataclass
class DecisionInfo:
    decision_id: str
    kind: str  # care, service, safety_alarm, hsl, ...
    services: list[str] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class OrderInfo:
    """An order of the case that has not ended (sent, confirmed or executed)."""

    order_id: str
    provider_id: str
    start_date: date | None = None


@dataclass
class CaseInfo:
    """What a process may know of a case when it starts (no personal data beyond ids)."""

    case_id: str
    municipality: str
    profile: str
    case_worker_id: str | None = None
    provider_id: str | None = None
    decisions: list[DecisionInfo] = field(default_factory=list)
    created_at: datetime | None = None  # when the case was registered (UTC instant)
    orders: list[OrderInfo] = field(default_factory=list)  # the case's orders not ended


@dataclass
class StartContext:
    """Everything the API knows when a process is started over HTTP.

    ``case`` is None for processes that create their case (``CREATES_CASE``); then ``case_id`` is
    the id the API reserved for it.
    """

    case_id: str
    case: CaseInfo | None
    profile: Any  # workflows.profiles.Profile (kept Any to avoid an import cycle)
    actor: Actor
    now: datetime
