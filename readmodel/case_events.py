"""Read-model queries of case-level events (END-2): what of a case is still running or open.

Named functions over an open ``Session``; they never commit. They are not limited to what the
caller sees: a death reported by one side ends every process and order of the case, also those
of another unit (the caller's right to report on the case is checked before).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from readmodel.models import Order, Process


def running_processes(session: Session, case_id: str) -> Sequence[Process]:
    """The case's processes whose read-model status is running, oldest first."""
    query = select(Process).where(Process.case_id == case_id, Process.status == "running")
    return session.scalars(query.order_by(Process.started_at, Process.id)).all()


def open_orders(session: Session, case_id: str) -> Sequence[Order]:
    """The case's orders that have not ended, oldest first (ORD-7)."""
    query = select(Order).where(Order.case_id == case_id, Order.ended_on.is_(None))
    return session.scalars(query.order_by(Order.sent_at, Order.id)).all()
