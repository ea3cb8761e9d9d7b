"""Faults in a running system (issue 11 §5): nothing is lost or done twice.

A real Temporal dev server (runtime/devserver.py) on free ports with its SQLite file in a temporary
folder, ``worker.py`` as a subprocess pointed at it through ``TEMPORAL_ADDRESS`` (as in
production), a read model migrated with ``python -m readmodel.migrate``, and the API in this
process on the same server and read model. Many orders and urgent changes run through the API
while (a) the worker is SIGKILLed in the middle and restarted, and (b) the dev server is stopped
and restarted on its SQLite file. A request that a fault interrupts is repeated with the same
Idempotency-Key, as a client does. Each run ends with every process in its expected state and
the read model's tasks, decisions and messages counted exactly: none lost, none duplicated.

The dev server runs on the real clock, which a faked machine clock does not reach, so the API's
clock and the inputs are dated from the server's clock (``server_clock``); every expectation is a
count or a stage, never a date. Every wait is bounded; every process is stopped in ``finally``.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from readmodel import models
from readmodel.database import connect_engine, make_session_factory
from runtime.devserver import DevServer
from runtime.settings import Settings
from runtime.temporal import start_dev_server
from tests.support import CASE_WORKER, PROVIDER, child_environment, server_clock
from tests.test_api_support import api_client, login
from tests.test_devserver import ROOT, free_ports
from workflows.calendar import STOCKHOLM

ORDERS = 15
CHANGES = 15
TASK_QUEUE = "hemtjanst"
WORKER_READY = "Worker on task queue"
STARTUP_SECONDS = 90.0
# A request interrupted by a fault is repeated with the same key at most this often (about a minute).
ATTEMPTS = 30
PARALLEL = 8


@dataclass
class Stack:
    """The dev server, worker.py and the API on one temporary folder."""

    folder: Path
    frontend: int
    ui: int
    server: DevServer | None = None
    clock: Callable[[], Awaitable[datetime]] | None = None
    worker: subprocess.Popen[str] | None = None
    workers_started: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'readmodel.db'}"

    def settings(self) -> Settings:
        return Settings(
            temporal_address=None,
            data_dir=self.folder / "temporal",
            dev_server_port=self.frontend,
            ui_port=self.ui,
        )

    def environment(self) -> dict[str, str]:
        return child_environment(
            TEMPORAL_ADDRESS=f"127.0.0.1:{self.frontend}",
            DATABASE_URL=self.database_url,
            HEMTJANST_WORKER_METRICS_PORT="",  # no metrics port: nothing else to collide
        )

    def migrate(self) -> None:
        """The documented deployment step (README, Production)."""
        result = subprocess.run(
            [sys.executable, "-m", "readmodel.migrate"],
            cwd=ROOT,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr

    async def start_server(self) -> None:
        self.server = await start_dev_server(self.settings())
        if self.clock is None:
            self.clock = await server_clock(self.server.client)

    async def stop_server(self) -> None:
        if self.server is not None:
            await self.server.shutdown()
            self.server = None

    async def start_worker(self) -> None:
        """worker.py against the dev server, ready once it printed its location line."""
        self.workers_started += 1
        log = self.folder / f"worker-{self.workers_started}.log"
        self.logs.append(log)
        with log.open("w") as output:
            self.worker = subprocess.Popen(
                [sys.executable, "worker.py"],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while WORKER_READY not in log.read_text():
            assert self.worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "worker.py did not start in time"
            await asyncio.sleep(0.1)

    def kill_worker(self) -> None:
        """SIGKILL: no shutdown, running activities and workflow tasks are cut off."""
        assert self.worker is not None and self.worker.poll() is None, "worker.py is not running"
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(timeout=10)

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.kill()
        if self.worker is not None:
            self.worker.wait(timeout=10)

    def api(self, sessions: sessionmaker[Session]) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        """The API on the server's first client, which reconnects by itself after a restart."""
        assert self.server is not None and self.clock is not None
        return api_client(
            self.server.client, sessions, TASK_QUEUE, clock=self.clock, action_timeout_seconds=10
        )


@asynccontextmanager
async def stack(tmp_path: Path) -> AsyncIterator[tuple[Stack, sessionmaker[Session]]]:
    frontend, ui = free_ports(2)
    running = Stack(tmp_path, frontend, ui)
    running.migrate()
    engine = connect_engine(running.database_url)
    try:
        await running.start_server()
        await running.start_worker()
        yield running, make_session_factory(engine)
    finally:
        running.stop_worker()
        await running.stop_server()
        engine.dispose()


# -- the run: cases, processes and actions through the API ---------------------------------------


