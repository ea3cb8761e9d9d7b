"""The urgent-change process on the time-skipping server (UC-1..UC-4, COM-1, COM-2, COM-6, COM-7).

This module has its own time-skipping environment: the session one's clock is moved by other
modules, and the tests here move the clock to the issue's dates around Christmas 2026. The tests
run in file order, which is chronological: first those at the server's start time, then
22 December 2026 onwards.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel import models
from tests.support import (
    CASE_WORKER,
    DEPUTY,
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
    wait_closed,
    worker_for,
)
from workflows.io.urgent_change import (
    Escalate,
    NeedEnded,
    NotifyCaseWorker,
    Respond,
    StartUrgentChange,
    UrgentChangeInput,
)
from workflows.model import Action, CaseInfo, ProcessState, StartContext
from workflows.rules import urgent_change as rules
from workflows.rules.urgent_change import Kind
from workflows.urgent_change import UrgentChangeWorkflow

CASE_WORKERS_MAILBOX = "case-workers"
SENIOR_MAILBOX = "senior-case-worker"
PROVIDER_MAILBOX = "provider-hemtjanst-nord"


@pytest.fixture
async def uc_env() -> AsyncIterator[WorkflowEnvironment]:
    """A server of each test's own (about 0.15 s): what one test leaves behind (a cycle's last
    activity, a terminated run's task) can never hold back the next test's clock moves, which
    made a module-wide server's ``advance_to`` time out now and then under load."""
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture
async def uc_worker(uc_env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    async with worker_for(uc_env, sessions) as running:
        yield running
        await close_all(uc_env)


_running: list[WorkflowHandle[Any, ProcessState]] = []


async def close_all(env: WorkflowEnvironment) -> None:
    """Close what a test left running through its own actions, and wait until every process of the
    test has finished, while the worker still runs. An action's answer comes before the closing
    process has written its last stage and completed; a process (or its activity) left for a queue
    nobody polls holds back the test server's time skipping, and later clock moves time out."""
    while _running:
        handle = _running.pop()
        state = await handle.query("state", result_type=ProcessState)
        if "notify_case_worker" in open_actions(state):
            state = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
        if "respond" in open_actions(state):
            state = await act(handle, "respond", Respond(actor=CASE_WORKER, outcome="not_granted"))
        assert state.outcome is not None, f"{handle.id} is still open: {open_actions(state)}"
        await wait_closed(env, handle.id)
        # A granted change starts the case's follow-up cycle (FU-1), which would outlive the test.
        cycle = env.client.get_workflow_handle(f"case-{state.case_id}/follow-up-cycle")
        with contextlib.suppress(RPCError):  # none was started
            await cycle.terminate("test finished")


# -- helpers -------------------------------------------------------------------------------------


def case_info(case_id: str, provider_id: str | None = "hemtjanst-nord") -> CaseInfo:
    return CaseInfo(
        case_id=case_id,
        municipality="default",
        profile="default",
        case_worker_id="cw-anna",
        provider_id=provider_id,
    )


def build(
    request: StartUrgentChange, case_id: str, now: datetime, actor: Any = PROVIDER, **case: Any
) -> UrgentChangeInput:
    ctx = StartContext(
        case_id=case_id, case=case_info(case_id, **case), profile=profile(), actor=actor, now=now
    )
    return UrgentChangeWorkflow.build_input(request, ctx)


async def begin(
    env: WorkflowEnvironment,
    worker: Worker,
    sessions: sessionmaker[Session],
    kind: Kind,
    started_at: datetime,
    actor: Any = PROVIDER,
    **request: Any,
) -> tuple[WorkflowHandle[Any, ProcessState], ProcessState]:
    case_id = f"uc-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    now = await env.get_current_time()
    inp = build(
        StartUrgentChange(
            kind=kind, started_at=started_at, description="Behöver hjälp vid toalettbesök", **request
        ),
        case_id,
        now,
        actor,
    )
    handle, state = await start(env, worker, UrgentChangeWorkflow, inp, f"case-{case_id}/urgent-change/1")
    _running.append(handle)
    return handle, state


async def act(
    handle: WorkflowHandle[Any, ProcessState], name: str, action: Action, key: str | None = None
) -> ProcessState:
    state: ProcessState = await handle.execute_update(name, action, id=key, result_type=ProcessState)
    return state


async def rejected(handle: WorkflowHandle[Any, ProcessState], name: str, action: Action) -> ApplicationError:
    """The action fails with an ApplicationError, and the state is exactly as before."""
    before = await handle.query("state", result_type=ProcessState)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, name, action)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert await handle.query("state", result_type=ProcessState) == before
    return cause


