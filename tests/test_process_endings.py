"""No ghost tasks when a process ends (issue 6 §3), in every process type of the registry.

An action that ends its process and another action accepted at the same moment (both in one
workflow task, as when `close` and `phone_provider` are sent together on a new urgent case): the
other one is carried out (before the end) or answered 409 in Swedish, the timeline says "utfört"
only of what was carried out, and the closed process has no open task in the read model.

The race is made certain, not left to chance: the worker is stopped, both actions are sent, and a
new worker on the same task queue receives them together in one workflow task.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.follow_up import FollowUpActivities, cycle_id
from activities.read_model import ReadModelActivities
from readmodel import models
from runtime.worker import workflow_runner
from tests.engine_support import (
    BACKENDS,
    CARE,
    Handle,
    act,
    extra_visits_input,
    new_case,
    new_urgent_case_input,
    open_task_rows,
    order_input,
    read_model,
    rows,
    urgent_change_input,
)
from tests.support import CASE_WORKER, PROVIDER, advance_to, profile, scenario_server, start, sthlm
from tests.test_follow_up_cycle import start_cycle
from workflows.case_event import CaseEventWorkflow
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.homecoming import HomecomingWorkflow
from workflows.io.case_event import CaseEnding, CaseEventInput, HandleTimeAdjustment, TimeAdjustmentReport
from workflows.io.extra_visits import RegisterVisit, Review, VisitDecision
from workflows.io.follow_up import ChooseForm, Plan, Record, StartNow, SubmitReport
from workflows.io.homecoming import (
    AnnounceHandover,
    FollowUp,
    HomecomingInput,
    MoveOrder,
    SendOrder,
    SendTeamInfo,
)
from workflows.io.new_urgent_case import CloseCase, PhoneProvider, TakeOver
from workflows.io.order import ConfirmOrder, ReportNotExecutable, ReviewNotExecuted
from workflows.io.temporary_extension import FollowUp as ExtensionFollowUp
from workflows.io.temporary_extension import ReportLasting, TemporaryExtensionInput
from workflows.io.urgent_change import Escalate, NeedEnded
from workflows.model import NOT_OPEN, Action, Actor, ProcessState
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.order import OrderWorkflow
from workflows.registry import PROCESS_TYPES, WORKFLOWS
from workflows.temporary_extension import TemporaryExtensionWorkflow
from workflows.urgent_change import UrgentChangeWorkflow

Call = tuple[str, Action]
EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="endings-activity")


@dataclass
class Race:
    handle: Handle
    ending: Call  # the action that ends the process
    other: Call  # another action sent at the same moment


Setup = Callable[[WorkflowEnvironment, Worker, sessionmaker[Session]], Awaitable[Race]]


async def _new_urgent_case(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    case_id = f"end-nuc-{uuid.uuid4().hex[:8]}"
    inp = new_urgent_case_input(case_id, sthlm(2026, 11, 23, 9, 30))
    handle, _ = await start(env, worker, NewUrgentCaseWorkflow, inp, f"case-{case_id}/new-urgent-case/1")
    await act(handle, "take_over", TakeOver(actor=CASE_WORKER))
    return Race(
        handle,
        ending=("close", CloseCase(actor=CASE_WORKER, note="Dottern hjälper till")),
        other=("phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Eva Samordnare")),
    )


async def _urgent_change(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    case_id = new_case(sessions, "end-uc")
    inp = urgent_change_input(case_id, sthlm(2026, 11, 23, 8, 0), kind="short")
    handle, _ = await start(env, worker, UrgentChangeWorkflow, inp, f"case-{case_id}/urgent-change/1")
    return Race(
        handle,
        ending=("need_ended", NeedEnded(actor=PROVIDER, note="Febern gick över")),
        other=("escalate", Escalate(actor=PROVIDER, reason="Handläggaren är sjuk")),
    )


async def _order(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    case_id = new_case(sessions, "end-order")
    inp = order_input(case_id, sthlm(2026, 11, 23, 9, 0), date(2026, 11, 23), items=CARE)
    handle, _ = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
    await act(handle, "report_not_executable", ReportNotExecutable(actor=PROVIDER, reason="Ingen öppnar"))
    return Race(
        handle,
        ending=("review_not_executed", ReviewNotExecuted(actor=CASE_WORKER, decision="end_not_executed")),
        other=("confirm", ConfirmOrder(actor=PROVIDER, note="Mottagen")),
    )


async def _extra_visits(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    """The review that ends the month's process is the only open action once registration has
    closed (a question keeps the process open): the other action is a second review."""
    case_id = new_case(sessions, "end-ev")
    inp = extra_visits_input(case_id, "2026-11")
    handle, _ = await start(env, worker, ExtraVisitsWorkflow, inp, f"case-{case_id}/extra-visits/1")
    visit = RegisterVisit(
        actor=PROVIDER,
        visit_date=date(2026, 11, 21),
        kind="extra_visit",
        services=["Toalettbesök"],
        reason="Magsjuk",
    )
    await act(handle, "register_visit", visit)
    await advance_to(env, sthlm(2026, 12, 2, 10, 0))  # registration closed at the end of Tue 1/12
    approve = Review(actor=CASE_WORKER, decisions=[VisitDecision(visit_id="v1", decision="approve")])
    again = Review(actor=CASE_WORKER, decisions=[VisitDecision(visit_id="v1", decision="reject")])
    return Race(handle, ending=("review", approve), other=("review", again))


async def _case_event(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    """END-2 / END-6: the generic end by a case event races the time adjustment's handling."""
    case_id = new_case(sessions, "end-ce")
    report = TimeAdjustmentReport(
        service="night_help", month="2026-11", ordered_minutes=600, performed_minutes=780
    )
    inp = CaseEventInput(
        case_id=case_id,
        profile=profile(),
        event="time_adjustment",
        reported_by=PROVIDER,
        reported_at=sthlm(2026, 11, 23, 9, 0),
        provider_id="hemtjanst-nord",
        time_adjustment=report,
    )
    handle, _ = await start(env, worker, CaseEventWorkflow, inp, f"case-{case_id}/case-event/1")
    ending = CaseEnding(actor=PROVIDER, event="death", on=date(2026, 11, 22), reason="Dödsfall")
    return Race(
        handle,
        ending=("end_for_case_event", ending),
        other=("handle_time_adjustment", HandleTimeAdjustment(actor=CASE_WORKER, approved=True)),
    )


