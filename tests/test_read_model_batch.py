"""Issue 9: every effect of one reaction is written by one batch, in one transaction, in order,
idempotently (a retried batch rewrites its own rows); a refused write is left out and the others
are kept. On SQLite and PostgreSQL.

The activity is driven directly (a batch written twice, a batch with refused rows), and through a
whole order process whose every batch "loses its connection" right after committing, so that
Temporal runs it again: the read model ends exactly as with a worker that never failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.read_model import ReadModelActivities
from activities.records import (
    BatchOutcome,
    JournalRecord,
    MessageRecord,
    ProcessRecord,
    ReadModelBatch,
    ReadModelWrite,
    Refusal,
    TaskRecord,
)
from readmodel import models
from runtime.settings import Settings
from runtime.worker import build_worker
from tests.engine_support import BACKENDS, CLEANING, new_case, order_input, read_model, rows
from tests.support import PROVIDER, scenario_server, start, sthlm
from workflows.io.order import CarePlanDone, RegisterExecution
from workflows.order import OrderWorkflow

AT = sthlm(2026, 11, 23, 9, 30)


def _task(process_id: str, case_id: str, status: str) -> TaskRecord:
    return TaskRecord(
        task_id=f"{process_id}/confirm/1",
        process_id=process_id,
        case_id=case_id,
        action="confirm",
        role="provider",
        org="hemtjanst-nord",
        title="Bekräfta mottagen beställning",
        due_at=AT,
        status=status,
        opened_at=AT,
        closed_at=AT if status == "done" else None,
    )


def _message(process_id: str, case_id: str, n: int, body: str) -> MessageRecord:
    return MessageRecord(
        key=f"{process_id}/message/{n}",
        mailbox="case-workers",
        case_id=case_id,
        subject=f"Meddelande {n}",
        body=body,
        sender="Systemet",
        sent_at=AT,
        process_id=process_id,
    )


def _batch(case_id: str, *, missing_case: str | None = None) -> ReadModelBatch:
    """A reaction: the process row, a task opened and (later in the same reaction) done, three
    messages (the second with a NUL, which no database may hold), a journal entry; with
    ``missing_case`` also a message about a case that does not exist (the database refuses it)."""
    process_id = f"case-{case_id}/order/1"
    writes = [
        ReadModelWrite(
            summary="Läge: sent",
            process=ProcessRecord(process_id, "order", case_id, "sent", "running", AT),
        ),
        ReadModelWrite(summary="Uppgift öppen", task=_task(process_id, case_id, "open")),
        ReadModelWrite(summary="Meddelande 1", message=_message(process_id, case_id, 1, "Första")),
        ReadModelWrite(summary="Meddelande 2", message=_message(process_id, case_id, 2, "Port\x00kod")),
        ReadModelWrite(summary="Uppgift utförd", task=_task(process_id, case_id, "done")),
        ReadModelWrite(
            summary="Journal",
            journal=JournalRecord(f"{process_id}/journal/4", case_id, "authority", "Systemet", "Text", AT),
        ),
    ]
    if missing_case is not None:
        writes.append(
            ReadModelWrite(summary="Meddelande 5", message=_message(process_id, missing_case, 5, "Femte"))
        )
    writes.append(ReadModelWrite(summary="Meddelande 6", message=_message(process_id, case_id, 6, "Sjätte")))
    return ReadModelBatch(process_id=process_id, writes=writes)


def _snapshot(sessions: sessionmaker[Session], case_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the case, without the case id, in key order."""

    def strip(value: Any) -> Any:
        return value.replace(case_id, "CASE") if isinstance(value, str) else value

    tables: dict[str, tuple[type[Any], tuple[str, ...]]] = {
        "processes": (models.Process, ("id", "type", "seq", "stage", "status", "outcome")),
        "tasks": (models.Task, ("id", "action", "status", "overdue", "escalated_to", "closed_by")),
        "messages": (models.Message, ("id", "mailbox", "subject", "body")),
        "journal": (models.JournalEntry, ("id", "journal", "author", "text")),
        "orders": (models.Order, ("id", "status", "execution_date", "care_plan_on")),
        "billing": (models.BillingNotice, ("id", "concerns", "text")),
    }
    return {
        name: sorted(
            tuple(strip(getattr(row, c)) for c in columns) for row in rows(sessions, model, case_id=case_id)
        )
        for name, (model, columns) in tables.items()
    }


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with read_model(request.param, tmp_path) as factory:
        yield factory


