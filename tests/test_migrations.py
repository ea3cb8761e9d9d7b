"""Read-model migrations (Alembic): every migration applied gives exactly the models' schema, on
SQLite and on PostgreSQL; the worker and the API refuse an unmigrated or outdated database and name
the command that migrates it; the local default migrates its own file."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from readmodel.database import connect_engine, make_engine
from readmodel.models import Base
from readmodel.schema import (
    MIGRATE_COMMAND,
    SchemaNotCurrentError,
    current_revision,
    head_revision,
    open_read_model,
    upgrade,
)
from tests.databases import BACKENDS, empty_database
from tests.support import child_environment, scenario_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as url:
        yield url


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_every_migration_applied_gives_the_models_schema_without_drift(database: str) -> None:
    engine = connect_engine(database)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _drift(engine) == []
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_command_that_migrates_it(database: str) -> None:
    with pytest.raises(SchemaNotCurrentError) as refused:
        open_read_model(database, migrate=False)
    assert "not migrated" in str(refused.value)
    assert MIGRATE_COMMAND in str(refused.value)
    open_read_model(database, migrate=True).dispose()  # the local default migrates by itself
    open_read_model(database, migrate=False).dispose()  # and then it is current


def test_a_database_made_without_migrations_is_refused_rather_than_guessed(database: str) -> None:
    make_engine(database).dispose()  # tables straight from the models, no version
    with pytest.raises(SchemaNotCurrentError) as refused:
        open_read_model(database, migrate=True)
    assert "no migration version" in str(refused.value)


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_the_worker_refuses_an_unmigrated_postgresql_database_and_starts_after_the_command(
    tmp_path: Path,
) -> None:
    """Issue 11: start on an unmigrated PostgreSQL → exit 2 with the hint; after
    `python -m readmodel.migrate` (same DATABASE_URL) the worker starts."""
    async with scenario_server() as temporal:
        target = temporal.client.service_client.config.target_host
        with empty_database("postgresql", tmp_path) as url:
            env = child_environment(DATABASE_URL=url, TEMPORAL_ADDRESS=target)
            refused = _worker(env, "worker.py")
            output, _ = refused.communicate(timeout=60)
            assert refused.returncode == 2, output
            assert MIGRATE_COMMAND in output

            migrate = subprocess.run(
                [sys.executable, "-m", "readmodel.migrate"], cwd=ROOT, env=env, capture_output=True, text=True
            )
            assert migrate.returncode == 0, migrate.stderr
            assert head_revision() in migrate.stdout

            started = _worker(env, "worker.py")
            try:
                assert started.stdout is not None
                line = await asyncio.wait_for(
                    asyncio.to_thread(_line_with, started, "Worker on task queue"), 60
                )
                assert "hemtjanst" in line
            finally:
                started.send_signal(signal.SIGTERM)
                started.communicate(timeout=60)
            assert started.returncode == 0


def _line_with(process: subprocess.Popen[str], text: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if text in line:
            return line
    raise AssertionError(f"the worker ended without printing {text!r}")


def test_a_database_newer_than_the_code_is_refused_without_the_misleading_migrate_hint(database: str) -> None:
    """Found by a tester: at an unknown (newer) migration the hint said to migrate, which fails."""
    engine = connect_engine(database)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(SchemaNotCurrentError) as refused:
            open_read_model(database, migrate=False).dispose()
        assert "newer than this code knows" in str(refused.value)
        assert MIGRATE_COMMAND not in str(refused.value)
    finally:
        engine.dispose()
