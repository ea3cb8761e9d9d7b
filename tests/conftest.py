"""Shared fixtures: the time-skipping Temporal test server and a fresh SQLite read model.

Process-specific fixtures (workers, API clients) live in the test modules that need them.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel.database import make_engine, make_session_factory
from runtime.settings import Settings
from runtime.temporal import data_converter, register_search_attributes, test_server_path
from runtime.worker import build_worker


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for the whole session (no download: the bundled binary).

    Keep workers nested inside it (``async with Worker(...)`` in the test) so they stop first.
    """
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_path(),
        data_converter=data_converter,
    )
    try:
        await register_search_attributes(environment.client, "default")
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture
async def worker(env: WorkflowEnvironment, sessions: sessionmaker[Session]) -> AsyncIterator[Worker]:
    """A worker with every process and activity on a fresh task queue, writing to ``sessions``.

    Start workflows on ``worker.task_queue``.
    """
    async with build_worker(env.client, Settings(), sessions, task_queue=f"test-{uuid.uuid4()}") as running:
        yield running


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh SQLite read model with the schema created, in this test's tmp_path."""
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodel.db'}")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


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