def test_a_batch_written_twice_leaves_the_same_rows_and_its_last_write_of_a_row_wins(
    sessions: sessionmaker[Session],
) -> None:
    """Issue 9: a retried batch rewrites its own rows (no duplicates), in order (the task opened
    then done in one reaction reads done), and the refused message (index 3) is left out, named."""
    case_id = new_case(sessions, "batch")
    activities = ReadModelActivities(sessions)
    batch = _batch(case_id)
    refused = Refusal(3, "fältet messages.body innehåller ett otillåtet tecken (NUL).")
    assert activities.write_batch(batch) == BatchOutcome([refused])
    first = _snapshot(sessions, case_id)
    assert activities.write_batch(batch) == BatchOutcome([refused])
    assert _snapshot(sessions, case_id) == first
    assert [status for _, _, status, *_ in first["tasks"]] == ["done"]
    assert [subject for _, _, subject, _ in first["messages"]] == ["Meddelande 1", "Meddelande 6"]
    assert [(stage, seq) for _, _, seq, stage, *_ in first["processes"]] == [("sent", 1)]
    assert len(first["journal"]) == 1


def test_a_row_the_database_refuses_at_commit_loses_none_of_the_others(
    sessions: sessionmaker[Session],
) -> None:
    """Issue 9: a message about a case that does not exist fails the transaction (foreign key);
    the batch is written again one write at a time: only that message and the NUL one are out."""
    case_id = new_case(sessions, "batch-fk")
    outcome = ReadModelActivities(sessions).write_batch(_batch(case_id, missing_case=f"none-{uuid.uuid4()}"))
    assert [refusal.index for refusal in outcome.refused] == [3, 6]
    assert outcome.refused[1].reason.startswith("läsmodellen vägrade raden (integritetsfel")
    snapshot = _snapshot(sessions, case_id)
    assert [subject for _, _, subject, _ in snapshot["messages"]] == ["Meddelande 1", "Meddelande 6"]
    assert [status for _, _, status, *_ in snapshot["tasks"]] == ["done"]
    assert len(snapshot["journal"]) == 1 and len(snapshot["processes"]) == 1


class _CommitThenFail(ReadModelActivities):
    """Every batch is committed, and then its first attempt fails as if the connection was lost
    before the worker could report it: Temporal runs the batch again."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__(sessions)
        self.failed = 0

    @activity.defn(name="write_batch")
    def write_batch(self, batch: ReadModelBatch) -> BatchOutcome:
        outcome = super().write_batch(batch)
        if activity.info().attempt == 1:
            self.failed += 1
            raise ConnectionError("förbindelsen bröts efter commit")
        return outcome


async def _order_to_its_end(sessions: sessionmaker[Session], read: ReadModelActivities | None) -> str:
    """ORD-1..ORD-5: an order sent Mon 16/11 for Fri 20/11, registered on Mon 23/11 09:30 (its
    confirmation long overdue: escalated, messages), executed 20/11, its care plan done 23/11."""
    async with scenario_server(AT) as env:
        case_id = new_case(sessions, "batch-retry")
        queue = f"batch-{uuid.uuid4()}"
        async with build_worker(
            env.client, Settings(), sessions, task_queue=queue, read_model=read
        ) as worker:
            inp = order_input(case_id, sthlm(2026, 11, 16, 10, 0), date(2026, 11, 20), items=CLEANING)
            handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            assert state.stage == "sent"
            executed = RegisterExecution(actor=PROVIDER, execution_date=date(2026, 11, 20))
            await handle.execute_update(OrderWorkflow.register_execution, executed)
            done = CarePlanDone(actor=PROVIDER, done_on=date(2026, 11, 23))
            state = await handle.execute_update(OrderWorkflow.care_plan_done, done)
            assert state.stage == "closed"
    return case_id


async def test_an_order_whose_every_batch_is_retried_after_commit_ends_with_the_rows_of_one_that_never_failed(
    sessions: sessionmaker[Session],
) -> None:
    """Issue 9 (ORD-1..ORD-5 as the scenario): no effect lost, none doubled, none reordered."""
    expected = _snapshot(sessions, await _order_to_its_end(sessions, None))
    flaky = _CommitThenFail(sessions)
    retried = _snapshot(sessions, await _order_to_its_end(sessions, flaky))
    # one batch per reaction: the start (in two: its own row first, then, once it has read that its
    # case is not closed, END-2, the rest), the execution, the care plan with the close; each ran twice
    assert flaky.failed == 4
    assert retried == expected
    assert [status for _, action, status, *_ in expected["tasks"] if action == "confirm"] == ["cancelled"]
    assert [(stage, status) for _, _, _, stage, status, _ in expected["processes"]] == [
        ("closed", "completed")
    ]
    assert len(expected["messages"]) >= 1  # the overdue confirmation reached the case workers
