"""Read-model writes that a retry cannot fix reach a person, and the process goes on (issue 6
§2.3); a process row created by its workflow takes the next free number (§2, extra visits).

Driven directly on the workflows (bypassing the API edge), on SQLite and PostgreSQL: the activity
refuses what PostgreSQL would refuse (a NUL character, a text longer than its column) the same on
both, non-retryably; the process shows it as a deviation and the senior case worker's mailbox gets
a message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from readmodel import models
from readmodel import repository as repo
from tests.engine_support import (
    BACKENDS,
    CLEANING,
    act,
    extra_visits_input,
    new_case,
    order_input,
    read_model,
    rows,
)
from tests.support import CASE_WORKER, PROVIDER, scenario, start, sthlm
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.io.extra_visits import RegisterVisit, Review, VisitDecision
from workflows.io.order import ConfirmOrder
from workflows.order import OrderWorkflow

SENIOR_MAILBOX = "senior-case-worker"
TODAY = sthlm(2026, 11, 23, 10, 0)


@dataclass
class Viewer:
    sub: str
    role: str
    org: str | None
    municipality: str | None = None


def _fault_messages(sessions: sessionmaker[Session], case_id: str) -> list[models.Message]:
    return rows(sessions, models.Message, case_id=case_id, mailbox=SENIOR_MAILBOX)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_nul_in_an_orders_other_is_refused_reported_to_the_senior_case_worker_and_the_order_goes_on(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "fault-nul")
            sent = sthlm(2026, 11, 23, 9, 0)
            inp = order_input(case_id, sent, date(2026, 11, 24), items=CLEANING, other="Portkod\x001234")
            handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            refused = "fältet orders.other innehåller ett otillåtet tecken (NUL)."
            assert f"Uppgiften 'Beställning: sent' kunde inte sparas: {refused}" in state.deviations
            body = "fältet messages.body innehåller ett otillåtet tecken (NUL)."
            assert f"Uppgiften 'Meddelande till provider-hemtjanst-nord' kunde inte sparas: {body}" in (
                state.deviations
            )
            # the process goes on: its steps are open and its actions work
            assert {t.action for t in state.open_tasks} >= {"confirm", "register_execution"}
            state = await act(handle, "confirm", ConfirmOrder(actor=PROVIDER))
            assert state.stage == "confirmed"
            await handle.terminate("test finished")
        assert rows(sessions, models.Order, case_id=case_id) == []
        reports = _fault_messages(sessions, case_id)
        assert len(reports) == 3  # the order as sent, its message, the order as confirmed
        assert {r.subject for r in reports} == {"Tekniskt fel: en uppgift kunde inte sparas"}
        assert all("\x00" not in r.body and "1234" not in r.body for r in reports)
        assert f"Process case-{case_id}/order/1" in reports[0].body
        [confirm] = rows(sessions, models.Task, case_id=case_id, action="confirm")
        assert confirm.status == "done"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_login_name_longer_than_tasks_closed_by_is_refused_and_reported_and_the_order_goes_on(
    backend: str, tmp_path: Path
) -> None:
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "fault-long")
            inp = order_input(case_id, sthlm(2026, 11, 23, 9, 0), date(2026, 11, 24), items=CLEANING)
            handle, _ = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            long_name = replace(PROVIDER, name="C" * 250)
            state = await asyncio.wait_for(act(handle, "confirm", ConfirmOrder(actor=long_name)), 20)
            assert state.stage == "confirmed"
            label = f"{'C' * 250} (hemtjänstutförare)"
            assert state.deviations == [
                "Uppgiften 'Uppgift: Bekräfta mottagen beställning' kunde inte sparas: fältet "
                f"tasks.closed_by rymmer högst 200 tecken (fick {len(label)})."
            ]
            await handle.terminate("test finished")
        [report] = _fault_messages(sessions, case_id)
        assert "tasks.closed_by rymmer högst 200 tecken" in report.body


@pytest.mark.parametrize("backend", BACKENDS)
async def test_UC_5_a_lasting_need_order_takes_the_next_free_number_and_reaches_the_providers_order_list(
    backend: str, tmp_path: Path
) -> None:
    """UC-5: an approved lasting need leads to a new order; the case already has order number 1."""
    with read_model(backend, tmp_path) as sessions:
        async with scenario(TODAY, sessions) as (env, worker):
            case_id = new_case(sessions, "ev-order")
            first = order_input(case_id, sthlm(2026, 11, 23, 9, 0), date(2026, 11, 24), items=CLEANING)
            first_order, _ = await start(env, worker, OrderWorkflow, first, f"case-{case_id}/order/1")
            process_id = f"case-{case_id}/extra-visits/1"
            month = extra_visits_input(case_id, "2026-11")
            handle, _ = await start(env, worker, ExtraVisitsWorkflow, month, process_id)
            visit = RegisterVisit(
                actor=PROVIDER,
                visit_date=date(2026, 11, 22),
                kind="extra_visit",
                services=["Toalettbesök nattetid"],
                reason="Behöver hjälp till toaletten varje natt",
            )
            await act(handle, "register_visit", visit)
            decision = VisitDecision(visit_id="v1", decision="approve", lasting_need=True, item_kind="care")
            state = await act(handle, "review", Review(actor=CASE_WORKER, decisions=[decision]))
            child_id = f"case-{case_id}/order/x-1-v1"
            assert state.details["orders"] == [child_id]
            for _ in range(200):  # the child writes its rows on its own
                if rows(sessions, models.Order, id=child_id):
                    break
                await asyncio.sleep(0.05)
            child = env.client.get_workflow_handle(child_id)
            child_state = await child.query("state")
            assert child_state["stage"] == "sent"
            for running in (child, handle, first_order):
                await running.terminate("test finished")
        [process] = rows(sessions, models.Process, id=child_id)
        assert (process.type, process.seq) == ("order", 2)
        provider = Viewer(sub="pv-carl", role="provider", org="hemtjanst-nord")
        with sessions() as session:
            listed = [o.id for o in repo.visible_orders(session, provider)]
        assert listed == [f"case-{case_id}/order/1", child_id]  # ORD-7: oldest first
