"""The read model's schema version: Alembic migrations under readmodel/migrations.

The worker and the API refuse to start on a database that is not at the newest migration and say
which command migrates it; the local default (worker.py without TEMPORAL_ADDRESS) migrates its own
SQLite file at start.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, inspect

from readmodel.database import connect_engine

MIGRATE_COMMAND = "python -m readmodel.migrate"
_MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaNotCurrentError(RuntimeError):
    """The read model's database is not at the newest migration."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the read model has no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's migration, None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks.

    Raises SchemaNotCurrentError for a database whose tables were made without migrations (an
    older local ``data/readmodel.db``): Alembic cannot know which migration it matches.
    """
    if current_revision(engine) is None and inspect(engine).get_table_names():
        raise SchemaNotCurrentError(
            f"The read model at {engine.url.render_as_string(hide_password=True)} has tables but no "
            "migration version (made by an older version). Delete it to start afresh (local: "
            "rm data/readmodel.db), or, if its schema is current, run `alembic stamp head`."
        )
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _known(revision: str) -> bool:
    """A migration this code has (an older one or the newest)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:  # a revision this code has never heard of: a newer version's
        return False


def require_current(engine: Engine) -> None:
    """Raise SchemaNotCurrentError, naming the command to run, unless the database is migrated."""
    current, head = current_revision(engine), head_revision()
    if current is not None and current != head and not _known(current):
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaNotCurrentError(
            f"The read model at {where} is at migration {current}, newer than this code knows "
            f"(its newest is {head}): run the newer version, or downgrade the database with that "
            "version's alembic before running this one."
        )
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "not migrated" if current is None else f"at migration {current}, the code needs {head}"
        raise SchemaNotCurrentError(
            f"The read model at {where} is {state}. Migrate it with `{MIGRATE_COMMAND}` "
            "(same DATABASE_URL), then start again."
        )


def open_read_model(url: str, *, migrate: bool) -> Engine:
    """The engine of the worker and the API: migrated first when ``migrate`` (the local default),
    otherwise checked. Raises SchemaNotCurrentError."""
    engine = connect_engine(url)
    try:
        if migrate:
            upgrade(engine)
        require_current(engine)
    except Exception:
        engine.dispose()
        raise
    return engine
