"""UC-5 (SU, Phoniro): the extra-visits process on the time-skipping server, as one chronological
scenario for a November 2026 case plus a December start.

This module runs its own time-skipping environment, because the shared one's clock is moved by
other modules. The tests run in file order and share the November process: each moves the clock
forward (it starts at the real now, Sun 2026-11-22).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from readmodel import models
from readmodel.database import make_engine, make_session_factory
from runtime.temporal import data_converter
from runtime.worker import workflow_runner
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
from workflows import calendar
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.io.extra_visits import AnswerQuestion, ExtraVisitsInput, RegisterVisit, Review, VisitDecision
from workflows.model import FORBIDDEN, INVALID, NOT_OPEN, ProcessState

CASE = "ev-1"
PROCESS_ID = f"case-{CASE}/extra-visits/1"
ORDER_ID = f"case-{CASE}/order/x-1-v1"


@pytest.fixture(scope="module")
async def ev_env() -> AsyncIterator[WorkflowEnvironment]:
    """This module's own time-skipping server (same settings as the shared ``env``)."""
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture(scope="module")
def ev_sessions(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path = tmp_path_factory.mktemp("extra-visits") / "readmodel.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        factory = make_session_factory(engine)
        add_case(factory, CASE, profile_name="sundbyberg")
        add_case(factory, "ev-2", profile_name="sundbyberg")
        add_case(factory, "ev-3", profile_name="sundbyberg")
        yield factory
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
async def ev_worker(ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    async with worker_for(ev_env, ev_sessions) as running:
        yield running


_scenario = {"started": False}
FIRST = "test_UC_5_a_november_process_opens_registration_and_a_weekly_review"
NOVEMBER_INDEPENDENT = ("december", "after_the_months_deadline")


@pytest.fixture(autouse=True)
def _scenario_started(request: pytest.FixtureRequest) -> None:
    """Later steps of the November scenario need its start; skip them when it was skipped."""
    name = request.node.name
    assert not (
        name != FIRST and not any(part in name for part in NOVEMBER_INDEPENDENT) and not _scenario["started"]
    ), "the November scenario did not start"


def _input(case_id: str, month: str) -> ExtraVisitsInput:
    return ExtraVisitsInput(
        case_id=case_id,
        profile=profile("sundbyberg"),
        provider_id="hemtjanst-nord",
        month=month,
        started_by=PROVIDER,
        case_worker_id="cw-anna",
    )


async def _not_before(env: WorkflowEnvironment, instant: datetime) -> None:
    """Move the clock to ``instant`` unless it is already there or later."""
    now = await env.get_current_time()
    if now < instant:
        await env.sleep((instant - now).total_seconds())


def _handle(env: WorkflowEnvironment) -> WorkflowHandle[Any, ProcessState]:
    return env.client.get_workflow_handle(PROCESS_ID, result_type=ProcessState)


async def _state(env: WorkflowEnvironment) -> ProcessState:
    return await _handle(env).query(ExtraVisitsWorkflow.state)


async def _act(env: WorkflowEnvironment, action: str, payload: Any, key: str | None = None) -> ProcessState:
    state: ProcessState = await _handle(env).execute_update(
        action, payload, id=key or str(uuid.uuid4()), result_type=ProcessState
    )
    return state


async def _rejected(call: Awaitable[Any]) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await call
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def _task(state: ProcessState, action: str) -> Any:
    return next(task for task in state.open_tasks if task.action == action)


def _visit(state: ProcessState, visit_id: str) -> dict[str, Any]:
    return next(v for v in state.details["visits"] if v["visit_id"] == visit_id)


def _unchanged(before: ProcessState, after: ProcessState) -> None:
    assert after.details == before.details
    assert after.open_tasks == before.open_tasks
    assert after.stage == before.stage


def _extra_visit(**changes: Any) -> RegisterVisit:
    fields: dict[str, Any] = {
        "actor": PROVIDER,
        "visit_date": date(2026, 11, 21),
        "kind": "extra_visit",
        "services": ["Toalettbesök", "Måltid"],
        "reason": "Magsjuk under helgen, behövde hjälp till toaletten och med att äta.",
    }
    fields.update(changes)
    return RegisterVisit(**fields)


async def test_UC_5_a_november_process_opens_registration_and_a_weekly_review(
    ev_env: WorkflowEnvironment, ev_worker: Worker
) -> None:
    """UC-5: started Sun 2026-11-22, registration closes end of Tue 2026-12-01; the first review
    is due within a week (CAL-6): end of Sun 2026-11-29, escalating to the senior case worker."""
    now = await ev_env.get_current_time()
    assert calendar.local_date(now) == date(2026, 11, 22), (
        f"the scenario starts on Sun 2026-11-22; the server's clock says {now.isoformat()}"
    )
    _, state = await start(ev_env, ev_worker, ExtraVisitsWorkflow, _input(CASE, "2026-11"), PROCESS_ID)
    _scenario["started"] = True
    assert state.stage == "registration_open"
    assert state.deadlines["register_visit"] == end_of(date(2026, 12, 1))
    register = _task(state, "register_visit")
    assert (register.role, register.org, register.due_at) == ("provider", "hemtjanst-nord", None)
    review = _task(state, "review")
    assert review.role == "case_worker"
    assert review.due_at == end_of(date(2026, 11, 29))


async def test_UC_5_an_extra_visit_is_registered_with_a_note_of_type_extra_insatser(
    ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]
) -> None:
    state = await _act(ev_env, "register_visit", _extra_visit(), key="reg-v1")
    v1 = _visit(state, "v1")
    assert (v1["kind"], v1["status"], v1["visit_date"]) == ("extra_visit", "registered", "2026-11-21")
    assert v1["services"] == ["Toalettbesök", "Måltid"]
    assert v1["note_type"] == "Extra insatser"
    assert _task(state, "register_visit").role == "provider"  # the step stays open
    state = await _act(
        ev_env,
        "register_visit",
        _extra_visit(
            visit_date=date(2026, 11, 22),
            kind="extra_on_ordinary",
            services=["Dusch"],
            minutes=25,
            reason="Kräkts i sängen, extra dusch på morgonbesöket.",
        ),
        key="reg-v2",
    )
    assert _visit(state, "v2")["minutes"] == 25
    with ev_sessions() as session:
        notes = session.scalars(
            select(models.JournalEntry).where(
                models.JournalEntry.process_id == PROCESS_ID, models.JournalEntry.journal == "provider"
            )
        ).all()
    texts = sorted(note.text for note in notes)
    assert len(texts) == 2
    assert all(text.startswith("[Extra insatser]") for text in texts)
    assert any("Orsak: Magsjuk under helgen" in text for text in texts)
    assert any("25 min extra" in text for text in texts)


async def test_UC_5_a_repeated_registration_with_the_same_key_has_one_effect(
    ev_env: WorkflowEnvironment,
) -> None:
    before = await _state(ev_env)
    again = await _act(ev_env, "register_visit", _extra_visit(), key="reg-v1")
    assert [v["visit_id"] for v in again.details["visits"]] == ["v1"]  # the first call's answer
    _unchanged(before, await _state(ev_env))


async def test_UC_5_wrong_role_wrong_state_and_invalid_data_leave_the_process_unchanged(
    ev_env: WorkflowEnvironment,
) -> None:
    before = await _state(ev_env)
    handle = _handle(ev_env)

    async def reject(action: str, payload: Any) -> ApplicationError:
        return await _rejected(handle.execute_update(action, payload, result_type=ProcessState))

    assert (await reject("register_visit", _extra_visit(actor=CASE_WORKER))).type == FORBIDDEN
    assert (await reject("register_visit", _extra_visit(actor=OTHER_PROVIDER))).type == FORBIDDEN
    assert (await reject("review", Review(actor=PROVIDER))).type == FORBIDDEN
    assert (
        await reject("answer_question", AnswerQuestion(actor=PROVIDER, visit_id="v1", answer="x"))
    ).type == NOT_OPEN
    minutes = await reject("register_visit", _extra_visit(kind="extra_on_ordinary"))
    assert (minutes.type, "minuter" in minutes.message) == (INVALID, True)
    october = await reject("register_visit", _extra_visit(visit_date=date(2026, 10, 31)))
    assert (october.type, "ligger inte i november 2026" in october.message) == (INVALID, True)
    future = await reject("register_visit", _extra_visit(visit_date=date(2026, 11, 23)))
    assert (future.type, "framtiden" in future.message) == (INVALID, True)
    assert (await reject("register_visit", _extra_visit(reason=" "))).type == INVALID
    assert (await reject("register_visit", _extra_visit(note_type="Övrigt"))).type == INVALID
    unknown = Review(actor=CASE_WORKER, decisions=[VisitDecision(visit_id="v9", decision="approve")])
    assert (await reject("review", unknown)).type == INVALID
    no_question = Review(actor=CASE_WORKER, decisions=[VisitDecision(visit_id="v1", decision="question")])
    assert (await reject("review", no_question)).type == INVALID
    lasting_reject = Review(
        actor=CASE_WORKER, decisions=[VisitDecision(visit_id="v1", decision="reject", lasting_need=True)]
    )
    assert (await reject("review", lasting_reject)).type == INVALID
    _unchanged(before, await _state(ev_env))


async def test_UC_5_an_overdue_weekly_review_escalates_to_the_senior_case_worker(
    ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]
) -> None:
    """Due end of Sun 2026-11-29: on Mon 2026-11-30 the review is overdue and escalated."""
    await advance_to(ev_env, sthlm(2026, 11, 30, 9, 0))
    review = _task(await _state(ev_env), "review")
    assert (review.overdue, review.escalated_to) == (True, "senior_case_worker")
    with ev_sessions() as session:
        messages = session.scalars(
            select(models.Message).where(models.Message.process_id == PROCESS_ID)
        ).all()
    escalations = [m for m in messages if m.mailbox == "senior-case-worker"]
    assert len(escalations) == 1
    assert "2026-11-29 23:59" in escalations[0].body