async def _temporary_extension(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> Race:
    """EXT-4 / EXT-6: the follow-up that finds the need transient ends the process; the provider's
    EXT-3 report arrives at the same moment."""
    case_id = new_case(sessions, "end-ext")
    inp = TemporaryExtensionInput(
        case_id=case_id,
        profile=profile(),
        provider_id="hemtjanst-nord",
        reported_by=PROVIDER,
        reported_at=sthlm(2026, 11, 23, 10, 0),
        started_on=date(2026, 11, 20),
        inserted="Tillsyn två gånger per natt",
        reason="Urinvägsinfektion",
        case_worker_id="cw-anna",
    )
    handle, _ = await start(
        env, worker, TemporaryExtensionWorkflow, inp, f"case-{case_id}/temporary-extension/1"
    )
    transient = ExtensionFollowUp(actor=CASE_WORKER, outcome="transient", provider_contact="Carl Samordnare")
    lasting = ReportLasting(actor=PROVIDER, established_on=date(2026, 11, 23), message="Kvarstår")
    return Race(handle, ending=("follow_up", transient), other=("report_lasting", lasting))


TEAM = Actor(user_id="hg-gun", role="homecoming_team", name="Gun Hemgång", org="hemgangsteam")


async def _homecoming(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    """HT-4: the move to the chosen provider ends the process; the follow-up it makes unnecessary
    arrives at the same moment."""
    case_id = new_case(sessions, "end-hc")
    inp = HomecomingInput(
        case_id=case_id,
        profile=profile(),
        started_by=CASE_WORKER,
        mode="regular",
        origin="hospital_discharge",
        team_id=TEAM.org or "",
        provider_id="hemtjanst-nord",
        decision_date=date(2026, 11, 23),
        items=CARE,
        case_worker_id="cw-anna",
    )
    handle, _ = await start(env, worker, HomecomingWorkflow, inp, f"case-{case_id}/homecoming/1")
    await act(
        handle, "send_team_info", SendTeamInfo(actor=CASE_WORKER, information="Insulin morgon och kväll")
    )
    await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 23)))
    planned = sthlm(2026, 11, 25, 10, 0)
    announce = AnnounceHandover(actor=TEAM, planned_at=planned, services=["Personlig omvårdnad"])
    await act(handle, "announce_handover", announce)
    move = MoveOrder(actor=CASE_WORKER, start_date=date(2026, 11, 25), items=CARE)
    return Race(handle, ending=("move_order", move), other=("follow_up", FollowUp(actor=CASE_WORKER)))


async def _follow_up(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    """FU-7 / FU-8: recording the follow-up ends it; the provider's late report arrives with it."""
    case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
    cycle = env.client.get_workflow_handle(cycle_id(case_id))
    now = StartNow(actor=CASE_WORKER, reason="Anhörig har hört av sig om ändrat behov.")
    await cycle.execute_update("start_now", now, id=str(uuid.uuid4()), result_type=ProcessState)
    handle: Handle = env.client.get_workflow_handle(f"case-{case_id}/follow-up/1")
    await handle.execute_update("ready", result_type=ProcessState)
    planned = sthlm(2026, 11, 24, 10, 0)
    await act(handle, "plan", Plan(actor=CASE_WORKER, planned_at=planned))
    form = ChooseForm(actor=CASE_WORKER, form="phone", provider_attends=False, person_told_other_way=True)
    await act(handle, "choose_form", form)
    await advance_to(env, planned)
    record = Record(
        actor=CASE_WORKER,
        gets_granted_help=True,
        takes_part_when=True,
        takes_part_how=True,
        feels_good=True,
        need_matches_order=True,
        care_plan_current=True,
        outcome="unchanged",
    )
    report = SubmitReport(
        actor=PROVIDER,
        need_matches_order=True,
        given_as_ordered=True,
        fully_executed=True,
        provider_attends=False,
    )
    return Race(handle, ending=("record", record), other=("submit_report", report))


async def _follow_up_cycle(env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]) -> Race:
    """END-2 / FU-1: the cycle has no action of its own that ends it; a death ends it (the update
    every process accepts), and the case worker's start_now arrives at the same moment: the death
    wins, no follow-up starts (409) and the cycle closes instead of waiting for ever."""
    case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
    handle: Handle = env.client.get_workflow_handle(cycle_id(case_id))
    ending = CaseEnding(actor=PROVIDER, event="death", on=date(2026, 11, 22), reason="Dödsfall")
    now = StartNow(actor=CASE_WORKER, reason="Anhörig har hört av sig om ändrat behov.")
    return Race(handle, ending=("end_for_case_event", ending), other=("start_now", now))