def open_actions(state: ProcessState) -> dict[str, Any]:
    return {task.action: task for task in state.open_tasks}


def messages(sessions: sessionmaker[Session], mailbox: str) -> list[models.Message]:
    with sessions() as session:
        return list(session.scalars(select(models.Message).where(models.Message.mailbox == mailbox)))


def decisions(sessions: sessionmaker[Session]) -> list[models.Decision]:
    with sessions() as session:
        return list(session.scalars(select(models.Decision)))


def local_day(instant: datetime) -> date:
    return instant.astimezone(sthlm(2026, 1, 1).tzinfo).date()


# -- start (build_input): no server needed -----------------------------------------------------


def test_COM_6_a_change_reported_for_a_person_who_cannot_call_requires_the_reason() -> None:
    now = sthlm(2026, 11, 22, 12)
    request = StartUrgentChange(
        kind="lasting", started_at=now, description="Behöver hjälp med mat", person_can_contact=False
    )
    with pytest.raises(ValueError, match="reported_for_person_reason"):
        build(request, "c1", now)
    request.reported_for_person_reason = "Brukaren har demens och kan inte ringa själv."
    inp = build(request, "c1", now)
    assert inp.reported_for_person_reason == "Brukaren har demens och kan inte ringa själv."


def test_UC_a_person_without_ongoing_home_care_is_pointed_to_the_new_urgent_case_process() -> None:
    now = sthlm(2026, 11, 22, 12)
    request = StartUrgentChange(kind="short", started_at=now, description="Feber")
    with pytest.raises(ValueError, match="new-urgent-case"):
        build(request, "c1", now, provider_id=None)


def test_UC_3_started_at_in_the_future_or_by_another_provider_is_rejected() -> None:
    now = sthlm(2026, 11, 22, 12)
    with pytest.raises(ValueError, match="framtiden"):
        build(
            StartUrgentChange(kind="short", started_at=now + timedelta(hours=1), description="x"), "c1", now
        )
    with pytest.raises(PermissionError, match="hemtjanst-nord"):  # 403 at the API (issue 6 §5)
        build(StartUrgentChange(kind="short", started_at=now, description="x"), "c1", now, OTHER_PROVIDER)
    with pytest.raises(ValueError, match="description"):
        build(StartUrgentChange(kind="short", started_at=now, description=" "), "c1", now)


# -- the dates first: the clock only moves forward, and these need it before 22 Dec 2026


async def test_UC_2_short_change_from_tuesday_22_december_opens_notification_at_00_00_on_christmas_day(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """UC-2: started Tue 2026-12-22 14:00, day 4 = Fri 2026-12-25 (Juldagen, a holiday): the notify
    task is not open at 2026-12-24 23:59, opens at 2026-12-25 00:00 and is due at the end of 12-25;
    the decision is proposed from 2026-12-25. UC-4: notified 12-25 10:00 → respond due end of
    Tue 2027-01-05."""
    started = sthlm(2026, 12, 22, 14, 0)
    await advance_to(uc_env, sthlm(2026, 12, 22, 14, 5))
    handle, state = await begin(uc_env, uc_worker, sessions, "short", started)
    assert state.details["proposed_decision_date"] == "2026-12-25"
    assert state.details["day_four"] == "2026-12-25"
    assert state.deadlines["notify_case_worker"] == end_of(date(2026, 12, 25))
    assert state.deadlines["notify_opens"] == sthlm(2026, 12, 25, 0, 0)

    await advance_to(uc_env, sthlm(2026, 12, 24, 23, 59))
    state = await handle.query("state", result_type=ProcessState)
    assert set(open_actions(state)) == {"need_ended", "escalate"}
    assert (await rejected(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))).type == "NotOpen"

    await advance_to(uc_env, sthlm(2026, 12, 25, 0, 0, 1))
    state = await handle.query("state", result_type=ProcessState)
    assert set(open_actions(state)) == {"notify_case_worker", "escalate"}
    notify = open_actions(state)["notify_case_worker"]
    assert notify.due_at == end_of(date(2026, 12, 25))
    assert notify.overdue is False
    assert (await rejected(handle, "need_ended", NeedEnded(actor=PROVIDER))).type == "NotOpen"
    before_day_four = NotifyCaseWorker(actor=PROVIDER, occurred_at=sthlm(2026, 12, 24, 23, 59))
    cause = await rejected(handle, "notify_case_worker", before_day_four)
    assert (cause.type, "2026-12-25 00:00" in cause.message) == ("Invalid", True)

    await advance_to(uc_env, sthlm(2026, 12, 25, 10, 0))
    notified = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
    assert notified.deadlines["respond"] == end_of(date(2027, 1, 5))
    assert open_actions(notified)["respond"].due_at == end_of(date(2027, 1, 5))
    body = messages(sessions, CASE_WORKERS_MAILBOX)[0].body
    assert "2026-12-22 14:00" in body
    assert "2026-12-25" in body

    wrong = Respond(actor=CASE_WORKER, outcome="granted", decision_date=date(2026, 12, 22))
    cause = await rejected(handle, "respond", wrong)
    assert cause.type == "Invalid"
    assert "2026-12-25" in cause.message
    granted = Respond(
        actor=CASE_WORKER, outcome="granted", decision_date=date(2026, 12, 25), services=["Tillsyn"]
    )
    done = await act(handle, "respond", granted)
    assert done.outcome == "granted"
    assert done.details["decision_date"] == "2026-12-25"
    [decision] = decisions(sessions)
    assert (decision.kind, decision.start_date, decision.services) == (
        "care",
        date(2026, 12, 25),
        ["Tillsyn"],
    )
    assert "2026-12-25" in messages(sessions, PROVIDER_MAILBOX)[0].body


