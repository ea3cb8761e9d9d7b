"""Write a screenshot of each main page to docs/screenshots/ (issue 10 §8), for people to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Runs the app on its own scenario server (clock at the suite's moment, Sunday 2026-11-22 07:00
Stockholm time) with a fresh SQLite read model, fills it with the demo (``scripts/demo.py``:
made-up people, processes of every type in every stage the rules allow) through the JSON API,
then opens each page as the role that works in it in Debian's chromium
(``apt-get install -y chromium``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readmodel.models import Base
from scripts.demo import fill
from scripts.demo_client import STAFF, Shown
from tests.browser import chromium, live_app, logged_in
from tests.support import SUITE_MOMENT, scenario
from workflows.model import Actor


def _actor(who: str) -> Actor:
    who_is = STAFF[who]
    return Actor(user_id=who_is["sub"], role=who_is["role"], name=who_is["name"], org=who_is.get("org"))


def _find(shown: list[Shown], process_type: str, stage: str) -> Shown:
    return next(s for s in shown if s.process_type == process_type and stage in s.stages)


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
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                shown = await fill(http, SUITE_MOMENT)
            order = _find(shown, "order", "on_time")
            change = _find(shown, "urgent-change", "escalated")
            extension = _find(shown, "temporary-extension", "due_today")
            closed = _find(shown, "order", "closed")
            shots = [
                ("provider", "uppgifter-utforare", "/ui/uppgifter"),
                ("provider", "bestallning-utforare", f"/ui/processer/{order.process_id}"),
                ("case_worker", "uppgifter-handlaggare", "/ui/uppgifter"),
                ("senior", "uppgifter-forste-handlaggare", "/ui/uppgifter"),
                ("case_worker", "arenden", "/ui/arenden"),
                ("case_worker", "arende", f"/ui/arenden/{change.case_id}"),
                ("case_worker", "akut-forandring", f"/ui/processer/{change.process_id}"),
                ("case_worker", "tillfallig-utokning", f"/ui/processer/{extension.process_id}"),
                ("supervisor", "historik", f"/ui/arenden/{closed.case_id}/historik"),
                ("case_worker", "uppfoljningstavla", "/ui/uppfoljningar"),
                ("senior", "statistik", "/ui/uppfoljningar/statistik"),
            ]
            for who, name, path in shots:
                async with logged_in(browser, base, _actor(who)) as window:
                    page = await window.go(path)
                    await page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    print(out / f"{name}.png")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")))
