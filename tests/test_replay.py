"""Replay: today's workflow code still produces the commands of every recorded history.

``tests/histories/*.json`` hold a history of every process type in workflows/registry.py (and of
the follow-up cycle after it continued as new), recorded with earlier versions of the code by the
recorders in tests/replay.py. Replaying one with today's code must not raise a nondeterminism
error; if it does, put the change behind ``workflow.patched`` (tests/replay.py says how, and how
to record a missing history: ``python -m tests.replay record``). Released files are never
regenerated. The fresh recordings keep replay checked even for code no file covers yet, and the
last tests show that a deliberately incompatible change is caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.workflow import NondeterminismError

from readmodel import models
from tests.changed_order import OrderWithOneFewerCommand, OrderWithOneMoreCommand
from tests.replay import (
    HISTORIES,
    RECORDERS,
    Recorder,
    event_kinds,
    history_files,
    load,
    record_follow_up_cycle,
    replay_failure,
    workflow_type,
)
from workflows.process import ProcessWorkflow
from workflows.registry import PROCESS_TYPES

ORDER_V1 = HISTORIES / "order_v1.json"
BY_FILE = {recorder.file: recorder for recorder in RECORDERS.values()}


@pytest.mark.parametrize("path", history_files(), ids=lambda path: path.name)
async def test_every_recorded_history_replays_without_nondeterminism(path: Path) -> None:
    history = load(path)
    assert workflow_type(history) in PROCESS_TYPES
    assert len(history.events) > 50
    recorder = BY_FILE.get(path.name)
    if recorder is not None:
        assert workflow_type(history) == recorder.process_type
        assert recorder.events <= event_kinds(history), (
            f"{path.name} lacks {recorder.events - event_kinds(history)}"
        )
    failure = await replay_failure(history)
    assert failure is None, f"{path.name} no longer replays: {failure}"


def test_every_registered_process_type_has_a_recorded_history_and_the_cycle_one_after_continue_as_new() -> (
    None
):
    recorded = {path.name: workflow_type(load(path)) for path in history_files()}
    missing = set(PROCESS_TYPES) - set(recorded.values())
    assert not missing, (
        f"no history under tests/histories for {sorted(missing)}: python -m tests.replay record"
    )
    assert {recorder.file for recorder in RECORDERS.values()} <= set(recorded)
    assert set(PROCESS_TYPES) <= {recorder.process_type for recorder in RECORDERS.values()}
    continued = load(HISTORIES / "follow_up_cycle_continued_v1.json")
    started = continued.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id
    assert continued.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW


@pytest.mark.parametrize("recorder", RECORDERS.values(), ids=lambda recorder: recorder.name)
async def test_a_freshly_recorded_history_replays_without_nondeterminism(
    recorder: Recorder, sessions: sessionmaker[Session]
) -> None:
    history = await recorder.record(sessions)
    assert workflow_type(history) == recorder.process_type
    assert recorder.events <= event_kinds(history), f"lacks {recorder.events - event_kinds(history)}"
    failure = await replay_failure(history)
    assert failure is None, str(failure)


async def test_FU_1_a_fresh_cycle_records_its_patch_replays_and_journals_its_due_dates(
    sessions: sessionmaker[Session],
) -> None:
    """Version 2 of the cycle journals every new due date behind ``fu-cycle-journal-due``; the
    released v1 history (replayed above) has no marker and must replay without it."""
    history = await record_follow_up_cycle(sessions)
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert markers, "the patched change is recorded in new histories"
    assert await replay_failure(history) is None
    with sessions() as session:
        texts = session.scalars(
            select(models.JournalEntry.text).where(models.JournalEntry.journal == "authority")
        ).all()
    assert "Nästa uppföljning senast 2027-01-23 (nytt ärende, två månader efter beslutet)." in texts


def test_the_v2_histories_hold_the_board_activities_that_the_board_batch_replaced() -> None:
    """Issue 9: ``*_v2.json`` were recorded when the board's writes (FU-9) and a decision's end
    were activities of their own: their replay above runs the path before ``follow-up-board-batch``."""
    scheduled = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    expected = {
        "follow_up_cycle_v2.json": "record_schedule",
        "follow_up_cycle_continued_v2.json": "record_schedule",
        "follow_up_v2.json": "record_follow_up_stage",
        "homecoming_v2.json": "end_decision",
    }
    for name, activity in expected.items():
        history = load(HISTORIES / name)
        ran = {
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.event_type == scheduled
        }
        assert activity in ran, f"{name} lacks {activity}"


@pytest.mark.parametrize(
    "changed",
    [OrderWithOneMoreCommand, OrderWithOneFewerCommand],
    ids=["one-more-command", "one-fewer-command"],
)
async def test_an_incompatible_change_to_the_order_workflow_fails_the_replay_of_order_v1(
    changed: type[ProcessWorkflow],
) -> None:
    """The replay test is not vacuous: the released order_v1 history replayed with an order class
    of the same workflow type that issues one more (a timer) or one fewer command (the read-model
    write) fails with a nondeterminism error."""
    history = load(ORDER_V1)
    assert await replay_failure(history) is None  # today's order replays it
    failure = await replay_failure(history, [changed])
    assert isinstance(failure, NondeterminismError), repr(failure)
