"""The design's floor (issue 9): what a minimal workflow's update costs once it does what DESIGN.md
asks of every action of this system, before any of the system's own code runs.

Four variants of one workflow that waits for updates (bench/bare.py ``FloorWorkflow``), on one dev
server on its SQLite file, one worker, measured in interleaved rounds so that all meet the same
load:

- bare: the update changes the state and answers;
- search attributes: it also upserts Stage and NextDueAt (supervisors find processes by them);
- write before answer: it also writes one row to a SQLite read model in a local activity before
  answering (the inbox agrees with the answer);
- both.

And, alternating, a bare workflow started and then updated, against one update-with-start call.

    .venv/bin/python -m bench.floor                 # 3 rounds of 150 + 300 updates per variant

Prints a table and writes ``bench/results/floor-<date>.json`` and ``.md``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare import FLOOR_TYPE, FLOOR_WRITE, FloorStep, FloorWorkflow
from bench.figures import Series, at_least, commit, machine, run, without_nan
from runtime.settings import Settings
from runtime.temporal import dev_server_path, make_data_converter, register_search_attributes
from runtime.worker import workflow_runner

RESULTS = Path(__file__).resolve().parent / "results"
FAIL = WorkflowIDConflictPolicy.FAIL
VARIANTS = {
    "bare": FloorStep(upsert=False, write=False),
    "search attributes (Stage, NextDueAt)": FloorStep(upsert=True, write=False),
    "write before answer (local activity, SQLite)": FloorStep(upsert=False, write=True),
    "both": FloorStep(upsert=True, write=True),
}
STARTS = ("a start, then an update", "one update-with-start call")
WORKFLOWS = 10  # per variant and round; the concurrent updates go one per workflow
DEFAULT_SIZES = (3, 150, 300)  # rounds; updates one at a time and concurrent, per round


class ReadModel:
    """The floor's read model: one SQLite file, one row per update (as a read-model batch)."""

    def __init__(self, folder: Path) -> None:
        self._db = sqlite3.connect(folder / "effects.db", check_same_thread=False)
        self._db.execute("create table effects (key text primary key, body text)")
        self._lock = threading.Lock()

    @activity.defn(name=FLOOR_WRITE)
    def write(self, key: str) -> None:
        with self._lock, self._db:
            self._db.execute("insert or replace into effects values (?, ?)", (key, "x" * 200))


async def _round(
    client: Client,
    queue: str,
    step: FloorStep,
    args: argparse.Namespace,
    sequential: Series,
    concurrent: Series,
) -> None:
    """``args.sequential`` updates one at a time, then ``args.concurrent`` at WORKFLOWS at once."""
    handles: list[WorkflowHandle[Any, Any]] = [
        await client.start_workflow(FLOOR_TYPE, step, id=f"floor-{uuid.uuid4()}", task_queue=queue)
        for _ in range(WORKFLOWS)
    ]

    def update(handle: WorkflowHandle[Any, Any]) -> Callable[[], Awaitable[bool]]:
        async def job() -> bool:
            await handle.execute_update(FloorWorkflow.act, "steg")
            return True

        return job

    for i in range(args.sequential):
        await run(1, [update(handles[i % WORKFLOWS])], sequential)
    await run(WORKFLOWS, [update(handles[i % WORKFLOWS]) for i in range(args.concurrent)], concurrent)
    for handle in handles:
        await handle.signal(FloorWorkflow.finish)


async def _starts(client: Client, queue: str, n: int, then_update: Series, with_start: Series) -> None:
    """``n`` pairs, alternating: a start and then an update, and one update-with-start call (as the
    API starts a process, api/temporal_gateway.py), each of a bare workflow."""
    bare = VARIANTS["bare"]
    handles: list[WorkflowHandle[Any, Any]] = []

    async def separate() -> bool:
        handle = await client.start_workflow(FLOOR_TYPE, bare, id=f"floor-{uuid.uuid4()}", task_queue=queue)
        await handle.execute_update(FloorWorkflow.act, "start")
        handles.append(handle)
        return True

    async def together() -> bool:
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            FLOOR_TYPE, bare, id=f"floor-{uuid.uuid4()}", task_queue=queue, id_conflict_policy=FAIL
        )
        await client.execute_update_with_start_workflow(
            FloorWorkflow.act, "start", start_workflow_operation=start
        )
        handles.append(await start.workflow_handle())
        return True

    for _ in range(n):
        await run(1, [separate], then_update)
        await run(1, [together], with_start)
    for handle in handles:
        await handle.signal(FloorWorkflow.finish)


