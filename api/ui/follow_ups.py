"""The follow-up board page (FU-9, the rows of GET /board) and the committee's figures as a page
with a chart of follow-ups on time per month (the figures of GET /reports/follow-ups)."""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from api.deps import NowDep, SessionDep
from api.routes.follow_ups import board_rows, figures
from api.ui import choices, people, when
from api.ui.charts import SERIES, MonthBar, bar_chart
from api.ui.common import UiUser, error_page, render, ui_router
from readmodel import follow_ups as queries
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
MONTHS_SHOWN = 12
BOARD_READERS = "Uppföljningstavlan är till för biståndshandläggare."
FIGURES_READERS = "Statistiken är till för förste biståndshandläggare och tillsyn."


@router.get("/uppfoljningar", response_class=HTMLResponse)
async def board_page(
    request: Request, user: UiUser, session: SessionDep, now: NowDep, handlaggare: str | None = None
) -> HTMLResponse:
    """FU-9: the board, overdue first; a senior case worker may pick a case worker."""
    if user.role not in (CASE_WORKER, SENIOR_CASE_WORKER, SUPERVISOR):
        return error_page(request, user, HTTPException(403, BOARD_READERS))
    try:
        rows = board_rows(user, session, calendar.local_date(now), handlaggare or None)
    except HTTPException as error:
        return error_page(request, user, error)
    known = people.names(session, [*(row.case_worker_id for row in rows), handlaggare])
    return render(
        request,
        "board.html",
        user,
        rows=rows,
        stages=BOARD_STAGES,
        chosen=handlaggare or "",
        case_workers={row.case_worker_id: people.person_ref(row.case_worker_id, user, known) for row in rows},
        choices=case_worker_choices(session, user, handlaggare, known),
    )


def case_worker_choices(
    session: SessionDep, user: UiUser, chosen: str | None, known: dict[str, str]
) -> list[tuple[str, str]]:
    """The board's filter: every case worker the directory knows (of the caller's municipality
    when the token names one), by name; a chosen id nobody knows stays choosable by its id."""
    found = [(who.user_id, who.name) for who in choices.case_workers(session, user)]
    if chosen and chosen not in {user_id for user_id, _ in found}:
        found.append((chosen, str(people.person_ref(chosen, user, known))))
    return [("", "Alla handläggare"), *found]


def _first_of_month(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def month_bars(session: SessionDep, user: UiUser, today: date) -> list[MonthBar]:
    """The last twelve months (this one included), summed over case workers."""
    start = _first_of_month(today, MONTHS_SHOWN - 1)
    end = _first_of_month(today, -1)
    rows = figures(
        queries.held_follow_ups(session, user, start, end),
        queries.pending_follow_ups(session, user, start, end),
        today,
    )
    bars = []
    for back in range(MONTHS_SHOWN - 1, -1, -1):
        first = _first_of_month(today, back)
        month = [r for r in rows if r.month == f"{first:%Y-%m}"]
        on_time = sum(r.done_on_time for r in month)
        late = sum(r.done_late for r in month)
        overdue = sum(r.still_overdue for r in month)
        due = sum(r.due for r in month)
        bars.append(MonthBar(when.month(first), on_time, late, overdue, due - on_time - late - overdue))
    return bars


@router.get("/uppfoljningar/statistik", response_class=HTMLResponse)
async def figures_page(request: Request, user: UiUser, session: SessionDep, now: NowDep) -> HTMLResponse:
    """The committee's figures: follow-ups due per month, held on time, late and still overdue."""
    if user.role not in (SENIOR_CASE_WORKER, SUPERVISOR):
        return error_page(request, user, HTTPException(403, FIGURES_READERS))
    bars = month_bars(session, user, calendar.local_date(now))
    chart = Markup(bar_chart(bars, "Uppföljningar per månad: i tid, sent, försenade och ej förfallna"))
    return render(request, "figures.html", user, bars=bars, chart=chart, series=SERIES)
