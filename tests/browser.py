"""Helpers for the browser tests (no tests here): the app served by uvicorn on a free port, in the
test's own event loop (the Temporal client is bound to the loop it connected in), and Debian's
chromium driven by Playwright (its own browser download is impossible here: ``executable_path``).

``.ci/run`` installs chromium; ``CHROMIUM`` overrides where it is.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from runtime.settings import Settings
from tests.support import SUITE_MOMENT, scenario, scenario_clock
from workflows.model import Actor

SERIOUS = ("serious", "critical")


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is not installed: apt-get install -y chromium (.ci/run does)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def live_app(
    env: WorkflowEnvironment, sessions: sessionmaker[Session], task_queue: str
) -> AsyncIterator[str]:
    """The app on the scenario server, served on 127.0.0.1:<free port>; yields its base URL."""
    app = create_app(
        Settings(task_queue=task_queue), client=env.client, sessions=sessions, clock=scenario_clock(env)
    )
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Window:
    """One person's browser window, logged in through the login form."""

    context: BrowserContext
    page: Page
    base: str

    async def go(self, path: str) -> Page:
        await self.page.goto(self.base + path)
        return self.page


@asynccontextmanager
async def logged_in(browser: Browser, base: str, actor: Actor) -> AsyncIterator[Window]:
    """A fresh browser context for ``actor``, logged in through /ui/login (lands on the inbox)."""
    context = await browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(base + "/ui/login")
        await page.select_option("#login-role", actor.role)
        await page.fill("#login-sub", actor.user_id)
        await page.fill("#login-name", actor.name)
        await page.fill("#login-org", actor.org or "")
        await page.click("button[type=submit]")
        await page.wait_for_url("**/ui/uppgifter")
        yield Window(context, page, base)
    finally:
        await context.close()


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


@asynccontextmanager
async def browser_scenario(sessions: sessionmaker[Session]) -> AsyncIterator[tuple[str, Browser]]:
    """A browser test's world: a scenario server of its own starting at the suite's moment (what
    other tests did on the session's server cannot reach it), a worker, the app served on it, and
    Chromium. Yields the app's base URL and the browser."""
    async with (
        scenario(SUITE_MOMENT, sessions) as (env, worker),
        live_app(env, sessions, worker.task_queue) as base,
        chromium() as browser,
    ):
        yield base, browser