RACES: dict[str, Setup] = {
    "new-urgent-case": _new_urgent_case,
    "urgent-change": _urgent_change,
    "order": _order,
    "extra-visits": _extra_visits,
    "case-event": _case_event,
    "temporary-extension": _temporary_extension,
    "homecoming": _homecoming,
    "follow-up": _follow_up,
    "follow-up-cycle": _follow_up_cycle,
}
# Every process type has an action that ends it (at least the case event's, END-2).
NO_ENDING_ACTION: set[str] = set()


def test_every_process_type_of_the_registry_has_an_ending_race() -> None:
    assert set(RACES) | NO_ENDING_ACTION == set(PROCESS_TYPES)
    assert not RACES.keys() & NO_ENDING_ACTION


@asynccontextmanager
async def _worker(
    env: WorkflowEnvironment, sessions: sessionmaker[Session], queue: str
) -> AsyncIterator[Worker]:
    """The worker of the system without a workflow cache: no sticky task queue, so the workflow
    task the stopped worker would have had goes to the next worker at once."""
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=[*ReadModelActivities(sessions).all(), *FollowUpActivities(sessions, env.client).all()],
        activity_executor=EXECUTOR,
        workflow_runner=workflow_runner(),
        max_cached_workflows=0,
    ) as running:
        yield running


async def _answer(handle: Handle, call: Call) -> ProcessState | ApplicationError:
    try:
        return await act(handle, *call)
    except WorkflowUpdateFailedError as error:
        assert isinstance(error.cause, ApplicationError), error.cause
        return error.cause


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("process_type", sorted(RACES))
async def test_an_action_raced_with_the_ending_one_is_carried_out_or_409_and_no_task_stays_open(
    process_type: str, backend: str, tmp_path: Path
) -> None:
    """Issue 6 §3: for every process type, the ending action and another one arrive together."""
    queue = f"test-{uuid.uuid4()}"
    with read_model(backend, tmp_path) as sessions:
        async with scenario_server(sthlm(2026, 11, 23, 10, 0)) as env:
            async with _worker(env, sessions, queue) as worker:
                race = await RACES[process_type](env, worker, sessions)
            # No worker polls now: both actions wait for the same workflow task.
            ending = asyncio.create_task(_answer(race.handle, race.ending))
            await asyncio.sleep(0.3)
            other = asyncio.create_task(_answer(race.handle, race.other))
            await asyncio.sleep(0.3)
            async with _worker(env, sessions, queue):
                answers = await asyncio.wait_for(asyncio.gather(ending, other), timeout=30)
                final = await race.handle.query("state", result_type=ProcessState)
        _check(process_type, race, answers, final, sessions)


def _check(
    process_type: str,
    race: Race,
    answers: tuple[ProcessState | ApplicationError, ProcessState | ApplicationError],
    final: ProcessState,
    sessions: sessionmaker[Session],
) -> None:
    ending, other = answers
    assert isinstance(ending, ProcessState), f"{process_type}: the ending action failed: {ending}"
    assert final.stage == "closed"
    assert final.open_tasks == []
    process_id = race.handle.id
    assert open_task_rows(sessions, process_id) == [], "a closed process has no open task"
    [row] = rows(sessions, models.Process, id=process_id)
    assert row.status == "completed"
    other_name = race.other[0]
    other_rows = rows(sessions, models.Task, process_id=process_id, action=other_name)
    done_texts = [e.text for e in final.timeline if e.actor == race.other[1].actor.label]
    if isinstance(other, ApplicationError):
        assert other.type == NOT_OPEN  # 409
        assert "inte" in other.message  # Swedish: "utfördes inte" / "är inte öppen"
        carried_out = [r for r in other_rows if r.status == "done"]
        if race.ending[0] != other_name:
            assert carried_out == [], "an action answered 409 was not carried out"
            titles = [r.title + ": utfört" for r in other_rows]  # none for an action without a task
            assert not [t for t in done_texts if t.startswith(tuple(titles))] if titles else True
    else:
        assert any(r.status == "done" for r in other_rows), "a carried-out action's task is done"
        assert any(": utfört" in t for t in done_texts)
