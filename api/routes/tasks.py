"""The caller's inbox: open tasks across processes, overdue first."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentUser
from api.deps import NowDep, SessionDep
from api.schemas import InboxTaskOut
from api.validation import READ_RESPONSES
from readmodel import repository as repo

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=READ_RESPONSES)


@router.get("")
async def inbox(
    user: CurrentUser,
    session: SessionDep,
    now: NowDep,
    overdue: bool | None = None,
    role: str | None = None,
    case_id: str | None = None,
) -> list[InboxTaskOut]:
    """Open tasks for the caller's role (and unit) or escalated to it; overdue first, then by due time."""
    rows = repo.inbox(session, user, now, overdue=overdue, role=role, case_id=case_id)
    return [InboxTaskOut.model_validate(row).with_overdue(now) for row in rows]
