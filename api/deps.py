"""Shared FastAPI dependencies: settings, the one Temporal client, read-model sessions, profiles,
the clock.

Everything lives on ``app.state`` (set by ``create_app`` or its lifespan).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from runtime.settings import Settings
from workflows.profiles import Profile


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_client(request: Request) -> Client:
    client: Client | None = request.app.state.client
    if client is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Ingen anslutning till Temporal.")
    return client


def get_optional_client(request: Request) -> Client | None:
    """The Temporal client, or None where a page does without it (the read model's case page
    leaves out the forms that need a process's state)."""
    client: Client | None = request.app.state.client
    return client


def get_profiles(request: Request) -> dict[str, Profile]:
    profiles: dict[str, Profile] = request.app.state.profiles
    return profiles


Clock = Callable[[], Awaitable[datetime]]


async def system_clock() -> datetime:
    """The wall clock, as an aware UTC instant."""
    return datetime.now(UTC)


async def current_time(request: Request) -> datetime:
    """The API's one "now" (UTC instant): the wall clock, or the scenario clock a test binds
    through ``create_app(clock=...)``, so deadlines the API computes agree with the workflows'."""
    clock: Clock = request.app.state.clock
    return await clock()


def get_session(request: Request) -> Iterator[Session]:
    """A read-model session per request; the endpoint commits what it writes."""
    factory: sessionmaker[Session] | None = request.app.state.sessions
    if factory is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Läsmodellen är inte tillgänglig.")
    with factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[Client, Depends(get_client)]
OptionalClientDep = Annotated[Client | None, Depends(get_optional_client)]
ProfilesDep = Annotated[dict[str, Profile], Depends(get_profiles)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(current_time)]
