"""The API's calls to Temporal: start a process, read its state, perform an action.

Every call goes through ``temporal_errors`` so that Temporal's errors become the contract's HTTP
statuses in one place.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, status
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.abnormal_ends import AbnormalEnd, of_description
from api.errors import describe, raise_if_refused, task_failing, temporal_errors
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
    "case-event": "Händelse i ärendet",
}


def summary(process_type: str, case_id: str) -> str:
    return f"{PROCESS_LABELS.get(process_type, process_type)} i ärende {case_id}"


def handle_of(client: Client, process_id: str) -> WorkflowHandle[Any, ProcessState]:
    return client.get_workflow_handle(process_id, result_type=ProcessState)


class ProcessFailing(Exception):
    """The workflow runs but does not answer: its workflow task keeps failing, or its state query
    failed or timed out (issue 6 §2.4). The API then shows the read model's state."""


class EndedAbnormally(Exception):
    """The workflow ended without closing its process: terminated, failed, timed out or cancelled
    (api/abnormal_ends.py). Its state query would show it as it was, with steps still open."""

    def __init__(self, end: AbnormalEnd) -> None:
        super().__init__(end.outcome)
        self.end = end


async def start_process(
    client: Client,
    task_queue: str,
    process_type: str,
    inp: Any,
    process_id: str,
    case_id: str,
    timeout: timedelta | None = None,
) -> ProcessState:
    """Start the workflow (a repeated id is refused: 409) and wait, at most ``timeout`` (then
    504), until it has opened its first steps. A workflow that refuses its input answers 422.

    One call (update-with-start, issue 9): the ``ready`` update rides with the start, so the
    workflow's first task answers it, without a second round trip to the server."""
    handle = handle_of(client, process_id)
    start: WithStartWorkflowOperation[Any, ProcessState] = WithStartWorkflowOperation(
        process_type,
        inp,
        id=process_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=summary(process_type, case_id),
        result_type=ProcessState,
    )
    try:
        async with temporal_errors(client, process_id):
            state: ProcessState = await client.execute_update_with_start_workflow(
                "ready", start_workflow_operation=start, result_type=ProcessState, rpc_timeout=timeout
            )
            return state
    except HTTPException as error:
        if error.status_code == status.HTTP_409_CONFLICT and not await _started_before(start):
            await raise_if_refused(handle)  # it ended before it was ready
        raise


async def _started_before(start: WithStartWorkflowOperation[Any, Any]) -> bool:
    """Whether a 409 of ``start_process`` is the id taken by an earlier start (its operation
    then never got a handle), rather than this start's workflow ending before it was ready."""
    try:  # settled by then: the SDK resolves the operation before the call raises
        await asyncio.wait_for(start.workflow_handle(), timeout=1)
    except (WorkflowAlreadyStartedError, RPCError):  # the id was taken: the start was refused
        return True
    except TimeoutError:  # never resolved: assume nothing of this start to report on
        return True
    return False


async def wait_ready(client: Client, process_id: str, timeout: timedelta | None = None) -> None:
    """Until a running process has opened its first steps (its ``ready`` update), at most
    ``timeout`` (then 504): e.g. a follow-up its cycle has just started."""
    async with temporal_errors(client, process_id):
        await handle_of(client, process_id).execute_update(
            "ready", result_type=ProcessState, rpc_timeout=timeout
        )


async def current_state(
    client: Client, process_id: str, timeout: timedelta | None = None
) -> ProcessState | None:
    """The ``state`` query (waiting at most ``timeout``); None when the workflow is no longer kept
    (retention has passed). Raises ProcessFailing when the workflow does not answer, and
    EndedAbnormally when it ended without closing the process."""
    described = await describe(client, process_id)
    if described is not None and task_failing(described):
        raise ProcessFailing(process_id)
    end = of_description(described) if described is not None else None
    if end is not None:
        raise EndedAbnormally(end)
    return await query_state(client, process_id, timeout)


async def query_state(
    client: Client, process_id: str, timeout: timedelta | None = None
) -> ProcessState | None:
    """The ``state`` query alone, also of a closed workflow (as it was when it closed); None when
    the workflow is no longer kept. Raises ProcessFailing when it does not answer."""
    handle = handle_of(client, process_id)
    try:
        state: ProcessState = await handle.query("state", result_type=ProcessState, rpc_timeout=timeout)
    except WorkflowQueryFailedError as error:
        raise ProcessFailing(process_id) from error
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Temporal är inte nåbart.") from error
        raise ProcessFailing(process_id) from error  # e.g. the query's deadline passed
    return state


async def perform(
    client: Client, process_id: str, action: str, arg: Any, key: str, timeout: timedelta | None = None
) -> ProcessState:
    """Perform an action: an update whose id is the idempotency key, so a repeat has one effect.
    Waits at most ``timeout`` for the answer, then 504 (the action may still be carried out; a
    repeat with the same key answers with its result)."""
    handle = handle_of(client, process_id)
    async with temporal_errors(client, process_id):
        state: ProcessState = await handle.execute_update(
            action, arg, id=key, result_type=ProcessState, rpc_timeout=timeout
        )
    return state
