"""Every process workflow the worker runs, by its process type (DESIGN.md table)."""

from __future__ import annotations

from workflows.order import OrderWorkflow
from workflows.process import ProcessWorkflow

PROCESS_TYPES: dict[str, type[ProcessWorkflow]] = {
    OrderWorkflow.process_type: OrderWorkflow,
}
WORKFLOWS: list[type[ProcessWorkflow]] = list(PROCESS_TYPES.values())