async def test_UC_5_approving_a_lasting_need_starts_an_order_and_a_question_gets_a_week(
    ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]
) -> None:
    """Reviewed Mon 2026-11-30 09:00: the next review is due end of Mon 2026-12-07 and the
    provider's answer to the question too (CAL-6); v1's lasting need starts an order that runs."""
    review = Review(
        actor=CASE_WORKER,
        decisions=[
            VisitDecision(visit_id="v1", decision="approve", lasting_need=True, item_kind="care"),
            VisitDecision(visit_id="v2", decision="question", question="Varför 25 minuter för en dusch?"),
        ],
    )
    state = await _act(ev_env, "review", review, key="review-1")
    assert _visit(state, "v1")["status"] == "approved"
    assert _visit(state, "v1")["order_id"] == ORDER_ID
    v2 = _visit(state, "v2")
    assert v2["status"] == "questioned"
    next_review = _task(state, "review")
    assert (next_review.due_at, next_review.overdue) == (end_of(date(2026, 12, 7)), False)
    answer = _task(state, "answer_question")
    assert (answer.role, answer.org, answer.due_at) == (
        "provider",
        "hemtjanst-nord",
        end_of(date(2026, 12, 7)),
    )

    order = ev_env.client.get_workflow_handle(ORDER_ID, result_type=ProcessState)
    description = await order.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.parent_id == PROCESS_ID
    order_state = await order.query("state", result_type=ProcessState)
    assert (order_state.type, order_state.stage, order_state.case_id) == ("order", "sent", CASE)
    assert order_state.details["other"] == (
        "Utökat behov efter extra insatser: "
        "Magsjuk under helgen, behövde hjälp till toaletten och med att äta."
    )
    assert order_state.details["start_date"] == "2026-11-30"
    with ev_sessions() as session:
        row = session.get(models.Order, ORDER_ID)
        assert row is not None
        assert [item["name"] for item in row.items] == ["Toalettbesök", "Måltid"]
        assert {item["kind"] for item in row.items} == {"care"}
        authority = session.scalars(
            select(models.JournalEntry).where(
                models.JournalEntry.process_id == PROCESS_ID, models.JournalEntry.journal == "authority"
            )
        ).all()
    assert len(authority) == 1
    assert "v1" in authority[0].text and "godkänd" in authority[0].text
    assert "Anna Handläggare" in authority[0].author


