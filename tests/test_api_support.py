"""Helpers for the API tests (no tests here): the app on the test server, logins, a case, an order.

The app is called through ``httpx.ASGITransport`` in the test's own event loop (the Temporal
client is bound to the loop it connected in), with the test server's client and a fresh read model
injected, so no lifespan needs to run.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.main import create_app
from runtime.settings import Settings
from tests.support import CASE_WORKER, PROVIDER, fixed_clock, scenario, scenario_clock
from workflows.model import Actor

# ORD-1 example: an order sent Friday 2026-11-20 10:00 is due Monday 2026-11-23 10:00 (CAL-5).
ORDER_SENT_AT = "2026-11-20T10:00:00+01:00"
ORDER_CONFIRM_DUE = "2026-11-23T10:00:00+01:00"


@asynccontextmanager
async def api_client(
    client: Client | None,
    sessions: sessionmaker[Session],
    task_queue: str = "unused",
    *,
    clock: Callable[[], Awaitable[datetime]] | None = None,
    **settings: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on ``client``; its "now" is ``clock`` (bind a scenario server's with
    ``tests.support.scenario_clock``), by default the suite's fixed moment."""
    app = create_app(
        Settings(task_queue=task_queue, **settings),
        client=client,
        sessions=sessions,
        clock=clock or fixed_clock(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@asynccontextmanager
async def api_scenario(at: datetime, sessions: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    """A dated API scenario: a server whose clock starts at ``at``, a worker, and the app on them
    with its clock bound to the server's (API and workflows agree on "now")."""
    async with (
        scenario(at, sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        yield http


async def login(http: httpx.AsyncClient, actor: Actor, municipality: str | None = None) -> dict[str, str]:
    """Authorization headers for ``actor`` from the dev login."""
    body = {"sub": actor.user_id, "name": actor.name, "role": actor.role, "org": actor.org}
    if municipality is not None:
        body["municipality"] = municipality
    response = await http.post("/auth/dev-login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    """``headers`` with an Idempotency-Key (a fresh one unless ``key`` is given): every start and
    action must carry one (issue 6 §4)."""
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


async def login_all(http: httpx.AsyncClient, users: dict[str, dict[str, str]]) -> dict[str, str]:
    """A dev-login token for each named identity of ``users``."""
    tokens = {}
    for who, identity in users.items():
        answer = await http.post("/auth/dev-login", json=identity)
        assert answer.status_code == 200, answer.text
        tokens[who] = answer.json()["token"]
    return tokens


async def new_case(http: httpx.AsyncClient, provider_id: str = "hemtjanst-nord", **fields: Any) -> str:
    """A case registered by the case worker of tests.support, with a care decision."""
    headers = await login(http, CASE_WORKER)
    body = {
        "person_name": "Greta Exempel",
        "provider_id": provider_id,
        "decisions": [{"kind": "care", "services": ["Personlig omvårdnad"], "start_date": "2026-11-16"}],
        **fields,
    }
    response = await http.post("/cases", json=body, headers=keyed(headers))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def order_body(case_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "order",
        "case_id": case_id,
        "start_date": "2026-11-30",
        "items": [{"name": "Städning", "kind": "service"}],
        "other": "Nyckel finns hos grannen.",
        "sent_at": ORDER_SENT_AT,
        **fields,
    }


async def start_order(http: httpx.AsyncClient, case_id: str, **fields: Any) -> dict[str, Any]:
    """An order for the case, started by the case worker; returns the process state."""
    headers = await login(http, CASE_WORKER)
    response = await http.post("/processes", json=order_body(case_id, **fields), headers=keyed(headers))
    assert response.status_code == 201, response.text
    state: dict[str, Any] = response.json()
    return state


async def act(
    http: httpx.AsyncClient, process_id: str, action: str, body: dict[str, Any], actor: Actor = PROVIDER
) -> httpx.Response:
    """Perform an action with a fresh Idempotency-Key."""
    headers = {**await login(http, actor), "Idempotency-Key": str(uuid.uuid4())}
    return await http.post(f"/processes/{process_id}/actions/{action}", json=body, headers=headers)
