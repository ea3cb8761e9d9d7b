"""Response models: the JSON shapes of the HTTP contract.

Every instant leaves the API through ``LocalTime``: ISO 8601 with the Europe/Stockholm offset
(CAL-2), whatever the offset it was stored or computed with. This is the one place that happens.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer

from workflows import calendar
from workflows.model import ProcessState


def _local_iso(instant: datetime) -> str:
    return calendar.local(instant).isoformat()


LocalTime = Annotated[datetime, PlainSerializer(_local_iso, return_type=str, when_used="json")]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TaskOut(Out):
    """An open task as DESIGN.md shows it."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    task_id: str = Field(validation_alias=AliasChoices("task_id", "id"))
    action: str
    role: str
    org: str | None
    title: str
    due_at: LocalTime | None
    overdue: bool = False
    escalated_to: str | None = None


class InboxTaskOut(TaskOut):
    process_id: str
    case_id: str

    def with_overdue(self, now: datetime) -> InboxTaskOut:
        """Overdue when the workflow marked it or its due time has passed (the escalation may lag)."""
        late = self.due_at is not None and self.due_at < now
        return self.model_copy(update={"overdue": self.overdue or late})


class TimelineEntryOut(Out):
    at: LocalTime
    actor: str
    text: str


class ProcessStateOut(Out):
    """A process: its stage, open tasks with deadlines, deviations and outcome."""

    process_id: str
    type: str
    case_id: str
    stage: str
    status: str = "running"
    open_tasks: list[TaskOut] = []
    deadlines: dict[str, LocalTime] = {}
    deviations: list[str] = []
    outcome: str | None = None
    details: dict[str, Any] = {}
    timeline: list[TimelineEntryOut] = []

    @classmethod
    def of(cls, state: ProcessState) -> ProcessStateOut:
        status = "completed" if state.stage == "closed" else "running"
        return cls.model_validate({**asdict(state), "status": status})


class HistoryEntryOut(Out):
    at: LocalTime
    when: str  # "2026-11-23 10:00", local time, for reading
    actor: str
    text: str


class HistoryOut(Out):
    process_id: str
    type: str
    case_id: str
    entries: list[HistoryEntryOut]


class DecisionOut(Out):
    id: str
    kind: str
    services: list[Any]
    start_date: date | None
    end_date: date | None
    status: str


class ProcessSummaryOut(Out):
    id: str
    type: str
    stage: str
    status: str
    outcome: str | None


class OrderOut(Out):
    id: str
    case_id: str
    provider_id: str
    sent_at: LocalTime
    start_date: date
    items: list[Any]
    other: str
    status: str
    confirmed_at: LocalTime | None
    execution_date: date | None
    care_plan_on: date | None
    ended_on: date | None


class CaseOut(Out):
    id: str
    person_name: str
    municipality: str
    profile: str
    case_worker_id: str | None
    provider_id: str | None
    created_at: LocalTime
    closed_at: LocalTime | None


class CaseDetailOut(CaseOut):
    processes: list[ProcessSummaryOut]
    decisions: list[DecisionOut]
    orders: list[OrderOut]
    open_tasks: list[InboxTaskOut]


class CreatedCaseOut(BaseModel):
    case_id: str


class MessageOut(Out):
    id: str
    mailbox: str
    case_id: str
    process_id: str | None
    sender: str
    subject: str
    body: str
    sent_at: LocalTime


class BillingNoticeOut(Out):
    id: str
    case_id: str
    process_id: str | None
    concerns: date
    deadline: LocalTime
    registered_at: LocalTime
    text: str


class TokenOut(BaseModel):
    token: str
