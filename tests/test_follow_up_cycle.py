"""The follow-up cycle and the follow-up process on scenario clocks (FU-1..FU-11, COM-7).

Each test runs on its own time-skipping server whose clock starts at the test's moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.follow_up import CycleStart, cycle_id, ensure_cycle
from readmodel import models
from tests.support import CASE_WORKER, PROVIDER, SENIOR, add_case, advance_to, profile, scenario, sthlm
from workflows.io.follow_up import (
    ChooseForm,
    DecisionGranted,
    NewDecision,
    Plan,
    Record,
    StartNow,
    SubmitReport,
)
from workflows.model import ProcessState
from workflows.rules.order import ServiceItem

MONDAY = sthlm(2026, 11, 23, 10, 0)  # a new case decided Mon 2026-11-23


def handle(env: WorkflowEnvironment, workflow_id: str) -> WorkflowHandle[Any, ProcessState]:
    return env.client.get_workflow_handle(workflow_id, result_type=ProcessState)


async def state(env: WorkflowEnvironment, workflow_id: str) -> ProcessState:
    """The process's state query. The time-skipping test server may leave a query unanswered while
    a cycle is between two runs (continue-as-new); such a query is asked again."""
    for _ in range(10):
        with contextlib.suppress(RPCError):
            answer: ProcessState = await handle(env, workflow_id).query(
                "state", result_type=ProcessState, rpc_timeout=timedelta(seconds=3)
            )
            return answer
    raise AssertionError(f"{workflow_id} does not answer its state query")


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """Poll (real time, the scenario clock stands still) until ``check`` answers something truthy."""
    for _ in range(300):
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def current_run(env: WorkflowEnvironment, workflow_id: str) -> str:
    """The id of the workflow's current run, once that run has completed its first workflow task.

    Read from the server without asking the worker: a query sent while a cycle passes from one
    run to the next can stall the time-skipping test server (and its clock with it)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=env.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    described = await env.client.workflow_service.describe_workflow_execution(request)
    run_id = described.workflow_execution_info.execution.run_id
    history = await env.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    done = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    return run_id if any(event.event_type == done for event in history.events) else ""


async def next_run(env: WorkflowEnvironment, workflow_id: str, after: str) -> str:
    """Wait until the workflow has continued as new from run ``after`` and the new run is up."""

    async def moved_on() -> str:
        run_id = await current_run(env, workflow_id)
        return run_id if run_id not in ("", after) else ""

    result: str = await eventually(moved_on, f"{workflow_id} continued as new")
    return result


def board_row(sessions: sessionmaker[Session], case_id: str) -> models.FollowUpSchedule | None:
    with sessions() as session:
        return session.get(models.FollowUpSchedule, case_id)


async def start_cycle(
    env: WorkflowEnvironment,
    worker: Worker,
    sessions: sessionmaker[Session],
    start_date: date,
    *,
    new_case: bool = True,
    end_date: date | None = None,
    services: list[str] | None = None,
) -> str:
    case_id = f"fu-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    decision = DecisionGranted(
        decision_id=f"{case_id}/decision/1",
        start_date=start_date,
        end_date=end_date,
        new_case=new_case,
        services=services or ["Hemtjänst", "Ledsagning"],
    )
    start = CycleStart(
        case_id=case_id,
        profile=profile(),
        decision=decision,
        task_queue=worker.task_queue,
        case_worker_id=CASE_WORKER.user_id,
        provider_id=PROVIDER.org,
    )
    await ensure_cycle(env.client, start)
    await handle(env, cycle_id(case_id)).execute_update("ready", result_type=ProcessState)
    return case_id


async def hold_follow_up(
    env: WorkflowEnvironment, process_id: str, planned: Any, *, outcome: str = "unchanged", **record: Any
) -> ProcessState:
    """Plan, report, choose the form and record a follow-up at ``planned`` (the clock is moved)."""
    follow_up = handle(env, process_id)
    await follow_up.execute_update("ready", result_type=ProcessState)  # its first steps are open
    await follow_up.execute_update(
        "plan", Plan(actor=CASE_WORKER, planned_at=planned), result_type=ProcessState
    )
    report = SubmitReport(
        actor=PROVIDER,
        need_matches_order=True,
        given_as_ordered=True,
        fully_executed=True,
        provider_attends=False,
    )
    await follow_up.execute_update("submit_report", report, result_type=ProcessState)
    form = ChooseForm(actor=CASE_WORKER, form="phone", provider_attends=False, person_told_other_way=True)
    await follow_up.execute_update("choose_form", form, result_type=ProcessState)
    await advance_to(env, planned)
    answers = Record(
        actor=CASE_WORKER,
        gets_granted_help=True,
        takes_part_when=True,
        takes_part_how=True,
        feels_good=True,
        need_matches_order=True,
        care_plan_current=True,
        outcome=outcome,  # type: ignore[arg-type]
        **record,
    )
    result: ProcessState = await follow_up.execute_update("record", answers, result_type=ProcessState)
    return result


