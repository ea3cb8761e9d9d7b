"""Helpers for process tests: actors, local times, moving the test server's clock, starting processes."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import libfaketime
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
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
    """Let the test server's clock run to ``instant`` (timers due meanwhile fire at their instant).

    The clock only moves forward; a scenario whose server started after ``instant`` is a mistake
    in the test, never a reason to skip it.
    """
    now = await env.get_current_time()
    assert instant >= now, f"{instant.isoformat()} is before the scenario clock ({now.isoformat()})"
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


# The moment every scenario server starts at unless a test names its own: Sun 2026-11-22 07:00 in
# Stockholm, the day the dated scenarios of the first processes were written around. Fixed, so that
# no test depends on the day it runs.
SUITE_MOMENT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)

_LIBFAKETIME = next(Path(libfaketime.__file__).parent.glob("vendor/libfaketime/src/libfaketime.so.1"))


def _clocked_binary(folder: str, at: datetime) -> str:
    """A launcher that runs the bundled test server with its wall clock starting at ``at``.

    libfaketime is preloaded into the server binary itself (``exec``, so the SDK's process handle
    is the server and stopping it stops the server); the clock runs on from ``at`` in real time.
    """
    start = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    launcher = Path(folder) / "temporal-test-server"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export LD_PRELOAD='{_LIBFAKETIME}' FAKETIME='@{start}' TZ=UTC\n"
        f"exec '{test_server_path()}' \"$@\"\n"
    )
    launcher.chmod(0o755)
    return str(launcher)


@asynccontextmanager
async def scenario_server(at: datetime = SUITE_MOMENT) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server whose clock starts at ``at`` (an aware instant).

    The server starts with time skipping locked and only moves on purpose: ``advance_to`` /
    ``env.sleep``. Automatic skipping (which ``handle.result()`` would do, jumping to the next timer
    of any workflow on the server, e.g. a 10-year run timeout) is disabled for its whole life.
    Its client encrypts payloads as production does (the test settings' development key), so every
    workflow test also runs through the payload codec. Starting one takes about 0.15 s.
    """
    with tempfile.TemporaryDirectory(prefix="scenario-") as folder:
        environment = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=_clocked_binary(folder, at),
            data_converter=make_data_converter(Settings()),
        )
        try:
            with environment.auto_time_skipping_disabled():
                await register_search_attributes(environment.client, "default")
                yield environment
        finally:
            await environment.shutdown()


# The former name: every test server is a scenario server now.
time_skipping_server = scenario_server


@asynccontextmanager
async def scenario(at: datetime, sessions: Any) -> AsyncIterator[tuple[WorkflowEnvironment, Worker]]:
    """A dated scenario: its own server whose clock starts at ``at``, and a worker on it writing to
    ``sessions``. The worker stops before the server. Use one per dated test::

        async with scenario(sthlm(2026, 12, 22, 13), sessions) as (env, worker):
            ...
    """
    async with scenario_server(at) as env, worker_for(env, sessions) as worker:
        yield env, worker


def scenario_clock(env: WorkflowEnvironment) -> Callable[[], Awaitable[datetime]]:
    """The API's clock bound to the scenario server's: API and workflows agree on "now"."""
    return env.get_current_time


async def server_clock(client: Client) -> Callable[[], Awaitable[datetime]]:
    """The API's clock bound to a real Temporal server's (the dev server), for tests on it.

    The dev server is a Go binary that a faked machine clock (libfaketime preloaded into pytest,
    as when the suite is tried on another date) does not reach: it keeps the real date while this
    process lives in the faked one. The server's "now" is read once, as the start time it gives a
    probe workflow that never runs; the clock answers this process's time moved by the difference,
    so inputs dated from it are "now" to the workflows on either clock.
    """
    probe = await client.start_workflow(
        "clock-probe", id=f"clock-probe-{uuid.uuid4()}", task_queue=f"clock-probe-{uuid.uuid4()}"
    )
    described = await probe.describe()
    await probe.terminate("the server's clock was read")
    offset = described.start_time - datetime.now(UTC)

    async def now() -> datetime:
        return datetime.now(UTC) + offset

    return now


def fixed_clock(at: datetime = SUITE_MOMENT) -> Callable[[], Awaitable[datetime]]:
    """An API clock that always answers ``at`` (for API tests without a Temporal server)."""

    async def now() -> datetime:
        return at

    return now


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


def child_environment(**settings: str) -> dict[str, str]:
    """The environment of a child process a test starts (worker.py, the migration command): this
    one without its HEMTJANST_/TEMPORAL_ADDRESS/DATABASE_URL settings, plus ``settings``.

    Under a faked machine clock (libfaketime preloaded, as when the suite is tried on another date)
    the child keeps the real monotonic clock: CPython sleeps until an absolute monotonic deadline,
    which libfaketime hands to the kernel unchanged, so its sleeps would never return.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("HEMTJANST_") and name not in ("TEMPORAL_ADDRESS", "DATABASE_URL")
    }
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    env.update(settings)
    return env
