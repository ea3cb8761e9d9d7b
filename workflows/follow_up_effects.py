"""The follow-up cycle's side effects, as activity calls with explicit timeouts (like Effects)."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.follow_up import CycleStart, FollowUpActivities
    from activities.records import DecisionEnd, FollowUpStage, ScheduleRecord
    from workflows.effects import flush_pending
    from workflows.io.follow_up import DecisionGranted
    from workflows.model import ProcessRef
    from workflows.profiles import Profile

_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


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
    await flush_pending()  # the process's own effects first, in the order they happened
    await workflow.execute_activity_method(
        FollowUpActivities.start_or_signal_cycle,
        start,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary="Uppföljningscykeln får beslutet",
    )


async def record_schedule(record: ScheduleRecord) -> None:
    due = record.next_due.isoformat() if isinstance(record.next_due, date) else "ingen"
    await flush_pending()  # the process's own effects first, in the order they happened
    await workflow.execute_activity_method(
        FollowUpActivities.record_schedule,
        record,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary=f"Uppföljningstavlan: nästa {due}",
    )


async def record_stage(ref: ProcessRef, stage: str) -> None:
    record = FollowUpStage(
        case_id=ref.case_id, process_id=ref.process_id, stage=stage, updated_at=workflow.now()
    )
    await flush_pending()  # the process's own effects first, in the order they happened
    await workflow.execute_activity_method(
        FollowUpActivities.record_follow_up_stage,
        record,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary=f"Uppföljningstavlan: {stage}",
    )


async def end_decision(record: DecisionEnd) -> None:
    await flush_pending()  # the process's own effects first, in the order they happened
    await workflow.execute_activity_method(
        FollowUpActivities.end_decision,
        record,
        start_to_close_timeout=_TIMEOUT,
        retry_policy=_RETRY,
        summary=f"Beslut upphör {record.ended_on}",
    )
