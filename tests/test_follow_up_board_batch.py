"""Issue 9 for the follow-up board (FU-9): the cycle's board row, the follow-up's stage on it and the
end of a decision are written in the process's read-model batch, in order, in one transaction,
idempotently (a retried batch rewrites its own rows), instead of one activity each. On SQLite and
PostgreSQL.

Driven directly (one batch written twice, whose follow-up stage lands only because the board row
written before it in the same batch names that follow-up), and through a case's cycle and its
unscheduled follow-up (FU-1) whose every batch "loses its connection" right after committing: the
board ends exactly as with a worker that never failed, and no board write ran as an activity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType

from activities.read_model import ReadModelActivities
from activities.records import (
    BatchOutcome,
    DecisionEnd,
    DecisionRecord,
    FollowUpStage,
    ReadModelBatch,
    ReadModelWrite,
    ScheduleRecord,
)
from readmodel import models
from runtime.settings import Settings
from runtime.worker import build_worker
from tests.engine_support import BACKENDS, new_case, read_model
from tests.support import CASE_WORKER, scenario_server, sthlm
from tests.test_follow_up_cycle import board_row, handle, start_cycle
from tests.test_read_model_batch import _CommitThenFail
from workflows.follow_up_cycle import cycle_id
from workflows.io.follow_up import StartNow
from workflows.model import ProcessState

AT = sthlm(2026, 11, 23, 10, 0)  # Mon 2026-11-23


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with read_model(request.param, tmp_path) as factory:
        yield factory


def _board_batch(case_id: str) -> ReadModelBatch:
    """A cycle starting its follow-up (the board row names it), the follow-up's first stage, and
    the case's decision ended on 2027-03-31."""
    follow_up = f"case-{case_id}/follow-up/1"
    schedule = ScheduleRecord(
        case_id=case_id,
        cycle_id=cycle_id(case_id),
        next_due=date(2026, 12, 23),
        reason="unscheduled",
        last_follow_up=None,
        follow_up_process_id=follow_up,
        stage="to_plan",
        status="running",
        updated_at=AT,
    )
    return ReadModelBatch(
        process_id=cycle_id(case_id),
        writes=[
            ReadModelWrite(
                summary="Beslut: care",
                decision=DecisionRecord(
                    f"{case_id}/decision/1", case_id, "care", ["Hemtjänst"], date(2026, 6, 1)
                ),
            ),
            ReadModelWrite(summary="Uppföljningstavlan: nästa 2026-12-23", schedule=schedule),
            ReadModelWrite(
                summary="Uppföljningstavlan: planned",
                follow_up_stage=FollowUpStage(case_id, follow_up, "planned", AT),
            ),
            ReadModelWrite(
                summary="Beslut upphör 2027-03-31",
                decision_end=DecisionEnd(f"{case_id}/decision/1", case_id, date(2027, 3, 31)),
            ),
        ],
    )


def _board(sessions: sessionmaker[Session], case_id: str) -> tuple[Any, ...]:
    """The case's board row, with the case id as ``CASE`` (two runs have two cases)."""
    row = board_row(sessions, case_id)
    assert row is not None
    follow_up = (row.follow_up_process_id or "").replace(case_id, "CASE")
    return (row.next_due, row.reason, follow_up, row.stage, row.status)


def test_fu9_a_board_batch_written_twice_leaves_one_row_with_the_follow_ups_stage_written_after_it(
    sessions: sessionmaker[Session],
) -> None:
    """FU-9: the follow-up's stage lands because the board row before it (same batch) names the
    follow-up; a retried batch leaves the same board row and the decision ended 2027-03-31."""
    case_id = new_case(sessions, "board")
    activities = ReadModelActivities(sessions)
    batch = _board_batch(case_id)
    assert activities.write_batch(batch) == BatchOutcome([])
    first = _board(sessions, case_id)
    assert first == (date(2026, 12, 23), "unscheduled", "case-CASE/follow-up/1", "planned", "running")
    assert activities.write_batch(batch) == BatchOutcome([])
    assert _board(sessions, case_id) == first
    with sessions() as session:
        decisions = session.query(models.Decision).filter_by(case_id=case_id).all()
        assert [(d.status, d.end_date) for d in decisions] == [("ended", date(2027, 3, 31))]


def test_fu9_a_follow_up_stage_before_the_row_that_names_its_follow_up_is_not_written(
    sessions: sessionmaker[Session],
) -> None:
    """FU-9: in the other order the stage finds no row naming its follow-up and is left out: the
    order of a batch is the order the effects happened in."""
    case_id = new_case(sessions, "board-order")
    batch = _board_batch(case_id)
    batch.writes[1], batch.writes[2] = batch.writes[2], batch.writes[1]
    ReadModelActivities(sessions).write_batch(batch)
    assert _board(sessions, case_id)[3] == "to_plan"


async def _cycle_with_unscheduled_follow_up(
    sessions: sessionmaker[Session], read: ReadModelActivities | None
) -> tuple[str, list[str]]:
    """FU-1 / FU-9: a case decided 2026-06-01 (yearly: due 2027-06-01) registered Mon 2026-11-23;
    the case worker starts a follow-up at once (due within the plan lead time). Returns the case
    and the activity types the cycle and the follow-up ran."""
    async with scenario_server(AT) as env:
        queue = f"board-{uuid.uuid4()}"
        async with build_worker(
            env.client, Settings(), sessions, task_queue=queue, read_model=read
        ) as worker:
            case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
            now = StartNow(actor=CASE_WORKER, reason="Anhörig har hört av sig om ändrat behov.")
            state = await handle(env, cycle_id(case_id)).execute_update(
                "start_now", now, id=str(uuid.uuid4()), result_type=ProcessState
            )
            assert state.details["current_follow_up"] == f"case-{case_id}/follow-up/1"
            follow_up = handle(env, f"case-{case_id}/follow-up/1")
            await follow_up.execute_update("ready", result_type=ProcessState)
            activities = []
            for workflow_id in (cycle_id(case_id), follow_up.id):
                async for event in env.client.get_workflow_handle(workflow_id).fetch_history_events():
                    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                        activities.append(event.activity_task_scheduled_event_attributes.activity_type.name)
    return case_id, activities


async def test_fu9_a_cycle_and_its_follow_up_whose_every_batch_is_retried_after_commit_end_with_one_board_row(
    sessions: sessionmaker[Session],
) -> None:
    """Issue 9 / FU-9 / FU-1: no board write lost, doubled or reordered when every batch runs
    twice; the board is written by the batches, never by an activity of its own."""
    case_id, activities = await _cycle_with_unscheduled_follow_up(sessions, None)
    expected = _board(sessions, case_id)
    assert expected[2:] == ("case-CASE/follow-up/1", "to_plan", "running")
    assert expected[1] == "unscheduled"
    assert not {"record_schedule", "record_follow_up_stage", "end_decision"} & set(activities)
    flaky = _CommitThenFail(sessions)
    retried_case, _ = await _cycle_with_unscheduled_follow_up(sessions, flaky)
    assert flaky.failed >= 3  # the cycle's start, its start_now, the follow-up's start
    assert _board(sessions, retried_case) == expected
