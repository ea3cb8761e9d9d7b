"""The follow-up board (FU-9) and the committee's follow-up figures."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import Principal, require_roles
from api.deps import NowDep, SessionDep
from api.errors import unprocessable
from api.validation import READ_RESPONSES
from readmodel import follow_ups as queries
from workflows import calendar
from workflows.model import CASE_WORKER, SENIOR_CASE_WORKER, SUPERVISOR

router = APIRouter(tags=["follow-ups"], responses=READ_RESPONSES)

BoardReader = Annotated[Principal, Depends(require_roles(CASE_WORKER, SENIOR_CASE_WORKER, SUPERVISOR))]
ReportReader = Annotated[Principal, Depends(require_roles(SENIOR_CASE_WORKER, SUPERVISOR))]
MAX_REPORT_DAYS = 5 * 366


class BoardRowOut(BaseModel):
    """One case on the board: when its next follow-up is due and how far it has come."""

    case_id: str
    person_name: str
    case_worker_id: str | None
    next_due: date | None
    reason: str | None
    stage: str  # scheduled | to_plan | report_awaited | report_in | planned
    overdue: bool
    last_follow_up: date | None
    follow_up_process_id: str | None


class FiguresOut(BaseModel):
    """Per month (of the due date) and case worker: follow-ups due, done on time, done late, and
    still overdue (not held and past the due date)."""

    month: str  # "2027-01"
    case_worker_id: str | None
    due: int
    done_on_time: int
    done_late: int
    still_overdue: int


def board_rows(
    user: Principal, session: SessionDep, today: date, case_worker_id: str | None
) -> list[BoardRowOut]:
    """The board of ``case_worker_id``; a case worker sees only their own (403 otherwise)."""
    if user.role == CASE_WORKER:
        if case_worker_id not in (None, user.sub):
            raise _forbidden()
        case_worker_id = user.sub
    rows = queries.board(session, user, today, case_worker_id)
    return [
        BoardRowOut(
            case_id=case.id,
            person_name=case.person_name,
            case_worker_id=case.case_worker_id,
            next_due=row.next_due,
            reason=row.reason,
            stage=row.stage,
            overdue=row.next_due is not None and row.next_due < today,
            last_follow_up=row.last_follow_up,
            follow_up_process_id=row.follow_up_process_id,
        )
        for row, case in rows
    ]


def _forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, "En handläggare ser bara sin egen uppföljningstavla.")


@router.get("/board")
async def get_board(
    user: BoardReader,
    session: SessionDep,
    now: NowDep,
    case_worker_id: str | None = Query(default=None, max_length=64),
) -> list[BoardRowOut]:
    """FU-9: the caller's cases with the next follow-up due, overdue first (a senior case worker:
    any case worker's, or all)."""
    return board_rows(user, session, calendar.local_date(now), case_worker_id)


def figures(
    held: Iterable[tuple[date, date, str | None]], pending: Iterable[tuple[date, str | None]], today: date
) -> list[FiguresOut]:
    """The committee's figures from held follow-ups (due, held) and pending ones (due)."""
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for due_on, held_on, worker in held:
        row = counts[(f"{due_on:%Y-%m}", worker)]
        row[0] += 1
        row[1 if held_on <= due_on else 2] += 1
    for due_on, worker in pending:
        row = counts[(f"{due_on:%Y-%m}", worker)]
        row[0] += 1
        row[3] += due_on < today
    return [
        FiguresOut(month=m, case_worker_id=w, due=c[0], done_on_time=c[1], done_late=c[2], still_overdue=c[3])
        for (m, w), c in sorted(counts.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]


@router.get("/reports/follow-ups", response_model=list[FiguresOut])
async def follow_up_report(
    user: ReportReader,
    session: SessionDep,
    now: NowDep,
    from_: Annotated[date, Query(alias="from")],
    to: date,
    format: Literal["json", "csv"] = "json",
) -> Response | list[FiguresOut]:
    """Follow-ups due, done on time, done late and still overdue, per month and case worker
    (``format=csv`` for a CSV download)."""
    outside = from_.year not in calendar.YEARS or to.year not in calendar.YEARS  # both ends, 2020-2060
    if to < from_ or (to - from_).days > MAX_REPORT_DAYS or outside:
        raise unprocessable("Ange en period där from ligger före to, högst fem år, åren 2020-2060.")
    today = calendar.local_date(now)
    rows = figures(
        queries.held_follow_ups(session, user, from_, to),
        queries.pending_follow_ups(session, user, from_, to),
        today,
    )
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["manad", "handlaggare", "forfallna", "i_tid", "sent", "fortfarande_forsenade"])
    for r in rows:
        writer.writerow(
            [r.month, r.case_worker_id or "", r.due, r.done_on_time, r.done_late, r.still_overdue]
        )
    name = f"uppfoljningar-{from_}-{to}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
