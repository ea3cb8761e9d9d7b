"""The order process under the time-skipping test server (ORD-1..ORD-5, COM-3, COM-4, CAL-7).

This module has a time-skipping server of its own (the module-scoped ``env`` below): the clock of
a test server only moves forward, and other modules move the session server's clock to their own
dates. Here the clock starts at the real now (2026-11-22) and the tests below run in date order,
each moving the clock to the absolute instants it needs with ``advance_to`` (which skips a test
whose instant has passed). Keep new tests in chronological order.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.workflow import UpdateMethodMultiParam

from readmodel import models
from tests.support import (
    CASE_WORKER,
    OTHER_PROVIDER,
    PROVIDER,
    SENIOR,
    add_case,
    advance_to,
    end_of,
    profile,
    start,
    sthlm,
    time_skipping_server,
    worker_for,
)
from workflows.io.order import (
    CarePlanDone,
    ConfirmOrder,
    OrderInput,
    PhoneConfirmation,
    RegisterExecution,
    ReportNotExecutable,
    ReviewNotExecuted,
)
from workflows.model import Action, OpenTask, ProcessState
from workflows.order import OrderWorkflow
from workflows.rules.order import ServiceItem

Handle = WorkflowHandle[Any, ProcessState]
A = TypeVar("A", bound=Action)

CLEANING = [ServiceItem(name="Städning", kind="service", minutes_per_month=120)]
PERSONAL_CARE = [ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900)]
PROVIDER_MAILBOX = "provider-hemtjanst-nord"
CASE_WORKERS_MAILBOX = "case-workers"
SENIOR_MAILBOX = "senior-case-worker"
ONE_SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """This module's own time-skipping server (same setup as conftest's session ``env``)."""
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture
async def worker(env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    """Every process and activity on a fresh task queue of this module's server.

    When the test ends, its still running orders are terminated while the worker still runs: a
    timer or task left for a queue nobody polls would hold back the server's time skipping for
    every later test. (Do not await ``handle.result()`` in this module either: it lets the server
    skip time to its next timer, which may be a terminated workflow's 10-year run timeout.)
    """
    async with worker_for(env, sessions) as running:
        yield running
        while _STARTED:
            handle = _STARTED.pop()
            # describe() cannot decode the test server's datetime search attributes: just try.
            with contextlib.suppress(RPCError):  # already completed
                await handle.terminate("test ended")


_STARTED: list[Handle] = []


# -- helpers -----------------------------------------------------------------------------------


def new_case(sessions: sessionmaker[Session], name: str) -> str:
    case_id = f"{name}-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    return case_id


async def start_order(
    env: WorkflowEnvironment,
    worker: Worker,
    case_id: str,
    *,
    sent_at: datetime,
    start_date: date,
    items: list[ServiceItem],
    other: str = "",
    profile_name: str = "default",
) -> tuple[Handle, ProcessState]:
    inp = OrderInput(
        case_id=case_id,
        profile=profile(profile_name),
        provider_id="hemtjanst-nord",
        sent_by=CASE_WORKER,
        start_date=start_date,
        items=items,
        other=other,
        sent_at=sent_at,
        case_worker_id="cw-anna",
    )
    handle, state = await start(env, worker, OrderWorkflow, inp, f"{case_id}/order/1")
    _STARTED.append(handle)
    return handle, state


async def state_of(handle: Handle) -> ProcessState:
    return await handle.query(OrderWorkflow.state)


async def rejected(
    handle: Handle, update: UpdateMethodMultiParam[[OrderWorkflow, A], ProcessState], action: A
) -> ApplicationError:
    """The action is refused: the ApplicationError (type NotOpen/Forbidden/Invalid) it failed with."""
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, action)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def task(state: ProcessState, action: str) -> OpenTask:
    found = [t for t in state.open_tasks if t.action == action]
    assert len(found) == 1, f"{action} is not open: {[t.action for t in state.open_tasks]}"
    return found[0]


def open_actions(state: ProcessState) -> set[str]:
    return {t.action for t in state.open_tasks}


def rows(sessions: sessionmaker[Session], model: type[Any], **where: Any) -> list[Any]:
    with sessions() as session:
        query = select(model).filter_by(**where)
        return list(session.scalars(query))


async def completed_process(sessions: sessionmaker[Session], handle: Handle) -> models.Process:
    """The process row once the read model says completed.

    The closing action's answer comes before the workflow's last activity (the process row) has
    run; ``handle.result()`` would wait for it but lets the server skip time (see above).
    """
    for _ in range(100):
        process: models.Process
        [process] = rows(sessions, models.Process, id=handle.id)
        if process.status == "completed":
            return process
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} is still {process.status} in the read model")


def order_row(sessions: sessionmaker[Session], handle: Handle) -> models.Order:
    with sessions() as session:
        row = session.get(models.Order, handle.id)
        assert row is not None
        return row


# -- 2026-11-22 (the real today): past-dated orders ---------------------------------------------


async def test_COM_4_the_other_text_reaches_the_providers_mailbox_with_the_order(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    case_id = new_case(sessions, "com4")
    other = "Nyckel finns i nyckelgömma vid dörren; ring på två gånger."
    handle, state = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 11, 20, 10, 0),
        start_date=date(2026, 12, 7),
        items=CLEANING,
        other=other,
    )
    assert state.details["other"] == other
    [message] = rows(sessions, models.Message, mailbox=PROVIDER_MAILBOX, case_id=case_id)
    assert message.subject == "Ny beställning"
    assert message.body == f"Insatser: Städning. Start 2026-12-07.\nÖvrigt: {other}"
    assert order_row(sessions, handle).other == other
    assert order_row(sessions, handle).status == "sent"


async def test_CAL_7_ORD_2_an_october_execution_registered_after_4_november_notifies_billing(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """CAL-7: an execution date of October registered after the 4th of November (the deadline)
    raises a notice to billing and a deviation."""
    now = await env.get_current_time()
    assert not (now > sthlm(2026, 11, 30, 23, 59)), "written for a registration in late November 2026"
    case_id = new_case(sessions, "cal7")
    handle, _ = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 10, 20, 10, 0),
        start_date=date(2026, 10, 28),
        items=CLEANING,
    )
    state = await handle.execute_update(
        OrderWorkflow.register_execution,
        RegisterExecution(actor=PROVIDER, execution_date=date(2026, 10, 28)),
    )
    assert state.stage == "executed"
    assert "Verkställigheten registrerades efter den 4:e följande månad." in state.deviations
    [notice] = rows(sessions, models.BillingNotice, case_id=case_id)
    assert notice.concerns == date(2026, 10, 28)
    assert notice.deadline == end_of(date(2026, 11, 4))
    assert notice.registered_at.date() >= date(2026, 11, 22)
    assert "Kontakta debiteringen" in notice.text
    assert order_row(sessions, handle).execution_date == date(2026, 10, 28)
    # ORD-5 counts from the execution date, however late it is registered: 28/10 + 21 days.
    assert state.deadlines["care_plan_done"] == end_of(date(2026, 11, 18))


# -- Mon 2026-11-23 -----------------------------------------------------------------------------


async def test_errors_leave_the_state_unchanged_and_one_update_id_has_one_effect(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 11, 23, 9, 0))
    case_id = new_case(sessions, "errors")
    handle, _ = await start_order(
        env, worker, case_id, sent_at=sthlm(2026, 11, 23, 9, 0), start_date=date(2026, 12, 7), items=CLEANING
    )
    before = await state_of(handle)
    assert task(before, "confirm").due_at == sthlm(2026, 11, 24, 9, 0)  # ORD-1

    wrong_role = await rejected(handle, OrderWorkflow.confirm, ConfirmOrder(actor=CASE_WORKER))
    assert wrong_role.type == "Forbidden"
    other_org = await rejected(handle, OrderWorkflow.confirm, ConfirmOrder(actor=OTHER_PROVIDER))
    assert other_org.type == "Forbidden"
    assert "hemtjanst-nord" in other_org.message
    not_open = await rejected(
        handle, OrderWorkflow.care_plan_done, CarePlanDone(actor=PROVIDER, done_on=date(2026, 11, 23))
    )
    assert not_open.type == "NotOpen"
    not_open_review = await rejected(
        handle, OrderWorkflow.review_not_executed, ReviewNotExecuted(actor=CASE_WORKER, decision="execute")
    )
    assert not_open_review.type == "NotOpen"
    future = await rejected(
        handle,
        OrderWorkflow.confirm,
        ConfirmOrder(actor=PROVIDER, occurred_at=sthlm(2026, 11, 23, 10, 0)),
    )
    assert future.type == "Invalid"
    assert await state_of(handle) == before

    first = await handle.execute_update(OrderWorkflow.confirm, ConfirmOrder(actor=PROVIDER), id="confirm-1")
    again = await handle.execute_update(OrderWorkflow.confirm, ConfirmOrder(actor=PROVIDER), id="confirm-1")
    assert first == again
    assert first.stage == "confirmed"
    after = await state_of(handle)
    done = [entry for entry in after.timeline if entry.text == "Bekräfta mottagen beställning: utfört"]
    assert len(done) == 1
    assert "confirm" not in open_actions(after)
    assert order_row(sessions, handle).status == "confirmed"


async def test_ORD_2_the_execution_date_is_never_before_arrival_nor_in_the_future(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """ORD-2 (Botkyrka's example shifted to November): the order arrives Mon 16/11, the first
    visit is on Fri 20/11, registered on Mon 23/11."""
    await advance_to(env, sthlm(2026, 11, 23, 9, 30))
    case_id = new_case(sessions, "ord2")
    handle, state = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 11, 16, 10, 0),
        start_date=date(2026, 11, 20),
        items=CLEANING,
    )
    # ORD-1 long passed: the confirmation is overdue and escalated to the case worker.
    assert task(state, "confirm").overdue
    before = await state_of(handle)

    for wrong in (date(2026, 11, 15), date(2026, 11, 24)):
        error = await rejected(
            handle, OrderWorkflow.register_execution, RegisterExecution(actor=PROVIDER, execution_date=wrong)
        )
        assert error.type == "Invalid"
    assert await state_of(handle) == before

    state = await handle.execute_update(
        OrderWorkflow.register_execution, RegisterExecution(actor=PROVIDER, execution_date=date(2026, 11, 20))
    )
    assert state.stage == "executed"
    assert state.details["execution_date"] == "2026-11-20"
    assert open_actions(state) == {"care_plan_done"}  # confirm and report_not_executable closed
    care_plan = task(state, "care_plan_done")
    assert care_plan.due_at == end_of(date(2026, 12, 11))  # ORD-5: 20/11 + 21 days
    assert care_plan.role == "provider"
    assert care_plan.org == "hemtjanst-nord"
    row = order_row(sessions, handle)
    assert (row.status, row.execution_date) == ("executed", date(2026, 11, 20))
    [confirm_task] = rows(sessions, models.Task, process_id=handle.id, action="confirm")
    assert confirm_task.status == "cancelled"
    assert rows(sessions, models.BillingNotice, case_id=case_id) == []  # November: deadline 4/12


async def test_ORD_3_a_provider_that_cannot_execute_reports_why_and_the_review_opens_at_once(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 11, 23, 10, 0))
    case_id = new_case(sessions, "ord3")
    handle, before = await start_order(
        env, worker, case_id, sent_at=sthlm(2026, 11, 23, 9, 0), start_date=date(2026, 11, 30), items=CLEANING
    )
    blank = await rejected(
        handle, OrderWorkflow.report_not_executable, ReportNotExecutable(actor=PROVIDER, reason="  ")
    )
    assert blank.type == "Invalid"
    assert await state_of(handle) == before

    state = await handle.execute_update(
        OrderWorkflow.report_not_executable,
        ReportNotExecutable(
            actor=PROVIDER, reason="Brukaren vill inte ha städning", contact_attempts=3, person_declined=True
        ),
    )
    expected = (
        "Beställningen kan inte verkställas: Brukaren vill inte ha städning. "
        "Kontaktförsök: 3. Brukaren har avböjt insatsen."
    )
    [journal] = rows(sessions, models.JournalEntry, case_id=case_id, journal="provider")
    assert journal.text == expected
    [message] = rows(sessions, models.Message, case_id=case_id, mailbox=CASE_WORKERS_MAILBOX)
    assert (message.subject, message.body) == ("Beställning kan inte verkställas", expected)
    assert state.stage == "not_executed_review"
    review = task(state, "review_not_executed")
    assert review.role == "case_worker"
    assert review.due_at == end_of(date(2026, 11, 30))  # 5 working days after Mon 23/11
    assert state.deviations == [expected]

    state = await handle.execute_update(
        OrderWorkflow.review_not_executed,
        ReviewNotExecuted(actor=CASE_WORKER, decision="end_not_executed", note="Brukaren avböjer."),
    )
    assert (state.stage, state.outcome, state.open_tasks) == ("closed", "not_executed", [])
    process = await completed_process(sessions, handle)
    assert (process.status, process.outcome) == ("completed", "not_executed")
    row = order_row(sessions, handle)
    assert (row.status, row.ended_on) == ("not_executed", date(2026, 11, 23))
    [authority] = rows(sessions, models.JournalEntry, case_id=case_id, journal="authority")
    assert authority.text == "Beställningen avslutas som ej verkställd. Brukaren avböjer."
    ended = rows(
        sessions, models.Message, case_id=case_id, mailbox=PROVIDER_MAILBOX, subject="Beställning avslutad"
    )
    assert len(ended) == 1


# -- Tue 2026-12-01: COM-3 -----------------------------------------------------------------------


async def test_COM_3_an_urgent_order_sent_at_1430_is_phoned_to_the_coordinator_by_1700(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 12, 1, 14, 30))
    # Sent at 14:30 for a start the same day: urgent, the coordinator is phoned before 17:00.
    urgent_id = new_case(sessions, "com3-a")
    urgent, state = await start_order(
        env,
        worker,
        urgent_id,
        sent_at=sthlm(2026, 12, 1, 14, 30),
        start_date=date(2026, 12, 1),
        items=PERSONAL_CARE,
    )
    phone = task(state, "phone_confirmation")
    assert (phone.role, phone.due_at) == ("case_worker", sthlm(2026, 12, 1, 17, 0))
    assert state.details["phone_target"] == "coordinator"
    assert state.deadlines["phone_confirmation"] == sthlm(2026, 12, 1, 17, 0)

    wrong = await rejected(
        urgent,
        OrderWorkflow.phone_confirmation,
        PhoneConfirmation(actor=CASE_WORKER, phoned="on_call_supervisor", phoned_name="Erik Jour"),
    )
    assert wrong.type == "Invalid"
    before_call = await rejected(
        urgent,
        OrderWorkflow.phone_confirmation,
        PhoneConfirmation(
            actor=CASE_WORKER,
            phoned="coordinator",
            phoned_name="Carl Samordnare",
            occurred_at=sthlm(2026, 12, 1, 14, 20),
        ),
    )
    assert before_call.type == "Invalid"
    assert await state_of(urgent) == state

    called_at = sthlm(2026, 12, 1, 14, 31)
    state = await urgent.execute_update(
        OrderWorkflow.phone_confirmation,
        PhoneConfirmation(
            actor=CASE_WORKER, phoned="coordinator", phoned_name="Carl Samordnare", occurred_at=called_at
        ),
    )
    assert "phone_confirmation" not in open_actions(state)
    phoned = state.details["phoned"]
    assert phoned["target"] == "coordinator"
    assert phoned["name"] == "Carl Samordnare"
    assert phoned["by"] == CASE_WORKER.label
    assert datetime.fromisoformat(phoned["at"]) == called_at

    # Sent at 13:00: no phone call is needed (COM-3 only from 14:00).
    early_id = new_case(sessions, "com3-b")
    _, early = await start_order(
        env,
        worker,
        early_id,
        sent_at=sthlm(2026, 12, 1, 13, 0),
        start_date=date(2026, 12, 1),
        items=PERSONAL_CARE,
    )
    assert "phone_confirmation" not in open_actions(early)
    assert "phone_target" not in early.details

    # Sent at 14:00 for tomorrow and never phoned: at 17:00 the step escalates to the senior.
    unphoned_id = new_case(sessions, "com3-c")
    unphoned, state = await start_order(
        env,
        worker,
        unphoned_id,
        sent_at=sthlm(2026, 12, 1, 14, 0),
        start_date=date(2026, 12, 2),
        items=CLEANING,
    )
    assert task(state, "phone_confirmation").due_at == sthlm(2026, 12, 1, 17, 0)
    await advance_to(env, sthlm(2026, 12, 1, 17, 0) + ONE_SECOND)
    state = await state_of(unphoned)
    phone = task(state, "phone_confirmation")
    assert (phone.overdue, phone.escalated_to) == (True, "senior_case_worker")
    [escalation] = rows(sessions, models.Message, case_id=unphoned_id, mailbox=SENIOR_MAILBOX)
    assert escalation.subject.startswith("Försenat steg: Ring utförarens samordnare/enhetschef")
    assert "2026-12-01 17:00" in escalation.body
    # The phoned order has nothing overdue.
    assert not any(t.overdue for t in (await state_of(urgent)).open_tasks)


async def test_COM_3_an_urgent_order_sent_at_1800_is_phoned_to_the_on_call_supervisor_within_an_hour(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 12, 1, 18, 0))
    case_id = new_case(sessions, "com3-d")
    handle, state = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 12, 1, 18, 0),
        start_date=date(2026, 12, 2),
        items=PERSONAL_CARE,
    )
    assert state.details["phone_target"] == "on_call_supervisor"
    assert task(state, "phone_confirmation").due_at == sthlm(2026, 12, 1, 19, 0)
    wrong = await rejected(
        handle,
        OrderWorkflow.phone_confirmation,
        PhoneConfirmation(actor=CASE_WORKER, phoned="coordinator", phoned_name="Carl Samordnare"),
    )
    assert wrong.type == "Invalid"
    assert "ska jourhavande arbetsledare kontaktas" in wrong.message
    assert await state_of(handle) == state
    state = await handle.execute_update(
        OrderWorkflow.phone_confirmation,
        PhoneConfirmation(actor=CASE_WORKER, phoned="on_call_supervisor", phoned_name="Erik Jour"),
    )
    assert state.details["phoned"]["target"] == "on_call_supervisor"
    assert state.details["phoned"]["name"] == "Erik Jour"

    # Executed before anyone phoned: the order was evidently received, the call is not needed.
    executed_id = new_case(sessions, "com3-e")
    executed, state = await start_order(
        env,
        worker,
        executed_id,
        sent_at=sthlm(2026, 12, 1, 18, 0),
        start_date=date(2026, 12, 1),
        items=PERSONAL_CARE,
    )
    assert "phone_confirmation" in open_actions(state)
    state = await executed.execute_update(
        OrderWorkflow.register_execution, RegisterExecution(actor=PROVIDER, execution_date=date(2026, 12, 1))
    )
    assert open_actions(state) == {"care_plan_done"}
    [phone_row] = rows(sessions, models.Task, process_id=executed.id, action="phone_confirmation")
    assert phone_row.status == "cancelled"


# -- Wed 2026-12-23 .. Mon 2026-12-28: ORD-1 around Christmas, ORD-4 for care ---------------------


async def test_ORD_1_an_order_sent_the_day_before_julafton_is_confirmed_by_monday_1000_or_escalated(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 12, 23, 10, 0))
    case_id = new_case(sessions, "ord1")
    handle, state = await start_order(
        env, worker, case_id, sent_at=sthlm(2026, 12, 23, 10, 0), start_date=date(2027, 1, 11), items=CLEANING
    )
    confirm = task(state, "confirm")
    assert confirm.due_at == sthlm(2026, 12, 28, 10, 0)
    assert (confirm.role, confirm.org, confirm.overdue) == ("provider", "hemtjanst-nord", False)

    await advance_to(env, sthlm(2026, 12, 28, 9, 59))
    assert not task(await state_of(handle), "confirm").overdue
    await advance_to(env, sthlm(2026, 12, 28, 10, 0) + ONE_SECOND)
    state = await state_of(handle)
    confirm = task(state, "confirm")
    assert (confirm.overdue, confirm.escalated_to) == (True, "case_worker")
    [message] = rows(sessions, models.Message, case_id=case_id, mailbox=CASE_WORKERS_MAILBOX)
    assert message.subject == "Försenat steg: Bekräfta mottagen beställning"
    assert "2026-12-28 10:00" in message.body
    [task_row] = rows(sessions, models.Task, process_id=handle.id, action="confirm")
    assert (task_row.overdue, task_row.escalated_to) == (True, "case_worker")

    state = await handle.execute_update(OrderWorkflow.confirm, ConfirmOrder(actor=PROVIDER))
    assert state.stage == "confirmed"
    assert "confirm" not in open_actions(state)
    assert order_row(sessions, handle).confirmed_at is not None


async def test_ORD_4_a_care_order_not_executed_by_the_next_working_day_opens_the_review_then(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """ORD-4: care items sent Wed 23/12 are due by the end of Mon 28/12 (Julafton to Sunday are
    no working days); then the reminder and the review come at once."""
    now = await env.get_current_time()
    assert not (now >= sthlm(2026, 12, 28, 23, 0)), (
        "the review at the end of 2026-12-28 has passed on the server's clock"
    )
    case_id = new_case(sessions, "ord4-care")
    handle, state = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 12, 23, 10, 0),
        start_date=date(2026, 12, 23),
        items=PERSONAL_CARE,
    )
    assert task(state, "register_execution").due_at == end_of(date(2026, 12, 28))
    assert "review_not_executed" not in open_actions(state)

    await advance_to(env, end_of(date(2026, 12, 28)) + ONE_SECOND)
    state = await state_of(handle)
    register = task(state, "register_execution")
    assert (register.overdue, register.escalated_to) == (True, "case_worker")
    review = task(state, "review_not_executed")
    assert review.role == "case_worker"
    assert review.due_at == end_of(date(2027, 1, 7))  # 5 working days: 29, 30/12, 4, 5, 7/1
    assert state.stage == "not_executed_review"
    assert state.deviations == ["Beställningen är inte verkställd i tid."]


async def test_ORD_5_the_care_plan_is_due_3_weeks_after_execution_and_escalates_to_the_case_worker(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2026, 12, 29, 9, 0))
    case_id = new_case(sessions, "ord5")
    handle, state = await start_order(
        env,
        worker,
        case_id,
        sent_at=sthlm(2026, 12, 23, 10, 0),
        start_date=date(2026, 12, 28),
        items=PERSONAL_CARE,
    )
    # ORD-4 (care) counts from the start date 28/12: executed by the end of Tue 29/12.
    assert state.deadlines["execution"] == end_of(date(2026, 12, 29))
    assert "review_not_executed" not in open_actions(state)

    state = await handle.execute_update(
        OrderWorkflow.register_execution, RegisterExecution(actor=PROVIDER, execution_date=date(2026, 12, 28))
    )
    assert open_actions(state) == {"care_plan_done"}  # the review is cancelled on execution
    assert task(state, "care_plan_done").due_at == end_of(date(2027, 1, 18))
    too_early = await rejected(
        handle, OrderWorkflow.care_plan_done, CarePlanDone(actor=PROVIDER, done_on=date(2026, 12, 27))
    )
    assert too_early.type == "Invalid"

    await advance_to(env, end_of(date(2027, 1, 18)) - ONE_SECOND)
    assert not task(await state_of(handle), "care_plan_done").overdue
    await advance_to(env, end_of(date(2027, 1, 18)) + ONE_SECOND)
    state = await state_of(handle)
    care_plan = task(state, "care_plan_done")
    assert (care_plan.overdue, care_plan.escalated_to) == (True, "case_worker")
    reminders = rows(
        sessions,
        models.Message,
        case_id=case_id,
        mailbox=CASE_WORKERS_MAILBOX,
        subject="Försenat steg: Upprätta genomförandeplan tillsammans med brukaren",
    )
    assert len(reminders) == 1

    state = await handle.execute_update(
        OrderWorkflow.care_plan_done, CarePlanDone(actor=PROVIDER, done_on=date(2027, 1, 19))
    )
    assert (state.stage, state.outcome) == ("closed", "executed")
    assert order_row(sessions, handle).care_plan_on == date(2027, 1, 19)
    process = await completed_process(sessions, handle)
    assert (process.status, process.outcome) == ("completed", "executed")


# -- Wed 2027-01-20 .. March 2027: ORD-4 for a service order ------------------------------------


async def test_ORD_4_a_service_order_reminds_at_2_weeks_reviews_at_4_and_again_14_days_after_execute(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(env, sthlm(2027, 1, 20, 10, 0))
    case_id = new_case(sessions, "ord4-service")
    # Start on arrival: ORD-4 counts from when the service can start, here the sending itself.
    handle, state = await start_order(
        env, worker, case_id, sent_at=sthlm(2027, 1, 20, 10, 0), start_date=date(2027, 1, 20), items=CLEANING
    )
    assert task(state, "register_execution").due_at == end_of(date(2027, 2, 3))
    await handle.execute_update(OrderWorkflow.confirm, ConfirmOrder(actor=PROVIDER))

    # 2 weeks: the reminder to the case worker is the escalation of the registration step.
    await advance_to(env, end_of(date(2027, 2, 3)) + ONE_SECOND)
    state = await state_of(handle)
    register = task(state, "register_execution")
    assert (register.overdue, register.escalated_to) == (True, "case_worker")
    [reminder] = rows(sessions, models.Message, case_id=case_id, mailbox=CASE_WORKERS_MAILBOX)
    assert reminder.subject == "Försenat steg: Registrera verkställighetsdatum (första utförda besöket)"
    assert "review_not_executed" not in open_actions(state)

    # 4 weeks: the review opens, due 5 working days later, escalating to the senior case worker.
    await advance_to(env, end_of(date(2027, 2, 17)) - ONE_SECOND)
    assert "review_not_executed" not in open_actions(await state_of(handle))
    await advance_to(env, end_of(date(2027, 2, 17)) + ONE_SECOND)
    state = await state_of(handle)
    review = task(state, "review_not_executed")
    assert (review.role, review.due_at) == ("case_worker", end_of(date(2027, 2, 24)))
    assert state.stage == "not_executed_review"
    await advance_to(env, end_of(date(2027, 2, 24)) + ONE_SECOND)
    review = task(await state_of(handle), "review_not_executed")
    assert (review.overdue, review.escalated_to) == (True, "senior_case_worker")
    [escalation] = rows(sessions, models.Message, case_id=case_id, mailbox=SENIOR_MAILBOX)
    assert escalation.subject.startswith("Försenat steg: Ej verkställd beställning")

    # "Execute": the provider is told, and the review comes again 14 days later.
    await advance_to(env, sthlm(2027, 2, 25, 9, 0))
    state = await handle.execute_update(
        OrderWorkflow.review_not_executed,
        ReviewNotExecuted(actor=SENIOR, decision="execute", note="Kontakta brukaren igen."),
    )
    assert "review_not_executed" not in open_actions(state)
    assert state.stage == "confirmed"
    [instruction] = rows(
        sessions,
        models.Message,
        case_id=case_id,
        mailbox=PROVIDER_MAILBOX,
        subject="Beställningen ska verkställas",
    )
    assert instruction.body.endswith("Kontakta brukaren igen.")
    await advance_to(env, end_of(date(2027, 3, 11)) - ONE_SECOND)
    assert "review_not_executed" not in open_actions(await state_of(handle))
    await advance_to(env, end_of(date(2027, 3, 11)) + ONE_SECOND)
    state = await state_of(handle)
    assert task(state, "review_not_executed").due_at == end_of(date(2027, 3, 18))

    state = await handle.execute_update(
        OrderWorkflow.review_not_executed, ReviewNotExecuted(actor=CASE_WORKER, decision="end_not_executed")
    )
    assert (state.stage, state.outcome, state.open_tasks) == ("closed", "not_executed", [])
    row = order_row(sessions, handle)
    assert (row.status, row.ended_on) == ("not_executed", date(2027, 3, 12))
