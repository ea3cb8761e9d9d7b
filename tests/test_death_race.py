"""END-2: no process of a case keeps running after a death, also one that another process started
just before the death and that the death could not see yet (ProcessWorkflow._end_if_case_closed),
on dated scenario servers, each on SQLite and PostgreSQL.

The race is made certain, not left to chance: the read model holds the first write of the order
that extra visits start (its row, UC-5's lasting need) until the death has been registered, so
the death lists the case's running processes before the order is in the read model.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.read_model import ReadModelActivities
from activities.records import BatchOutcome, ReadModelBatch
from readmodel import models
from readmodel.database import make_session_factory
from runtime.settings import Settings
from runtime.worker import build_worker
from tests.engine_support import new_case, order_input, rows
from tests.replay import replay_failure
from tests.support import add_case, scenario, scenario_clock, scenario_server, start, sthlm, wait_closed
from tests.test_api_support import api_client, login_all
from tests.test_case_events_api import USERS, Api
from tests.test_read_model import _postgres, _sqlite
from workflows.order import OrderWorkflow

AT = sthlm(2026, 11, 25, 9)  # Wednesday
DIED_ON = "2026-11-25"


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


class FirstWriteHeld(ReadModelActivities):
    """The first batch of each process whose id contains ``marker`` waits, before it writes
    anything, until ``release`` is set; ``reached`` says one is waiting."""

    def __init__(self, sessions: sessionmaker[Session], marker: str) -> None:
        super().__init__(sessions)
        self.marker = marker
        self.reached = threading.Event()
        self.release = threading.Event()
        self._held: set[str] = set()

    @activity.defn(name="write_batch")
    def write_batch(self, batch: ReadModelBatch) -> BatchOutcome:
        if self.marker in batch.process_id and batch.process_id not in self._held:
            self._held.add(batch.process_id)
            self.reached.set()
            assert self.release.wait(60), "the test never released the held write"
        return super().write_batch(batch)


@asynccontextmanager
async def held_api(at: datetime, sessions: sessionmaker[Session], held: FirstWriteHeld) -> AsyncIterator[Api]:
    """The app on a scenario server whose worker writes through ``held``."""
    async with scenario_server(at) as env:
        queue = f"test-{uuid.uuid4()}"
        async with (
            build_worker(env.client, Settings(), sessions, task_queue=queue, read_model=held) as worker,
            api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
        ):
            yield Api(http, env, await login_all(http, USERS), sessions)


async def _post(app: Api, who: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await app.http.post(path, json=body, headers=app.headers(who))
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_END_2_UC_5_an_order_extra_visits_start_just_before_a_death_ends_itself_on_the_date_of_death(
    sessions: sessionmaker[Session],
) -> None:
    """Wed 2026-11-25: the case worker approves a visit of 24 November with a lasting need (UC-5),
    and the extra-visits process starts an order. Before the order's first write reaches the read
    model, the case worker reports the death (died 2026-11-25): the death ends the extra visits
    but cannot see the order. Once the order writes its row it finds the case closed and ends
    itself: ``ended_by_death``, the order ending 2026-11-25, no open task, no "Ny beställning" to
    the provider, its workflow completed."""
    held = FirstWriteHeld(sessions, "/order/")
    async with held_api(AT, sessions, held) as app:
        case_id = await app.case(start_date="2026-11-02")
        visits = await _post(
            app, "provider", "/processes", {"type": "extra-visits", "case_id": case_id, "month": "2026-11"}
        )
        pid = visits["process_id"]
        visit = {"visit_date": "2026-11-24", "kind": "extra_visit", "services": ["Toalettbesök"]}
        await _post(app, "provider", f"/processes/{pid}/actions/register_visit", {**visit, "reason": "Feber"})
        approve = {"visit_id": "v1", "decision": "approve", "lasting_need": True, "item_kind": "care"}
        reviewed = await _post(
            app, "case_worker", f"/processes/{pid}/actions/review", {"decisions": [approve]}
        )
        order_id = reviewed["details"]["visits"][0]["order_id"]
        assert await asyncio.to_thread(held.reached.wait, 30), "the order never wrote"
        assert rows(sessions, models.Process, id=order_id) == []  # not in the read model yet

        death = await _post(
            app, "case_worker", f"/cases/{case_id}/events", {"type": "death", "died_on": DIED_ON}
        )
        ended = {e["process_id"]: e["outcome"] for e in death["ended"]}
        assert ended[pid] == "ended_by_death" and order_id not in ended  # the death missed the order
        held.release.set()
        await wait_closed(app.env, order_id)

        (row,) = rows(sessions, models.Process, id=order_id)
        assert (row.status, row.outcome) == ("completed", "ended_by_death")
        (order,) = rows(sessions, models.Order, id=order_id)
        assert (order.status, order.ended_on) == ("ended", date(2026, 11, 25))
        assert rows(sessions, models.Task, case_id=case_id, status="open") == []
        assert [
            m for m in rows(sessions, models.Message, process_id=order_id) if m.subject == "Ny beställning"
        ] == []
        assert {r.status for r in rows(sessions, models.Process, case_id=case_id)} == {"completed"}
        state = (await app.http.get(f"/processes/{order_id}", headers=app.headers("case_worker"))).json()
        assert (state["stage"], state["outcome"], state["open_tasks"]) == ("closed", "ended_by_death", [])
        assert (
            state["timeline"][-1]["text"] == f"Dödsfall den {DIED_ON}: ärendets processer avslutas (END-2)."
        )


async def test_END_2_an_order_started_on_a_case_closed_by_a_death_ends_at_once_and_on_an_open_case_runs(
    sessions: sessionmaker[Session],
) -> None:
    """END-2, at the workflow itself: an order started (as a process starts it, bypassing the API)
    on a case a death closed with died_on 2026-11-24 ends at its start with the order ending that
    day, and its history replays; on an open case the same order runs with its confirmation open."""
    async with scenario(AT, sessions) as (env, worker):
        closed = new_case(sessions, "closed")
        with sessions.begin() as session:
            case = session.get(models.Case, closed)
            assert case is not None
            case.closed_at, case.died_on = AT, date(2026, 11, 24)
        inp = order_input(closed, AT, date(2026, 11, 30))
        handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{closed}/order/1")
        assert (state.stage, state.outcome, state.open_tasks) == ("closed", "ended_by_death", [])
        await wait_closed(env, handle.id)
        (order,) = rows(sessions, models.Order, id=handle.id)
        assert (order.status, order.ended_on) == ("ended", date(2026, 11, 24))
        assert rows(sessions, models.Task, case_id=closed, status="open") == []
        assert await replay_failure(await handle.fetch_history()) is None

        open_case = f"open-{uuid.uuid4().hex[:8]}"
        add_case(sessions, open_case)
        inp = order_input(open_case, AT, date(2026, 11, 30))
        _, running = await start(env, worker, OrderWorkflow, inp, f"case-{open_case}/order/1")
        assert (running.stage, running.outcome) == ("sent", None)
        assert "confirm" in {t.action for t in running.open_tasks}
