"""A workflow whose workflow task fails on every attempt, as a bug or a wedging input would make
it (DESIGN.md: any exception other than ApplicationError fails the task, retried forever). Its own
module, so the worker that runs it imports nothing else."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="stuck-for-tests")
class StuckWorkflow:
    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("a workflow task that fails on every attempt")
