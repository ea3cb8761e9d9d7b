"""Read-model activities: the projection of every process, written idempotently.

Synchronous activities (run in the worker's thread pool) because the read model uses
synchronous SQLAlchemy sessions; each call is one short transaction that it commits itself.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.records import (
    BillingNoticeRecord,
    CaseAssignment,
    CaseRecord,
    DecisionRecord,
    FollowUpEventRecord,
    JournalRecord,
    MessageRecord,
    OrderRecord,
    ProcessRecord,
    TaskRecord,
)
from readmodel import models


class ReadModelActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _upsert(self, row: Any) -> None:
        # merge() looks the primary key up first: a retried activity updates its own row.
        with self._sessions.begin() as session:
            session.merge(row)

    @activity.defn
    def record_process(self, record: ProcessRecord) -> None:
        with self._sessions.begin() as session:
            row = session.get(models.Process, record.process_id)
            if row is None:
                # Started outside the API (tests, schedules, child processes): take the next number.
                row = models.Process(
                    id=record.process_id,
                    case_id=record.case_id,
                    type=record.process_type,
                    seq=_seq_from_id(record.process_id) or _next_seq(session, record),
                    started_at=record.started_at,
                )
                session.add(row)
            row.stage = record.stage
            row.status = record.status
            row.outcome = record.outcome
            row.closed_at = record.closed_at

    @activity.defn
    def record_task(self, record: TaskRecord) -> None:
        self._upsert(models.Task(id=record.task_id, **_without(record, "task_id")))

    @activity.defn
    def post_message(self, record: MessageRecord) -> None:
        self._upsert(models.Message(id=record.key, **_without(record, "key")))

    @activity.defn
    def write_journal(self, record: JournalRecord) -> None:
        self._upsert(models.JournalEntry(id=record.key, **_without(record, "key")))

    @activity.defn
    def raise_billing_notice(self, record: BillingNoticeRecord) -> None:
        self._upsert(models.BillingNotice(id=record.key, **_without(record, "key")))

    @activity.defn
    def record_order(self, record: OrderRecord) -> None:
        self._upsert(models.Order(id=record.order_id, **_without(record, "order_id")))

    @activity.defn
    def record_decision(self, record: DecisionRecord) -> None:
        self._upsert(models.Decision(id=record.decision_id, **_without(record, "decision_id")))

    @activity.defn
    def record_follow_up_event(self, record: FollowUpEventRecord) -> None:
        self._upsert(models.FollowUpEvent(id=record.key, **_without(record, "key")))

    @activity.defn
    def record_case(self, record: CaseRecord) -> None:
        with self._sessions.begin() as session:
            if session.get(models.Case, record.case_id) is None:
                session.add(models.Case(id=record.case_id, **_without(record, "case_id")))

    @activity.defn
    def assign_case_worker(self, record: CaseAssignment) -> None:
        with self._sessions.begin() as session:
            case = session.get(models.Case, record.case_id)
            if case is not None:
                case.case_worker_id = record.case_worker_id

    def all(self) -> list[Any]:
        """Every activity of this class, for the worker."""
        return [
            self.record_process,
            self.record_task,
            self.post_message,
            self.write_journal,
            self.raise_billing_notice,
            self.record_order,
            self.record_decision,
            self.record_follow_up_event,
            self.record_case,
            self.assign_case_worker,
        ]


def _without(record: Any, key: str) -> dict[str, Any]:
    fields = asdict(record)
    fields.pop(key)
    return fields


def _seq_from_id(process_id: str) -> int | None:
    tail = process_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _next_seq(session: Session, record: ProcessRecord) -> int:
    """A process id without a number (``case-1/order/follow-up-2``, ``case-1/follow-up-cycle``)
    takes the next free number of its type, so (case_id, type, seq) stays unique."""
    query = select(func.max(models.Process.seq)).where(
        models.Process.case_id == record.case_id, models.Process.type == record.process_type
    )
    return (session.scalar(query) or 0) + 1