async def test_UC_5_a_november_visit_registered_on_1_december_at_23_00_is_accepted(
    ev_env: WorkflowEnvironment,
) -> None:
    await advance_to(ev_env, sthlm(2026, 12, 1, 23, 0))
    state = await _act(
        ev_env,
        "register_visit",
        _extra_visit(visit_date=date(2026, 11, 30), services=["Inköp"]),
        key="reg-v3",
    )
    v3 = _visit(state, "v3")
    assert (v3["status"], v3["visit_date"]) == ("registered", "2026-11-30")
    assert state.stage == "registration_open"


async def test_UC_5_a_november_visit_registered_on_2_december_is_rejected(
    ev_env: WorkflowEnvironment,
) -> None:
    """The first working day of December 2026 is Tue 1 Dec; on Wed 2 Dec registration is closed."""
    await advance_to(ev_env, sthlm(2026, 12, 2, 8, 0))
    before = await _state(ev_env)
    assert before.stage == "reviewing"
    assert "register_visit" not in {task.action for task in before.open_tasks}
    error = await _rejected(
        _handle(ev_env).execute_update(
            "register_visit", _extra_visit(visit_date=date(2026, 11, 30)), result_type=ProcessState
        )
    )
    assert error.type == NOT_OPEN
    assert "november 2026 stängde 2026-12-01 23:59" in error.message
    assert "2026-12-02 08:00 är för sen" in error.message
    _unchanged(before, await _state(ev_env))


