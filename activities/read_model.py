"""Read-model activities: the projection of every process, written idempotently.

Synchronous activities (run in the worker's thread pool) because the read model uses
synchronous SQLAlchemy sessions; each call is one short transaction that it commits itself.

A write the read model cannot hold fails non-retryably (ApplicationError of type
``READ_MODEL_REFUSED``, a Swedish reason without the data itself): a text longer than its column or
with a NUL character is refused before it reaches the database, the same on SQLite (which would
store it) and PostgreSQL (which refuses it), and so is an integrity or data error of the database.
Retrying cannot fix those; the process reports them to a person (workflows/effects.py). Everything
else (a lost connection, a locked database) is raised as it is and retried.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import String, inspect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import (
    BillingNoticeRecord,
    CaseAssignment,
    CaseRecord,
    DecisionRecord,
    FollowUpEventRecord,
    JournalRecord,
    MessageRecord,
    OrderEnding,
    OrderRecord,
    ProcessRecord,
    TaskRecord,
)
from readmodel import models
from readmodel import repository as repo

READ_MODEL_REFUSED = "ReadModelRefused"
# A process row created by its workflow takes the next free number; a concurrent start through the
# API may take the same one first, then the next is tried.
SEQ_ATTEMPTS = 20


def refused(reason: str) -> ApplicationError:
    return ApplicationError(reason, type=READ_MODEL_REFUSED, non_retryable=True)


@contextmanager
def _refusals() -> Iterator[None]:
    """The database's refusals, which a retry cannot fix, as non-retryable errors (no data in them)."""
    try:
        yield
    except IntegrityError as error:
        raise refused(f"läsmodellen vägrade raden (integritetsfel, {type(error.orig).__name__}).") from None
    except DataError as error:
        raise refused(f"läsmodellen vägrade ett värde ({type(error.orig).__name__}).") from None


def check_row(row: models.Base) -> None:
    """Refuse what the database cannot hold, the same on every database: a text longer than its
    column, or a NUL character in any text (also inside JSON)."""
    table = row.__tablename__
    for column in inspect(type(row)).columns:
        value = getattr(row, column.key, None)
        length = column.type.length if isinstance(column.type, String) else None
        if isinstance(value, str) and length is not None and len(value) > length:
            raise refused(f"fältet {table}.{column.key} rymmer högst {length} tecken (fick {len(value)}).")
        if _has_nul(value):
            raise refused(f"fältet {table}.{column.key} innehåller ett otillåtet tecken (NUL).")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class ReadModelActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _upsert(self, row: models.Base) -> None:
        # merge() looks the primary key up first: a retried activity updates its own row.
        check_row(row)
        with _refusals(), self._sessions.begin() as session:
            session.merge(row)

    @activity.defn
    def record_process(self, record: ProcessRecord) -> None:
        with _refusals():
            for _ in range(SEQ_ATTEMPTS):
                try:
                    return self._record_process(record)
                except IntegrityError:
                    continue  # the number was taken meanwhile: the next attempt takes the next one
        raise refused(f"inget ledigt processnummer för {record.process_type} i ärendet.")

    def _record_process(self, record: ProcessRecord) -> None:
        with self._sessions.begin() as session:
            row = session.get(models.Process, record.process_id)
            if row is None:
                # Started outside the API (tests, schedules, child processes): the number its id
                # names when that is free, else the next free one (e.g. ``order/x-1-v1``).
                row = models.Process(
                    id=record.process_id,
                    case_id=record.case_id,
                    type=record.process_type,
                    seq=_free_seq(session, record),
                    started_at=record.started_at,
                )
                check_row(row)
                session.add(row)
            row.stage = record.stage
            row.status = record.status
            row.outcome = record.outcome
            row.closed_at = record.closed_at
            if record.status == "completed" and row.unique_key == repo.RUNNING_KEY:
                row.unique_key = None  # one running per case: the next may start
            row.provider_id = record.provider_id or row.provider_id
            units = record.units if record.units is not None else [record.provider_id or ""]
            session.flush()
            repo.add_process_units(session, row.id, [u for u in units if u])

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
    def end_order(self, record: OrderEnding) -> None:
        with self._sessions.begin() as session:
            order = session.get(models.Order, record.order_id)
            if order is not None:
                order.status = "ended"
                order.ended_on = record.ended_on

    @activity.defn
    def record_decision(self, record: DecisionRecord) -> None:
        self._upsert(models.Decision(id=record.decision_id, **_without(record, "decision_id")))

    @activity.defn
    def record_follow_up_event(self, record: FollowUpEventRecord) -> None:
        self._upsert(models.FollowUpEvent(id=record.key, **_without(record, "key")))

    @activity.defn
    def record_case(self, record: CaseRecord) -> None:
        row = models.Case(id=record.case_id, **_without(record, "case_id"))
        check_row(row)
        with _refusals(), self._sessions.begin() as session:
            if session.get(models.Case, record.case_id) is None:
                session.add(row)

    @activity.defn
    def assign_case_worker(self, record: CaseAssignment) -> None:
        with _refusals(), self._sessions.begin() as session:
            case = session.get(models.Case, record.case_id)
            if case is not None:
                case.case_worker_id = record.case_worker_id
                check_row(case)

    def all(self) -> list[Any]:
        """Every activity of this class, for the worker."""
        return [
            self.record_process,
            self.record_task,
            self.post_message,
            self.write_journal,
            self.raise_billing_notice,
            self.record_order,
            self.end_order,
            self.record_decision,
            self.record_follow_up_event,
            self.record_case,
            self.assign_case_worker,
        ]


def _without(record: Any, key: str) -> dict[str, Any]:
    fields = asdict(record)
    fields.pop(key)
    return fields


def _free_seq(session: Session, record: ProcessRecord) -> int:
    tail = record.process_id.rsplit("/", 1)[-1]
    named = int(tail) if tail.isdigit() else None
    if named is not None and not repo.process_seq_taken(session, record.case_id, record.process_type, named):
        return named
    return repo.max_process_seq(session, record.case_id, record.process_type) + 1