async def bench(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=dev_server_path(),
        data_converter=make_data_converter(Settings()),
        dev_server_extra_args=["--db-filename", str(folder / "temporal.db")],
    )
    try:
        await register_search_attributes(env.client, env.client.namespace)
        queue = f"floor-{uuid.uuid4()}"
        figures = {name: (Series(), Series()) for name in VARIANTS}
        starts = {name: Series() for name in STARTS}
        with ThreadPoolExecutor(max_workers=4) as executor:
            worker = Worker(
                env.client,
                task_queue=queue,
                workflows=[FloorWorkflow],
                activities=[ReadModel(folder).write],
                activity_executor=executor,
                workflow_runner=workflow_runner(),
            )
            async with worker:
                for _ in range(args.rounds):
                    for name, step in VARIANTS.items():
                        await _round(env.client, queue, step, args, *figures[name])
                    await _starts(env.client, queue, max(1, args.sequential // 3), *starts.values())
    finally:
        await env.shutdown()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "rounds": args.rounds,
        "starts": {name: series.figures() for name, series in starts.items()},
        "variants": {
            name: {"sequential": one.figures(), "concurrent": many.figures()}
            for name, (one, many) in figures.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    variants = result["variants"]
    bare = variants["bare"]
    rows = []
    for name, figures in variants.items():
        one, many = figures["sequential"], figures["concurrent"]
        rows.append(
            f"| {name} | {one['p50_ms']:.1f} ms / {one['p95_ms']:.1f} ms | "
            f"{one['p50_ms'] / bare['sequential']['p50_ms']:.2f}× | {many['per_second']:.0f}/s | "
            f"{many['per_second'] / bare['concurrent']['per_second'] * 100:.0f} % |"
        )
    head = (
        f"The design's floor, {result['date'][:10]}, {result['machine']['cores']} cores, "
        f"{result['rounds']} interleaved rounds"
    )
    return "\n".join(
        [
            head,
            "",
            "| one update that also … | one at a time p50 / p95 | × bare "
            f"| {WORKFLOWS} concurrent | of bare |",
            "|---|---|---|---|---|",
            *rows,
            *_start_rows(result.get("starts", {})),
        ]
    )


def _start_rows(starts: dict[str, dict[str, float]]) -> list[str]:
    """The bare starts, alternating (results of runs before they were measured have none)."""
    if not starts:
        return []
    rows = ["", "| a bare workflow started and answered by … | p50 / p95 |", "|---|---|"]
    rows += [f"| {name} | {f['p50_ms']:.1f} ms / {f['p95_ms']:.1f} ms |" for name, f in starts.items()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=at_least(1), default=DEFAULT_SIZES[0])
    parser.add_argument(
        "--sequential", type=at_least(1), default=DEFAULT_SIZES[1], help="updates one at a time, per round"
    )
    parser.add_argument(
        "--concurrent", type=at_least(1), default=DEFAULT_SIZES[2], help="updates 10 at a time, per round"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="floor-") as scratch:
        result = asyncio.run(bench(args, Path(scratch)))
    text = table(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sizes = (args.rounds, args.sequential, args.concurrent)
    # A run of other sizes (a smoke run) does not overwrite the day's run at the defaults.
    suffix = "" if sizes == DEFAULT_SIZES else "-rounds{}-seq{}-con{}".format(*sizes)
    stem = RESULTS / f"floor-{result['date'][:10]}{suffix}"
    stem.with_suffix(".json").write_text(json.dumps(without_nan(result), indent=2) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    print(f"written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
