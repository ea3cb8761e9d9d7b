"""Helpers for process tests: actors, local times, moving the test server's clock, starting processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel import models
from runtime.settings import Settings
from runtime.temporal import make_data_converter, register_search_attributes, test_server_path
from runtime.worker import build_worker
from workflows.calendar import STOCKHOLM
from workflows.model import Actor, ProcessState
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile, load_profile

CASE_WORKER = Actor(user_id="cw-anna", role="case_worker", name="Anna Handläggare")
SENIOR = Actor(user_id="scw-berit", role="senior_case_worker", name="Berit Förste")
PROVIDER = Actor(user_id="pv-carl", role="provider", name="Carl Samordnare", org="hemtjanst-nord")
OTHER_PROVIDER = Actor(user_id="pv-dora", role="provider", name="Dora Samordnare", org="hemtjanst-syd")
ON_CALL = Actor(user_id="oc-erik", role="on_call_supervisor", name="Erik Jour")
DEPUTY = Actor(user_id="dm-frida", role="deputy_manager", name="Frida Bitr", org="hemtjanst-nord")


def sthlm(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware instant at Stockholm wall-clock time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=STOCKHOLM)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=STOCKHOLM)


def profile(name: str = "default") -> Profile:
    return load_profile(name)


async def advance_to(env: WorkflowEnvironment, instant: datetime) -> None:
    """Let the test server's clock run to ``instant``; skip the test if it already passed.

    The time-skipping server cannot go back, and tests use real dates around holidays; once such
    a date is history, the test can no longer show the timer firing at it.
    """
    now = await env.get_current_time()
    if instant < now:
        pytest.skip(f"{instant.isoformat()} has passed on the test server's clock ({now.isoformat()})")
    await env.sleep((instant - now).total_seconds())


def add_case(
    sessions: Any,
    case_id: str,
    provider_id: str | None = "hemtjanst-nord",
    case_worker_id: str | None = "cw-anna",
    profile_name: str = "default",
) -> None:
    """A case row, which messages and journal entries refer to."""
    with sessions.begin() as session:
        session.add(
            models.Case(
                id=case_id,
                person_name="Testperson",
                municipality=profile_name,
                profile=profile_name,
                case_worker_id=case_worker_id,
                provider_id=provider_id,
                created_at=datetime(2026, 11, 1, tzinfo=STOCKHOLM),
            )
        )


async def start(
    env: WorkflowEnvironment, worker: Worker, workflow: type[ProcessWorkflow], inp: Any, process_id: str
) -> tuple[WorkflowHandle[Any, ProcessState], ProcessState]:
    """Start a process and wait until it has opened its first steps (as the API does)."""
    handle: WorkflowHandle[Any, ProcessState] = await env.client.start_workflow(
        workflow.process_type,
        inp,
        id=process_id,
        task_queue=worker.task_queue,
        result_type=ProcessState,
    )
    state = await handle.execute_update("ready", result_type=ProcessState)
    return handle, state


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server with a clock of its own and the search attributes registered.

    The bundled binary is used (no download). A module whose tests walk the calendar to fixed
    dates takes one of its own, so that other modules moving their clocks cannot overtake it.
    Its client encrypts payloads as production does (the test settings' development key), so every
    workflow test also runs through the payload codec.
    """
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_path(), data_converter=make_data_converter(Settings())
    )
    try:
        await register_search_attributes(environment.client, "default")
        yield environment
    finally:
        await environment.shutdown()


def worker_for(env: WorkflowEnvironment, sessions: Any) -> Worker:
    """Every process and activity on a fresh task queue of ``env``, writing to ``sessions``."""
    return build_worker(env.client, Settings(), sessions, task_queue=f"test-{uuid.uuid4()}")


async def wait_closed(env: WorkflowEnvironment, workflow_id: str) -> None:
    """Poll until the workflow has closed.

    Not ``handle.result()``: awaiting a result lets the time-skipping server skip its clock to the
    next timer of any workflow on it, which moves a shared clock under other tests' feet. Nor
    ``handle.describe()``, which cannot decode this server's datetime search attributes.
    """
    request = DescribeWorkflowExecutionRequest(
        namespace=env.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    for _ in range(500):
        described = await env.client.workflow_service.describe_workflow_execution(request)
        if (
            described.workflow_execution_info.status
            != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{workflow_id} did not close")
