"""Activities of the follow-up cycle: starting (or signalling) a case's cycle, and its board row.

``ensure_cycle`` is the one piece of code that starts a case's follow-up cycle when a decision is
recorded: by signal-with-start, which starts the cycle if the case has none running and otherwise
only delivers the decision, so a retried or repeated call is harmless (decisions are keyed by id).
The API (``POST /cases`` with decisions) and every process that records a decision (through this
activity) use it.

The board's writes (``record_schedule``, ``record_follow_up_stage``, ``end_decision``) go into the
processes' read-model batch since issue 9 (``APPLY`` in activities/read_model.py writes them there
and here alike); these activities serve the histories recorded before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client

from activities.read_model import APPLY
from activities.records import DecisionEnd, FollowUpStage, ScheduleRecord
from readmodel import models
from workflows.io.follow_up import CycleInput, DecisionGranted
from workflows.profiles import Profile

CYCLE_TYPE = "follow-up-cycle"


def cycle_id(case_id: str) -> str:
    """The one cycle of a case (FU-1: one living follow-up cycle per case)."""
    return f"case-{case_id}/follow-up-cycle"


@dataclass
class CycleStart:
    """A decision to deliver to the case's cycle, and what the cycle needs if it must start."""

    case_id: str
    profile: Profile
    decision: DecisionGranted
    task_queue: str
    case_worker_id: str | None = None
    provider_id: str | None = None


async def ensure_cycle(client: Client, start: CycleStart) -> str | None:
    """Signal-with-start the case's follow-up cycle with the decision (idempotent per decision)
    → the id of the run that got the signal; None for a profile without the follow-up process."""
    if not start.profile.enables("follow-up"):
        return None
    handle = await client.start_workflow(
        CYCLE_TYPE,
        CycleInput(
            case_id=start.case_id,
            profile=start.profile,
            case_worker_id=start.case_worker_id,
            provider_id=start.provider_id,
        ),
        id=cycle_id(start.case_id),
        task_queue=start.task_queue,
        start_signal="decision_granted",
        start_signal_args=[start.decision],
        static_summary=f"Uppföljningscykel i ärende {start.case_id}",
    )
    return handle.result_run_id


class FollowUpActivities:
    def __init__(self, sessions: sessionmaker[Session], client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn
    async def start_or_signal_cycle(self, start: CycleStart) -> None:
        """FU-1: the decision to the case's cycle; END-2: a closed case's cycle stays ended (a
        decision recorded by a process racing the death does not start it again)."""
        with self._sessions() as session:
            case = session.get(models.Case, start.case_id)
            if case is not None and case.closed_at is not None:
                return
        await ensure_cycle(self._client, start)

    @activity.defn
    def record_schedule(self, record: ScheduleRecord) -> None:
        """The cycle's part of the board row; the stage only when the cycle sets one."""
        with self._sessions.begin() as session:
            APPLY["schedule"](session, record)

    @activity.defn
    def record_follow_up_stage(self, record: FollowUpStage) -> None:
        """The running follow-up's stage; ignored once the row names another follow-up."""
        with self._sessions.begin() as session:
            APPLY["follow_up_stage"](session, record)

    @activity.defn
    def end_decision(self, record: DecisionEnd) -> None:
        """The decision's status and end date; what was granted stays as it was."""
        with self._sessions.begin() as session:
            APPLY["decision_end"](session, record)

    def all(self) -> list[Any]:
        return [
            self.start_or_signal_cycle,
            self.record_schedule,
            self.record_follow_up_stage,
            self.end_decision,
        ]