@dataclass(frozen=True)
class Request:
    """One POST with its own Idempotency-Key, repeated with that key until it is answered."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    expect: int

    async def send(self, http: httpx.AsyncClient) -> dict[str, Any]:
        """The answer; a repeat of a start that had been applied answers 200 with that process."""
        last = ""
        expected = {self.expect}
        for _ in range(ATTEMPTS):
            try:
                answer = await http.post(self.path, json=self.body, headers=self.headers)
            except httpx.HTTPError as err:  # the server is away: try again
                last = repr(err)
            else:
                if answer.status_code in expected:
                    result: dict[str, Any] = answer.json()
                    return result
                # 503/504 while the worker or the server is away; anything else is a failure.
                assert answer.status_code in (503, 504), f"{self.path}: {answer.status_code} {answer.text}"
                last = answer.text
            expected.add(200)
            await asyncio.sleep(2)
        raise AssertionError(f"{self.path} never answered: {last}")


def request(path: str, body: dict[str, Any], token: dict[str, str], expect: int = 200) -> Request:
    return Request(path, body, {**token, "Idempotency-Key": str(uuid.uuid4())}, expect)


async def send_all(
    http: httpx.AsyncClient, requests: list[Request], answered: asyncio.Queue[int] | None = None
) -> list[dict[str, Any]]:
    """Every request, at most PARALLEL at a time; answers in the order given. Each answer puts
    the number answered so far on ``answered``."""
    gate = asyncio.Semaphore(PARALLEL)
    done = 0

    async def one(item: Request) -> dict[str, Any]:
        nonlocal done
        async with gate:
            answer = await item.send(http)
        done += 1
        if answered is not None:
            answered.put_nowait(done)
        return answer

    return await asyncio.gather(*(one(item) for item in requests))


async def during(
    http: httpx.AsyncClient, requests: list[Request], fault: Callable[[], Awaitable[None]]
) -> list[dict[str, Any]]:
    """Send ``requests`` and, once a third of them are answered (the others waiting or in
    flight), cause the fault; every request must still be answered, each exactly once."""
    answered: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.ensure_future(send_all(http, requests, answered))
    while await asyncio.wait_for(answered.get(), timeout=120) < len(requests) // 3:
        pass
    assert not task.done(), "every request was answered before the fault"
    await fault()
    return await asyncio.wait_for(task, timeout=240)


@dataclass
class Run:
    """The cases and processes of one run and who acts on them."""

    today: str
    case_worker: dict[str, str]
    provider: dict[str, str]
    orders: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    proposed: dict[str, str] = field(default_factory=dict)  # UC-4: each change's decision date


async def begin(http: httpx.AsyncClient, clock: Callable[[], Awaitable[datetime]] | None) -> Run:
    """ORDERS + CHANGES cases (each starts its follow-up cycle, FU-1) and a process on each,
    dated from the dev server's clock."""
    assert clock is not None
    now = (await clock()).astimezone(STOCKHOLM)
    run = Run(now.date().isoformat(), await login(http, CASE_WORKER), await login(http, PROVIDER))
    decided = (now.date() - timedelta(days=14)).isoformat()
    case = {
        "person_name": "Greta Exempel",
        "provider_id": PROVIDER.org,
        "decisions": [{"kind": "care", "services": ["Personlig omvårdnad"], "start_date": decided}],
    }
    cases = await send_all(
        http, [request("/cases", case, run.case_worker, 201) for _ in range(ORDERS + CHANGES)]
    )
    ids = [answer["case_id"] for answer in cases]
    order = {
        "type": "order",
        "start_date": (now.date() + timedelta(days=7)).isoformat(),
        "items": [{"name": "Städning", "kind": "service"}],
        "other": "Nyckel finns hos grannen.",
    }
    change = {
        "type": "urgent-change",
        "kind": "lasting",
        "started_at": (now - timedelta(hours=2)).isoformat(),
        "description": "Behöver hjälp vid toalettbesök och med att äta.",
    }
    starts = [
        request("/processes", {**order, "case_id": case_id}, run.case_worker, 201) for case_id in ids[:ORDERS]
    ]
    starts += [
        request("/processes", {**change, "case_id": case_id}, run.provider, 201) for case_id in ids[ORDERS:]
    ]
    states = await send_all(http, starts)
    run.orders = [state["process_id"] for state in states[:ORDERS]]
    run.changes = [state["process_id"] for state in states[ORDERS:]]
    run.proposed = {
        state["process_id"]: state["details"]["proposed_decision_date"] for state in states[ORDERS:]
    }
    return run


def first_actions(run: Run) -> list[Request]:
    """ORD-1: the provider confirms each order; UC-1: the provider tells the case worker."""
    return [request(f"/processes/{pid}/actions/confirm", {}, run.provider) for pid in run.orders] + [
        request(f"/processes/{pid}/actions/notify_case_worker", {}, run.provider) for pid in run.changes
    ]


