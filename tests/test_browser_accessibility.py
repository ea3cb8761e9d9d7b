"""axe-core in Chromium (issue 10 §8): no serious or critical violation on the inbox, case,
process, form, board, figures and history pages, each as the role that works in it."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser_scenario, describe, logged_in, serious_violations
from tests.support import CASE_WORKER, PROVIDER, SENIOR
from tests.test_api_support import new_case, start_order

PAGES = [
    (CASE_WORKER, ["/ui/uppgifter", "/ui/arenden", "{case}", "{process}", "/ui/uppfoljningar"]),
    (CASE_WORKER, ["{case}/historik"]),
    (PROVIDER, ["/ui/uppgifter", "{process}", "/ui/brevlador/provider-hemtjanst-nord"]),
    (SENIOR, ["/ui/uppfoljningar/statistik", "/ui/processer/{process_id}/historik"]),
]


async def test_axe_finds_no_serious_or_critical_violation_on_the_main_pages(
    sessions: sessionmaker[Session],
) -> None:
    async with browser_scenario(sessions) as (base, browser):
        async with httpx.AsyncClient(base_url=base) as http:
            case_id = await new_case(http)
            process_id = (await start_order(http, case_id))["process_id"]
        places = {
            "{case}": f"/ui/arenden/{case_id}",
            "{process}": f"/ui/processer/{process_id}",
            "{process_id}": process_id,
        }
        found: dict[str, str] = {}
        for actor, paths in PAGES:
            async with logged_in(browser, base, actor) as window:
                for path in paths:
                    for placeholder, value in places.items():
                        path = path.replace(placeholder, value)
                    page = await window.go(path)
                    violations = await serious_violations(page)
                    if violations:
                        found[f"{actor.role} {path}"] = describe(violations)
        assert found == {}, "\n".join(f"{where}:\n{what}" for where, what in found.items())
