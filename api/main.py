"""The FastAPI application: ``create_app()`` and the module-level ``app`` that uvicorn serves.

The lifespan connects ONE Temporal client (it is bound to the event loop it connected in) and
makes the read-model engine, unless ``create_app`` was given them, as tests do; those are usable
without running the lifespan. Profiles are loaded when the app is created, so a broken profile
file stops start-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api import errors, limits, observability, openapi, ui, validation
from api.auth import TOKEN_COOKIE
from api.deps import Clock, system_clock
from api.middleware import BodyLimit, OneIdempotencyKey, SameOrigin
from api.routes import (
    auth,
    billing,
    case_events,
    cases,
    codec,
    follow_ups,
    mailboxes,
    orders,
    processes,
    tasks,
)
from readmodel.database import make_session_factory
from readmodel.schema import open_read_model
from runtime.observability import configure_logging
from runtime.settings import Settings, get_settings
from runtime.temporal import connect
from workflows.profiles import load_all_profiles

DESCRIPTION = """Samverkan mellan biståndshandläggare och hemtjänstutförare, som varaktiga processer.

Identity: `Authorization: Bearer <JWT>` (claims `sub`, `name`, `role`, `org`, `municipality`).
Every time in responses is ISO 8601 with the Europe/Stockholm offset. Errors are `{"detail": ...}`
in Swedish: 400 missing or malformed `Idempotency-Key`, 401 no/invalid token, 403 role not allowed
(or a form posted from another site), 404 unknown or not visible, 409 action not open or process
closed or duplicate start, 413 body too large, 422 invalid input (a list of `{loc, msg, type}`
for field errors), 504 the process did not answer in time.

Send an `Idempotency-Key` (at most 255 printable ASCII characters) with every start and action:
one key means one caller, one target, one body. Limits: calendar years 2020–2060, text lengths
of the read model, free text at most 10 000 characters, lists at most 100 entries, a body at most
256 kB. See the README, "For integrators"."""


def _body_limit(path: str) -> int:
    """The largest body a path takes (bytes): the codec's payloads may be larger than any input."""
    return limits.MAX_CODEC_BODY_BYTES if path.startswith("/codec/") else limits.MAX_BODY_BYTES


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    configure_logging(settings)  # JSON lines with ids, also under a plain `uvicorn api.main:app`
    engine = None
    if app.state.sessions is None:
        # worker.py migrates the local default before the API starts; elsewhere it is a deployment step.
        engine = open_read_model(settings.database_url, migrate=False)
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
    # /docs and /redoc serve Swagger UI's and ReDoc's assets from the fastapi-offline package:
    # they work without internet (issue 6 §7).
    app = FastAPIOffline(
        title="Hemtjänst – samverkan",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(limits.check_params)],
    )
    app.state.settings = settings or get_settings()
    app.state.client = client
    app.state.sessions = sessions
    app.state.clock = clock or system_clock
    app.state.profiles = load_all_profiles()
    errors.install(app)
    validation.install(app)
    app.add_middleware(
        SameOrigin,
        cookie=TOKEN_COOKIE,
        trusted=lambda: app.state.settings.trusted_origins,
        exempt=("/auth/", "/codec/"),
    )
    app.add_middleware(OneIdempotencyKey)
    app.add_middleware(BodyLimit, limit_of=_body_limit)  # outermost: before anything reads the body
    for module in (auth, cases, case_events, processes, tasks, orders, mailboxes, billing, codec, follow_ups):
        app.include_router(module.router)
    ui.install(app)
    observability.install(app)
    openapi.install(app)
    return app


app = create_app()
