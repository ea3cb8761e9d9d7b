"""Shared fixtures: the time-skipping Temporal test server and a fresh SQLite read model.

Process-specific fixtures (workers, API clients) live in the test modules that need them.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel.database import make_engine, make_session_factory
from tests.support import scenario_clock, scenario_server, worker_for
from tests.test_api_support import api_client


def _sleep_relative(seconds: float) -> None:
    """``time.sleep`` by a relative timeout (select), which libfaketime passes through unchanged."""
    if seconds > 0:
        select.select([], [], [], seconds)


def pytest_configure(config: pytest.Config) -> None:
    """The suite must hold when the whole machine's clock is moved with libfaketime (preloaded into
    pytest and every child, e.g. ``faketime '2028-02-29 12:00:00' bash scripts/test.sh``).

    Python's ``time.sleep`` sleeps until an absolute monotonic deadline; libfaketime fakes the
    monotonic clock but hands that deadline to the kernel unchanged, so the sleep would last
    decades. Here the tests' sleeps use a relative timeout instead. (Known limit: a Python child
    such as worker.py, or ``subprocess`` timeouts, can still hang under such a clock.)
    """
    if "libfaketime" not in os.environ.get("LD_PRELOAD", ""):
        return
    time.sleep = _sleep_relative  # type: ignore[assignment]  # narrower signature, same use


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for the whole session (no download: the bundled binary).

    Keep workers nested inside it (``async with Worker(...)`` in the test) so they stop first.
    """
    async with scenario_server() as environment:
        yield environment


@pytest.fixture
async def worker(env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    """A worker with every process and activity on a fresh task queue, writing to ``sessions``.

    Start workflows on ``worker.task_queue``.
    """
    async with worker_for(env, sessions) as running:
        yield running


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh SQLite read model with the schema created, in this test's tmp_path."""
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodel.db'}")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


# -- API tests with a clock of their own: module scope, so each module gets its own instances ------


@pytest.fixture
async def http(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the suite's scenario server, posting the pages' forms as this site's browser
    does (``Origin``); modules with an ``http`` of their own override it."""
    async with api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as client:
        client.headers["Origin"] = "http://test"
        yield client


@pytest.fixture(scope="module")
async def api_env() -> AsyncIterator[WorkflowEnvironment]:
    """This module's own time-skipping server (its clock is not moved by other modules)."""
    async with scenario_server() as environment:
        yield environment


@pytest.fixture(scope="module")
def api_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """This module's own SQLite read model."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('api') / 'readmodel.db'}")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
async def api_worker(
    api_env: WorkflowEnvironment, api_sessions: sessionmaker[Session]
) -> AsyncIterator[Worker]:
    async with worker_for(api_env, api_sessions) as running:
        yield running


@pytest.fixture(scope="module")
async def api_http(
    api_env: WorkflowEnvironment, api_sessions: sessionmaker[Session], api_worker: Worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on this module's server, called in the test's own event loop."""
    async with api_client(
        api_env.client, api_sessions, api_worker.task_queue, clock=scenario_clock(api_env)
    ) as http:
        yield http


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, int | pytest.ExitCode, None]:
    """Exit with pytest's own status, skipping interpreter finalisation.

    The Temporal SDK's native threads can crash the interpreter while it shuts down (exit 134 or
    139) after every test has passed; the SDK's own test suite ends its runs the same way. This
    is the outermost wrapper, so the session, its fixtures and the report are finished here.
    """
    status = yield
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))
