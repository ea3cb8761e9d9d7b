"""Deliberately incompatible versions of the order workflow, registered under the same workflow
type ``order``: tests/test_replay.py shows that replaying ``order_v1.json`` with them fails with a
nondeterminism error, i.e. that the replay tests catch such a change before it is deployed.

Their own module, so the sandbox that runs them imports nothing from the tests.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.io.order import OrderInput
    from workflows.model import ProcessState
    from workflows.order import OrderWorkflow


@workflow.defn(name="order")
class OrderWithOneMoreCommand(OrderWorkflow):
    """Waits a minute before sending: one timer command the recorded history does not have."""

    @workflow.run
    async def run(self, inp: OrderInput) -> ProcessState:
        await workflow.sleep(timedelta(minutes=1))
        return await super().run(inp)


@workflow.defn(name="order")
class OrderWithOneFewerCommand(OrderWorkflow):
    """No longer writes the order's row to the read model: activities the history has are missing."""

    @workflow.run
    async def run(self, inp: OrderInput) -> ProcessState:
        return await super().run(inp)

    async def _record_order(self, status: str, **changes: object) -> None:
        return None
