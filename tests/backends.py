"""The read model on SQLite and on PostgreSQL, for API tests whose outcome depends on the database
(column lengths, NUL characters, unique constraints). No tests here.

PostgreSQL gets a fresh schema per use (tests.test_read_model's pattern), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from readmodel import models
from readmodel.database import make_session_factory
from tests.test_read_model import _postgres, _sqlite

BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def read_model_on(backend: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh read model with the schema created on ``backend`` ("sqlite" or "postgresql")."""
    with _sqlite(tmp_path) if backend == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


def count(sessions: sessionmaker[Session], model: type[models.Base]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def started_processes(sessions: sessionmaker[Session]) -> int:
    """Process rows other than the cases' follow-up cycles (FU-1: registering a case with a
    decision starts its cycle, so "nothing started" means no process besides it)."""
    query = select(func.count()).select_from(models.Process).where(models.Process.type != "follow-up-cycle")
    with sessions() as session:
        return session.scalar(query) or 0
