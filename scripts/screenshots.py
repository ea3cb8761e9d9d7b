"""Write a screenshot of each main page to docs/screenshots/ (issue 10 §8), for people to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Runs the app on its own scenario server (clock at the suite's moment, Sunday 2026-11-22 07:00
Stockholm time) with a fresh SQLite read model, registers a case, sends an order and reports an
urgent change through the JSON API, then opens each page as the role that works in it in Debian's
chromium (``apt-get install -y chromium``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readmodel.models import Base
from tests.browser import chromium, live_app, logged_in
from tests.support import CASE_WORKER, PROVIDER, SENIOR, SUITE_MOMENT, scenario
from tests.test_api_support import keyed, login, new_case, start_order


async def _fill(http: httpx.AsyncClient) -> dict[str, str]:
    case_id = await new_case(http)
    order = (await start_order(http, case_id))["process_id"]
    change = {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": (SUITE_MOMENT - timedelta(hours=3)).isoformat(),
        "description": "Behöver hjälp vid toalettbesök.",
    }
    answer = await http.post("/processes", json=change, headers=keyed(await login(http, PROVIDER)))
    answer.raise_for_status()
    return {"case": f"/ui/arenden/{case_id}", "order": f"/ui/processer/{order}"}


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/readmodel.db")
        Base.metadata.create_all(engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
        async with (
            scenario(SUITE_MOMENT, sessions) as (env, worker),
            live_app(env, sessions, worker.task_queue) as base,
            chromium() as browser,
        ):
            async with httpx.AsyncClient(base_url=base) as http:
                at = await _fill(http)
            shots = [
                (PROVIDER, "uppgifter-utforare", "/ui/uppgifter"),
                (PROVIDER, "bestallning-utforare", at["order"]),
                (CASE_WORKER, "uppgifter-handlaggare", "/ui/uppgifter"),
                (CASE_WORKER, "arenden", "/ui/arenden"),
                (CASE_WORKER, "arende", at["case"]),
                (CASE_WORKER, "historik", at["case"] + "/historik"),
                (CASE_WORKER, "uppfoljningstavla", "/ui/uppfoljningar"),
                (SENIOR, "statistik", "/ui/uppfoljningar/statistik"),
            ]
            for actor, name, path in shots:
                async with logged_in(browser, base, actor) as window:
                    page = await window.go(path)
                    await page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(out / f"{name}.png")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
