"""The new-urgent-case process on the time-skipping server (NEW-1..NEW-7, ORD-6, COM-2).

This module has its own time-skipping environment: the session one's clock is moved by other
modules. The tests run in file order, which is chronological: first those at the server's start
time (2026-11-22) with past dates, then the clock moves to 30 November, 22 December and
31 December 2026.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel import models
from tests.support import (
    CASE_WORKER,
    ON_CALL,
    PROVIDER,
    SENIOR,
    advance_to,
    end_of,
    profile,
    start,
    sthlm,
    time_skipping_server,
    worker_for,
)
from workflows.io.new_urgent_case import (
    CloseCase,
    Decide,
    NewUrgentCaseInput,
    PhoneProvider,
    SendOrder,
    StartNewUrgentCase,
    TakeOver,
)
from workflows.model import Action, Actor, ProcessState, StartContext
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.rules.order import ServiceItem

SENIOR_MAILBOX = "senior-case-worker"
CASE_WORKERS_MAILBOX = "case-workers"


@pytest.fixture(scope="module")
async def nuc_env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture
async def nuc_worker(nuc_env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    async with worker_for(nuc_env, sessions) as running:
        yield running


_running: list[str] = []  # workflow ids started by the current test, its order children included


@pytest.fixture(autouse=True)
async def _terminate_leftovers(nuc_env: WorkflowEnvironment) -> AsyncIterator[None]:
    """End a test's still-running processes: once its worker is gone, their timers would fire
    into workflow tasks nobody polls, which stops the test server from skipping time."""
    yield
    while _running:
        workflow_id = _running.pop()
        with contextlib.suppress(RPCError):  # already closed
            await nuc_env.client.get_workflow_handle(workflow_id).terminate("test finished")


# -- helpers -------------------------------------------------------------------------------------

Handle = WorkflowHandle[Any, ProcessState]


async def begin(
    env: WorkflowEnvironment,
    worker: Worker,
    actor: Actor,
    profile_name: str = "default",
    **request: Any,
) -> tuple[str, Handle, ProcessState]:
    """Start as the API does: build_input with the server's now, then start and wait for ``ready``."""
    case_id = f"nuc-{uuid.uuid4().hex[:8]}"
    now = await env.get_current_time()
    ctx = StartContext(case_id=case_id, case=None, profile=profile(profile_name), actor=actor, now=now)
    inp: NewUrgentCaseInput = NewUrgentCaseWorkflow.build_input(
        StartNewUrgentCase(person_name="Greta Testsson", **request), ctx
    )
    process_id = f"case-{case_id}/new-urgent-case/1"
    # the order child and the case's follow-up cycle (FU-1) outlive the process
    _running.extend([f"case-{case_id}/order/1", f"case-{case_id}/follow-up-cycle", process_id])
    handle, state = await start(env, worker, NewUrgentCaseWorkflow, inp, process_id)
    return case_id, handle, state


async def act(handle: Handle, name: str, action: Action, key: str | None = None) -> ProcessState:
    state: ProcessState = await handle.execute_update(name, action, id=key, result_type=ProcessState)
    return state


async def rejected(handle: Handle, name: str, action: Action) -> str | None:
    """The error kind of a rejected action (NotOpen 409, Forbidden 403, Invalid 422)."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, name, action)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type


def task(state: ProcessState, action: str) -> Any:
    return next(t for t in state.open_tasks if t.action == action)


def actions(state: ProcessState) -> set[str]:
    return {t.action for t in state.open_tasks}


def messages(sessions: sessionmaker[Session], mailbox: str, case_id: str) -> list[models.Message]:
    with sessions() as session:
        return list(
            session.scalars(
                select(models.Message)
                .where(models.Message.mailbox == mailbox, models.Message.case_id == case_id)
                .order_by(models.Message.sent_at)
            )
        )


def journal(sessions: sessionmaker[Session], case_id: str) -> list[models.JournalEntry]:
    with sessions() as session:
        return list(
            session.scalars(select(models.JournalEntry).where(models.JournalEntry.case_id == case_id))
        )


async def arrived(sessions: sessionmaker[Session], mailbox: str, case_id: str) -> list[models.Message]:
    """The mailbox's messages once at least one has arrived (escalations run after ``ready``)."""
    for _ in range(100):
        found = messages(sessions, mailbox, case_id)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message in {mailbox}")


