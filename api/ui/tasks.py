"""Mina uppgifter: the caller's tasks with a deadline, overdue first, then by due time.

Optional actions of a process (no deadline: "Eskalera", "Skicka beställningarna", HT-3's dialogue
with the homecoming team) are not tasks to be done by a time: they are done on the process page,
and the inbox lists them apart, collapsed, each with a link to its process (issue 10).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import NowDep, SessionDep
from api.schemas import InboxTaskOut
from api.ui import people
from api.ui.common import UiUser, render, ui_router
from readmodel import repository as repo

router = ui_router()


def deadline_first(tasks: list[InboxTaskOut]) -> list[InboxTaskOut]:
    """The tasks with a deadline, overdue first, then the soonest due (escalated optional actions
    stay: someone must act on them)."""
    with_deadline = [t for t in tasks if t.due_at is not None or t.escalated_to is not None]
    return sorted(with_deadline, key=lambda t: (not t.overdue, t.due_at is None, t.due_at or 0, t.task_id))


@router.get("/uppgifter", response_class=HTMLResponse)
async def inbox(request: Request, user: UiUser, session: SessionDep, now: NowDep) -> HTMLResponse:
    """Mina uppgifter: the caller's open tasks with a deadline (the query of GET /tasks), with the
    person and the due time in plain Swedish."""
    rows = repo.inbox(session, user, now)
    everything = [InboxTaskOut.model_validate(row).with_overdue(now) for row in rows]
    tasks = deadline_first(everything)
    with_deadline = {t.task_id for t in tasks}
    optional = sorted(
        (t for t in everything if t.task_id not in with_deadline), key=lambda t: (t.case_id, t.process_id)
    )
    return render(
        request,
        "inbox.html",
        user,
        tasks=tasks,
        optional=optional,
        people=people.case_facts(session, user, (t.case_id for t in everything)),
        now=now,
    )
