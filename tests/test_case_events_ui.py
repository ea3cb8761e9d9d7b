"""The case page's event forms (END-3, END-6): generated from the event dataclasses, offered by
role, posted through the same service as ``POST /cases/{case_id}/events``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from readmodel.database import make_session_factory
from tests.support import CASE_WORKER, PROVIDER, scenario, scenario_clock, sthlm
from tests.test_api_support import api_client, new_case
from tests.test_read_model import _postgres, _sqlite
from tests.test_ui import ui_login


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


async def test_end3_end6_the_case_page_offers_each_role_its_event_forms_and_a_posted_pause_opens_the_task(
    sessions: sessionmaker[Session],
) -> None:
    """The provider sees the time adjustment (END-6) and the pause (END-3) forms, the case worker not
    the time adjustment; the case worker's single-service pause from the form opens the
    confirmation due Mon 2027-03-15 (COM-1); a bad period shows a Swedish error with 422."""
    async with (
        scenario(sthlm(2027, 3, 8, 9), sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        http.headers["Origin"] = "http://test"
        case_id = await new_case(http)
        url = f"/ui/arenden/{case_id}/handelser"
        await ui_login(http, PROVIDER)
        page = (await http.get(f"/ui/arenden/{case_id}")).text
        assert "Rapportera en händelse i ärendet" in page
        assert "Rapportera: tidsjustering" in page and "Rapportera: dödsfall" in page
        await ui_login(http, CASE_WORKER)
        page = (await http.get(f"/ui/arenden/{case_id}")).text
        assert "Rapportera: tidsjustering" not in page and "Rapportera: uppehåll" in page
        form = {
            "type": "pause",
            "scope": "services",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-09",
            "services": "Städning",
        }
        refused = await http.post(url, data=form)  # post/redirect/get: the error shows on the case page
        assert refused.status_code == 303 and refused.headers["location"] == url.rsplit("/", 1)[0]
        shown = await http.get(refused.headers["location"])
        assert shown.status_code == 422 and "före det börjar" in shown.text
        posted = await http.post(url, data={**form, "ends_on": "2027-03-20"})
        assert posted.status_code == 303, posted.text
        process_page = await http.get(posted.headers["location"])
        assert "Bekräfta uppehållets period med personen" in process_page.text
        assert "2027-03-15 23:59" in process_page.text
