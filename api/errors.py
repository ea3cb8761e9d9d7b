"""Errors as JSON ``{"detail": ...}`` and the translation of Temporal errors to HTTP statuses.

DESIGN.md "Errors -> HTTP": an update rejected by its validator (or failed in its handler) carries
the kind in the ApplicationError type (NotOpen 409, Forbidden 403, Invalid 422); an unknown
workflow answers NOT_FOUND (404), but so does a completed one, which ``describe()`` tells apart
(409); a duplicate start is 409; an update that times out is 504.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
)
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.validation import validation_detail
from workflows.model import FIELDS_DETAIL, FORBIDDEN, INVALID, NOT_OPEN, fields_of

PROCESS_CLOSED = "Processen är avslutad."
PROCESS_UNKNOWN = "Processen finns inte."
PROCESS_STARTED = "Processen är redan startad."
PROCESS_NOT_ANSWERING = "Processen svarade inte i tid; åtgärden är inte bekräftad. Försök igen om en stund."
PROCESS_FAILING = (
    "Processen står still på grund av ett tekniskt fel och kan inte ta emot åtgärder just nu. "
    "Uppgifterna visar läsmodellens senast kända läge; systemförvaltningen behöver åtgärda felet."
)
_UPDATE_STATUS = {
    NOT_OPEN: status.HTTP_409_CONFLICT,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


class Refusal(HTTPException):
    """A rule's refusal: the contract's ``{"detail": "<Swedish sentence>"}``, and the inputs it is
    about (``fields``, a nested one dotted), for the pages to show the reason at each of them."""

    def __init__(self, status_code: int, detail: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(status_code, detail)
        self.fields = fields


def not_found(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail)


def unprocessable(detail: Any, *fields: str) -> HTTPException:
    if fields and isinstance(detail, str):
        return Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, detail, fields)
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def refused(error: ValueError) -> HTTPException:
    """A rule's ValueError as the 422 of the contract, with the fields a FieldError names."""
    return unprocessable(str(error), *fields_of(error))


def refusal_fields(error: ApplicationError) -> tuple[str, ...]:
    """The fields an Invalid ApplicationError names in its details (workflows.model.invalid)."""
    for detail in error.details:
        if isinstance(detail, dict) and isinstance(detail.get(FIELDS_DETAIL), list):
            return tuple(str(name) for name in detail[FIELDS_DETAIL])
    return ()


def conflict(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail)


def _update_failed(error: WorkflowUpdateFailedError) -> HTTPException:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type in _UPDATE_STATUS:
        return Refusal(_UPDATE_STATUS[cause.type], cause.message, refusal_fields(cause))
    message = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
    return unprocessable(message)


async def describe(client: Client, workflow_id: str) -> DescribeWorkflowExecutionResponse | None:
    """The raw describe of the workflow; None if the server does not know it.

    The raw call, not ``handle.describe()``: that also decodes the search attributes, which fails
    on the time-skipping test server for an unset datetime attribute (NextDueAt).
    """
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=workflow_id),
    )
    try:
        return await client.workflow_service.describe_workflow_execution(request)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _execution_status(client: Client, workflow_id: str) -> int | None:
    """The workflow's status; None if the server does not know it."""
    response = await describe(client, workflow_id)
    return None if response is None else int(response.workflow_execution_info.status)


def task_failing(response: DescribeWorkflowExecutionResponse) -> bool:
    """The workflow's task has failed and is being retried (DESIGN.md: a stuck process)."""
    return response.HasField("pending_workflow_task") and response.pending_workflow_task.attempt > 1


async def raise_if_refused(handle: WorkflowHandle[Any, Any]) -> None:
    """A workflow that ended before answering its start: if it refused its input (an
    ApplicationError of kind Invalid, ``ProcessWorkflow.refuse``), 422 with its reason."""
    try:
        await handle.result()
    except WorkflowFailureError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == INVALID:
            raise unprocessable(cause.message) from error


async def _not_found(client: Client, workflow_id: str) -> NoReturn:
    """NOT_FOUND from the server: either unknown, or already closed (then 409)."""
    execution_status = await _execution_status(client, workflow_id)
    if execution_status is not None and execution_status != WorkflowExecutionStatus.RUNNING:
        raise conflict(PROCESS_CLOSED)
    raise not_found(PROCESS_UNKNOWN)


@asynccontextmanager
async def temporal_errors(client: Client, workflow_id: str) -> AsyncIterator[None]:
    """Translate what a call on the workflow raises into the HTTP error of the contract."""
    try:
        yield
    except WorkflowUpdateFailedError as error:
        raise _update_failed(error) from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, PROCESS_NOT_ANSWERING) from error
    except WorkflowAlreadyStartedError as error:
        raise conflict(PROCESS_STARTED) from error
    except RPCError as error:
        if error.status == RPCStatusCode.ALREADY_EXISTS:  # the test server's WorkflowAlreadyStarted
            raise conflict(PROCESS_STARTED) from error
        if error.status == RPCStatusCode.NOT_FOUND:
            await _not_found(client, workflow_id)
        if error.status == RPCStatusCode.UNAVAILABLE:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Temporal är inte nåbart.") from error
        if error.status == RPCStatusCode.FAILED_PRECONDITION:  # "Workflow Task in failed state"
            raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, PROCESS_FAILING) from error
        raise


def install(app: FastAPI) -> None:
    """JSON answers for errors FastAPI does not already turn into ``{"detail": ...}``."""

    @app.exception_handler(ValidationError)
    async def _pydantic_error(_request: Request, error: ValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(error)}, status.HTTP_422_UNPROCESSABLE_CONTENT)
