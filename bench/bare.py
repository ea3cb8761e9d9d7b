"""The baselines: a minimal workflow that waits for one update (the municipality benchmark's
bare Temporal), and the same with what the design adds to every action (bench/floor.py).

Run on the same server as the system, through the same data converter (pydantic + the payload
codec), in a worker of their own; what an action of the system costs beyond Temporal itself is the
ratio of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.search import NEXT_DUE_AT, STAGE

TYPE = "bench-bare"
FLOOR_TYPE = "bench-floor"
FLOOR_WRITE = "bench-floor-write"  # the local activity of bench/floor.py


@workflow.defn(name=TYPE)
class BareWorkflow:
    def __init__(self) -> None:
        self.acted = 0
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done, timeout=timedelta(hours=6))
        return self.acted

    @workflow.update
    def act(self, note: str) -> int:
        """One action: the state changes, the caller gets the new state."""
        self.acted += 1
        return self.acted

    @workflow.signal
    def finish(self) -> None:
        self.done = True


# -- the design's floor (bench/floor.py) ---------------------------------------------------------


@dataclass
class FloorStep:
    """What one update of the floor workflow does beyond the bare update: upsert the Stage and
    NextDueAt search attributes (as every step of a process does, DESIGN.md) and/or write one row
    to the read model before answering (the effects' batch, issue 9)."""

    upsert: bool
    write: bool


@workflow.defn(name=FLOOR_TYPE)
class FloorWorkflow:
    """A bare workflow whose update does what ``FloorStep`` says, then answers."""

    @workflow.init
    def __init__(self, step: FloorStep) -> None:
        self.step = step
        self.acted = 0
        self.done = False

    @workflow.run
    async def run(self, step: FloorStep) -> int:
        await workflow.wait_condition(lambda: self.done, timeout=timedelta(hours=6))
        return self.acted

    @workflow.update
    async def act(self, note: str) -> int:
        self.acted += 1
        if self.step.upsert:
            due = workflow.now() + timedelta(days=self.acted)
            workflow.upsert_search_attributes([STAGE.value_set(note), NEXT_DUE_AT.value_set(due)])
        if self.step.write:
            await workflow.execute_local_activity(
                FLOOR_WRITE,
                f"{workflow.info().workflow_id}/{self.acted}",
                start_to_close_timeout=timedelta(seconds=30),
            )
        return self.acted

    @workflow.signal
    def finish(self) -> None:
        self.done = True
