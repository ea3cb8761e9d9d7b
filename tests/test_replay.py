"""Replay: the workflow code still produces the commands of recorded order histories.

``tests/histories/order_v1.json`` is the history of an order recorded with the code of version 1
(phone call, confirmation, review, execute instruction, execution, care plan). Replaying it with
today's code must not raise a nondeterminism error. If it does, a change altered what a running
order does on replay: put the new behaviour behind ``workflow.patched("<change-id>")`` (and later
``workflow.deprecate_patch``) instead of changing the old path -- do not just regenerate the file,
because orders started with the old code are still running in production.

Regenerate the file only when the change is deliberately incompatible and no old order is
running any more (or to add a new version next to it, e.g. ``order_v2.json``)::

    .venv/bin/python -m tests.test_replay            # writes tests/histories/order_v1.json

The second test records a fresh history with today's code and replays it, so replay keeps being
checked even right after the file is regenerated.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from readmodel.database import make_engine, make_session_factory
from runtime import temporal, worker
from runtime.settings import Settings
from tests.support import CASE_WORKER, PROVIDER, add_case, end_of, profile, start, sthlm
from workflows.io.order import (
    CarePlanDone,
    ConfirmOrder,
    OrderInput,
    PhoneConfirmation,
    RegisterExecution,
    ReviewNotExecuted,
)
from workflows.model import ProcessState
from workflows.order import OrderWorkflow
from workflows.registry import WORKFLOWS
from workflows.rules.order import ServiceItem

HISTORIES = Path(__file__).resolve().parent / "histories"
ORDER_V1 = HISTORIES / "order_v1.json"


def replayer() -> Replayer:
    """Replays with the worker's sandbox and the system's data converter, as production runs."""
    return Replayer(
        workflows=WORKFLOWS,
        workflow_runner=worker.workflow_runner(),
        data_converter=temporal.data_converter,
    )


async def test_the_recorded_order_v1_history_replays_without_nondeterminism() -> None:
    recorded = json.loads(ORDER_V1.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    assert len(history.events) > 50
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"order_v1 no longer replays: {result.replay_failure}"


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own, so other modules' clocks do not matter."""
    environment = await start_environment()
    try:
        yield environment
    finally:
        await environment.shutdown()


async def test_a_freshly_recorded_order_history_replays_without_nondeterminism(
    env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> None:
    history = await record_order_history(env, sessions)
    kinds = {event.event_type for event in history.events}
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in kinds
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, str(result.replay_failure)


# -- recording -----------------------------------------------------------------------------------


async def start_environment() -> WorkflowEnvironment:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal.test_server_path(),
        data_converter=temporal.data_converter,
    )
    await temporal.register_search_attributes(environment.client, "default")
    return environment


async def record_order_history(env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> WorkflowHistory:
    """An urgent order sent Fri 2026-11-20 14:30 for Monday, run through most of its steps."""
    case_id = f"replay-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    inp = OrderInput(
        case_id=case_id,
        profile=profile("default"),
        provider_id="hemtjanst-nord",
        sent_by=CASE_WORKER,
        start_date=date(2026, 11, 23),
        items=[
            ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900),
            ServiceItem(name="Städning", kind="service", minutes_per_month=120),
        ],
        other="Portkod 1234. Brukaren hör dåligt; ring på länge.",
        sent_at=sthlm(2026, 11, 20, 14, 30),
        case_worker_id="cw-anna",
    )
    queue = f"replay-{uuid.uuid4()}"
    async with worker.build_worker(env.client, Settings(), sessions, task_queue=queue) as running:
        handle: WorkflowHandle[Any, ProcessState]
        handle, _ = await start(env, running, OrderWorkflow, inp, f"{case_id}/order/1")
        await handle.execute_update(
            OrderWorkflow.phone_confirmation,
            PhoneConfirmation(
                actor=CASE_WORKER,
                phoned="coordinator",
                phoned_name="Carl Samordnare",
                occurred_at=sthlm(2026, 11, 20, 14, 45),
            ),
        )
        await handle.execute_update(
            OrderWorkflow.confirm, ConfirmOrder(actor=PROVIDER, occurred_at=sthlm(2026, 11, 20, 15, 0))
        )
        # Let the ORD-4 review open by its timer (care items: end of the next working day, Mon 23/11).
        review_at = end_of(date(2026, 11, 23)) + timedelta(seconds=1)
        now = await env.get_current_time()
        if now < review_at:
            await env.sleep((review_at - now).total_seconds())
        await handle.execute_update(
            OrderWorkflow.review_not_executed, ReviewNotExecuted(actor=CASE_WORKER, decision="execute")
        )
        await handle.execute_update(
            OrderWorkflow.register_execution,
            RegisterExecution(actor=PROVIDER, execution_date=date(2026, 11, 23)),
        )
        await handle.execute_update(
            OrderWorkflow.care_plan_done, CarePlanDone(actor=PROVIDER, done_on=date(2026, 11, 24))
        )
        return await complete_history(handle)


async def complete_history(handle: WorkflowHandle[Any, ProcessState]) -> WorkflowHistory:
    """The history once the workflow has completed (the last action's answer comes just before).

    Polls instead of ``handle.result()``, which would let the time-skipping server jump ahead.
    """
    for _ in range(200):
        history = await handle.fetch_history()
        if history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not complete")


async def write_order_v1() -> Path:
    """Record the order_v1 history with the current code and write it (see the module docstring)."""
    environment = await start_environment()
    try:
        with tempfile.TemporaryDirectory() as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'readmodel.db'}")
            try:
                history = await record_order_history(environment, make_session_factory(engine))
            finally:
                engine.dispose()
    finally:
        await environment.shutdown()
    HISTORIES.mkdir(exist_ok=True)
    document = {"workflow_id": history.workflow_id, "history": history.to_json_dict()}
    ORDER_V1.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return ORDER_V1


if __name__ == "__main__":
    written = asyncio.run(write_order_v1())
    print(f"wrote {written}", file=sys.stderr)
