"""Replay: the homecoming workflow code still produces the commands of its recorded history.

``tests/histories/homecoming_v1.json`` is a simplified homecoming recorded with version 1 of the
code: the orders to the team and the night district, a late announcement (HT-3) with the senior
case worker's dialogue, the follow-up with a new decision and the move to the chosen provider,
which ends the team's order. A change that breaks its replay goes behind ``workflow.patched``
(see tests/test_replay.py). Regenerate it only for a deliberately incompatible change::

    .venv/bin/python -m tests.test_homecoming_replay
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory

from readmodel.database import make_engine, make_session_factory
from tests.support import CASE_WORKER, SENIOR, add_case, profile, scenario, start, sthlm
from tests.test_replay import HISTORIES, complete_history, replayer
from workflows.homecoming import HomecomingWorkflow
from workflows.io.homecoming import (
    AnnounceHandover,
    Dialogue,
    FollowUp,
    MoveOrder,
    SendOrder,
    StartHomecoming,
)
from workflows.model import Actor, CaseInfo, ProcessState, StartContext
from workflows.rules.order import ServiceItem

HOMECOMING_V1 = HISTORIES / "homecoming_v1.json"
TEAM = Actor(user_id="hg-gun", role="homecoming_team", name="Gun Hemgång", org="hemgangsteam")
RECORDED_AT = sthlm(2026, 12, 28, 9)


async def test_HT_3_the_recorded_homecoming_v1_history_replays_without_nondeterminism() -> None:
    recorded = json.loads(HOMECOMING_V1.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    assert len(history.events) > 50
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"homecoming_v1 no longer replays: {result.replay_failure}"


async def test_HT_3_a_freshly_recorded_homecoming_history_replays_without_nondeterminism(
    sessions: sessionmaker[Session],
) -> None:
    history = await record_homecoming_history(sessions)
    kinds = {event.event_type for event in history.events}
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED in kinds
    assert EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED in kinds
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, str(result.replay_failure)


async def record_homecoming_history(sessions: sessionmaker[Session]) -> WorkflowHistory:
    """A simplified homecoming on Mon 2026-12-28 with a handover on Tue 2026-12-29 (late, HT-3)."""
    case_id = f"replay-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    case = CaseInfo(case_id=case_id, municipality="default", profile="default", provider_id="hemtjanst-nord")
    async with scenario(RECORDED_AT, sessions) as (env, worker):
        ctx = StartContext(case_id=case_id, case=case, profile=profile(), actor=CASE_WORKER, now=RECORDED_AT)
        inp = HomecomingWorkflow.build_input(StartHomecoming(mode="simplified", night_help_minutes=120), ctx)
        handle: WorkflowHandle[Any, ProcessState]
        handle, _ = await start(env, worker, HomecomingWorkflow, inp, f"case-{case_id}/homecoming/1")
        care = [ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900)]
        actions: list[tuple[str, Any]] = [
            ("send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 28), other="Portkod 4711")),
            ("announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29))),
            ("dialogue", Dialogue(actor=SENIOR, note="Sent besked; hemgången fungerar ändå.")),
            (
                "follow_up",
                FollowUp(
                    actor=CASE_WORKER,
                    new_decision=True,
                    services=["Personlig omvårdnad"],
                    decision_date=date(2026, 12, 29),
                ),
            ),
            ("move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2026, 12, 29), items=care)),
        ]
        for name, action in actions:
            await handle.execute_update(name, action, result_type=ProcessState)
        return await complete_history(handle)


async def write_homecoming_v1() -> Path:
    """Record the homecoming_v1 history with the current code and write it."""
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'readmodel.db'}")
        try:
            history = await record_homecoming_history(make_session_factory(engine))
        finally:
            engine.dispose()
    document = {"workflow_id": history.workflow_id, "history": history.to_json_dict()}
    HOMECOMING_V1.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return HOMECOMING_V1


if __name__ == "__main__":
    written = asyncio.run(write_homecoming_v1())
    print(f"wrote {written}", file=sys.stderr)