async def test_UC_1_lasting_change_from_christmas_eve_is_due_monday_28_december_and_responses_escalate(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """UC-1: started Thu 2026-12-24 → notify due end of Mon 2026-12-28; a late notification
    escalates to the case workers. UC-4 / COM-1: notified Mon 12-28 10:00 → respond due end of
    Thu 2027-01-07; overdue → escalated to the senior case worker, who may then grant from 12-24."""
    started = sthlm(2026, 12, 24, 18, 0)
    await advance_to(uc_env, sthlm(2026, 12, 25, 10, 5))
    handle, state = await begin(uc_env, uc_worker, sessions, "lasting", started)
    late, _ = await begin(uc_env, uc_worker, sessions, "lasting", started)
    assert state.deadlines["notify_case_worker"] == end_of(date(2026, 12, 28))
    assert open_actions(state)["notify_case_worker"].due_at == end_of(date(2026, 12, 28))
    assert state.details["proposed_decision_date"] == "2026-12-24"

    await advance_to(uc_env, sthlm(2026, 12, 28, 10, 0))
    notified = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
    assert notified.deadlines["respond"] == end_of(date(2027, 1, 7))

    # the other process's notification is late after 2026-12-28 23:59:59: the case workers hear of it
    await advance_to(uc_env, sthlm(2026, 12, 29, 0, 0, 1))
    late_state = await late.query("state", result_type=ProcessState)
    late_notify = open_actions(late_state)["notify_case_worker"]
    assert (late_notify.overdue, late_notify.escalated_to) == (True, "case_worker")
    assert any(m.subject.startswith("Försenat steg") for m in messages(sessions, CASE_WORKERS_MAILBOX))

    await advance_to(uc_env, sthlm(2027, 1, 7, 23, 59))
    state = await handle.query("state", result_type=ProcessState)
    assert open_actions(state)["respond"].overdue is False
    await advance_to(uc_env, sthlm(2027, 1, 8, 0, 0, 1))
    state = await handle.query("state", result_type=ProcessState)
    respond = open_actions(state)["respond"]
    assert (respond.overdue, respond.escalated_to) == (True, "senior_case_worker")
    [alert] = messages(sessions, SENIOR_MAILBOX)
    assert "2027-01-07 23:59" in alert.body

    granted = Respond(
        actor=SENIOR, outcome="granted", decision_date=date(2026, 12, 24), services=["Tillsyn natt"]
    )
    done = await act(handle, "respond", granted)
    assert done.outcome == "granted"
    [decision] = decisions(sessions)
    assert decision.start_date == date(2026, 12, 24)
    # CAL-7: a December decision registered after 4 January is reported to billing
    assert any("debiteringen" in d or "4:e" in d for d in done.deviations)


# -- relative to the server's clock, wherever the dated tests above left it ------------------


async def test_UC_1_wrong_role_not_open_invalid_data_and_repeats_leave_the_state_unchanged(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    now = await uc_env.get_current_time()
    handle, state = await begin(uc_env, uc_worker, sessions, "lasting", now - timedelta(hours=1))
    assert set(open_actions(state)) == {"notify_case_worker", "escalate"}

    # wrong role (403) and wrong provider unit
    assert (
        await rejected(handle, "notify_case_worker", NotifyCaseWorker(actor=CASE_WORKER))
    ).type == "Forbidden"
    assert (await rejected(handle, "notify_case_worker", NotifyCaseWorker(actor=OTHER_PROVIDER))).type == (
        "Forbidden"
    )
    # not open in this state (409): no response before the notification, no need_ended for lasting
    assert (await rejected(handle, "respond", Respond(actor=CASE_WORKER, outcome="not_granted"))).type == (
        "NotOpen"
    )
    assert (await rejected(handle, "need_ended", NeedEnded(actor=PROVIDER))).type == "NotOpen"
    # invalid data (422): occurred_at in the future, or before the step was open
    future = NotifyCaseWorker(actor=PROVIDER, occurred_at=now + timedelta(hours=2))
    assert (await rejected(handle, "notify_case_worker", future)).type == "Invalid"
    early = NotifyCaseWorker(actor=PROVIDER, occurred_at=now - timedelta(days=3))
    assert (await rejected(handle, "notify_case_worker", early)).type == "Invalid"

    # an idempotent repeat: one effect, the same answer
    first = await act(
        handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER, message="Se ovan"), "k-1"
    )
    again = await act(
        handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER, message="Se ovan"), "k-1"
    )
    assert again == first
    assert first.stage == "notified"
    assert set(open_actions(first)) == {"respond", "escalate"}
    assert len(messages(sessions, CASE_WORKERS_MAILBOX)) == 1
    # the same action with a new key is no longer open
    assert (await rejected(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))).type == "NotOpen"

    # respond: invalid data
    missing_date = Respond(actor=CASE_WORKER, outcome="granted")
    assert "decision_date" in (await rejected(handle, "respond", missing_date)).message
    wrong_date = Respond(
        actor=CASE_WORKER,
        outcome="granted",
        decision_date=local_day(now - timedelta(hours=1)) - timedelta(days=1),
    )
    cause = await rejected(handle, "respond", wrong_date)
    assert cause.type == "Invalid"
    assert local_day(now - timedelta(hours=1)).isoformat() in cause.message
    no_follow_up_date = Respond(actor=CASE_WORKER, outcome="follow_up_booked")
    assert (await rejected(handle, "respond", no_follow_up_date)).type == "Invalid"
    # the provider cannot respond for the case worker, and the senior only after an escalation
    provider_answer = Respond(actor=PROVIDER, outcome="not_granted")
    assert (await rejected(handle, "respond", provider_answer)).type == "Forbidden"
    senior_answer = Respond(actor=SENIOR, outcome="not_granted")
    assert (await rejected(handle, "respond", senior_answer)).type == "Forbidden"

    done = await act(
        handle, "respond", Respond(actor=CASE_WORKER, outcome="not_granted", note="Ej behov"), "r-1"
    )
    assert done.outcome == "not_granted"
    assert done.stage == "closed"
    assert done.open_tasks == []
    assert decisions(sessions) == []
    assert await handle.result() == done
    # the history shows who did what
    actors = [entry.actor for entry in done.timeline]
    assert "Carl Samordnare (hemtjänstutförare)" in actors
    assert "Anna Handläggare (biståndshandläggare)" in actors


