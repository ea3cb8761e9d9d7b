"""The inbox: the caller's open tasks."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import NowDep, SessionDep
from api.schemas import InboxTaskOut
from api.ui.common import UiUser, render, ui_router
from readmodel import repository as repo

router = ui_router()


@router.get("/uppgifter", response_class=HTMLResponse)
async def inbox(request: Request, user: UiUser, session: SessionDep, now: NowDep) -> HTMLResponse:
    """The caller's open tasks (the query of GET /tasks), overdue first."""
    tasks = [InboxTaskOut.model_validate(row).with_overdue(now) for row in repo.inbox(session, user, now)]
    return render(request, "inbox.html", user, tasks=tasks)
