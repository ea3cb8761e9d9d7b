"""Starting a process through the API's gateway (issue 9): one update-with-start call opens the
first steps; the same id again is 409 and starts nothing; an input the workflow refuses is 422.
A process started by another one's action (the cycle's start_now) is ready before the answer.

On the time-skipping server, which answers a taken id with ALREADY_EXISTS rather than the dev
server's WorkflowAlreadyStarted; both become the same 409.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import HTTPException
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType

from activities.follow_up import cycle_id
from api import temporal_gateway as gateway
from api.errors import PROCESS_STARTED
from readmodel import models
from tests.engine_support import CARE, new_case, order_input, read_model
from tests.support import scenario, sthlm
from tests.test_case_events_api import api

NOW = sthlm(2026, 12, 7, 9, 30)


async def test_a_start_answers_with_the_first_steps_open_and_the_same_id_again_is_409(tmp_path: Path) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(NOW, sessions) as (env, worker):
            case_id = new_case(sessions, "start-once")
            inp = order_input(case_id, NOW, date(2026, 12, 8), items=CARE)
            process_id = f"case-{case_id}/order/1"
            state = await gateway.start_process(
                env.client, worker.task_queue, "order", inp, process_id, case_id
            )
            assert state.process_id == process_id
            assert "confirm" in {task.action for task in state.open_tasks}

            with pytest.raises(HTTPException) as refused:
                await gateway.start_process(env.client, worker.task_queue, "order", inp, process_id, case_id)
            assert refused.value.status_code == 409
            assert refused.value.detail == PROCESS_STARTED

            handle = env.client.get_workflow_handle(process_id)
            events = [event async for event in handle.fetch_history_events()]
            starts = [e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]
            accepted = [
                e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
            ]
            assert (len(starts), len(accepted)) == (1, 1)  # the second call changed nothing
            await handle.terminate("test finished")


async def test_an_input_the_workflow_refuses_is_422_with_its_reason(tmp_path: Path) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(NOW, sessions) as (env, worker):
            case_id = new_case(sessions, "start-refused")
            inp = order_input(case_id, NOW, date(2101, 1, 1), items=CARE)  # past the calendar's years
            with pytest.raises(HTTPException) as refused:
                await gateway.start_process(
                    env.client, worker.task_queue, "order", inp, f"case-{case_id}/order/1", case_id
                )
            assert refused.value.status_code == 422
            assert "Processen startades inte" in str(refused.value.detail)


@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with read_model(request.param, tmp_path) as sessions:
        yield sessions


async def test_FU_1_start_now_answers_once_the_follow_up_and_its_plan_step_are_in_the_read_model(
    both: sessionmaker[Session],
) -> None:
    """FU-1 (needs changed, Mon 2027-02-01 10:00): the JSON answer to the cycle's start_now comes
    after the follow-up has opened its first step, so the case worker's inbox already holds it;
    the page's redirect and the JSON route wait through the same service (issue 9)."""
    async with api(sthlm(2027, 2, 1, 10), both) as app:
        case_id = await app.case()
        answer = await app.act("case_worker", cycle_id(case_id), "start_now", {"reason": "Ändrat behov"})
        follow_up = answer["details"]["current_follow_up"]
        assert [row.type for row in app.rows(models.Process, id=follow_up)] == ["follow-up"]
        assert [task.status for task in app.rows(models.Task, process_id=follow_up, action="plan")] == [
            "open"
        ]
