"""Empty read-model databases for tests: a SQLite file or a fresh PostgreSQL schema.

PostgreSQL is part of every machine and of CI (127.0.0.1:5432, database ``test``; override with
``TEST_POSTGRES_URL``). Each use gets a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend`` (one of BACKENDS), removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'readmodel-{uuid.uuid4().hex[:8]}.db'}"
        return
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
