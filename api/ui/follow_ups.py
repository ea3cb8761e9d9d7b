"""The follow-up board page (FU-9): the same rows as GET /board."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from api.deps import NowDep, SessionDep
from api.routes.follow_ups import board_rows
from api.ui.common import UiUser, error_page, render, ui_router
from workflows import calendar
from workflows.model import CASE_WORKER, SENIOR_CASE_WORKER, SUPERVISOR

router = ui_router()

BOARD_STAGES = {
    "scheduled": "Schemalagd",
    "to_plan": "Att planera",
    "report_awaited": "Mall inväntas",
    "report_in": "Mall inkommen",
    "planned": "Planerad",
}


@router.get("/uppfoljningar", response_class=HTMLResponse)
async def board_page(
    request: Request, user: UiUser, session: SessionDep, now: NowDep, handlaggare: str | None = None
) -> HTMLResponse:
    """FU-9: the board, overdue first; a senior case worker may pick a case worker."""
    if user.role not in (CASE_WORKER, SENIOR_CASE_WORKER, SUPERVISOR):
        return error_page(request, user, HTTPException(403, "Uppföljningstavlan är till för handläggare."))
    try:
        rows = board_rows(user, session, calendar.local_date(now), handlaggare or None)
    except HTTPException as error:
        return error_page(request, user, error)
    return render(request, "board.html", user, rows=rows, stages=BOARD_STAGES, chosen=handlaggare or "")
