"""Read-model activities: the projection of every process, written idempotently.

Synchronous activities (run in the worker's thread pool) because the read model uses
synchronous SQLAlchemy sessions; each call is one short transaction that it commits itself.
``write_batch`` writes every effect of one reaction of a process in one transaction (the
processes' path since issue 9); the one-effect activities serve processes whose histories
were recorded before it (workflow.patched "read-model-batch").

A write the read model cannot hold fails non-retryably (ApplicationError of type
``READ_MODEL_REFUSED``, a Swedish reason without the data itself): a text longer than its column or
with a NUL character is refused before it reaches the database, the same on SQLite (which would
store it) and PostgreSQL (which refuses it), and so is an integrity or data error of the database.
Retrying cannot fix those; the process reports them to a person (workflows/effects.py). Everything
else (a lost connection, a locked database) is raised as it is and retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import String, inspect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.records import (
    BatchOutcome,
    BillingNoticeRecord,
    CaseAssignment,
    CaseClosure,
    CaseRecord,
    DecisionEnd,
    DecisionRecord,
    FollowUpEventRecord,
    FollowUpStage,
    JournalRecord,
    MessageRecord,
    OrderEnding,
    OrderRecord,
    ProcessRecord,
    ReadModelBatch,
    ReadModelWrite,
    Refusal,
    ScheduleRecord,
    TaskRecord,
)
from readmodel import models
from readmodel import repository as repo
from workflows import calendar
from workflows.io.case_event import DEATH

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

    def _write(self, apply: Callable[[Session, Any], None], record: Any) -> None:
        """One write in a transaction of its own (the activities of one effect each)."""
        with _refusals(), self._sessions.begin() as session:
            apply(session, record)

    @activity.defn
    def write_batch(self, batch: ReadModelBatch) -> BatchOutcome:
        """Every effect of one reaction, in order, in one transaction; idempotent by the keys the
        records carry (a retried batch rewrites its own rows). A write the read model refuses is
        left out and named in the outcome, never raised: the others are kept. When the database
        itself refuses a row at commit (or a process number is taken meanwhile), the transaction
        is rolled back and the writes are made one by one, in order, each refused one left out."""
        try:
            with self._sessions.begin() as session:
                refused = [
                    Refusal(index, reason)
                    for index, write in enumerate(batch.writes)
                    if (reason := _checked_apply(session, write)) is not None
                ]
            return BatchOutcome(refused)
        except (IntegrityError, DataError):
            pass
        refused = []
        for index, write in enumerate(batch.writes):
            kind, record = _the_record(write)
            try:
                self._write_one(kind, record)
            except ApplicationError as error:
                if error.type != READ_MODEL_REFUSED:
                    raise
                refused.append(Refusal(index, error.message))
        return BatchOutcome(refused)

    @activity.defn
    def record_process(self, record: ProcessRecord) -> None:
        with _refusals():
            for _ in range(SEQ_ATTEMPTS):
                try:
                    with self._sessions.begin() as session:
                        return _apply_process(session, record)
                except IntegrityError:
                    continue  # the number was taken meanwhile: the next attempt takes the next one
        raise refused(f"inget ledigt processnummer för {record.process_type} i ärendet.")

    @activity.defn
    def record_task(self, record: TaskRecord) -> None:
        self._write(APPLY["task"], record)

    @activity.defn
    def post_message(self, record: MessageRecord) -> None:
        self._write(APPLY["message"], record)

    @activity.defn
    def write_journal(self, record: JournalRecord) -> None:
        self._write(APPLY["journal"], record)

    @activity.defn
    def raise_billing_notice(self, record: BillingNoticeRecord) -> None:
        self._write(APPLY["billing"], record)

    @activity.defn
    def record_order(self, record: OrderRecord) -> None:
        self._write(APPLY["order"], record)

    @activity.defn
    def end_order(self, record: OrderEnding) -> None:
        self._write(APPLY["order_ending"], record)

    @activity.defn
    def record_decision(self, record: DecisionRecord) -> None:
        self._write(APPLY["decision"], record)

    @activity.defn
    def record_follow_up_event(self, record: FollowUpEventRecord) -> None:
        self._write(APPLY["follow_up_event"], record)

    @activity.defn
    def record_case(self, record: CaseRecord) -> None:
        self._write(APPLY["case"], record)

    @activity.defn
    def assign_case_worker(self, record: CaseAssignment) -> None:
        self._write(APPLY["assignment"], record)

    @activity.defn
    def case_closure(self, case_id: str) -> CaseClosure:
        """END-2: whether a death has closed the case, and the date of death. A process calls it
        once its own row is committed (``ProcessWorkflow._start``), in a transaction of its own:
        the death commits ``closed_at`` before it lists the running processes, so either that list
        holds the process or this read sees the case closed (api/case_closing.py)."""
        with self._sessions() as session:
            case = repo.get_case(session, case_id)
            if case is None or case.closed_at is None:
                return CaseClosure()
            death = repo.process_once_per_case(session, case_id, "case-event", DEATH)
            # Closed before ``died_on`` was recorded (migration 0005): the day it was closed.
            died_on = case.died_on or calendar.local_date(case.closed_at)
            return CaseClosure(died_on=died_on, death_process_id=death.id if death else "")

    def _write_one(self, kind: str, record: Any) -> None:
        """One write of a batch in a transaction of its own (the batch's fallback)."""
        single = self._single().get(kind)
        if single is not None:
            single(record)
        else:  # the follow-up board's kinds, whose one-effect activities are FollowUpActivities'
            self._write(APPLY[kind], record)

    def _single(self) -> dict[str, Callable[[Any], None]]:
        """The one-effect activity of each kind of write (a batch's fallback, one by one)."""
        return {
            "process": self.record_process,
            "task": self.record_task,
            "message": self.post_message,
            "journal": self.write_journal,
            "billing": self.raise_billing_notice,
            "order": self.record_order,
            "order_ending": self.end_order,
            "decision": self.record_decision,
            "follow_up_event": self.record_follow_up_event,
            "case": self.record_case,
            "assignment": self.assign_case_worker,
        }

    def all(self) -> list[Any]:
        """Every activity of this class, for the worker."""
        return [self.write_batch, self.case_closure, *self._single().values()]


# -- how each kind of record is written, in a session the caller commits ----------------------


def _upsert(model: type[models.Base], key: str) -> Callable[[Session, Any], None]:
    """Write the record's row by its key: merge() looks the primary key up first, so a retried
    write updates its own row."""

    def apply(session: Session, record: Any) -> None:
        row = model(id=getattr(record, key), **_without(record, key))
        check_row(row)
        session.merge(row)

    return apply


def _apply_process(session: Session, record: ProcessRecord) -> None:
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


def _apply_order_ending(session: Session, record: OrderEnding) -> None:
    order = session.get(models.Order, record.order_id)
    if order is not None:
        order.status = "ended"
        order.ended_on = record.ended_on


def _apply_case(session: Session, record: CaseRecord) -> None:
    row = models.Case(id=record.case_id, **_without(record, "case_id"))
    check_row(row)
    if session.get(models.Case, record.case_id) is None:
        session.add(row)


def _apply_assignment(session: Session, record: CaseAssignment) -> None:
    # Checked before the loaded row changes: a refused value must not reach the transaction.
    check_row(models.Case(id=record.case_id, case_worker_id=record.case_worker_id))
    case = session.get(models.Case, record.case_id)
    if case is not None:
        case.case_worker_id = record.case_worker_id


def _apply_schedule(session: Session, record: ScheduleRecord) -> None:
    """FU-9: the cycle's part of the board row; the stage only when the cycle sets one."""
    row = session.get(models.FollowUpSchedule, record.case_id)
    if row is None:
        row = models.FollowUpSchedule(case_id=record.case_id, stage=record.stage or "scheduled")
        session.add(row)
    row.cycle_id = record.cycle_id
    row.next_due = record.next_due
    row.reason = record.reason
    row.last_follow_up = record.last_follow_up
    row.follow_up_process_id = record.follow_up_process_id
    row.status = record.status
    row.updated_at = record.updated_at
    if record.stage is not None:
        row.stage = record.stage


def _apply_follow_up_stage(session: Session, record: FollowUpStage) -> None:
    """FU-9: the running follow-up's stage; ignored once the row names another follow-up."""
    row = session.get(models.FollowUpSchedule, record.case_id)
    if row is not None and row.follow_up_process_id == record.process_id:
        row.stage = record.stage
        row.updated_at = record.updated_at


def _apply_decision_end(session: Session, record: DecisionEnd) -> None:
    """The decision's status and end date; what was granted stays as it was."""
    row = session.get(models.Decision, record.decision_id)
    if row is not None and row.case_id == record.case_id:
        row.status = "ended"
        row.end_date = record.ended_on


# The writer of each kind of record, by the name of its field in ReadModelWrite.
APPLY: dict[str, Callable[[Session, Any], None]] = {
    "process": _apply_process,
    "task": _upsert(models.Task, "task_id"),
    "message": _upsert(models.Message, "key"),
    "journal": _upsert(models.JournalEntry, "key"),
    "billing": _upsert(models.BillingNotice, "key"),
    "order": _upsert(models.Order, "order_id"),
    "order_ending": _apply_order_ending,
    "decision": _upsert(models.Decision, "decision_id"),
    "follow_up_event": _upsert(models.FollowUpEvent, "key"),
    "case": _apply_case,
    "assignment": _apply_assignment,
    "schedule": _apply_schedule,
    "follow_up_stage": _apply_follow_up_stage,
    "decision_end": _apply_decision_end,
}


def _the_record(write: ReadModelWrite) -> tuple[str, Any]:
    """The kind and the record of a batch's write (the one field of ``APPLY`` that is set)."""
    for kind in APPLY:
        record = getattr(write, kind)
        if record is not None:
            return kind, record
    raise refused(f"tom skrivning i läsmodellen ({write.summary}).")


def _checked_apply(session: Session, write: ReadModelWrite) -> str | None:
    """Write one effect of a batch; the reason when it is refused before it reaches the database
    (nothing of it is then in the session)."""
    try:
        kind, record = _the_record(write)
        APPLY[kind](session, record)
    except ApplicationError as error:
        if error.type != READ_MODEL_REFUSED:
            raise
        return error.message
    return None


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