async def test_UC_3_deputy_manager_start_reaches_the_provider_who_then_notifies(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    """UC-3: support inserted by the deputy manager in on-call time is reported to the responsible
    provider's mailbox; the provider of the case notifies, with deadlines from started_at."""
    now = await uc_env.get_current_time()
    started = now - timedelta(hours=30)
    handle, state = await begin(uc_env, uc_worker, sessions, "lasting", started, actor=DEPUTY)
    notify = open_actions(state)["notify_case_worker"]
    assert (notify.role, notify.org) == ("provider", "hemtjanst-nord")
    # deadlines count from when the support was inserted, not from the report (UC-3)
    assert notify.due_at == rules.notify_due(started)
    inbox = messages(sessions, PROVIDER_MAILBOX)
    assert len(inbox) == 1
    assert inbox[0].subject == "Utökat stöd insatt under jourtid"
    assert "Frida Bitr" in inbox[0].sender
    assert (await rejected(handle, "notify_case_worker", NotifyCaseWorker(actor=DEPUTY))).type == "Forbidden"
    after = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
    assert after.stage == "notified"
    reported = [entry for entry in after.timeline if entry.actor == "Frida Bitr (biträdande enhetschef)"]
    assert reported
    assert reported[0].text.startswith("Rapporterade bestående brådskande behovsförändring")
    notified_by = [entry for entry in after.timeline if entry.actor == "Carl Samordnare (hemtjänstutförare)"]
    assert notified_by


async def test_UC_2_need_ended_before_day_four_closes_with_no_decision_and_no_payment(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    now = await uc_env.get_current_time()
    handle, state = await begin(uc_env, uc_worker, sessions, "short", now - timedelta(hours=2))
    assert set(open_actions(state)) == {"need_ended", "escalate"}
    assert (await rejected(handle, "need_ended", NeedEnded(actor=CASE_WORKER))).type == "Forbidden"
    before_start = NeedEnded(actor=PROVIDER, occurred_at=now - timedelta(hours=3))
    assert (await rejected(handle, "need_ended", before_start)).type == "Invalid"
    done = await act(handle, "need_ended", NeedEnded(actor=PROVIDER, note="Febern har gått över"))
    assert done.outcome == "need_ended"
    assert done.stage == "closed"
    assert done.open_tasks == []
    assert any("Inget beslut och ingen ersättning" in entry.text for entry in done.timeline)
    assert decisions(sessions) == []
    assert messages(sessions, CASE_WORKERS_MAILBOX) == []


async def test_COM_7_escalation_needs_a_reason_reaches_the_senior_mailbox_and_lets_the_senior_respond(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    now = await uc_env.get_current_time()
    handle, _ = await begin(uc_env, uc_worker, sessions, "lasting", now - timedelta(hours=1))
    notified = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
    assert open_actions(notified)["respond"].escalated_to is None

    cause = await rejected(handle, "escalate", Escalate(actor=PROVIDER, reason="  "))
    assert (cause.type, "reason" in cause.message) == ("Invalid", True)
    assert (await rejected(handle, "escalate", Escalate(actor=CASE_WORKER, reason="x"))).type == "Forbidden"

    reason = "Ansvarig handläggare har semester enligt autosvar; brukaren klarar inte toalettbesök själv."
    escalated = await act(handle, "escalate", Escalate(actor=PROVIDER, reason=reason))
    assert open_actions(escalated)["respond"].escalated_to == "senior_case_worker"
    assert "escalate" not in open_actions(escalated)
    senior_inbox = messages(sessions, SENIOR_MAILBOX)
    assert len(senior_inbox) == 1
    assert reason in senior_inbox[0].body
    assert "Carl Samordnare" in senior_inbox[0].sender

    booked_on = local_day(now) + timedelta(days=3)
    answer = Respond(actor=SENIOR, outcome="follow_up_booked", follow_up_on=booked_on)
    done = await act(handle, "respond", answer)
    assert done.outcome == "follow_up_booked"
    assert done.details["follow_up_on"] == booked_on.isoformat()
    assert any(entry.actor == "Berit Förste (förste biståndshandläggare)" for entry in done.timeline)
    assert len(messages(sessions, PROVIDER_MAILBOX)) == 1


async def test_COM_7_escalation_before_the_notification_lets_the_senior_respond_once_notified(
    uc_env: WorkflowEnvironment, uc_worker: Worker, sessions: sessionmaker[Session]
) -> None:
    now = await uc_env.get_current_time()
    handle, _ = await begin(uc_env, uc_worker, sessions, "lasting", now - timedelta(hours=1))
    await act(handle, "escalate", Escalate(actor=PROVIDER, reason="Ansvarig handläggare är sjuk."))
    notified = await act(handle, "notify_case_worker", NotifyCaseWorker(actor=PROVIDER))
    assert open_actions(notified)["respond"].escalated_to == "senior_case_worker"
    # the escalation message and the notification itself reach the senior case worker
    assert len(messages(sessions, SENIOR_MAILBOX)) == 2
    assert len(messages(sessions, CASE_WORKERS_MAILBOX)) == 1
    done = await act(handle, "respond", Respond(actor=SENIOR, outcome="not_granted"))
    assert done.outcome == "not_granted"
