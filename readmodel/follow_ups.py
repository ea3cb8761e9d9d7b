"""Read-model queries of the follow-up board and the committee's figures (FU-9).

Named functions over an open ``Session``; they never commit. Visibility goes through
``repository.visible_cases`` like every other list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from readmodel.models import Case, FollowUpEvent, FollowUpSchedule
from readmodel.repository import Viewer, visible_cases


def board(
    session: Session, viewer: Viewer, today: date, case_worker_id: str | None
) -> Sequence[tuple[FollowUpSchedule, Case]]:
    """FU-9: the running cycles of the cases of ``case_worker_id`` (all visible ones when None),
    overdue first (due before ``today``, a local date), then by due date."""
    overdue = case((FollowUpSchedule.next_due < today, 0), else_=1)
    query = (
        select(FollowUpSchedule, Case)
        .join(Case, Case.id == FollowUpSchedule.case_id)
        .where(FollowUpSchedule.status == "running", visible_cases(viewer))
    )
    if case_worker_id is not None:
        query = query.where(Case.case_worker_id == case_worker_id)
    order = (overdue, FollowUpSchedule.next_due.is_(None), FollowUpSchedule.next_due, Case.id)
    return [(schedule, case) for schedule, case in session.execute(query.order_by(*order))]


def held_follow_ups(
    session: Session, viewer: Viewer, first: date, last: date
) -> Sequence[tuple[date, date, str | None]]:
    """Follow-ups held (events with a held date) that were due between ``first`` and ``last``:
    (due_on, held_on, the case's case worker)."""
    query = (
        select(FollowUpEvent.due_on, FollowUpEvent.held_on, Case.case_worker_id)
        .join(Case, Case.id == FollowUpEvent.case_id)
        .where(
            FollowUpEvent.held_on.is_not(None),
            FollowUpEvent.due_on.is_not(None),
            FollowUpEvent.due_on.between(first, last),
            visible_cases(viewer),
        )
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def pending_follow_ups(
    session: Session, viewer: Viewer, first: date, last: date
) -> Sequence[tuple[date, str | None]]:
    """Follow-ups not yet held, due between ``first`` and ``last``: (due_on, case worker)."""
    query = (
        select(FollowUpSchedule.next_due, Case.case_worker_id)
        .join(Case, Case.id == FollowUpSchedule.case_id)
        .where(
            FollowUpSchedule.status == "running",
            FollowUpSchedule.next_due.between(first, last),
            visible_cases(viewer),
        )
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
