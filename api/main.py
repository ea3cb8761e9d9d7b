"""The FastAPI application: ``create_app()`` and the module-level ``app`` that uvicorn serves.

The lifespan connects ONE Temporal client (it is bound to the event loop it connected in) and
makes the read-model engine, unless ``create_app`` was given them, as tests do; those are usable
without running the lifespan. Profiles are loaded when the app is created, so a broken profile
file stops start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api import errors, openapi, ui
from api.deps import Clock, system_clock
from api.routes import auth, billing, cases, codec, follow_ups, mailboxes, orders, processes, tasks
from readmodel.database import make_engine, make_session_factory
from runtime.settings import Settings, get_settings
from runtime.temporal import connect
from workflows.profiles import load_all_profiles

DESCRIPTION = """Samverkan mellan biståndshandläggare och hemtjänstutförare, som varaktiga processer.

Identity: `Authorization: Bearer <JWT>` (claims `sub`, `name`, `role`, `org`, `municipality`).
Every time in responses is ISO 8601 with the Europe/Stockholm offset. Errors are `{"detail": ...}`:
401 no/invalid token, 403 role not allowed, 404 unknown or not visible, 409 action not open or
process closed or duplicate start, 422 invalid input, 504 the process did not answer in time.
Send an `Idempotency-Key` header with every action: a repeat with the same key has one effect."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = None
    if app.state.sessions is None:
        engine = make_engine(settings.database_url)
        app.state.sessions = make_session_factory(engine)
    if app.state.client is None:
        app.state.client = await connect(settings)
    try:
        yield
    finally:
        if engine is not None:
            engine.dispose()
            app.state.sessions = None


def create_app(
    settings: Settings | None = None,
    *,
    client: Client | None = None,
    sessions: sessionmaker[Session] | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The API; pass ``client`` and ``sessions`` to use them instead of connecting in the lifespan,
    and ``clock`` (an async function answering a UTC instant) to replace the wall clock."""
    app = FastAPI(
        title="Hemtjänst – samverkan",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings or get_settings()
    app.state.client = client
    app.state.sessions = sessions
    app.state.clock = clock or system_clock
    app.state.profiles = load_all_profiles()
    errors.install(app)
    for module in (auth, cases, processes, tasks, orders, mailboxes, billing, codec, follow_ups):
        app.include_router(module.router)
    ui.install(app)
    openapi.install(app)
    return app


app = create_app()
