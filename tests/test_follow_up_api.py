"""The follow-up board and the committee's figures over HTTP (FU-1, FU-2, FU-9), on a scenario clock."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.support import CASE_WORKER, PROVIDER, SENIOR, advance_to, scenario, scenario_clock, sthlm
from tests.test_api_support import api_client, login
from workflows.model import Actor

SUPERVISOR = Actor(user_id="su-ida", role="supervisor", name="Ida Tillsyn")
OTHER_CASE_WORKER = Actor(user_id="cw-olle", role="case_worker", name="Olle Handläggare")


async def register(http: httpx.AsyncClient, new_case: bool) -> str:
    headers = {**await login(http, CASE_WORKER), "Idempotency-Key": str(uuid.uuid4())}
    body = {
        "person_name": "Greta Exempel",
        "provider_id": "hemtjanst-nord",
        "decisions": [
            {
                "kind": "care",
                "services": ["Hemtjänst", "Ledsagning"],
                "start_date": "2026-11-23",
                "new_case": new_case,
            }
        ],
    }
    response = await http.post("/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    again = await http.post("/cases", json=body, headers=headers)  # a repeat changes nothing
    assert again.status_code == 200
    case_id: str = response.json()["case_id"]
    return case_id


async def board(http: httpx.AsyncClient, actor: Actor, **params: str) -> httpx.Response:
    return await http.get("/board", params=params, headers=await login(http, actor))


async def until_board(http: httpx.AsyncClient, check: Any) -> list[dict[str, Any]]:
    for _ in range(300):
        rows: list[dict[str, Any]] = (await board(http, CASE_WORKER)).json()
        if check(rows):
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"the board never showed it: {rows}")


async def test_fu1_fu2_fu9_a_registered_new_case_is_on_the_board_due_2027_01_23_and_overdue_after(
    sessions: sessionmaker[Session],
) -> None:
    async with (
        scenario(sthlm(2026, 11, 23, 10), sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        new_case = await register(http, new_case=True)
        yearly = await register(http, new_case=False)
        rows = await until_board(http, lambda rows: len(rows) == 2)
        assert [(r["case_id"], r["next_due"], r["stage"], r["overdue"]) for r in rows] == [
            (new_case, "2027-01-23", "scheduled", False),  # FU-2
            (yearly, "2027-11-23", "scheduled", False),  # FU-1
        ]
        # FU-9: the senior case worker sees any case worker's board; others are refused.
        senior = await board(http, SENIOR, case_worker_id=CASE_WORKER.user_id)
        assert [r["case_id"] for r in senior.json()] == [new_case, yearly]
        assert (await board(http, SENIOR, case_worker_id=OTHER_CASE_WORKER.user_id)).json() == []
        assert (await board(http, OTHER_CASE_WORKER)).json() == []
        assert (await board(http, CASE_WORKER, case_worker_id=OTHER_CASE_WORKER.user_id)).status_code == 403
        assert (await board(http, PROVIDER)).status_code == 403
        page = await http.get("/ui/uppfoljningar", headers=await login(http, CASE_WORKER))
        assert page.status_code == 200 and "2027-01-23" in page.text and "Schemalagd" in page.text
        refused_page = await http.get("/ui/uppfoljningar", headers=await login(http, PROVIDER))
        assert refused_page.status_code == 403

        # The due date passes without a follow-up: overdue first, the follow-up waits to be planned.
        await advance_to(env, sthlm(2027, 1, 24, 9))
        rows = await until_board(http, lambda rows: rows[0]["stage"] == "to_plan")
        assert (rows[0]["case_id"], rows[0]["overdue"]) == (new_case, True)
        assert rows[0]["follow_up_process_id"] == f"case-{new_case}/follow-up/1"

        # The committee's figures: January 2027 has one follow-up due and still overdue.
        params = {"from": "2027-01-01", "to": "2027-12-31"}
        headers = await login(http, SUPERVISOR)
        report = await http.get("/reports/follow-ups", params=params, headers=headers)
        assert report.status_code == 200, report.text
        assert report.json() == [
            {
                "month": "2027-01",
                "case_worker_id": "cw-anna",
                "due": 1,
                "done_on_time": 0,
                "done_late": 0,
                "still_overdue": 1,
            },
            {
                "month": "2027-11",
                "case_worker_id": "cw-anna",
                "due": 1,
                "done_on_time": 0,
                "done_late": 0,
                "still_overdue": 0,
            },
        ]
        csv_answer = await http.get(
            "/reports/follow-ups", params={**params, "format": "csv"}, headers=headers
        )
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert csv_answer.text.splitlines()[1] == "2027-01,cw-anna,1,0,0,1"
        for refused in (CASE_WORKER, PROVIDER):
            answer = await http.get("/reports/follow-ups", params=params, headers=await login(http, refused))
            assert answer.status_code == 403
        backwards = await http.get(
            "/reports/follow-ups", params={"from": "2027-12-31", "to": "2027-01-01"}, headers=headers
        )
        assert backwards.status_code == 422