def second_actions(run: Run) -> list[Request]:
    """ORD-2: the execution registered today; UC-4: the case worker grants from the proposed date
    (the day the extra support began)."""
    executed = {"execution_date": run.today}
    requests = [
        request(f"/processes/{pid}/actions/register_execution", executed, run.provider) for pid in run.orders
    ]
    for pid in run.changes:
        granted = {
            "outcome": "granted",
            "decision_date": run.proposed[pid],
            "services": ["Personlig omvårdnad"],
        }
        requests.append(request(f"/processes/{pid}/actions/respond", granted, run.case_worker))
    return requests


# -- what the run must end with ------------------------------------------------------------------


async def assert_every_process_as_expected(http: httpx.AsyncClient, run: Run) -> None:
    for pid in run.orders:
        state = (await http.get(f"/processes/{pid}", headers=run.case_worker)).json()
        assert (state["stage"], [t["action"] for t in state["open_tasks"]]) == (
            "executed",
            ["care_plan_done"],
        ), pid
    for pid in run.changes:
        state = (await http.get(f"/processes/{pid}", headers=run.case_worker)).json()
        assert (state["stage"], state["outcome"], state["open_tasks"]) == ("closed", "granted", []), pid


def assert_read_model_counts(sessions: sessionmaker[Session], run: Run) -> None:
    """Every step once: one task row per (process, action), open only where the process waits;
    one decision per granted change; one order row per order, executed."""
    processes = run.orders + run.changes
    with sessions() as session:
        tasks = session.execute(
            select(models.Task.process_id, models.Task.action, models.Task.status).where(
                models.Task.process_id.in_(processes)
            )
        ).all()
        decisions = session.scalar(
            select(func.count())
            .select_from(models.Decision)
            .where(models.Decision.process_id.in_(run.changes))
        )
        orders = session.scalars(select(models.Order).where(models.Order.id.in_(run.orders))).all()
        rows = session.scalars(select(models.Process).where(models.Process.id.in_(processes))).all()
    per_step = Counter((row.process_id, row.action) for row in tasks)
    assert [step for step, count in per_step.items() if count != 1] == [], "a step recorded twice"
    assert Counter(action for _, action in per_step) == Counter(
        confirm=ORDERS,
        report_not_executable=ORDERS,  # ORD-3: open beside the execution until it is registered
        register_execution=ORDERS,
        care_plan_done=ORDERS,
        notify_case_worker=CHANGES,
        escalate=CHANGES,  # COM-7: open beside the answer until the change is answered
        respond=CHANGES,
    )
    open_steps = sorted((row.process_id, row.action) for row in tasks if row.status == "open")
    assert open_steps == sorted((pid, "care_plan_done") for pid in run.orders)
    assert decisions == CHANGES
    assert [
        (order.status, order.execution_date.isoformat() if order.execution_date else None) for order in orders
    ] == [("executed", run.today)] * ORDERS
    assert Counter((row.type, row.status) for row in rows) == Counter(
        {("order", "running"): ORDERS, ("urgent-change", "completed"): CHANGES}
    )


# -- the tests -------------------------------------------------------------------------------------


async def test_a_worker_sigkilled_in_the_middle_of_30_processes_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    """15 orders and 15 urgent changes: the worker is SIGKILLed while the provider's confirmations
    and notifications are in flight and again during the executions and the answers; each time a
    new worker.py starts. Every process ends in its expected stage and every step has one task."""
    async with stack(tmp_path) as (running, sessions), running.api(sessions) as http:
        run = await begin(http, running.clock)

        async def kill_and_restart() -> None:
            running.kill_worker()
            await running.start_worker()

        await during(http, first_actions(run), kill_and_restart)
        await during(http, second_actions(run), kill_and_restart)
        assert running.workers_started == 3
        await assert_every_process_as_expected(http, run)
    assert_read_model_counts(sessions, run)


async def test_a_dev_server_stopped_and_restarted_on_its_sqlite_file_keeps_every_process(
    tmp_path: Path,
) -> None:
    """The dev server is stopped while the provider's confirmations and notifications are in
    flight and started again on the same SQLite file; worker.py and the API's client reconnect by
    themselves. The processes go on where they were and end as expected, every step once."""
    async with stack(tmp_path) as (running, sessions), running.api(sessions) as http:
        run = await begin(http, running.clock)

        async def restart_server() -> None:
            await running.stop_server()
            await asyncio.sleep(1)
            await running.start_server()

        await during(http, first_actions(run), restart_server)
        await during(http, second_actions(run), restart_server)
        assert running.worker_alive() and running.workers_started == 1
        await assert_every_process_as_expected(http, run)
    assert_read_model_counts(sessions, run)
