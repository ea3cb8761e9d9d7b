"""Helpers of the engine tests (issue 6): process inputs, read models on SQLite and PostgreSQL,
driving workflows directly (bypassing the API edge, so the workflow's own defence is shown)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from readmodel import models
from readmodel.database import make_session_factory
from tests.support import CASE_WORKER, PROVIDER, add_case, profile
from tests.test_read_model import _postgres, _sqlite
from workflows.io.extra_visits import ExtraVisitsInput
from workflows.io.new_urgent_case import NewUrgentCaseInput
from workflows.io.order import OrderInput
from workflows.io.urgent_change import UrgentChangeInput
from workflows.model import Action, ProcessState
from workflows.rules.order import ServiceItem

BACKENDS = ["sqlite", "postgresql"]
Handle = WorkflowHandle[Any, ProcessState]
CARE = [ServiceItem(name="Personlig omvårdnad", kind="care")]
CLEANING = [ServiceItem(name="Städning", kind="service")]


@contextmanager
def read_model(backend: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh read model on ``backend`` (a schema of its own on PostgreSQL, dropped afterwards)."""
    with _sqlite(tmp_path) if backend == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


def new_case(sessions: sessionmaker[Session], name: str) -> str:
    case_id = f"{name}-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    return case_id


def order_input(case_id: str, sent_at: datetime, start_date: date, **changes: Any) -> OrderInput:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "profile": profile(),
        "provider_id": "hemtjanst-nord",
        "sent_by": CASE_WORKER,
        "start_date": start_date,
        "items": CARE,
        "sent_at": sent_at,
        "case_worker_id": "cw-anna",
    }
    return OrderInput(**(fields | changes))


def urgent_change_input(case_id: str, started_at: datetime, kind: str = "lasting") -> UrgentChangeInput:
    return UrgentChangeInput(
        case_id=case_id,
        profile=profile(),
        provider_id="hemtjanst-nord",
        reported_by=PROVIDER,
        kind=kind,  # type: ignore[arg-type]
        started_at=started_at,
        description="Behöver hjälp till toaletten nattetid.",
        case_worker_id="cw-anna",
    )


def new_urgent_case_input(case_id: str, reported_at: datetime, **changes: Any) -> NewUrgentCaseInput:
    fields: dict[str, Any] = {
        "case_id": case_id,
        "profile": profile(),
        "person_name": "Greta Testsson",
        "started_by": CASE_WORKER,
        "provider_id": "hemtjanst-nord",
        "reported_at": reported_at,
        "case_worker_id": "cw-anna",
    }
    return NewUrgentCaseInput(**(fields | changes))


def extra_visits_input(case_id: str, month: str) -> ExtraVisitsInput:
    return ExtraVisitsInput(
        case_id=case_id,
        profile=profile(),
        provider_id="hemtjanst-nord",
        month=month,
        started_by=PROVIDER,
        case_worker_id="cw-anna",
    )


async def act(handle: Handle, name: str, action: Action) -> ProcessState:
    state: ProcessState = await handle.execute_update(
        name, action, id=str(uuid.uuid4()), result_type=ProcessState
    )
    return state


async def rejection(handle: Handle, name: str, action: Action) -> ApplicationError:
    """The ApplicationError a rejected (or not carried out) action answers with."""
    try:
        await act(handle, name, action)
    except WorkflowUpdateFailedError as error:
        assert isinstance(error.cause, ApplicationError), error.cause
        return error.cause
    raise AssertionError(f"{name} was accepted")


def rows(sessions: sessionmaker[Session], model: type[Any], **where: Any) -> list[Any]:
    with sessions() as session:
        query = select(model).filter_by(**where)
        return list(session.scalars(query).all())


def open_task_rows(sessions: sessionmaker[Session], process_id: str) -> list[models.Task]:
    return rows(sessions, models.Task, process_id=process_id, status="open")
