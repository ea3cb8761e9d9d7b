"""Concurrent requests must not starve the worker's read-model activities of connections.

A request waits for its workflow, and the workflow answers only after its activities have written
the read model. With a deliberately tiny connection pool shared by the API and the worker, every
concurrent start must still complete: the API gives its connection back before it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from readmodel.models import Base
from tests.support import CASE_WORKER, scenario_clock, worker_for
from tests.test_api_support import act, api_client, keyed, login, new_case, order_body

# Fewer connections than concurrent requests; one more than the minimum, because here (unlike in
# production, where worker and API are separate processes) the worker's read-model writes, which
# run inside its workflow tasks (a local activity), share the API's pool.
POOL_SIZE = 3
CONCURRENT_REQUESTS = 6


@pytest.fixture
def tiny_pool(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    # A request that kept its connection while waiting on Temporal would starve the activities for
    # good (a deadlock, not slowness): the generous timeout only absorbs a loaded machine.
    engine = create_engine(
        f"sqlite:///{tmp_path / 'readmodel.db'}", pool_size=POOL_SIZE, max_overflow=0, pool_timeout=60
    )
    Base.metadata.create_all(engine)
    try:
        yield sessionmaker(engine, expire_on_commit=False)
    finally:
        engine.dispose()


async def test_more_concurrent_starts_and_actions_than_pooled_connections_all_complete(
    env: WorkflowEnvironment, tiny_pool: sessionmaker[Session]
) -> None:
    """ORD-1: six orders started, then confirmed, at once over a three-connection pool all succeed."""
    async with (
        worker_for(env, tiny_pool) as worker,
        api_client(env.client, tiny_pool, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        headers = await login(http, CASE_WORKER)
        cases = [await new_case(http) for _ in range(CONCURRENT_REQUESTS)]
        starts = await asyncio.gather(
            *(http.post("/processes", json=order_body(case_id), headers=keyed(headers)) for case_id in cases)
        )
        assert [answer.status_code for answer in starts] == [201] * CONCURRENT_REQUESTS
        confirms = await asyncio.gather(
            *(act(http, answer.json()["process_id"], "confirm", {}) for answer in starts)
        )
    assert [answer.status_code for answer in confirms] == [200] * CONCURRENT_REQUESTS
    for answer in confirms:
        assert "confirm" not in {task["action"] for task in answer.json()["open_tasks"]}
