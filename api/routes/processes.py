"""Processes: start one, read its state and history, perform its actions.

The work is done in ``api.services``, which the HTML forms (``api.ui``) call too. Process ids
contain slashes (``case-<id>/order/1``), so the ``/history`` and ``/actions/...`` routes are
declared before the bare ``/{process_id:path}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from api import services
from api.auth import CurrentUser
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.idempotency import KeyHeader
from api.schemas import HistoryEntryOut, HistoryOut, ProcessStateOut
from api.validation import PROCESS_WRITE_RESPONSES, READ_RESPONSES
from workflows import calendar

router = APIRouter(prefix="/processes", tags=["processes"], responses=READ_RESPONSES)

START_EXAMPLE = {
    "type": "order",
    "case_id": "c-0123456789ab",
    "start_date": "2026-12-01",
    "items": [{"name": "Personlig omvårdnad", "kind": "care"}],
    "other": "Nyckel finns hos grannen.",
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=PROCESS_WRITE_RESPONSES)
async def start_process(
    user: CurrentUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
    response: Response,
    body: Annotated[dict[str, Any], Body(examples=[START_EXAMPLE])],
    idempotency_key: KeyHeader = None,
) -> ProcessStateOut:
    """Start a process: `type`, `case_id` and the fields of the type's start request → its state."""
    state, created = await services.start_process(
        session, client, settings, profiles, user, body, idempotency_key, now
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return state


@router.get("/{process_id:path}/history")
async def get_history(
    process_id: str, user: CurrentUser, session: SessionDep, client: ClientDep, settings: SettingsDep
) -> HistoryOut:
    """The process's history as a readable timeline in Swedish: time, actor, what happened."""
    row = services.visible_process(session, user, process_id)
    state = await services.process_state(session, client, row, settings)
    entries = [
        HistoryEntryOut(at=e.at, when=f"{calendar.local(e.at):%Y-%m-%d %H:%M}", actor=e.actor, text=e.text)
        # In the order things happened: an action accepted in a race may be carried out after one
        # that happened later.
        for e in sorted(state.timeline, key=lambda entry: entry.at)
    ]
    return HistoryOut(process_id=state.process_id, type=state.type, case_id=state.case_id, entries=entries)


@router.post("/{process_id:path}/actions/{action}", responses=PROCESS_WRITE_RESPONSES)
async def perform_action(
    process_id: str,
    action: str,
    user: CurrentUser,
    session: SessionDep,
    client: ClientDep,
    now: NowDep,
    settings: SettingsDep,
    body: Annotated[dict[str, Any] | None, Body(examples=[{"note": "Planering startad"}])] = None,
    idempotency_key: KeyHeader = None,
) -> ProcessStateOut:
    """Perform an action of the process (fields per action, `occurred_at` optional) → the new state."""
    return await services.perform_action(
        session, client, user, process_id, action, body or {}, idempotency_key, now, settings
    )


@router.get("/{process_id:path}")
async def get_process(
    process_id: str, user: CurrentUser, session: SessionDep, client: ClientDep, settings: SettingsDep
) -> ProcessStateOut:
    """The process's state: stage, open tasks with deadlines, deviations, outcome; status "failing"
    (with the read model's state) when the process does not answer."""
    row = services.visible_process(session, user, process_id)
    return await services.process_state(session, client, row, settings)
