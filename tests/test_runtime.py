"""Runtime wiring: settings, the bundled binaries, namespace setup on a real dev server."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from runtime.settings import DEV_JWT_SECRET, Settings, get_settings
from runtime.temporal import (
    data_converter,
    dev_server_path,
    get_retention,
    list_search_attributes,
    register_search_attributes,
    set_retention,
    start_dev_server,
    test_server_path,
)
from runtime.worker import build_worker
from workflows.search import ALL_KEYS

ENV_NAMES = ("TEMPORAL_ADDRESS", "DATABASE_URL")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No configuration from the surrounding shell leaks into a settings test."""
    for name in list(os.environ):
        if name.startswith("HEMTJANST_") or name in ENV_NAMES:
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_defaults_are_the_local_setup(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.temporal_address is None
    assert settings.local_dev
    assert settings.temporal_target == "127.0.0.1:7233"
    assert settings.temporal_namespace == "default"
    assert settings.task_queue == "hemtjanst"
    assert settings.database_url == "sqlite:///./data/readmodel.db"
    assert settings.data_dir == Path("data")
    assert (settings.api_port, settings.ui_port, settings.dev_server_port) == (8000, 8233, 7233)
    assert settings.retention_days == 30
    assert settings.jwt_secret == DEV_JWT_SECRET
    assert settings.dev_login_enabled
    assert settings.default_profile == "default"


def test_settings_accept_unprefixed_temporal_address_and_database_url(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    clean_env.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db/readmodel")
    settings = Settings()
    assert settings.temporal_address == "temporal:7233"
    assert not settings.local_dev
    assert settings.temporal_target == "temporal:7233"
    assert settings.database_url == "postgresql+psycopg://u:p@db/readmodel"


def test_settings_accept_the_hemtjanst_prefix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEMTJANST_TEMPORAL_ADDRESS", "prod:7233")
    clean_env.setenv("HEMTJANST_DATABASE_URL", "sqlite:///x.db")
    clean_env.setenv("HEMTJANST_API_PORT", "9000")
    clean_env.setenv("HEMTJANST_RETENTION_DAYS", "90")
    clean_env.setenv("HEMTJANST_DEV_LOGIN_ENABLED", "false")
    clean_env.setenv("HEMTJANST_TASK_QUEUE", "other")
    settings = Settings()
    assert settings.temporal_address == "prod:7233"
    assert settings.database_url == "sqlite:///x.db"
    assert settings.api_port == 9000
    assert settings.retention_days == 90
    assert not settings.dev_login_enabled
    assert settings.task_queue == "other"


def test_the_worker_cache_is_1000_by_default_and_at_least_the_workflow_task_slots(
    clean_env: pytest.MonkeyPatch,
) -> None:
    """Issue 9: a cache smaller than the 100 workflow tasks the worker takes at once left tasks
    waiting until they timed out; such a value is refused at start-up, naming the setting."""
    assert Settings().worker_max_cached_workflows == 1000
    clean_env.setenv("HEMTJANST_WORKER_MAX_CACHED_WORKFLOWS", "3000")
    assert Settings().worker_max_cached_workflows == 3000
    for bad in ("99", "0", "-1", "100001", "tusen"):
        clean_env.setenv("HEMTJANST_WORKER_MAX_CACHED_WORKFLOWS", bad)
        with pytest.raises(ValidationError, match="worker_max_cached_workflows"):
            Settings()


def test_blank_temporal_address_means_local(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TEMPORAL_ADDRESS", "")
    assert Settings().local_dev


def test_get_settings_is_cached(clean_env: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("find", [dev_server_path, test_server_path])
def test_bundled_binaries_are_found(find: object) -> None:
    assert callable(find)
    path = Path(find())
    assert path.is_file()
    assert os.access(path, os.X_OK)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_dev_server_namespace_setup_is_idempotent(tmp_path: Path) -> None:
    """Visibility needs the dev server (the time-skipping server has no ListSearchAttributes)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=dev_server_path(),
        dev_server_database_filename=str(tmp_path / "temporal.db"),
        data_converter=data_converter,
    )
    try:
        client = env.client
        added = await register_search_attributes(client, "default")
        assert sorted(added) == sorted(key.name for key in ALL_KEYS)
        assert await register_search_attributes(client, "default") == []

        attributes = await list_search_attributes(client, "default")
        for key in ALL_KEYS:
            assert key.name in attributes
        assert attributes["CaseId"] == "KEYWORD"
        assert attributes["NextDueAt"] == "DATETIME"

        assert await get_retention(client, "default") == timedelta(days=1)  # dev-server default
        await set_retention(client, "default", 30)
        assert await get_retention(client, "default") == timedelta(days=30)
        await set_retention(client, "default", 30)  # unchanged: no update needed
        assert await get_retention(client, "default") == timedelta(days=30)
    finally:
        await env.shutdown()


async def test_start_dev_server_keeps_data_and_serves_the_ui(tmp_path: Path) -> None:
    settings = Settings(
        temporal_address=None,
        data_dir=tmp_path / "data",
        dev_server_port=_free_port(),
        ui_port=_free_port(),
    )
    env = await start_dev_server(settings)
    try:
        assert (tmp_path / "data" / "temporal.db").is_file()
        await register_search_attributes(env.client, settings.temporal_namespace)
        status = 0
        async with httpx.AsyncClient() as http:
            for _ in range(50):
                try:
                    status = (await http.get(f"http://127.0.0.1:{settings.ui_port}/")).status_code
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        assert status == 200
    finally:
        await env.shutdown()

    # A restart on the same database: the attributes are already there, nothing to add.
    env = await start_dev_server(settings)
    try:
        assert await register_search_attributes(env.client, settings.temporal_namespace) == []
    finally:
        await env.shutdown()


async def test_worker_builds_and_runs_with_every_workflow(
    env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> None:
    """All registered workflows pass the sandbox validation and the worker starts and stops."""
    worker = build_worker(env.client, Settings(), sessions, task_queue="test-runtime")
    async with worker:
        assert worker.task_queue == "test-runtime"
