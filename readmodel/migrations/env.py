"""Alembic environment of the read model: the models' metadata, the URL from the settings.

Run through ``python -m readmodel.migrate`` (or ``alembic upgrade head`` with alembic.ini at the
repository root); both read ``DATABASE_URL`` like the worker and the API.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from readmodel.database import connect_engine
from readmodel.models import Base
from runtime.settings import get_settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:  # handed over by readmodel.schema.upgrade
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = connect_engine(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against the database.")
run_migrations_online()