async def test_UC_5_a_late_answer_escalates_to_the_case_worker_and_returns_the_visit_to_review(
    ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]
) -> None:
    """The answer was due end of Mon 2026-12-07; on Tue 2026-12-08 it is overdue and escalated to
    the case worker (and the review of 2026-11-30, due the same day, to the senior case worker)."""
    await advance_to(ev_env, sthlm(2026, 12, 8, 10, 0))
    state = await _state(ev_env)
    answer = _task(state, "answer_question")
    assert (answer.overdue, answer.escalated_to) == (True, "case_worker")
    review = _task(state, "review")
    assert (review.overdue, review.escalated_to) == (True, "senior_case_worker")
    with ev_sessions() as session:
        to_case_workers = session.scalars(
            select(models.Message).where(
                models.Message.process_id == PROCESS_ID, models.Message.mailbox == "case-workers"
            )
        ).all()
    assert len(to_case_workers) == 1
    assert "2026-12-07 23:59" in to_case_workers[0].body

    by_case_worker = AnswerQuestion(actor=CASE_WORKER, visit_id="v2", answer="Vet ej")
    assert (
        await _rejected(_handle(ev_env).execute_update("answer_question", by_case_worker))
    ).type == FORBIDDEN
    not_questioned = AnswerQuestion(actor=PROVIDER, visit_id="v1", answer="Svar")
    assert (
        await _rejected(_handle(ev_env).execute_update("answer_question", not_questioned))
    ).type == INVALID

    reply = AnswerQuestion(actor=PROVIDER, visit_id="v2", answer="Sängen och brukaren behövde tvättas.")
    state = await _act(ev_env, "answer_question", reply, key="answer-v2")
    v2 = _visit(state, "v2")
    assert (v2["status"], v2["answer"]) == ("answered", "Sängen och brukaren behövde tvättas.")
    assert "answer_question" not in {task.action for task in state.open_tasks}


