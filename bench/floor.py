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
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare import FLOOR_TYPE, FLOOR_WRITE, FloorStep, FloorWorkflow
from bench.figures import Series, at_least, machine, run, without_nan
from runtime.settings import Settings
from runtime.temporal import dev_server_path, make_data_converter, register_search_attributes
from runtime.worker import workflow_runner

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {
    "bare": FloorStep(upsert=False, write=False),
    "search attributes (Stage, NextDueAt)": FloorStep(upsert=True, write=False),
    "write before answer (local activity, SQLite)": FloorStep(upsert=False, write=True),
    "both": FloorStep(upsert=True, write=True),
}
WORKFLOWS = 10  # per variant and round; the concurrent updates go one per workflow


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
    finally:
        await env.shutdown()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": args.rounds,
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
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=at_least(1), default=3)
    parser.add_argument(
        "--sequential", type=at_least(1), default=150, help="updates one at a time, per round"
    )
    parser.add_argument("--concurrent", type=at_least(1), default=300, help="updates 10 at a time, per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="floor-") as scratch:
        result = asyncio.run(bench(args, Path(scratch)))
    text = table(result)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"floor-{result['date'][:10]}"
    stem.with_suffix(".json").write_text(json.dumps(without_nan(result), indent=2) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    print(f"written: {stem}.json, {stem}.md")


if __name__ == "__main__":
    main()
