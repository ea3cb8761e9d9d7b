"""Scenario clocks: a dated scenario's server starts at the scenario's moment, whatever the machine's
clock says, and moves only on purpose (tests/support.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.support import CASE_WORKER, advance_to, scenario, scenario_server, sthlm
from tests.test_api_support import api_scenario, login, new_case
from workflows import calendar


async def test_a_scenario_server_starts_at_its_moment_and_stays_there_while_idle() -> None:
    moment = sthlm(2026, 12, 22, 13, 0)
    async with scenario_server(moment) as env:
        start = await env.get_current_time()
        assert moment <= start < moment + timedelta(seconds=5)
        await advance_to(env, sthlm(2026, 12, 24, 0, 0))
        now = await env.get_current_time()
        assert sthlm(2026, 12, 24, 0, 0) <= now < sthlm(2026, 12, 24, 0, 0, 5)


async def test_two_scenarios_keep_their_own_clocks(sessions: sessionmaker[Session]) -> None:
    async with (
        scenario(sthlm(2028, 2, 29, 12), sessions) as (leap, _),
        scenario(sthlm(2030, 12, 30, 9), sessions) as (late, _),
    ):
        assert calendar.local_date(await leap.get_current_time()).isoformat() == "2028-02-29"
        assert calendar.local_date(await late.get_current_time()).isoformat() == "2030-12-30"


async def test_the_api_reads_the_scenario_clock(sessions: sessionmaker[Session]) -> None:
    """A case registered through the API is created at the scenario's moment, not the wall clock's."""
    async with api_scenario(sthlm(2027, 6, 23, 10), sessions) as http:
        case_id = await new_case(http)
        answer = await http.get(f"/cases/{case_id}", headers=await login(http, CASE_WORKER))
        assert answer.json()["created_at"].startswith("2027-06-23T10:00")
