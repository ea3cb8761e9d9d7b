"""The municipality benchmark (issue 9): N cases with their follow-up cycles, running processes
for 10 % of them, and a steady mix of actions, all through the HTTP API, against the local default
as production runs it: the bundled dev server on its SQLite file, the worker (``worker.py`` with
``TEMPORAL_ADDRESS``) and the API (uvicorn) as separate processes. Beside it, on the same server, a
minimal workflow with one update (bench/bare.py) is the baseline, measured interleaved with the
system (``Baseline``) so that both meet the same load of a shared machine.

    .venv/bin/python -m bench.municipality --cases 1000          # N=25,000 is the default
    .venv/bin/python -m bench.municipality --cases 500 --profile  # py-spy profiles of worker and API

Prints a table and writes ``bench/results/municipality-<date>-N<n>.json`` and ``.md`` with the
machine's cores and memory. Asserts nothing (figures, never timed assertions).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from bench.bare import TYPE as BARE_TYPE
from bench.bare import BareWorkflow
from bench.figures import Series, at_least, commit, machine, run, without_nan
from readmodel.schema import open_read_model
from runtime.settings import Settings
from runtime.temporal import dev_server_path, make_data_converter, register_search_attributes
from runtime.worker import workflow_runner
from workflows.profiles import load_units

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CASES_PER_CASE_WORKER = 50  # a case worker's caseload; /board and /tasks are read for one of them
CASES_PER_UNIT = 250  # a block of cases given to one provider unit
# The default profile's unit register (profiles/default.toml) lists five provider units and the
# API refuses any other: the blocks go round them, so at N = 25,000 each unit has 5,000 cases
# (a harder inbox than a real unit's). A profile without a register would take any id.
PROVIDER_UNITS = [unit.id for unit in load_units("default") if unit.kind == "provider"] or [
    f"hemtjanst-{k}" for k in range(100)
]
PROCESS_TYPES = ("order", "urgent-change", "temporary-extension", "homecoming")
# The first action of each process the mix performs, with its body; who performs it follows
# the task's role.
BODIES: dict[str, dict[str, Any]] = {
    "confirm": {},
    "notify_case_worker": {"message": "Behöver tillsyn nattetid (bench)."},
    "confirm_start": {"note": ""},
    "send_team_info": {"information": "Bench: nycklar hos grannen.", "contacts": ""},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


# -- the stack: dev server, worker, API as processes -------------------------------------------


@dataclass
class Stack:
    folder: Path
    frontend: int
    api_port: int
    worker_cache: int | None = None  # HEMTJANST_WORKER_MAX_CACHED_WORKFLOWS, None: the setting's
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'readmodel.db'}"

    def env(self) -> dict[str, str]:
        cache = {"HEMTJANST_WORKER_MAX_CACHED_WORKFLOWS": str(self.worker_cache)} if self.worker_cache else {}
        return {
            **os.environ,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.frontend}",
            "HEMTJANST_DATABASE_URL": self.database_url,
            "HEMTJANST_TASK_QUEUE": "bench",
            "HEMTJANST_WORKER_METRICS_PORT": "",
            "HEMTJANST_LOG_LEVEL": "WARNING",
            "HEMTJANST_ACTION_TIMEOUT_SECONDS": "60",
            **cache,
        }

    def spawn(self, name: str, args: list[str], profile: bool) -> None:
        if profile:
            out = self.folder / f"{name}.pyspy.txt"
            args = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw",
                    "--rate", "50", "--subprocesses", "--threads", "-o", str(out), "--", *args]  # fmt: skip
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            args, env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def stop(self) -> None:
        for name in ("api", "worker", "server"):
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.send_signal(2)  # SIGINT: py-spy writes its profile, worker.py stops in order
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.asynccontextmanager
async def stack(
    folder: Path, profile: bool, worker_cache: int | None = None
) -> AsyncIterator[tuple[Stack, Client]]:
    running = Stack(folder, _free_port(), _free_port(), worker_cache)
    try:
        running.spawn(
            "server",
            [dev_server_path(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(running.frontend),
             "--headless", "--namespace", "default", "--db-filename", str(folder / "temporal.db"),
             "--log-level", "error", "--dynamic-config-value", "frontend.enableServerVersionCheck=false"],
            profile=False,
        )  # fmt: skip
        client = await _connect(f"127.0.0.1:{running.frontend}")
        await register_search_attributes(client, "default")
        open_read_model(running.database_url, migrate=True).dispose()
        _compile_bytecode()
        running.spawn("worker", [sys.executable, "worker.py"], profile)
        running.spawn(
            "api",
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(running.api_port), "--log-level", "warning", "--no-access-log"],
            profile,
        )  # fmt: skip
        yield running, client
    finally:
        running.stop()


def _compile_bytecode() -> None:
    """The project's bytecode, as the image compiles it at build time (Dockerfile): the workflow
    sandbox imports each process's module afresh for every new workflow, and with
    PYTHONDONTWRITEBYTECODE set (as here and in the image) Python would compile its source every
    time instead of reading bytecode."""
    for package in ("workflows", "activities", "readmodel", "api", "runtime"):
        compileall.compile_dir(ROOT / package, quiet=1)


async def _connect(target: str) -> Client:
    for _ in range(300):
        try:
            return await Client.connect(target, data_converter=make_data_converter(Settings()))
        except RuntimeError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the dev server at {target} did not answer")


async def _api_ready(http: httpx.AsyncClient) -> None:
    for _ in range(600):
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError("the API did not become ready")


# -- the municipality ----------------------------------------------------------------------------


@dataclass
class Case:
    case_id: str
    case_worker: str
    unit: str


@dataclass
class Done:
    """An action answered 2xx, to be found in the read model afterwards."""

    process_id: str
    action: str
    case_id: str


class Municipality:
    def __init__(self, http: httpx.AsyncClient, n: int, today: date) -> None:
        self.http = http
        self.n = n
        self.today = today
        self.tokens: dict[tuple[str, str], dict[str, str]] = {}
        self.cases: list[Case] = []
        self.done: list[Done] = []
        self.errors: dict[str, int] = {}
        self.phase = ""  # which part of the run the actions belong to (their latencies by kind)
        self.by_kind: dict[str, Series] = {}

    async def headers(self, role: str, who: str) -> dict[str, str]:
        key = (role, who)
        if key not in self.tokens:
            body = {"sub": who, "name": f"Bench {who}", "role": role}
            if role == "provider":
                body["org"] = who
            answer = await self.http.post("/auth/dev-login", json=body)
            self.tokens[key] = {"Authorization": f"Bearer {answer.json()['token']}"}
        return {**self.tokens[key], "Idempotency-Key": str(uuid.uuid4())}

    def _error(self, what: str, answer: httpx.Response) -> bool:
        key = f"{what} {answer.status_code}"
        self.errors[key] = self.errors.get(key, 0) + 1
        if self.errors[key] == 1:
            print(f"  {key}: {answer.text[:300]}", file=sys.stderr)
        return False

    def register(self, i: int) -> Callable[[], Awaitable[bool]]:
        case_worker = f"cw-{i // CASES_PER_CASE_WORKER}"
        unit = PROVIDER_UNITS[(i // CASES_PER_UNIT) % len(PROVIDER_UNITS)]
        body = {
            "person_name": f"Person {i}",
            "provider_id": unit,
            "decisions": [
                {
                    "kind": "care",
                    "services": ["Personlig omvårdnad"],
                    "start_date": (self.today - timedelta(days=30 + i % 300)).isoformat(),
                }
            ],
        }

        async def job() -> bool:
            answer = await self.http.post(
                "/cases", json=body, headers=await self.headers("case_worker", case_worker)
            )
            if answer.status_code != 201:
                return self._error("POST /cases", answer)
            self.cases.append(Case(answer.json()["case_id"], case_worker, unit))
            return True

        return job

    def start(self, case: Case, kind: str, started: list[dict[str, Any]]) -> Callable[[], Awaitable[bool]]:
        now = datetime.now(UTC)
        bodies: dict[str, tuple[str, str, dict[str, Any]]] = {
            "order": ("case_worker", case.case_worker, {
                "start_date": self.today.isoformat(), "items": [{"name": "Städning", "kind": "service"}]}),
            "urgent-change": ("provider", case.unit, {
                "kind": "lasting", "started_at": (now - timedelta(hours=2)).isoformat(),
                "description": "Behöver hjälp till toaletten nattetid."}),
            "temporary-extension": ("provider", case.unit, {
                "started_on": self.today.isoformat(), "inserted": "Tillsyn två gånger per natt",
                "reason": "Urinvägsinfektion, orolig nattetid"}),
            "homecoming": ("case_worker", case.case_worker, {
                "mode": "regular", "decision_date": self.today.isoformat(),
                "items": [{"name": "Personlig omvårdnad", "kind": "care"}]}),
        }  # fmt: skip
        role, who, fields = bodies[kind]
        body = {"type": kind, "case_id": case.case_id, **fields}

        async def job() -> bool:
            answer = await self.http.post("/processes", json=body, headers=await self.headers(role, who))
            if answer.status_code != 201:
                return self._error(f"start {kind}", answer)
            started.append({**answer.json(), "_case": case})
            return True

        return job

    def act(self, case: Case, process_id: str, action: str, role: str) -> Callable[[], Awaitable[bool]]:
        body = {"reason": "Ändrat behov (bench)."} if action == "start_now" else BODIES[action]
        who = case.unit if role == "provider" else case.case_worker

        kind = "start_now (starts a follow-up)" if action == "start_now" else "a step of a process"

        async def job() -> bool:
            began = time.perf_counter()
            answer = await self.http.post(
                f"/processes/{process_id}/actions/{action}", json=body, headers=await self.headers(role, who)
            )
            if answer.status_code != 200:
                return self._error(f"action {action}", answer)
            self.by_kind.setdefault(f"{self.phase}: {kind}", Series()).samples.append(
                time.perf_counter() - began
            )
            self.done.append(Done(process_id, action, case.case_id))
            return True

        return job

    def read(self, path: str, role: str, who: str) -> Callable[[], Awaitable[bool]]:
        async def job() -> bool:
            answer = await self.http.get(path, headers=await self.headers(role, who))
            return answer.status_code == 200 or self._error(f"GET {path}", answer)

        return job


def _actions(
    town: Municipality, started: list[dict[str, Any]], with_cycles: int
) -> list[Callable[[], Awaitable[bool]]]:
    """A steady mix: the first open action of every started process (providers and case workers)
    and ``start_now`` on case workers' follow-up cycles, in an order drawn once (seeded), so that
    any slice of it (the actions one at a time, the concurrent ones) holds the same mix."""
    provider: list[Callable[[], Awaitable[bool]]] = []
    case_worker: list[Callable[[], Awaitable[bool]]] = []
    for state in started:
        case: Case = state["_case"]
        task = next((t for t in state["open_tasks"] if t["action"] in BODIES), None)
        if task is None or task["role"] not in ("provider", "case_worker"):
            continue
        job = town.act(case, state["process_id"], task["action"], task["role"])
        (provider if task["role"] == "provider" else case_worker).append(job)
    busy = {state["_case"].case_id for state in started}
    for case in [c for c in town.cases if c.case_id not in busy][:with_cycles]:
        case_worker.append(town.act(case, f"case-{case.case_id}/follow-up-cycle", "start_now", "case_worker"))
    mixed = provider + case_worker
    random.Random(9).shuffle(mixed)
    return mixed


def _lost(database: Path, done: list[Done]) -> int:
    """Actions answered 2xx that the read model does not show carried out."""
    lost = 0
    with contextlib.closing(sqlite3.connect(database)) as db:
        for item in done:
            if item.action == "start_now":
                query = "SELECT count(*) FROM processes WHERE case_id = ? AND type = 'follow-up'"
                found = db.execute(query, (item.case_id,)).fetchone()[0]
            else:
                query = "SELECT count(*) FROM tasks WHERE process_id = ? AND action = ? AND status = 'done'"
                found = db.execute(query, (item.process_id, item.action)).fetchone()[0]
            lost += found == 0
    return lost


# -- the baseline ----------------------------------------------------------------------------------


class Baseline:
    """Bare Temporal on the same server (bench/bare.py), in a worker of its own, measured beside the
    system rather than after it, so that both meet the same load of a shared machine: a start + one
    update after each of the system's starts measured one at a time, an update after each of its
    actions one at a time, and updates at the benchmark's concurrency right before and right after
    its concurrent actions."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.queue = f"bench-bare-{uuid.uuid4()}"
        self.handles: list[Any] = []
        self.series = {
            name: Series()
            for name in ("start_and_update", "update_with_start", "update_sequential", "update_concurrent")
        }
        self._next = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Baseline]:
        worker = Worker(
            self.client, task_queue=self.queue, workflows=[BareWorkflow], workflow_runner=workflow_runner()
        )
        async with worker:
            try:
                yield self
            finally:
                for handle in self.handles:
                    await handle.signal(BareWorkflow.finish)

    def start_and_update(self) -> Callable[[], Awaitable[bool]]:
        async def job() -> bool:
            handle = await self.client.start_workflow(
                BARE_TYPE, id=f"bare-{uuid.uuid4()}", task_queue=self.queue
            )
            await handle.execute_update(BareWorkflow.act, "start")
            self.handles.append(handle)
            return True

        return job

    def update_with_start(self) -> Callable[[], Awaitable[bool]]:
        """The same as one call (update-with-start), as the API starts a process."""

        async def job() -> bool:
            start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
                BARE_TYPE,
                id=f"bare-{uuid.uuid4()}",
                task_queue=self.queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
            await self.client.execute_update_with_start_workflow(
                BareWorkflow.act, "start", start_workflow_operation=start
            )
            self.handles.append(await start.workflow_handle())
            return True

        return job

    def update(self) -> Callable[[], Awaitable[bool]]:
        handle = self.handles[self._next % len(self.handles)]
        self._next += 1

        async def job() -> bool:
            await handle.execute_update(BareWorkflow.act, "action")
            return True

        return job

    async def at_least(self, n: int) -> None:
        """Enough bare workflows for ``n`` concurrent updates (started unmeasured)."""
        while len(self.handles) < n:
            await self.start_and_update()()


