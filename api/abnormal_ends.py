"""Processes whose workflow ended without closing itself, and the read model catching up with them.

A process writes "completed" to its ``processes`` row when it closes. A workflow that ends any
other way (an operator terminates it in the Temporal UI or CLI, it times out, fails or is
cancelled) never does: its row would stay running for ever, its open tasks would stay in the
inboxes, and a type that allows one running process per case (``ONE_RUNNING_PER_CASE``: the
temporary extension, the homecoming) would refuse every new start with 409.

Whenever the API meets such a row it asks Temporal, and a workflow that has ended abnormally is
recorded as such (``heal``, one piece of code for every place): the row's status becomes
``aborted`` ("avbruten") with the way it ended as its outcome, it no longer holds its once-key,
and its open tasks are closed. The places: a start refused because the case already has the
process (``services.start_process``), the state of a process (``GET /processes/{id}``, its page
and history), an action answered "Processen är avslutad", and a death that finds the process
already closed (``case_closing.end_running``). A row whose workflow Temporal does not know at all
(its start never reached Temporal, or its history is past retention) counts as ended once it is
older than ``STARTING_GRACE``, so a start in progress is never taken for a lost one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from api.errors import describe
from readmodel import repository as repo
from readmodel.models import Process
from workflows import calendar

# How each abnormal end of a workflow is recorded as the process's outcome.
OUTCOMES = {
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.CANCELED: "canceled",
}
LOST = "lost"  # Temporal does not know the workflow (never started, or past retention)
# A reserved row's workflow is started within seconds (or the row is given back); one unknown to
# Temporal for longer than this was lost, not starting.
STARTING_GRACE = timedelta(minutes=15)

# What happened, as a supervisor reads it (the process's deviation and timeline).
_WHAT = {
    "terminated": "avslutades av en operatör i Temporal (terminate)",
    "failed": "misslyckades i Temporal",
    "timed_out": "överskred sin tidsgräns i Temporal",
    "canceled": "avbröts på begäran i Temporal (cancel)",
    LOST: "finns inte i Temporal (startades aldrig, eller dess historik är borttagen)",
}


@dataclass(frozen=True)
class AbnormalEnd:
    """How and when a process's workflow ended without closing the process."""

    outcome: str
    at: datetime


def of_description(described: DescribeWorkflowExecutionResponse) -> AbnormalEnd | None:
    """The abnormal end a workflow's description shows; None while it runs or when it completed."""
    info = described.workflow_execution_info
    outcome = OUTCOMES.get(WorkflowExecutionStatus(int(info.status))) if info.status else None
    if outcome is None:
        return None
    return AbnormalEnd(outcome, info.close_time.ToDatetime(tzinfo=UTC))


def explanation(outcome: str | None, at: datetime | None) -> str:
    """The deviation a process shows once it is recorded as aborted (Swedish)."""
    what = _WHAT.get(outcome or "", "avbröts i Temporal")
    when = f" {calendar.local(at):%Y-%m-%d %H:%M}" if at is not None else ""
    return (
        f"Processen {what}{when} och avslutades inte som vanligt. Dess öppna uppgifter är stängda; "
        "det som återstod görs på annat sätt eller i en ny process."
    )


def record(session: Session, process_id: str, end: AbnormalEnd) -> bool:
    """Record the end in the read model (see ``repo.abort_process``) and commit → whether the row
    was still running."""
    changed = repo.abort_process(session, process_id, end.outcome, end.at)
    session.commit()
    return changed


async def heal(session: Session, client: Client, row: Process, now: datetime) -> AbnormalEnd | None:
    """If the row says running but its workflow has ended abnormally (or is lost): record it →
    the end; None when the workflow runs or completed, or Temporal cannot be asked right now."""
    if row.status != repo.RUNNING:
        return None
    process_id, started_at = row.id, row.started_at
    session.commit()  # no read-model transaction held while Temporal answers
    try:
        described = await describe(client, process_id)
    except RPCError:
        return None  # unknown now: nothing is changed, the caller answers as before
    if described is not None:
        end = of_description(described)
    elif now - started_at > STARTING_GRACE:
        end = AbnormalEnd(LOST, now)
    else:
        end = None
    if end is not None:
        record(session, process_id, end)
    return end
