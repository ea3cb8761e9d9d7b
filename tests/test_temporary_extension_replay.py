"""Replay: the temporary-extension code still produces the commands of its recorded history.

``tests/histories/temporary_extension_v1.json`` is a 14-day period from Mon 2027-03-15 recorded
with the code of version 1: the confirmation missed and escalated (COM-7), a lasting change
reported (EXT-3), the follow-up (remains, EXT-4), the application and the grant back-dated to day 1
with its child order (EXT-5). If replaying it fails, put the change behind ``workflow.patched``
(see tests/test_replay.py); regenerate only for a deliberately incompatible change::

    .venv/bin/python -m tests.test_temporary_extension_replay
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
from tests.support import CASE_WORKER, PROVIDER, SENIOR, add_case, advance_to, profile, scenario, start, sthlm
from tests.test_replay import HISTORIES, complete_history, replayer
from workflows.io.temporary_extension import (
    ConfirmStart,
    Decide,
    FollowUp,
    RegisterApplication,
    ReportLasting,
    TemporaryExtensionInput,
)
from workflows.model import ProcessState
from workflows.rules.order import ServiceItem
from workflows.temporary_extension import TemporaryExtensionWorkflow

EXTENSION_V1 = HISTORIES / "temporary_extension_v1.json"


async def test_the_recorded_temporary_extension_v1_history_replays_without_nondeterminism() -> None:
    recorded = json.loads(EXTENSION_V1.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])
    kinds = {event.event_type for event in history.events}
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED in kinds
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"temporary_extension_v1 no longer replays: {result.replay_failure}"


async def test_a_freshly_recorded_temporary_extension_history_replays(
    sessions: sessionmaker[Session],
) -> None:
    history = await record_history(sessions)
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, str(result.replay_failure)


async def record_history(sessions: sessionmaker[Session]) -> WorkflowHistory:
    """A period from Mon 2027-03-15 run from the notice to the grant, on its own scenario server."""
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        case_id = f"replay-{uuid.uuid4().hex[:8]}"
        add_case(sessions, case_id, profile_name="staffanstorp")
        inp = TemporaryExtensionInput(
            case_id=case_id,
            profile=profile("staffanstorp"),
            provider_id="hemtjanst-nord",
            reported_by=PROVIDER,
            reported_at=sthlm(2027, 3, 15, 10, 0),
            started_on=date(2027, 3, 15),
            inserted="Tillsyn två gånger per natt",
            reason="Urinvägsinfektion",
            case_worker_id="cw-anna",
        )
        handle: WorkflowHandle[Any, ProcessState]
        handle, _ = await start(
            env, worker, TemporaryExtensionWorkflow, inp, f"case-{case_id}/temporary-extension/1"
        )
        await advance_to(env, sthlm(2027, 3, 23, 9, 0))  # the confirmation is overdue: escalated
        await handle.execute_update(TemporaryExtensionWorkflow.confirm_start, ConfirmStart(actor=SENIOR))
        await handle.execute_update(
            TemporaryExtensionWorkflow.report_lasting,
            ReportLasting(actor=PROVIDER, established_on=date(2027, 3, 22)),
        )
        await advance_to(env, sthlm(2027, 3, 26, 9, 0))
        await handle.execute_update(
            TemporaryExtensionWorkflow.follow_up,
            FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl Samordnare"),
        )
        await handle.execute_update(
            TemporaryExtensionWorkflow.register_application,
            RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 3, 26)),
        )
        items = [ServiceItem(name="Tillsyn natt", kind="care", minutes_per_month=600)]
        await handle.execute_update(
            TemporaryExtensionWorkflow.decide, Decide(actor=CASE_WORKER, granted=True, items=items)
        )
        return await complete_history(handle)


async def write_temporary_extension_v1() -> Path:
    """Record the history with the current code and write it (see the module docstring)."""
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'readmodel.db'}")
        try:
            history = await record_history(make_session_factory(engine))
        finally:
            engine.dispose()
    document = {"workflow_id": history.workflow_id, "history": history.to_json_dict()}
    EXTENSION_V1.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return EXTENSION_V1


if __name__ == "__main__":
    written = asyncio.run(write_temporary_extension_v1())
    print(f"wrote {written}", file=sys.stderr)