async def test_UC_5_the_process_ends_with_a_summary_once_every_visit_is_decided(
    ev_env: WorkflowEnvironment, ev_sessions: sessionmaker[Session]
) -> None:
    """The senior case worker (escalation) decides the rest; registration closed and nothing
    pending: the process closes with counts and extra minutes; the order lives on."""
    review = Review(
        actor=SENIOR,
        decisions=[
            VisitDecision(visit_id="v2", decision="approve"),
            VisitDecision(visit_id="v3", decision="reject", note="Inköp ingår i ordinarie beställning."),
        ],
    )
    state = await _act(ev_env, "review", review, key="review-2")
    assert state.stage == "closed"
    assert state.outcome == "reviewed"
    assert state.open_tasks == []
    assert state.details["summary"] == {
        "registered": 3,
        "approved": 2,
        "rejected": 1,
        "approved_extra_minutes": 25,
        "rejected_extra_minutes": 0,
        "orders": [ORDER_ID],
    }
    result = await _handle(ev_env).result()
    assert result.outcome == "reviewed"
    order = await ev_env.client.get_workflow_handle(ORDER_ID).describe()
    assert order.status == WorkflowExecutionStatus.RUNNING  # ABANDON: the order outlives the process
    with ev_sessions() as session:
        authority = session.scalars(
            select(models.JournalEntry).where(
                models.JournalEntry.process_id == PROCESS_ID, models.JournalEntry.journal == "authority"
            )
        ).all()
        process = session.get(models.Process, PROCESS_ID)
        assert process is not None and process.status == "completed"
    summary = [entry.text for entry in authority if entry.text.startswith("Extra insatser november 2026")]
    assert summary == [
        "Extra insatser november 2026: 3 registrerade, 2 godkända (25 min extra), 1 avslagna, "
        "1 nya beställningar."
    ]
    timeline = " | ".join(f"{entry.actor}: {entry.text}" for entry in result.timeline)
    assert "Carl Samordnare (hemtjänstutförare): Registrerade Extra besök 2026-11-21 (v1)" in timeline
    assert "Berit Förste (förste biståndshandläggare): Granskade extra insatser." in timeline


async def test_UC_5_the_november_history_replays_without_nondeterminism(ev_env: WorkflowEnvironment) -> None:
    """The whole scenario (registrations, escalations, reviews, the order child) replays."""
    history = await _handle(ev_env).fetch_history()
    replayer = Replayer(
        workflows=[ExtraVisitsWorkflow], workflow_runner=workflow_runner(), data_converter=data_converter
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None


async def test_UC_5_a_december_process_closes_registration_at_the_end_of_monday_4_january(
    ev_env: WorkflowEnvironment, ev_worker: Worker
) -> None:
    """1 January 2027 is a Friday holiday and 2-3 January a weekend. Started Tue 2026-12-08
    (after the November scenario), its first review is due end of Tue 2026-12-15 (CAL-6)."""
    await _not_before(ev_env, sthlm(2026, 12, 8, 10, 0))
    _, state = await start(
        ev_env, ev_worker, ExtraVisitsWorkflow, _input("ev-2", "2026-12"), "case-ev-2/extra-visits/1"
    )
    assert state.stage == "registration_open"
    assert state.deadlines["register_visit"] == end_of(date(2027, 1, 4))
    assert _task(state, "review").due_at == end_of(date(2026, 12, 15))


async def test_UC_5_a_process_started_after_the_months_deadline_closes_at_once(
    ev_env: WorkflowEnvironment, ev_worker: Worker
) -> None:
    """UC-5: a November process started on Wed 2026-12-02 or later has nothing left to register."""
    await _not_before(ev_env, sthlm(2026, 12, 8, 10, 0))
    _, state = await start(
        ev_env, ev_worker, ExtraVisitsWorkflow, _input("ev-3", "2026-11"), "case-ev-3/extra-visits/1"
    )
    assert (state.stage, state.outcome, state.open_tasks) == ("closed", "registration_closed", [])
