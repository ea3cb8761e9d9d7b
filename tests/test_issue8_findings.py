"""Issue 8, a fresh tester's findings on the follow-up cycle and the case events, workflow side:
END-2 (a death just after a follow-up closed), FU-3 (an ended decision is no time-limited one),
FU-9 (the board keeps its reason), FU-10 (consent asked and given) and the per-process labels.

Each test runs on its own scenario server (``tests.support.scenario``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.case_events import CaseEventActivities
from activities.follow_up import FollowUpActivities, cycle_id
from activities.read_model import ReadModelActivities
from activities.records import BatchOutcome, ReadModelBatch
from readmodel import models
from readmodel.database import make_session_factory
from runtime.worker import workflow_runner
from tests.support import CASE_WORKER, PROVIDER, advance_to, scenario_server, sthlm, wait_closed
from tests.test_follow_up_cycle import (
    board_row,
    current_run,
    eventually,
    hold_follow_up,
    start_cycle,
    state,
)
from tests.test_read_model import _postgres, _sqlite
from workflows.glossary import what_was_registered
from workflows.io.case_event import CaseEnding
from workflows.io.follow_up import DecisionEnded, Plan, StartNow
from workflows.io.homecoming import AnnounceHandover
from workflows.model import ProcessState
from workflows.registry import WORKFLOWS

EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="issue8-activity")


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


class Gate:
    """Holds a follow-up's last read-model batch (the one that says it completed) while closed:
    the follow-up has told its cycle it closed but has not completed, so a death can arrive
    exactly while the cycle reacts to its closed follow-up, before it continues as new (the
    cycle leaves its run only once that follow-up has completed, issue 9)."""

    def __init__(self, read_model: ReadModelActivities) -> None:
        self.read_model = read_model
        self.closed = False
        self.held = threading.Event()  # a write is waiting at the gate
        self.opened = threading.Event()

    @activity.defn(name="write_batch")
    def write_batch(self, batch: ReadModelBatch) -> BatchOutcome:
        closing = any(w.process is not None and w.process.status == "completed" for w in batch.writes)
        if self.closed and "/follow-up/" in batch.process_id and closing:
            self.held.set()
            self.opened.wait(timeout=30)
        return self.read_model.write_batch(batch)


def _worker(env: WorkflowEnvironment, sessions: sessionmaker[Session], gate: Gate, queue: str) -> Worker:
    client = env.client
    others = [a for a in gate.read_model.all() if a.__name__ != "write_batch"]
    return Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=[
            gate.write_batch,
            *others,
            *FollowUpActivities(sessions, client).all(),
            *CaseEventActivities(sessions, client).all(),
        ],
        activity_executor=EXECUTOR,
        workflow_runner=workflow_runner(),
    )


@asynccontextmanager
async def gated(
    at: datetime, sessions: sessionmaker[Session]
) -> AsyncIterator[tuple[WorkflowEnvironment, Worker]]:
    """A scenario server at ``at`` and the gated worker (its gate left open)."""
    async with scenario_server(at) as env:
        gate = Gate(ReadModelActivities(sessions))
        async with _worker(env, sessions, gate, f"test-{uuid.uuid4()}") as worker:
            yield env, worker


async def test_end2_a_death_right_after_a_follow_up_closed_ends_the_cycle_instead_of_wedging_it(
    sessions: sessionmaker[Session],
) -> None:
    """END-2: the follow-up of Tue 2026-11-24 is recorded; while the cycle reacts to it (and is
    about to continue as new once the follow-up has completed), a death of 2026-11-24 arrives.
    The death's ending wins: the cycle closes with ``ended_by_death`` in this run (no
    continue-as-new), its board row ends, and the answer comes at once instead of never."""
    queue = f"test-{uuid.uuid4()}"
    async with scenario_server(sthlm(2026, 11, 23, 10, 0)) as env:
        gate = Gate(ReadModelActivities(sessions))
        async with _worker(env, sessions, gate, queue) as worker:
            case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
            cycle = env.client.get_workflow_handle(cycle_id(case_id), result_type=ProcessState)
            now = StartNow(actor=CASE_WORKER, reason="Anhörig har hört av sig om ändrat behov.")
            await cycle.execute_update("start_now", now, id=str(uuid.uuid4()), result_type=ProcessState)
            gate.closed = True
            holding = asyncio.create_task(
                hold_follow_up(env, f"case-{case_id}/follow-up/1", sthlm(2026, 11, 24, 10, 0))
            )
            assert await asyncio.get_running_loop().run_in_executor(None, gate.held.wait, 30)
            first_run = await current_run(env, cycle.id)
            ending = CaseEnding(actor=PROVIDER, event="death", on=date(2026, 11, 24), reason="Dödsfall")
            answer = asyncio.create_task(
                cycle.execute_update("end_for_case_event", ending, id="death", result_type=ProcessState)
            )
            await asyncio.sleep(0.5)  # the update is accepted while the follow-up has not completed
            gate.opened.set()
            ended = await asyncio.wait_for(answer, timeout=20)
            assert (await asyncio.wait_for(holding, timeout=20)).outcome == "unchanged"
            assert (ended.stage, ended.outcome) == ("closed", "ended_by_death")
            await wait_closed(env, cycle.id)
            assert await current_run(env, cycle.id) == first_run  # it did not continue as new
            row = board_row(sessions, case_id)
            assert row is not None and (row.status, row.stage, row.next_due) == ("ended", "ended", None)
            assert row.last_follow_up == date(2026, 11, 24)


async def test_fu3_a_service_that_ends_on_2027_03_31_opens_no_follow_up_before_it_and_the_cycle_then_ends(
    sessions: sessionmaker[Session],
) -> None:
    """FU-3 / END-1 / FU-11: the only decision (from 2026-06-01, followed up yearly: due
    2027-06-01) ends on 2027-03-31 (a confirmed ``service_ended``). An ended service is no
    time-limited decision: no follow-up is due the day before (2027-03-30), no plan task opens;
    the cycle lives to the end date and ends on 2027-04-01 with no living decision."""
    async with gated(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
        assert (await state(env, cycle_id(case_id))).details["next_due"] == "2027-06-01"
        cycle = env.client.get_workflow_handle(cycle_id(case_id))
        await cycle.signal("decision_ended", DecisionEnded(f"{case_id}/decision/1", date(2027, 3, 31)))
        await eventually(
            lambda: board_row(sessions, case_id).next_due is None,  # type: ignore[union-attr]
            "the board without a due date",
        )
        after = await state(env, cycle_id(case_id))
        assert (after.details["next_due"], after.details["current_follow_up"]) == (None, None)
        assert any("följs inte upp mer" in e.text for e in after.timeline)
        await advance_to(env, sthlm(2027, 4, 1, 0, 0, 5))  # the decision's end date has passed
        await wait_closed(env, cycle.id)
        final = await state(env, cycle_id(case_id))
        assert final.outcome == "no_living_decision"
        with sessions() as session:
            follow_ups = session.query(models.Process).filter_by(case_id=case_id, type="follow-up")
            assert follow_ups.all() == []  # no plan task was ever opened


async def test_fu9_the_board_keeps_the_reason_new_case_while_its_follow_up_runs(
    sessions: sessionmaker[Session],
) -> None:
    """FU-9 / FU-2: a new case decided Mon 2026-11-23 is due 2027-01-23 (new case); when its
    follow-up starts on 2026-12-24 the board row still says why (reason ``new_case``)."""
    async with gated(sthlm(2026, 11, 23, 10, 0), sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        await advance_to(env, sthlm(2026, 12, 24, 8, 5))  # the plan opens 2026-12-24 08:00
        row = await eventually(
            lambda: (r := board_row(sessions, case_id)) is not None and r.stage == "to_plan" and r,
            "the running follow-up on the board",
        )
        assert (row.next_due, row.reason) == (date(2027, 1, 23), "new_case")
        assert (await state(env, cycle_id(case_id))).details["reason"] == "new_case"


async def test_fu10_the_authority_journal_records_consent_asked_and_given_each_truthfully(
    sessions: sessionmaker[Session],
) -> None:
    """FU-10: consent needed for this occasion, asked (yes), not given (no): the journal says
    "efterfrågat: ja" and "lämnat: nej", never the answer under the label of the question."""
    async with gated(sthlm(2026, 11, 23, 10, 0), sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
        cycle = env.client.get_workflow_handle(cycle_id(case_id))
        now = StartNow(actor=CASE_WORKER, reason="Klagomål från anhörig.")
        await cycle.execute_update("start_now", now, id=str(uuid.uuid4()), result_type=ProcessState)
        await hold_follow_up(
            env,
            f"case-{case_id}/follow-up/1",
            sthlm(2026, 11, 24, 10, 0),
            consent_needed=True,
            consent_asked=True,
            consent_given=False,
        )
        with sessions() as session:
            texts = [
                e.text
                for e in session.query(models.JournalEntry).filter_by(case_id=case_id, journal="authority")
            ]
        (answers,) = [t for t in texts if "Samtycke" in t]
        assert "Samtycke för detta tillfälle efterfrågat: ja." in answers
        assert "Samtycke för detta tillfälle lämnat: nej." in answers


def test_labels_fit_the_process_a_follow_up_is_planned_a_homecoming_hands_over() -> None:
    """The timeline after ``plan`` names the planned follow-up, not a handover (a homecoming's
    label); the homecoming keeps its own."""
    at = sthlm(2027, 1, 25, 10, 0)
    assert what_was_registered(Plan(actor=CASE_WORKER, planned_at=at)) == (
        "Planerad uppföljning: 2027-01-25 10:00"
    )
    announced = what_was_registered(AnnounceHandover(actor=CASE_WORKER, planned_at=at))
    assert announced.startswith("Planerad överlämning: 2027-01-25 10:00")
