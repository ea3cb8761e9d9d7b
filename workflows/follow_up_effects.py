"""The follow-up cycle's side effects: the board row (FU-9), the end of decisions, and the decision
handed to the case's cycle (FU-1).

Issue 9: since the change ``follow-up-board-batch`` (``BOARD_PATCH``) the board's writes and the
end of a decision go into the process's read-model batch (``Effects``), written with its other
effects, in order, in one transaction, before the process's waiting actions are answered: a case's
registration or a ``start_now`` no longer waits for an activity's round trip through the server
per board write. Histories recorded before the change replay with one activity per write, after
the process's pending effects. Handing a decision to the cycle talks to Temporal (signal-with-
start) and stays an activity of its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.follow_up import CycleStart, FollowUpActivities
    from activities.records import DecisionEnd, FollowUpStage, ScheduleRecord
    from workflows.effects import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, current_effects, flush_pending
    from workflows.io.follow_up import DecisionGranted
    from workflows.model import ProcessRef
    from workflows.profiles import Profile

# The change id of the board's writes in the read-model batch (issue 9).
BOARD_PATCH = "follow-up-board-batch"


async def _run(activity: Any, record: Any, summary: str) -> None:
    """The process's own pending effects first (in the order they happened), then the activity."""
    await flush_pending()
    await workflow.execute_activity_method(
        activity,
        record,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=ACTIVITY_RETRY,
        summary=summary,
    )


async def _write(kind: str, activity: Any, record: Any, summary: str) -> None:
    """A read-model write of the board: into the process's batch (``kind`` is its field of
    ReadModelWrite), or in histories before BOARD_PATCH by its own ``activity``."""
    effects = current_effects()
    if effects is not None and effects.batches_since(BOARD_PATCH):
        effects.collect(kind, record, summary)
        return
    await _run(activity, record, summary)


async def decision_to_cycle(ref: ProcessRef, profile: Profile, decision: DecisionGranted) -> None:
    """FU-1: the case's follow-up cycle learns of the decision (and starts with the first one)."""
    start = CycleStart(
        case_id=ref.case_id,
        profile=profile,
        decision=decision,
        task_queue=workflow.info().task_queue,
        case_worker_id=ref.case_worker_id,
        provider_id=ref.provider_id,
    )
    await _run(FollowUpActivities.start_or_signal_cycle, start, "Uppföljningscykeln får beslutet")


async def record_schedule(record: ScheduleRecord) -> None:
    due = record.next_due.isoformat() if isinstance(record.next_due, date) else "ingen"
    await _write("schedule", FollowUpActivities.record_schedule, record, f"Uppföljningstavlan: nästa {due}")


async def record_stage(ref: ProcessRef, stage: str) -> None:
    record = FollowUpStage(
        case_id=ref.case_id, process_id=ref.process_id, stage=stage, updated_at=workflow.now()
    )
    await _write(
        "follow_up_stage", FollowUpActivities.record_follow_up_stage, record, f"Uppföljningstavlan: {stage}"
    )


async def end_decision(record: DecisionEnd) -> None:
    """The decision's end, written before the caller tells the cycle (as the activity was)."""
    await _write("decision_end", FollowUpActivities.end_decision, record, f"Beslut upphör {record.ended_on}")
    await flush_pending()
