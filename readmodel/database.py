"""Engine and session factory for the read model: SQLite under ./data/ or PostgreSQL.

The worker and the API open the read model through ``readmodel.schema.open_read_model``, which
checks (or, locally, applies) the migrations; ``make_engine`` creates the schema straight from the
models and is for tests and throwaway databases (a test shows that both give the same schema).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from readmodel.models import Base


def connect_engine(url: str) -> Engine:
    """An engine for ``url``, schema untouched; SQLite files get their folder and WAL mode."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: SQL errors (which reach the logs) never carry the row values, i.e. personal data.
    # pool_pre_ping: a server's connection may have been dropped; a SQLite file's never is, and the
    # ping would be one statement more per checkout (issue 9).
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, pool_pre_ping=not sqlite, hide_parameters=True)
    if sqlite:
        # Worker activity threads and the API write concurrently: WAL plus a busy timeout
        # lets them wait for each other instead of failing with "database is locked".
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def make_engine(url: str) -> Engine:
    """An engine with the schema created from the models (tests, throwaway databases)."""
    engine = connect_engine(url)
    Base.metadata.create_all(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
