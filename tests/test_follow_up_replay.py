"""Replay: today's follow-up cycle still produces the commands of recorded cycle histories.

``tests/histories/follow_up_cycle_v1.json`` is the first run of a cycle recorded with version 1 of
the code: a new case decided Mon 2026-11-23, the follow-up planned and held 2027-01-25, and the
cycle continuing as new. Version 2 journals every new due date in the authority journal behind
``workflow.patched("fu-cycle-journal-due")``; the v1 history must replay without it. Regenerate
(only for a new version file, see tests/test_replay.py)::

    .venv/bin/python -m tests.test_follow_up_replay
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from readmodel import models
from readmodel.database import make_engine, make_session_factory
from tests.support import scenario, sthlm
from tests.test_follow_up_cycle import MONDAY, current_run, eventually, hold_follow_up, next_run, start_cycle
from tests.test_replay import replayer
from workflows.follow_up_cycle import cycle_id

HISTORIES = Path(__file__).resolve().parent / "histories"
CYCLE_V1 = HISTORIES / "follow_up_cycle_v1.json"


async def record_cycle_history(sessions: sessionmaker[Session]) -> WorkflowHistory:
    """The first run of a cycle, from its start to its continue-as-new after the first follow-up."""
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        first_run = await current_run(env, cycle_id(case_id))
        from tests.support import advance_to

        await advance_to(env, sthlm(2027, 1, 10, 9, 0))
        process_id = f"case-{case_id}/follow-up/1"
        await eventually(
            lambda: _follow_up_of(sessions, case_id) == process_id, "the follow-up started by the cycle"
        )
        await hold_follow_up(env, process_id, sthlm(2027, 1, 25, 10, 0))
        await next_run(env, cycle_id(case_id), first_run)
        return await env.client.get_workflow_handle(cycle_id(case_id), run_id=first_run).fetch_history()


def _follow_up_of(sessions: sessionmaker[Session], case_id: str) -> str | None:
    with sessions() as session:
        row = session.get(models.FollowUpSchedule, case_id)
        return row.follow_up_process_id if row is not None else None


async def test_the_recorded_follow_up_cycle_v1_history_replays_without_nondeterminism() -> None:
    recorded = json.loads(CYCLE_V1.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    kinds = {event.event_type for event in history.events}
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW in kinds
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED in kinds
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"follow_up_cycle_v1 no longer replays: {result.replay_failure}"


async def test_a_freshly_recorded_cycle_replays_and_journals_its_due_dates(
    sessions: sessionmaker[Session],
) -> None:
    history = await record_cycle_history(sessions)
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert markers, "the patched change is recorded in new histories"
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, str(result.replay_failure)
    with sessions() as session:
        texts = session.scalars(
            select(models.JournalEntry.text).where(models.JournalEntry.journal == "authority")
        ).all()
    assert "Nästa uppföljning senast 2027-01-23 (nytt ärende, två månader efter beslutet)." in texts


async def write_cycle_v1() -> Path:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'readmodel.db'}")
        try:
            history = await record_cycle_history(make_session_factory(engine))
        finally:
            engine.dispose()
    HISTORIES.mkdir(exist_ok=True)
    document = {"workflow_id": history.workflow_id, "history": history.to_json_dict()}
    CYCLE_V1.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return CYCLE_V1


if __name__ == "__main__":
    written = asyncio.run(write_cycle_v1())
    print(f"wrote {written}", file=sys.stderr)