async def completed(sessions: sessionmaker[Session], process_id: str) -> models.Process:
    """The read model's process row once it says completed (the last write of a run).

    Polled rather than awaited with ``handle.result()``, which lets the server skip time."""
    for _ in range(100):
        with sessions() as session:
            row = session.get(models.Process, process_id)
        if row is not None and row.status == "completed":
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{process_id} did not complete")


async def order_child(env: WorkflowEnvironment, case_id: str) -> ProcessState:
    """The child order process once it has done its first steps' activities, and the case's
    follow-up cycle (started by the decision) once it has scheduled: a process terminated with
    activities in flight keeps the test server from skipping time (sdk-java#1138)."""
    child = env.client.get_workflow_handle(f"case-{case_id}/order/1")
    state: ProcessState = await child.execute_update("ready", result_type=ProcessState)
    await _settled(env, f"case-{case_id}/follow-up-cycle")
    return state


_WORKFLOW_TASK_EVENTS = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
)


async def _settled(env: WorkflowEnvironment, workflow_id: str) -> None:
    """Wait until the workflow's last workflow task is completed and none of its activities is
    still open (or it does not exist): e.g. the case's cycle, which goes on reacting to its
    decision after answering ``ready``; terminated in the middle, it would keep the test server
    from skipping time."""
    handle = env.client.get_workflow_handle(workflow_id)
    for _ in range(200):
        try:
            events = (await handle.fetch_history()).events
        except RPCError:
            return  # no decision granted yet: no cycle
        scheduled = {
            e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        closed = {
            attributes.scheduled_event_id
            for e in events
            for attributes in (
                e.activity_task_completed_event_attributes,
                e.activity_task_failed_event_attributes,
                e.activity_task_timed_out_event_attributes,
                e.activity_task_canceled_event_attributes,
            )
            if attributes.scheduled_event_id
        }
        last_task = next(
            (e.event_type for e in reversed(events) if e.event_type in _WORKFLOW_TASK_EVENTS), None
        )
        if last_task == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and scheduled <= closed:
            return
        await asyncio.sleep(0.05)


async def until(handle: Handle, ok: Callable[[ProcessState], bool]) -> ProcessState:
    """The state once the workflow has reacted to a timer the clock just passed."""
    for _ in range(100):
        state: ProcessState = await handle.query("state", result_type=ProcessState)
        if ok(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never met: {state}")


ITEMS = [ServiceItem(name="Personlig omvårdnad", kind="care"), ServiceItem(name="Städning", kind="service")]


# -- at the server's start time (Sun 2026-11-22, early morning) ---------------------------------------


async def test_NEW_5_unknown_person_default_provider_told_at_once_and_order_only_after_decision(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """NEW-5 (Sundbyberg): an on-call grant Sun 02:00 for an unknown person; the default provider's
    mailbox gets the written instructions at start; the order is refused until the decision;
    NEW-7 first follow-up 2 months after the decision dated 2026-11-22 (NEW-4)."""
    case_id, handle, state = await begin(
        nuc_env,
        nuc_worker,
        ON_CALL,
        "sundbyberg",
        help_started_at=sthlm(2026, 11, 22, 2, 0),
        granted_by_on_call=True,
        unknown_person=True,
    )
    # COM-2: in the default provider's mailbox, about this one case, right after the start
    provider_box = messages(sessions, "provider-hemtjanst-sundbyberg", case_id)
    assert [m.subject for m in provider_box] == ["Akuta insatser för okänd person"]
    assert "muntlig" in provider_box[0].body and "extra" in provider_box[0].body
    assert all(m.case_id == case_id for m in provider_box)
    assert [m.subject for m in messages(sessions, CASE_WORKERS_MAILBOX, case_id)] == [
        "Hemtjänst beviljad under jourtid"
    ]
    assert any("ickevalsalternativ" in j.text for j in journal(sessions, case_id))
    with sessions() as session:
        case = session.get(models.Case, case_id)
        assert case is not None
        assert (case.provider_id, case.municipality) == ("hemtjanst-sundbyberg", "sundbyberg")
    # NEW-2: Sun 02:00 -> Mon 2026-11-23 12:00
    assert state.deadlines["take_over"] == sthlm(2026, 11, 23, 12, 0)
    assert task(state, "take_over").role == "case_worker"
    assert state.details["reported_in"] == "on_call"

    state = await act(handle, "take_over", TakeOver(actor=CASE_WORKER))
    assert actions(state) == {"phone_provider", "close"}
    with sessions() as session:  # NEW-1: the case is now the responsible case worker's
        case = session.get(models.Case, case_id)
        assert case is not None and case.case_worker_id == CASE_WORKER.user_id
    state = await act(
        handle, "phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Sara Samordnare")
    )
    # ORD-6 from the call on Sun 22 Nov: Mon 23, Tue 24, Wed 25 -> end of Wed 2026-11-25
    assert state.deadlines["send_order"] == end_of(date(2026, 11, 25))
    assert state.deadlines["decide"] == end_of(date(2026, 11, 25))
    assert actions(state) == {"decide", "close"}  # NEW-5: no order before the follow-up/decision
    order = SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 22), items=ITEMS)
    assert await rejected(handle, "send_order", order) == "NotOpen"

    state = await act(handle, "decide", Decide(actor=CASE_WORKER, granted=True, services=["Omvårdnad"]))
    assert state.details["decision_date"] == "2026-11-22"
    assert state.details["first_follow_up_due"] == "2027-01-22"  # NEW-7
    assert actions(state) == {"send_order"}
    state = await act(handle, "send_order", order)
    assert state.outcome == "granted"
    assert state.stage == "closed"
    order_id = f"case-{case_id}/order/1"
    assert state.details["order_id"] == order_id
    child = await order_child(nuc_env, case_id)
    assert (child.type, child.case_id, child.stage) == ("order", case_id, "sent")
    with sessions() as session:
        event = session.scalars(
            select(models.FollowUpEvent).where(models.FollowUpEvent.case_id == case_id)
        ).one()
        assert event.due_on == date(2027, 1, 22)
        decision = session.scalars(select(models.Decision).where(models.Decision.case_id == case_id)).one()
        assert decision.start_date == date(2026, 11, 22)


