"""The follow-up cycle's side effects, as activity calls with explicit timeouts (like Effects)."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.follow_up import CycleStart, FollowUpActivities
    from activities.records import DecisionEnd, FollowUpStage, ScheduleRecord
    from workflows.effects import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, flush_pending
    from workflows.io.follow_up import DecisionGranted
    from workflows.model import ProcessRef
    from workflows.profiles import Profile


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
    await _run(FollowUpActivities.record_schedule, record, f"Uppföljningstavlan: nästa {due}")


async def record_stage(ref: ProcessRef, stage: str) -> None:
    record = FollowUpStage(
        case_id=ref.case_id, process_id=ref.process_id, stage=stage, updated_at=workflow.now()
    )
    await _run(FollowUpActivities.record_follow_up_stage, record, f"Uppföljningstavlan: {stage}")


async def end_decision(record: DecisionEnd) -> None:
    await _run(FollowUpActivities.end_decision, record, f"Beslut upphör {record.ended_on}")
