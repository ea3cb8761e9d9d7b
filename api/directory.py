"""The directory of people, kept by the API: every authenticated caller is remembered with the
name, role and unit of their token (issue 10 §1: other people read a name, not ``cw-anna``).

Cheap by design: each API process keeps the identities it has already written (by user id) and
writes again only when a token says something new (a changed name, role or unit). The write is
one upsert that also leaves an unchanged row alone, so API processes running side by side agree.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from api.errors import unprocessable
from readmodel import people
from workflows.model import CASE_WORKER, ROLE_LABELS

if TYPE_CHECKING:  # api.auth's dependency calls this module
    from api.auth import Principal

log = logging.getLogger(__name__)

# Identities written by this process, per app (its ``state``); bounded: a municipality's staff
# fits many times over, and a full cache only means one more upsert per request of the others.
CACHE_LIMIT = 50_000
_lock = threading.Lock()


def identity_of(user: Principal) -> people.Identity:
    return people.Identity(user.sub, user.name, user.role, user.org, user.municipality)


def _written(state: State) -> dict[str, people.Identity]:
    with _lock:
        cache: dict[str, people.Identity] | None = getattr(state, "people_written", None)
        if cache is None:
            cache = {}
            state.people_written = cache
        return cache


def remember(state: State, user: Principal) -> None:
    """Write ``user`` to the directory unless this process already wrote that very identity.

    A read model that cannot be written is logged and the request goes on: the directory only
    names people, and the request's own reads and writes report a broken database themselves."""
    sessions: sessionmaker[Session] | None = getattr(state, "sessions", None)
    if sessions is None:
        return
    who = identity_of(user)
    cache = _written(state)
    if cache.get(who.user_id) == who:
        return
    try:
        with sessions() as session:
            people.remember(session, who)
            session.commit()
    except SQLAlchemyError:
        log.warning("the directory of people could not be written", exc_info=False)
        return
    with _lock:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[who.user_id] = who


RESPONSIBLE = "case_worker_id"  # the responsible case worker of a case (registration, new case)


def check_case_worker(session: Session, body: dict[str, object]) -> None:
    """The responsible case worker a body names (``case_worker_id``) is no one the directory knows
    in another role: 422 at the field, in Swedish. An id nobody has used yet is accepted (a new
    colleague may not have logged in); the pages offer the known case workers by name."""
    user_id = body.get(RESPONSIBLE)
    if not isinstance(user_id, str) or not user_id:
        return
    who = people.identity(session, user_id)
    if who is None or who.role == CASE_WORKER:
        return
    role = ROLE_LABELS.get(who.role, who.role)
    message = f"{who.name or user_id} är {role}, inte biståndshandläggare"
    raise unprocessable([{"loc": [RESPONSIBLE], "msg": message, "type": "not_a_case_worker"}])
