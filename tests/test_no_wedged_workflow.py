"""No input can wedge a process (issue 6 §2.2): the workflows defend themselves, driven directly
(bypassing the API edge), on SQLite and PostgreSQL.

A start whose dates lie outside the calendar's years (2020-2060) fails the workflow at once and
visibly (kind Invalid) before any effect: no order row, no message. An action with such a date, or
dated before its step could happen (plausible dates, §2 kind 1), is rejected (422) and changes
nothing. Never a workflow task that fails on every retry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from api.errors import raise_if_refused
from readmodel import models
from tests.engine_support import (
    BACKENDS,
    CARE,
    CLEANING,
    act,
    extra_visits_input,
    new_case,
    new_urgent_case_input,
    order_input,
    read_model,
    rejection,
    rows,
    urgent_change_input,
)
from tests.support import CASE_WORKER, PROVIDER, end_of, scenario, start, sthlm, wait_closed
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.io.new_urgent_case import Decide, PhoneProvider, TakeOver
from workflows.io.order import ConfirmOrder
from workflows.model import INVALID
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.order import OrderWorkflow
from workflows.process import ProcessWorkflow
from workflows.urgent_change import UrgentChangeWorkflow

TODAY = sthlm(2026, 11, 23, 10, 0)  # Mon, office hours
CEST = timezone(timedelta(hours=2))
CET = timezone(timedelta(hours=1))


async def _refused(env: Any, worker: Any, workflow: type[ProcessWorkflow], inp: Any, process_id: str) -> str:
    """Start the workflow as the API does; it must fail at once with kind Invalid. Its reason."""
    handle = await env.client.start_workflow(
        workflow.process_type, inp, id=process_id, task_queue=worker.task_queue
    )
    await wait_closed(env, process_id)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.non_retryable) == (INVALID, True)
    # the API's start answers 422 with the reason
    with pytest.raises(Exception) as answered:
        await raise_if_refused(handle)
    assert getattr(answered.value, "status_code", None) == 422
    return cause.message


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_order_sent_2019_06_01_for_2019_06_02_is_refused_and_leaves_no_row_or_message(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "wedge-order")
            inp = order_input(case_id, datetime(2019, 6, 1, 9, 0, tzinfo=CEST), date(2019, 6, 2))
            reason = await _refused(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
        assert (
            reason
            == "Processen startades inte: start_date 2019-06-02 ligger utanför kalenderns år 2020–2060."
        )
        assert rows(sessions, models.Order, case_id=case_id) == []
        assert rows(sessions, models.Message, case_id=case_id) == []
        assert rows(sessions, models.Process, case_id=case_id) == []
        assert rows(sessions, models.Task, case_id=case_id) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_urgent_change_started_1900_01_01_is_refused_and_leaves_nothing(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "wedge-uc")
            inp = urgent_change_input(case_id, datetime(1900, 1, 1, 10, 0, tzinfo=CET))
            process_id = f"case-{case_id}/urgent-change/1"
            reason = await _refused(env, worker, UrgentChangeWorkflow, inp, process_id)
        assert "started_at 1900-01-01 ligger utanför kalenderns år 2020–2060" in reason
        assert rows(sessions, models.JournalEntry, case_id=case_id) == []
        assert rows(sessions, models.Task, case_id=case_id) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_new_urgent_case_reported_2019_12_17_is_refused_and_creates_no_case(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = f"wedge-nuc-{uuid.uuid4().hex[:8]}"
            inp = new_urgent_case_input(case_id, datetime(2019, 12, 17, 21, 29, 50, tzinfo=CET))
            process_id = f"case-{case_id}/new-urgent-case/1"
            reason = await _refused(env, worker, NewUrgentCaseWorkflow, inp, process_id)
        assert "reported_at 2019-12-17 ligger utanför kalenderns år" in reason
        assert rows(sessions, models.Case, id=case_id) == []


async def test_an_extra_visits_month_outside_the_calendar_and_a_naive_instant_are_refused(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "wedge-ev")
            inp = extra_visits_input(case_id, "2061-01")
            reason = await _refused(env, worker, ExtraVisitsWorkflow, inp, f"case-{case_id}/extra-visits/1")
            assert "utanför kalenderns år" in reason
            naive = order_input(case_id, datetime(2026, 11, 23, 9, 0), date(2026, 11, 23))
            reason = await _refused(env, worker, OrderWorkflow, naive, f"case-{case_id}/order/1")
            assert reason == "Processen startades inte: sent_at måste anges med tidszon."


@pytest.mark.parametrize("backend", BACKENDS)
async def test_take_over_dated_2019_06_03_is_rejected_and_the_case_is_still_open_for_it(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = f"wedge-take-{uuid.uuid4().hex[:8]}"
            inp = new_urgent_case_input(case_id, sthlm(2026, 11, 23, 9, 0))
            handle, before = await start(env, worker, NewUrgentCaseWorkflow, inp, f"case-{case_id}/nuc/1")
            old = TakeOver(actor=CASE_WORKER, occurred_at=datetime(2019, 6, 3, 10, 0, tzinfo=CEST))
            error = await rejection(handle, "take_over", old)
            assert (error.type, error.message) == (
                INVALID,
                "occurred_at 2019-06-03 ligger utanför kalenderns år 2020–2060.",
            )
            # NEW-1: not before the case was reported (09:00)
            early = TakeOver(actor=CASE_WORKER, occurred_at=sthlm(2026, 11, 23, 8, 0))
            error = await rejection(handle, "take_over", early)
            assert error.type == INVALID
            assert "2026-11-23 08:00 ligger före 2026-11-23 09:00" in error.message
            after = await handle.query("state", result_type=type(before))
            assert [t.action for t in after.open_tasks] == ["take_over"]
            in_time = TakeOver(actor=CASE_WORKER, occurred_at=sthlm(2026, 11, 23, 9, 5))
            state = await act(handle, "take_over", in_time)
            assert state.stage == "taken_over"


async def test_a_confirm_dated_2020_01_01_on_an_order_sent_today_is_rejected(tmp_path: Path) -> None:
    """ORD-1: an order is confirmed after it was sent, not years before."""
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "plausible")
            inp = order_input(case_id, sthlm(2026, 11, 23, 9, 0), date(2026, 11, 24), items=CLEANING)
            handle, _ = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            confirm = ConfirmOrder(actor=PROVIDER, occurred_at=datetime(2020, 1, 1, 10, 0, tzinfo=CET))
            error = await rejection(handle, "confirm", confirm)
            assert error.type == INVALID
            assert error.message == (
                "occurred_at 2020-01-01 10:00 ligger före 2026-11-23 09:00: "
                "steget 'Bekräfta mottagen beställning' kan inte ha utförts tidigare."
            )
            after_sending = ConfirmOrder(actor=PROVIDER, occurred_at=sthlm(2026, 11, 23, 9, 30))
            state = await act(handle, "confirm", after_sending)
            assert state.stage == "confirmed"


async def test_NEW_4_an_unknown_persons_decision_is_not_dated_before_the_case_was_reported(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = f"plausible-nuc-{uuid.uuid4().hex[:8]}"
            inp = new_urgent_case_input(case_id, sthlm(2026, 11, 20, 11, 0), unknown_person=True)
            handle, _ = await start(env, worker, NewUrgentCaseWorkflow, inp, f"case-{case_id}/nuc/1")
            await act(handle, "take_over", TakeOver(actor=CASE_WORKER))
            await act(handle, "phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Eva"))
            early = Decide(
                actor=CASE_WORKER, granted=True, services=["Tillsyn"], decision_date=date(2026, 11, 19)
            )
            error = await rejection(handle, "decide", early)
            assert (error.type, error.message) == (
                INVALID,
                "Beslutsdatum 2026-11-19 är före dagen ärendet anmäldes (2026-11-20).",
            )
            on_the_day = Decide(
                actor=CASE_WORKER, granted=True, services=["Tillsyn"], decision_date=date(2026, 11, 20)
            )
            state = await act(handle, "decide", on_the_day)
            assert state.details["decision_date"] == "2026-11-20"


async def test_an_order_starting_2060_12_30_computes_its_deadlines_in_2061(tmp_path: Path) -> None:
    """The calendar's last year still has deadlines: ORD-1, ORD-4 counted into 2061."""
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(sthlm(2060, 12, 30, 10, 0), sessions) as (env, worker):
            case_id = new_case(sessions, "late")
            inp = order_input(case_id, sthlm(2060, 12, 30, 10, 0), date(2060, 12, 30), items=CARE)
            handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            # Thu 30/12/2060 -> 31/12 is Nyårsafton, 1/1 a holiday: the next working day is Mon 3/1/2061
            assert state.deadlines["execution"] == end_of(date(2061, 1, 3))
            assert state.deadlines["confirm"] == sthlm(2061, 1, 3, 10, 0)
            assert state.deadlines["confirm"].astimezone(UTC) == datetime(2061, 1, 3, 9, 0, tzinfo=UTC)
            await handle.terminate("test finished")