async def test_fu2_nu7_a_new_case_decided_2026_11_23_is_due_2027_01_23_and_its_plan_task_opens_before(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        cycle = await state(env, cycle_id(case_id))
        assert cycle.details["next_due"] == "2027-01-23"
        assert cycle.details["reason"] == "new_case"
        row = await eventually(lambda: board_row(sessions, case_id), "board row")
        assert (row.next_due, row.stage, row.last_follow_up) == (date(2027, 1, 23), "scheduled", None)

        # FU-1 (our lead time): the plan task opens 30 days ahead, 2026-12-24 08:00, due 2027-01-23.
        await advance_to(env, sthlm(2026, 12, 24, 7, 59))
        assert (await state(env, cycle_id(case_id))).details["current_follow_up"] is None
        await advance_to(env, sthlm(2026, 12, 24, 8, 1))
        process_id = f"case-{case_id}/follow-up/1"
        await eventually(
            lambda: board_row(sessions, case_id).stage == "to_plan",  # type: ignore[union-attr]
            "the follow-up's board stage",
        )
        follow_up = await state(env, process_id)
        (plan,) = follow_up.open_tasks
        assert (plan.action, plan.role, plan.due_at) == (
            "plan",
            "case_worker",
            sthlm(2027, 1, 23, 23, 59, 59),
        )


async def test_fu1_com7_an_unplanned_follow_up_escalates_to_the_senior_case_worker_after_its_due_date(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        await advance_to(env, sthlm(2027, 1, 24, 0, 0, 30))
        process_id = f"case-{case_id}/follow-up/1"

        async def escalated() -> bool:
            tasks = (await state(env, process_id)).open_tasks
            return bool(tasks) and tasks[0].overdue and tasks[0].escalated_to == SENIOR.role

        await eventually(escalated, "the plan task escalated")
        with sessions() as session:
            messages = session.scalars(
                select(models.Message).where(models.Message.mailbox == "senior-case-worker")
            ).all()
        assert [m.subject for m in messages] == ["Försenat steg: Planera uppföljningen (datum och tid)"]
        assert "2027-01-23 23:59" in messages[0].body


async def test_fu4_fu5_fu8_fu11_a_follow_up_registers_the_event_and_the_cycle_schedules_the_next(
    sessions: sessionmaker[Session],
) -> None:
    """FU-4, FU-5, FU-7, FU-8, FU-11: the template goes to the provider, both journals record the
    report, the authority journal keeps the four quality questions and the need/care-plan answers,
    the event has the routine's wording, and the next follow-up is due a year later."""
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        await advance_to(env, sthlm(2027, 1, 10, 9, 0))
        process_id = f"case-{case_id}/follow-up/1"
        await eventually(lambda: board_row(sessions, case_id).follow_up_process_id, "follow-up started")  # type: ignore[union-attr]
        first_run = await current_run(env, cycle_id(case_id))
        closed = await hold_follow_up(env, process_id, sthlm(2027, 1, 25, 10, 0))
        text = (
            "En uppföljning har genomförts den 2027-01-25 genom ett telefonsamtal. Bedömningen är att "
            "behovet kvarstår och att biståndet för hemtjänst och ledsagning är skäligt."
        )
        assert (closed.stage, closed.outcome, closed.details["event"]) == ("closed", "unchanged", text)
        with sessions() as session:
            (event,) = session.scalars(select(models.FollowUpEvent)).all()
            journal = session.scalars(select(models.JournalEntry).order_by(models.JournalEntry.id)).all()
            template = session.scalars(
                select(models.Message).where(models.Message.mailbox == "provider-hemtjanst-nord")
            ).one()
        assert (event.text, event.held_on, event.due_on) == (text, date(2027, 1, 25), date(2027, 1, 23))
        assert ("provider", "Mall inför uppföljning skickad.") in [(j.journal, j.text) for j in journal]
        assert ("authority", "Mall inför uppföljning inkommen.") in [(j.journal, j.text) for j in journal]
        assert "Motsvarar det faktiska behovet den nuvarande beställningen?" in template.body
        answers = next(j.text for j in journal if j.journal == "authority" and "delaktig" in j.text)
        assert answers.splitlines()[:6] == [  # FU-7
            "Får du den hjälp du har beviljats? ja",
            "Är du delaktig i planeringen av när hjälpen ges? ja",
            "Är du delaktig i planeringen av hur hjälpen ges? ja",
            "Ges hjälpen på ett sätt som känns bra? ja",
            "Motsvarar behovet i beställningen det faktiska behovet? ja",
            "Är genomförandeplanen aktuell? ja",
        ]

        await next_run(env, cycle_id(case_id), first_run)
        cycle = await state(env, cycle_id(case_id))
        assert (cycle.details["next_due"], cycle.details["runs"]) == (
            "2028-01-25",
            2,
        )  # FU-1, continued as new
        row = board_row(sessions, case_id)
        assert row is not None
        assert (row.next_due, row.last_follow_up, row.stage) == (
            date(2028, 1, 25),
            date(2027, 1, 25),
            "scheduled",
        )


async def test_fu1_a_new_decision_from_a_follow_up_starts_an_order_and_moves_the_cycle(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        await advance_to(env, sthlm(2027, 1, 10, 9, 0))
        process_id = f"case-{case_id}/follow-up/1"
        await eventually(lambda: board_row(sessions, case_id).follow_up_process_id, "follow-up started")  # type: ignore[union-attr]
        decision = NewDecision(
            services=["Städning"],
            start_date=date(2027, 2, 1),
            end_date=date(2027, 7, 31),
            kind="service",
            order_items=[ServiceItem(name="Städning", kind="service")],
        )
        first_run = await current_run(env, cycle_id(case_id))
        closed = await hold_follow_up(
            env, process_id, sthlm(2027, 1, 20, 10, 0), outcome="new_decision", new_decision=decision
        )
        assert closed.details["event"] == (
            "En uppföljning har genomförts den 2027-01-20 genom ett telefonsamtal. "
            "Behovet har utretts och ett nytt beslut har fattats."
        )
        order_id = f"case-{case_id}/order/follow-up-1"
        assert closed.details["order_id"] == order_id
        order = await state(env, order_id)
        assert order.type == "order" and order.details["start_date"] == "2027-02-01"

        await next_run(env, cycle_id(case_id), first_run)
        await eventually(
            lambda: board_row(sessions, case_id).next_due == date(2027, 7, 30),  # type: ignore[union-attr]
            "FU-3: the new time-limited decision moves the due date to 2027-07-30",
        )
        assert len((await state(env, cycle_id(case_id))).details["decisions"]) == 2


async def test_fu1_start_now_is_applied_once_per_idempotency_key_even_after_continue_as_new(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 3, 1, 9, 0), sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 6, 1), new_case=False)
        cycle = handle(env, cycle_id(case_id))
        action = StartNow(actor=CASE_WORKER, reason="Anhörig har klagat på att hjälpen uteblir.")
        first = await cycle.execute_update("start_now", action, id="key-1", result_type=ProcessState)
        assert first.details["current_follow_up"] == f"case-{case_id}/follow-up/1"
        assert first.details["next_due"] == "2027-03-31"  # today + 30 days, before the yearly 2027-06-01
        first_run = await current_run(env, cycle_id(case_id))
        await hold_follow_up(env, f"case-{case_id}/follow-up/1", sthlm(2027, 3, 5, 10, 0))
        await next_run(env, cycle_id(case_id), first_run)
        again = await cycle.execute_update("start_now", action, id="key-1", result_type=ProcessState)
        assert again.details["current_follow_up"] is None
        assert again.details["next_due"] == "2028-03-05"


async def test_fu1_fu11_a_cycle_across_four_years_continues_as_new_and_keeps_its_due_date_and_board_row(
    sessions: sessionmaker[Session],
) -> None:
    """FU-2 first (2027-01-23), then FU-1 a year after each held follow-up; every closed follow-up
    continues the cycle as new, which keeps its state."""
    held = [sthlm(2027, 1, 20, 10), sthlm(2028, 1, 18, 13), sthlm(2029, 1, 15, 9), sthlm(2030, 1, 14, 10)]
    expected_due = [date(2027, 1, 23), date(2028, 1, 20), date(2029, 1, 18), date(2030, 1, 15)]
    async with scenario(MONDAY, sessions) as (env, worker):
        case_id = await start_cycle(env, worker, sessions, date(2026, 11, 23))
        run_id = await current_run(env, cycle_id(case_id))
        for number, (moment, due) in enumerate(zip(held, expected_due, strict=True), start=1):
            await advance_to(env, sthlm(due.year, due.month, due.day, 0) - timedelta(days=20))
            process_id = f"case-{case_id}/follow-up/{number}"
            await eventually(
                lambda pid=process_id: board_row(sessions, case_id).follow_up_process_id == pid,  # type: ignore[union-attr,misc]
                f"follow-up {number} started",
            )
            assert (await state(env, process_id)).details["due_on"] == due.isoformat()
            await hold_follow_up(env, process_id, moment)
            run_id = await next_run(env, cycle_id(case_id), run_id)
        cycle = await state(env, cycle_id(case_id))
        assert cycle.details["runs"] == 5
        assert (cycle.details["next_due"], cycle.details["last_follow_up"]) == ("2031-01-14", "2030-01-14")
        assert cycle.stage == "scheduled"
        row = board_row(sessions, case_id)
        assert row is not None
        assert (row.next_due, row.last_follow_up, row.stage, row.follow_up_process_id) == (
            date(2031, 1, 14),
            date(2030, 1, 14),
            "scheduled",
            None,
        )
        with sessions() as session:
            events = session.scalars(
                select(models.FollowUpEvent).order_by(models.FollowUpEvent.held_on)
            ).all()
            tasks = session.scalars(select(models.Task).where(models.Task.status == "open")).all()
        assert [e.held_on for e in events] == [m.date() for m in held]
        assert tasks == []
        # the carried timeline is bounded and still reads in order
        assert len(cycle.timeline) <= 60
        assert cycle.timeline[-1].at >= cycle.timeline[0].at
