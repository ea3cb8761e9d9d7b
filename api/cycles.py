"""The follow-up cycle of a case registered over HTTP (FU-1): its decisions start the cycle.

The same signal-with-start the processes use through their activity
(``activities.follow_up.ensure_cycle``), so a repeated registration only re-delivers decisions the
cycle already knows.
"""

from __future__ import annotations

from collections.abc import Set

from fastapi import Request
from sqlalchemy.orm import Session
from temporalio.client import Client

from activities.follow_up import CycleStart, cycle_id, ensure_cycle
from api.errors import temporal_errors
from readmodel import repository as repo
from readmodel.models import Case
from runtime.settings import Settings
from workflows.io.follow_up import DecisionGranted
from workflows.profiles import Profile


async def start_for_case(
    request: Request, session: Session, case: Case, new_case: Set[str] = frozenset()
) -> None:
    """Deliver the case's active decisions to its follow-up cycle (starting it with the first)
    and wait until the cycle has scheduled its next follow-up.

    An app without a Temporal client (a read-model-only test app) registers cases without a cycle.
    """
    client: Client | None = request.app.state.client
    if client is None:
        return
    settings: Settings = request.app.state.settings
    profile: Profile = request.app.state.profiles[case.profile]
    decisions = [d for d in repo.decisions_of_case(session, case.id) if d.status == "active"]
    session.commit()  # release the read-model connection before waiting on Temporal
    for decision in decisions:
        granted = DecisionGranted(
            decision_id=decision.id,
            start_date=decision.start_date or case.created_at.date(),
            end_date=decision.end_date,
            new_case=decision.id in new_case,
            services=[str(s) for s in decision.services],
            kind=decision.kind,
        )
        start = CycleStart(
            case_id=case.id,
            profile=profile,
            decision=granted,
            task_queue=settings.task_queue,
            case_worker_id=case.case_worker_id,
            provider_id=case.provider_id,
        )
        async with temporal_errors(client, cycle_id(case.id)):
            await ensure_cycle(client, start)
    if decisions:
        # Answer once the cycle has scheduled (its process and board rows are written).
        async with temporal_errors(client, cycle_id(case.id)):
            await client.get_workflow_handle(cycle_id(case.id)).execute_update("ready")
