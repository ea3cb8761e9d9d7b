"""The API's calls to Temporal: start a process, read its state, perform an action.

Every call goes through ``temporal_errors`` so that Temporal's errors become the contract's HTTP
statuses in one place.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.errors import temporal_errors
from workflows.model import ProcessState

# Swedish names of the process types, for the Temporal UI's summary of each workflow.
PROCESS_LABELS = {
    "new-urgent-case": "Nytt akut ärende",
    "urgent-change": "Akut förändrat behov",
    "temporary-extension": "Tillfällig utökning (14 dagar)",
    "homecoming": "Hemgång med hemgångsteam",
    "follow-up": "Uppföljning",
    "order": "Beställning",
    "extra-visits": "Extrabesök",
}


def summary(process_type: str, case_id: str) -> str:
    return f"{PROCESS_LABELS.get(process_type, process_type)} i ärende {case_id}"


def handle_of(client: Client, process_id: str) -> WorkflowHandle[Any, ProcessState]:
    return client.get_workflow_handle(process_id, result_type=ProcessState)


async def start_process(
    client: Client, task_queue: str, process_type: str, inp: Any, process_id: str, case_id: str
) -> ProcessState:
    """Start the workflow (a repeated id is refused) and wait until it has opened its first steps."""
    handle = handle_of(client, process_id)
    async with temporal_errors(client, process_id):
        await client.start_workflow(
            process_type,
            inp,
            id=process_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary(process_type, case_id),
        )
        state: ProcessState = await handle.execute_update("ready", result_type=ProcessState)
        return state


async def current_state(client: Client, process_id: str) -> ProcessState | None:
    """The ``state`` query; None when the workflow is no longer kept (retention has passed)."""
    handle = handle_of(client, process_id)
    try:
        state: ProcessState = await handle.query("state", result_type=ProcessState)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return state


async def perform(client: Client, process_id: str, action: str, arg: Any, key: str) -> ProcessState:
    """Perform an action: an update whose id is the idempotency key, so a repeat has one effect."""
    handle = handle_of(client, process_id)
    async with temporal_errors(client, process_id):
        state: ProcessState = await handle.execute_update(action, arg, id=key, result_type=ProcessState)
    return state
