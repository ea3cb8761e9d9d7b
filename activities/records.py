"""The inputs of the read-model activities: one dataclass per activity, no I/O.

Every record carries a deterministic key (workflow id + step), which is the row's primary key,
so a retried activity rewrites its own row and never adds a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class ProcessRecord:
    process_id: str
    process_type: str
    case_id: str
    stage: str
    status: str  # running | completed
    started_at: datetime
    outcome: str | None = None
    closed_at: datetime | None = None
    provider_id: str | None = None  # the unit the process works for
    # Every unit the process concerns (who may see it, issue 6 §5); None (records scheduled before
    # the unit set existed): ``provider_id``. Units are added, never removed.
    units: list[str] | None = None


@dataclass
class TaskRecord:
    task_id: str
    process_id: str
    case_id: str
    action: str
    role: str
    org: str | None
    title: str
    due_at: datetime | None
    status: str  # open | done | cancelled
    opened_at: datetime
    overdue: bool = False
    escalated_to: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


@dataclass
class MessageRecord:
    """A message to a function mailbox about exactly one case (COM-2)."""

    key: str
    mailbox: str
    case_id: str
    subject: str
    body: str
    sender: str
    sent_at: datetime
    process_id: str | None = None


@dataclass
class JournalRecord:
    key: str
    case_id: str
    journal: str  # authority | provider
    author: str
    text: str
    at: datetime
    process_id: str | None = None


@dataclass
class BillingNoticeRecord:
    """CAL-7: a change of month M registered after the 4th of M+1."""

    key: str
    case_id: str
    concerns: date
    deadline: datetime
    registered_at: datetime
    text: str
    process_id: str | None = None


@dataclass
class OrderRecord:
    order_id: str
    case_id: str
    provider_id: str
    sent_at: datetime
    start_date: date
    items: list[dict[str, Any]] = field(default_factory=list)
    other: str = ""
    status: str = "sent"
    confirmed_at: datetime | None = None
    execution_date: date | None = None
    care_plan_on: date | None = None
    ended_on: date | None = None


@dataclass
class DecisionRecord:
    decision_id: str
    case_id: str
    kind: str
    services: list[str] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None
    status: str = "active"
    process_id: str | None = None


@dataclass
class FollowUpEventRecord:
    key: str
    case_id: str
    text: str
    decision_id: str | None = None
    held_on: date | None = None
    due_on: date | None = None
    process_id: str | None = None


@dataclass
class CaseRecord:
    """A case created by a process (the new urgent case, NEW-*)."""

    case_id: str
    person_name: str
    municipality: str
    profile: str
    created_at: datetime
    case_worker_id: str | None = None
    provider_id: str | None = None


@dataclass
class CaseAssignment:
    """The case worker who has taken responsibility for a case (NEW-1: after the take-over)."""

    case_id: str
    case_worker_id: str


@dataclass
class OrderEnding:
    """An order ended by the process that sent it, after the order's own process has closed
    (HT-3/HT-4/HT-5: the order moved to another unit)."""

    order_id: str
    ended_on: date


@dataclass
class ScheduleRecord:
    """FU-9: the follow-up cycle's board row of a case (the cycle's part of it)."""

    case_id: str
    cycle_id: str
    next_due: date | None
    reason: str | None
    last_follow_up: date | None
    follow_up_process_id: str | None
    stage: str | None  # None: leave the stage the follow-up process wrote
    status: str
    updated_at: datetime


@dataclass
class FollowUpStage:
    """FU-9: the stage of the running follow-up on its case's board row."""

    case_id: str
    process_id: str
    stage: str
    updated_at: datetime


@dataclass
class DecisionEnd:
    """A decision ends on a date (services ended after a follow-up, END-1, END-2)."""

    decision_id: str
    case_id: str
    ended_on: date


@dataclass
class ReadModelWrite:
    """One effect of a batch (``ReadModelActivities.write_batch``): exactly one record is set.

    ``summary`` names the effect to a person if the read model refuses it ("Uppgift: ...");
    ``report`` marks the message that reports an earlier refusal, whose own refusal is not
    reported again."""

    summary: str
    report: bool = False
    process: ProcessRecord | None = None
    task: TaskRecord | None = None
    message: MessageRecord | None = None
    journal: JournalRecord | None = None
    billing: BillingNoticeRecord | None = None
    order: OrderRecord | None = None
    order_ending: OrderEnding | None = None
    decision: DecisionRecord | None = None
    follow_up_event: FollowUpEventRecord | None = None
    case: CaseRecord | None = None
    assignment: CaseAssignment | None = None
    # The follow-up board and the end of decisions (FU-9, END-1), batched since the change
    # "follow-up-board-batch" (workflows/follow_up_effects.py).
    schedule: ScheduleRecord | None = None
    follow_up_stage: FollowUpStage | None = None
    decision_end: DecisionEnd | None = None


@dataclass
class ReadModelBatch:
    """Every effect one reaction of a process produced, in the order produced."""

    process_id: str
    writes: list[ReadModelWrite] = field(default_factory=list)


@dataclass
class Refusal:
    """A write of a batch the read model refused (retrying cannot help): its index and why."""

    index: int
    reason: str


@dataclass
class BatchOutcome:
    """What became of a batch: every write but the refused ones is in the read model."""

    refused: list[Refusal] = field(default_factory=list)


@dataclass
class CaseClosure:
    """END-2: whether the process's case has been closed by a death, read right after the process
    first wrote its own row. ``died_on`` is None while the case is open."""

    died_on: date | None = None
    death_process_id: str = ""  # the death's case-event process, when known