async def test_NEW_6_closing_without_continued_need_keeps_the_help_given_and_tells_the_provider(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """NEW-1: reported Fri 2026-11-20 10:00 (office hours) -> take over by 17:00 that day, already
    past, so escalated to the senior case worker; NEW-6: close with the help given since 11:00."""
    case_id, handle, state = await begin(
        nuc_env,
        nuc_worker,
        CASE_WORKER,
        reported_at=sthlm(2026, 11, 20, 10, 0),
        help_started_at=sthlm(2026, 11, 20, 11, 0),
        provider_id="hemtjanst-nord",
    )
    assert state.deadlines["take_over"] == sthlm(2026, 11, 20, 17, 0)
    assert state.details["reported_in"] == "office_hours"
    take_over = task(state, "take_over")
    assert (take_over.overdue, take_over.escalated_to) == (True, "senior_case_worker")
    assert len(await arrived(sessions, SENIOR_MAILBOX, case_id)) == 1

    await act(handle, "take_over", TakeOver(actor=CASE_WORKER, occurred_at=sthlm(2026, 11, 20, 16, 0)))
    state = await act(handle, "close", CloseCase(actor=CASE_WORKER, occurred_at=sthlm(2026, 11, 21, 9, 0)))
    assert state.outcome == "closed_no_need"
    assert state.open_tasks == []
    assert state.details["help_given"] == {"from": sthlm(2026, 11, 20, 11, 0).isoformat(), "to": "2026-11-21"}
    box = messages(sessions, "provider-hemtjanst-nord", case_id)
    assert [m.subject for m in box] == ["Ärendet avslutas"]
    assert "kvarstår" in box[0].body
    # the history says who did what and when
    texts = [(e.actor, e.text) for e in state.timeline]
    assert (
        "Anna Handläggare (biståndshandläggare)",
        "Ta över det nya ärendet och utred behovet omgående: utfört",
    ) in texts
    process = await completed(sessions, f"case-{case_id}/new-urgent-case/1")
    assert process.outcome == "closed_no_need"


async def test_NEW_wrong_role_not_open_invalid_and_repeats_leave_the_state_unchanged(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker
) -> None:
    """403/409/422 kinds for a wrong role, an action not open and invalid data; an update id
    repeated gives the first answer once (idempotency)."""
    case_id, handle, state = await begin(
        nuc_env,
        nuc_worker,
        CASE_WORKER,
        reported_at=sthlm(2026, 11, 20, 10, 0),
        help_started_at=sthlm(2026, 11, 20, 11, 0),
    )
    before = await handle.query("state", result_type=ProcessState)
    assert await rejected(handle, "take_over", TakeOver(actor=PROVIDER)) == "Forbidden"
    assert await rejected(handle, "decide", Decide(actor=CASE_WORKER, granted=False)) == "NotOpen"
    future = (await nuc_env.get_current_time()) + timedelta(days=400)
    assert await rejected(handle, "take_over", TakeOver(actor=CASE_WORKER, occurred_at=future)) == "Invalid"
    assert await handle.query("state", result_type=ProcessState) == before

    first = await act(handle, "take_over", TakeOver(actor=CASE_WORKER), key="k-take-over")
    again = await act(handle, "take_over", TakeOver(actor=CASE_WORKER), key="k-take-over")
    assert again == first
    assert await rejected(handle, "take_over", TakeOver(actor=CASE_WORKER)) == "NotOpen"

    state = await act(
        handle, "phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Sara"), key="k-phone"
    )
    before = await handle.query("state", result_type=ProcessState)
    assert (
        await rejected(handle, "phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Sara"))
        == "NotOpen"
    )
    # NEW-4: help started Fri 2026-11-20; another decision date is invalid, as is no service
    wrong = Decide(actor=CASE_WORKER, granted=True, decision_date=date(2026, 11, 21), services=["Omvårdnad"])
    assert await rejected(handle, "decide", wrong) == "Invalid"
    assert await rejected(handle, "decide", Decide(actor=CASE_WORKER, granted=True)) == "Invalid"
    assert (
        await rejected(handle, "decide", Decide(actor=ON_CALL, granted=True, services=["x"])) == "Forbidden"
    )
    early = SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 19), items=ITEMS)
    assert await rejected(handle, "send_order", early) == "Invalid"
    assert (
        await rejected(
            handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 20), items=[])
        )
        == "Invalid"
    )
    assert await handle.query("state", result_type=ProcessState) == before
    assert state.stage == "phoned"

    # the order may go first (normal path); then the decision closes the process as granted
    sent = await act(
        handle,
        "send_order",
        SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 20), items=ITEMS),
        key="k-order",
    )
    repeat = await act(
        handle,
        "send_order",
        SendOrder(actor=CASE_WORKER, start_date=date(2026, 11, 20), items=ITEMS),
        key="k-order",
    )
    assert repeat == sent
    assert actions(sent) == {"decide"}
    refused = Decide(actor=CASE_WORKER, granted=False)
    assert await rejected(handle, "decide", refused) == "Invalid"  # an order is already out
    state = await act(
        handle,
        "decide",
        Decide(actor=CASE_WORKER, granted=True, decision_date=date(2026, 11, 20), services=["Omvårdnad"]),
    )
    assert (state.outcome, state.details["first_follow_up_due"]) == ("granted", "2027-01-20")
    assert (await order_child(nuc_env, case_id)).stage == "sent"


