"""A demo in a minute (issue 10 §7): fill the local default with made-up people and processes of
every type in the stages the rules allow today — on time, due today, overdue, escalated, closed —
through the HTTP API, as a newcomer's own client would.

    bash scripts/run.sh --demo                      # start everything and fill it
    .venv/bin/python -m scripts.demo [--url URL]    # fill an API that already runs

Overdue and escalated steps come from real-world moments in the past that the API accepts (an
order sent a week ago, an urgent change whose support started ten days ago, a decision whose
yearly follow-up passed): the processes' own timers do the rest. Each run adds a new set of people.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

import httpx

from api.ui import labels
from runtime.settings import Settings
from scripts.demo_client import STAFF, STAGE_LABELS, Demo, DemoError, Shown
from scripts.demo_recipes import RECIPES
from workflows.profiles import load_profile

READY_SECONDS = 180.0


async def fill(http: httpx.AsyncClient, now: datetime, profile_name: str = "default") -> list[Shown]:
    """Fill the API at ``http`` whose clock reads ``now``; returns what each process shows.

    Raises DemoError with the API's answer when a step is refused."""
    demo = Demo(http, now, load_profile(profile_name))
    await demo.login()
    shown: list[Shown] = []
    for recipe in RECIPES:
        shown.extend(await recipe(demo))
    return shown


async def wait_until_ready(http: httpx.AsyncClient, seconds: float = READY_SECONDS) -> None:
    """Wait for ``GET /readyz`` (the run command starts the dev server, worker and API first)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"API:t svarar inte på {http.base_url}/readyz efter {seconds:.0f} s.")
        await asyncio.sleep(1)


def summary(shown: list[Shown], base: str) -> str:
    """What was made, in Swedish, with the logins to see it."""
    lines = [f"Demo klar: {len(shown)} processer för {len({s.case_id for s in shown})} personer."]
    for s in shown:
        stages = ", ".join(STAGE_LABELS[stage] for stage in s.stages)
        lines.append(f"  {labels.process_label(s.process_type):<30} {stages:<22} {s.person}")
    lines.append(f"Logga in på {base}/ui/login som:")
    for who in STAFF.values():
        org = f", enhet {who['org']}" if "org" in who else ""
        role = labels.role_label(who["role"])
        lines.append(f"  {role:<28} användar-id {who['sub']:<10} {who['name']}{org}")
    return "\n".join(lines)


async def main(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await wait_until_ready(http)
        # The API's clock is the wall clock in the local default (not in tests: they pass theirs).
        shown = await fill(http, datetime.now(UTC), Settings().default_profile)
    print(summary(shown, base))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    settings = Settings()
    host = "127.0.0.1" if settings.api_host == "0.0.0.0" else settings.api_host
    parser.add_argument("--url", default=f"http://{host}:{settings.api_port}", help="the API's base URL")
    try:
        asyncio.run(main(parser.parse_args().url.rstrip("/")))
    except DemoError as error:
        sys.exit(f"Demot avbröts: {error}")