async def _paired(
    ours: list[Callable[[], Awaitable[bool]]],
    ours_series: Series,
    *theirs: tuple[Callable[[], Callable[[], Awaitable[bool]]], Series],
) -> None:
    """Each of ``ours`` one at a time, each followed by one of each of the baseline's kinds."""
    for job in ours:
        await run(1, [job], ours_series)
        for their_job, their_series in theirs:
            await run(1, [their_job()], their_series)


# -- the run -------------------------------------------------------------------------------------


async def _starts(
    args: argparse.Namespace, town: Municipality, series: dict[str, Series], bare: Baseline
) -> list[dict[str, Any]]:
    """Processes for 10 % of the cases: some one at a time (each beside a bare start + update),
    the rest at the setup's concurrency."""
    started: list[dict[str, Any]] = []
    picked = random.Random(9).sample(town.cases, max(len(PROCESS_TYPES), len(town.cases) // 10))
    jobs = [town.start(case, PROCESS_TYPES[i % len(PROCESS_TYPES)], started) for i, case in enumerate(picked)]
    print(f"starting {len(jobs)} processes ...", flush=True)
    one_by_one = min(args.sequential, len(jobs) // 2)
    series["start_process"] = Series()
    series["start_process_concurrent"] = Series()
    await _paired(
        jobs[:one_by_one],
        series["start_process"],
        (bare.start_and_update, bare.series["start_and_update"]),
        (bare.update_with_start, bare.series["update_with_start"]),
    )
    await run(args.setup_concurrency, jobs[one_by_one:], series["start_process_concurrent"])
    return started


async def _steady_mix(
    args: argparse.Namespace,
    town: Municipality,
    started: list[dict[str, Any]],
    series: dict[str, Series],
    bare: Baseline,
) -> None:
    """The mix of actions: some one at a time (each beside a bare update), the rest concurrently
    (bare updates at the same concurrency right before and right after)."""
    actions = _actions(town, started, with_cycles=len(started))
    one_by_one = min(args.sequential, len(actions) // 2)  # a small N keeps a concurrent half
    sequential, concurrent = actions[:one_by_one], actions[one_by_one:]
    print(f"{len(actions)} actions ({len(sequential)} one at a time) ...", flush=True)
    await bare.at_least(args.concurrency * 2)
    series["action_sequential"] = Series()
    town.phase = "one at a time"
    await _paired(sequential, series["action_sequential"], (bare.update, bare.series["update_sequential"]))
    town.phase = f"{args.concurrency} concurrent"
    series["action_concurrent"] = Series()
    bracket = [bare.update() for _ in range(len(concurrent))]
    await run(args.concurrency, bracket, bare.series["update_concurrent"])
    await run(args.concurrency, concurrent, series["action_concurrent"])
    bracket = [bare.update() for _ in range(len(concurrent))]
    await run(args.concurrency, bracket, bare.series["update_concurrent"])


async def bench(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    today = date.today()
    async with stack(folder, args.profile, args.worker_cache) as (running, client):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}", timeout=120) as http:
            await _api_ready(http)
            town = Municipality(http, args.cases, today)
            series: dict[str, Series] = {}
            print(f"registering {args.cases} cases ...", flush=True)
            series["register_case"] = Series()
            await run(
                args.setup_concurrency, [town.register(i) for i in range(args.cases)], series["register_case"]
            )
            print(f"  {series['register_case'].figures()['per_second']:.1f} cases/s", flush=True)

            async with Baseline(client).running() as bare:
                started = await _starts(args, town, series, bare)
                await _steady_mix(args, town, started, series, bare)

            board_of = town.cases[0]
            series["get_tasks"] = Series()
            series["get_board"] = Series()
            series["get_tasks_provider"] = Series()
            for _ in range(args.reads):
                await run(1, [town.read("/tasks", "case_worker", board_of.case_worker)], series["get_tasks"])
                await run(1, [town.read("/board", "case_worker", board_of.case_worker)], series["get_board"])
                await run(1, [town.read("/tasks", "provider", board_of.unit)], series["get_tasks_provider"])

            memory = {name: _rss_mb(running.pid(name)) for name in ("worker", "api", "server")}
        lost = _lost(folder / "readmodel.db", town.done)
        errors = dict(town.errors)
    # After the stop: the dev server's files are complete.
    db_bytes = sum(p.stat().st_size for p in folder.glob("temporal.db*"))
    return {
        "n_cases": args.cases,
        "commit": commit(),
        "processes_started": len(started),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "concurrency": args.concurrency,
        "worker_cache": args.worker_cache or Settings().worker_max_cached_workflows,
        "setup_concurrency": args.setup_concurrency,
        "series": {name: s.figures() for name, s in series.items()},
        "bare": {name: s.figures() for name, s in bare.series.items()},
        "memory_mb": memory,
        "temporal_db_bytes": db_bytes,
        "temporal_db_kb_per_case": db_bytes / 1024 / max(1, args.cases),
        "actions_by_kind": {name: s.figures() for name, s in town.by_kind.items()},
        "actions_answered": len(town.done),
        "actions_lost": lost,
        "errors": errors,
        "profiles": [str(p) for p in folder.glob("*.pyspy.txt")],
    }


def table(result: dict[str, Any]) -> str:
    s, b, m = result["series"], result["bare"], result["memory_mb"]

    def ms(figures: dict[str, float], key: str) -> str:
        return f"{figures[key]:.1f} ms"

    def trio(figures: dict[str, float]) -> str:
        return f"{ms(figures, 'p50_ms')} / {ms(figures, 'p95_ms')} / {ms(figures, 'p99_ms')}"

    def ratio(a: float, c: float) -> str:
        return f"{a / c:.1f}×" if c else "-"

    seq, bseq = s["action_sequential"], b["update_sequential"]
    con, bcon = s["action_concurrent"], b["update_concurrent"]
    rows = [
        (f"cases registered, {result['setup_concurrency']} concurrent (POST /cases, cycle scheduled)",
         f"{s['register_case']['per_second']:.1f}/s, p50 {ms(s['register_case'], 'p50_ms')}, "
         f"p95 {ms(s['register_case'], 'p95_ms')}", "", ""),
        ("one process started at a time (→ first steps open; p50 / p95)",
         f"{ms(s['start_process'], 'p50_ms')} / {ms(s['start_process'], 'p95_ms')}",
         f"start + 1 update {ms(b['start_and_update'], 'p50_ms')} / {ms(b['start_and_update'], 'p95_ms')}",
         ratio(s["start_process"]["p50_ms"], b["start_and_update"]["p50_ms"])),
        *((("the same, against a bare update-with-start (one call, as the API starts)", "",
            f"{ms(b['update_with_start'], 'p50_ms')} / {ms(b['update_with_start'], 'p95_ms')}",
            ratio(s["start_process"]["p50_ms"], b["update_with_start"]["p50_ms"])),)
          if "update_with_start" in b else ()),
        (f"processes started, {result['setup_concurrency']} concurrent",
         f"{s['start_process_concurrent']['per_second']:.1f}/s, p50 "
         f"{ms(s['start_process_concurrent'], 'p50_ms')}, p95 {ms(s['start_process_concurrent'], 'p95_ms')}",
         "", ""),
        ("one action at a time (p50 / p95 / p99)", trio(seq),
         trio(bseq), ratio(seq["p50_ms"], bseq["p50_ms"])),
        (f"actions, {result['concurrency']} concurrent (p50 / p95 / p99)",
         f"{con['per_second']:.1f}/s; {trio(con)}",
         f"{bcon['per_second']:.1f}/s; {trio(bcon)}",
         f"{con['per_second'] / bcon['per_second'] * 100:.0f} % of bare" if bcon["per_second"] else "-"),
        *(
            (f"actions {name} (p50 / p95)", f"{ms(figures, 'p50_ms')} / {ms(figures, 'p95_ms')}", "", "")
            for name, figures in sorted(result["actions_by_kind"].items())
        ),
        ("GET /tasks p95 (case worker; provider unit)",
         f"{ms(s['get_tasks'], 'p95_ms')}; {ms(s['get_tasks_provider'], 'p95_ms')}", "", ""),
        ("GET /board p95 (case worker)", ms(s["get_board"], "p95_ms"), "", ""),
        ("resident memory: worker / API / dev server",
         f"{m['worker']:.0f} / {m['api']:.0f} / {m['server']:.0f} MB", "", ""),
        ("dev server database per case", f"{result['temporal_db_kb_per_case']:.1f} kB", "", ""),
        ("actions answered / lost", f"{result['actions_answered']} / {result['actions_lost']}", "", ""),
        *((("errors (HTTP status by kind)", str(result["errors"]), "", ""),) if result.get("errors") else ()),
    ]  # fmt: skip
    machine = result["machine"]
    head = (
        f"N = {result['n_cases']} cases ({result['processes_started']} processes besides the cycles), "
        f"{result['date'][:10]}, {machine['cores']} cores, {machine['memory_gb']} GB"
        + (f", worker cache {result['worker_cache']} workflows" if "worker_cache" in result else "")
    )
    lines = [head, "", "| | this project | bare Temporal | ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b_} | {c} | {d} |" for a, b_, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cases", type=at_least(len(PROCESS_TYPES)), default=25_000, help="N, the municipality's cases"
    )
    parser.add_argument("--setup-concurrency", type=at_least(1), default=8)
    parser.add_argument(
        "--concurrency", type=at_least(1), default=10, help="concurrent actions in the steady mix"
    )
    parser.add_argument("--sequential", type=at_least(1), default=50, help="actions measured one at a time")
    parser.add_argument("--reads", type=at_least(1), default=40, help="GET /tasks and /board requests")
    parser.add_argument(
        "--worker-cache",
        type=at_least(1),
        default=None,
        help="the worker's workflow cache (default: the setting's)",
    )
    parser.add_argument("--profile", action="store_true", help="run worker and API under py-spy")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data (and profiles) in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="municipality-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(bench(args, folder))
    text = table(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    cache = f"-cache{args.worker_cache}" if args.worker_cache else ""
    stem = RESULTS / f"municipality-{result['date'][:10]}-N{result['n_cases']}{cache}"
    stem.with_suffix(".json").write_text(
        json.dumps(without_nan(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    stem.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    print(f"written: {stem}.json, {stem}.md")
    sys.stdout.flush()
    os._exit(0)  # the SDK's native threads can crash interpreter finalisation (DESIGN.md)


if __name__ == "__main__":
    main()