# -- 30 November / 1 December 2026: NEW-2 mandate end escalates ------------------------------------


async def test_NEW_2_grants_mon_2000_and_tue_0200_escalate_to_the_senior_case_worker_at_tue_1200(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(nuc_env, sthlm(2026, 11, 30, 20, 0))
    mon_case, mon, state = await begin(
        nuc_env, nuc_worker, ON_CALL, help_started_at=sthlm(2026, 11, 30, 20, 0), granted_by_on_call=True
    )
    assert state.deadlines["take_over"] == sthlm(2026, 12, 1, 12, 0)
    assert state.details["mandate_end"] == sthlm(2026, 12, 1, 12, 0).isoformat()
    await advance_to(nuc_env, sthlm(2026, 12, 1, 2, 0))
    tue_case, tue, state = await begin(
        nuc_env, nuc_worker, ON_CALL, help_started_at=sthlm(2026, 12, 1, 2, 0), granted_by_on_call=True
    )
    assert state.deadlines["take_over"] == sthlm(2026, 12, 1, 12, 0)

    await advance_to(nuc_env, sthlm(2026, 12, 1, 11, 59, 59))
    for handle in (mon, tue):
        state = await handle.query("state", result_type=ProcessState)
        assert not task(state, "take_over").overdue
    await advance_to(nuc_env, sthlm(2026, 12, 1, 12, 0))
    for handle, case_id in ((mon, mon_case), (tue, tue_case)):
        state = await until(handle, lambda s: task(s, "take_over").overdue)
        assert task(state, "take_over").escalated_to == "senior_case_worker"
        box = await arrived(sessions, SENIOR_MAILBOX, case_id)
        assert len(box) == 1 and "2026-12-01 12:00" in box[0].body
        assert timedelta(0) <= box[0].sent_at - sthlm(2026, 12, 1, 12, 0) < timedelta(seconds=1)
    # the escalation target may take over
    state = await act(mon, "take_over", TakeOver(actor=SENIOR))
    assert state.stage == "taken_over"


# -- 22-30 December 2026: NEW-3 / ORD-6 over Christmas ---------------------------------------------


async def test_NEW_3_ORD_6_call_on_wed_23_december_order_due_end_of_wed_30_december(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """Grant Tue 2026-12-22 20:00 -> mandate Wed 23 Dec 12:00; call Wed 23 Dec 10:00 -> decision and
    order due end of Wed 30 Dec (28, 29, 30); the missed order escalates then; the decision is
    dated 2026-12-22 (NEW-4), first follow-up 2027-02-22 (NEW-7); the order is a child process."""
    await advance_to(nuc_env, sthlm(2026, 12, 22, 20, 0))
    case_id, handle, state = await begin(
        nuc_env,
        nuc_worker,
        ON_CALL,
        help_started_at=sthlm(2026, 12, 22, 20, 0),
        granted_by_on_call=True,
        provider_id="hemtjanst-nord",
    )
    assert state.deadlines["take_over"] == sthlm(2026, 12, 23, 12, 0)
    await advance_to(nuc_env, sthlm(2026, 12, 23, 10, 5))
    await act(handle, "take_over", TakeOver(actor=CASE_WORKER, occurred_at=sthlm(2026, 12, 23, 9, 0)))
    state = await act(
        handle,
        "phone_provider",
        PhoneProvider(
            actor=CASE_WORKER, phoned_name="Carl Samordnare", occurred_at=sthlm(2026, 12, 23, 10, 0)
        ),
    )
    assert state.deadlines["send_order"] == end_of(date(2026, 12, 30))
    assert task(state, "send_order").due_at == end_of(date(2026, 12, 30))
    assert state.details["proposed_decision_date"] == "2026-12-22"
    box = messages(sessions, "provider-hemtjanst-nord", case_id)
    assert [m.subject for m in box] == ["Bekräftelse av muntligt beslut"]
    assert "2026-12-30" in box[0].body
    assert any("Muntligt beslut" in j.text and j.journal == "authority" for j in journal(sessions, case_id))

    wrong = Decide(actor=CASE_WORKER, granted=True, decision_date=date(2026, 12, 23), services=["Omvårdnad"])
    assert await rejected(handle, "decide", wrong) == "Invalid"
    state = await act(handle, "decide", Decide(actor=CASE_WORKER, granted=True, services=["Omvårdnad"]))
    assert state.details["decision_date"] == "2026-12-22"
    assert state.details["first_follow_up_due"] == "2027-02-22"
    assert actions(state) == {"send_order"}

    await advance_to(nuc_env, end_of(date(2026, 12, 30)))
    state = await until(handle, lambda s: task(s, "send_order").overdue)
    assert task(state, "send_order").escalated_to == "senior_case_worker"
    state = await act(
        handle,
        "send_order",
        SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 22), items=ITEMS, other="Nyckel hos grannen"),
    )
    assert state.outcome == "granted"
    child = await order_child(nuc_env, case_id)
    assert child.type == "order" and child.details["other"] == "Nyckel hos grannen"
    with sessions() as session:
        order = session.get(models.Order, f"case-{case_id}/order/1")
        assert order is not None and order.start_date == date(2026, 12, 22)


# -- 31 December 2026: NEW-2 over New Year -------------------------------------------------------


async def test_NEW_2_grant_thu_31_december_2000_escalates_at_mon_4_january_1200(
    nuc_env: WorkflowEnvironment, nuc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    await advance_to(nuc_env, sthlm(2026, 12, 31, 20, 0))
    case_id, handle, state = await begin(
        nuc_env, nuc_worker, ON_CALL, help_started_at=sthlm(2026, 12, 31, 20, 0), granted_by_on_call=True
    )
    assert state.deadlines["take_over"] == sthlm(2027, 1, 4, 12, 0)
    await advance_to(nuc_env, sthlm(2027, 1, 4, 11, 59, 59))
    assert not task(await handle.query("state", result_type=ProcessState), "take_over").overdue
    await advance_to(nuc_env, sthlm(2027, 1, 4, 12, 0))
    state = await until(handle, lambda s: task(s, "take_over").overdue)
    assert task(state, "take_over").escalated_to == "senior_case_worker"
    sent_at = (await arrived(sessions, SENIOR_MAILBOX, case_id))[0].sent_at
    assert timedelta(0) <= sent_at - sthlm(2027, 1, 4, 12, 0) < timedelta(seconds=1)
