"""The baseline of the municipality benchmark: a minimal workflow that waits for one update.

Runs on the same server as the system, through the same data converter (pydantic + the payload
codec), in a worker of its own; what an action of the system costs beyond Temporal itself is the
ratio of the two.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

TYPE = "bench-bare"


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
