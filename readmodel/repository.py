"""Every read-model query the API makes, as a named function.

Functions take an open ``Session`` and never commit: the caller owns the transaction. Which cases
a caller may see is decided in one place, :func:`visible_cases`, and every list and lookup below
goes through it (FU-10: inner secrecy, a provider sees only its own cases).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from readmodel.models import (
    BillingNotice,
    Case,
    Decision,
    IdempotencyRecord,
    Message,
    Order,
    Process,
    ProcessUnit,
    Task,
)
from workflows.model import (
    BILLING,
    CASE_WORKER,
    DEPUTY_MANAGER,
    HOMECOMING_TEAM,
    ON_CALL_SUPERVISOR,
    PROVIDER,
    SENIOR_CASE_WORKER,
    SUPERVISOR,
)
from workflows.profiles import load_all_profiles

# Roles that see every case of their municipality (all cases when the token names none).
MUNICIPALITY_WIDE = (SENIOR_CASE_WORKER, SUPERVISOR, ON_CALL_SUPERVISOR)
# Roles that act for a unit (``org``) and see only the cases of that unit (DESIGN.md: a deputy
# manager only for its own unit's cases).
UNIT_ROLES = (PROVIDER, HOMECOMING_TEAM, DEPUTY_MANAGER)
# Roles that act for a unit and see, on any case, only the processes, tasks and orders of that unit.
UNIT_SCOPED = UNIT_ROLES


class Viewer(Protocol):
    """Who is asking: the claims of the caller's token that decide visibility."""

    @property
    def sub(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def org(self) -> str | None: ...
    @property
    def municipality(self) -> str | None: ...


# ``processes.unique_key`` of a running process of a type that allows one running per case
# (``ProcessWorkflow.ONE_RUNNING_PER_CASE``); cleared when the process completes or is aborted.
RUNNING_KEY = "running"
# ``processes.status``: running, completed (the workflow closed it), aborted (its workflow ended
# without closing it: terminated, failed, timed out, cancelled, or lost; api/abnormal_ends.py).
RUNNING = "running"
ABORTED = "aborted"

# The aliases of the visibility conditions' subqueries (aliased: the outer query may select the same
# table itself). Made once: building a fresh alias per request cost the API a third of its CPU per
# action (issue 9; SQLAlchemy adapts every column of a new alias), and a shared alias renders the
# same SQL. Each subquery has its own alias, so no two of them share one in a statement.
_SENT = aliased(Order)
_CONCERNED = aliased(Process)
_CONCERNED_UNIT = aliased(ProcessUnit)
_NOTICE = aliased(BillingNotice)
_TOLD = aliased(Message)
_OWN_UNIT = aliased(ProcessUnit)


# -- visibility ------------------------------------------------------------------------------


def visible_cases(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition on ``Case`` for the cases ``viewer`` may see (FU-10).

    - provider, homecoming team: cases whose provider is their unit, that have an order sent to
      their unit (homecoming team, alarm team, night district receive separate orders), or a
      process that concerns their unit (e.g. the chosen provider of a homecoming, who reads the
      announcement before the order moves); on such a case they see only what concerns them;
    - case worker: their own cases, and cases without a case worker in their municipality;
    - senior case worker, supervisor, on-call supervisor, deputy manager: the municipality's cases;
    - billing: cases with a billing notice (CAL-7) or a message in a billing mailbox (END-2: a
      death is told to billing), nothing else.
    """
    in_municipality = Case.municipality == viewer.municipality if viewer.municipality else true()
    if viewer.role in UNIT_ROLES:
        if not viewer.org:
            return false()
        sent, concerned, unit = _SENT, _CONCERNED, _CONCERNED_UNIT
        ordered = exists().where(sent.case_id == Case.id, sent.provider_id == viewer.org)
        concerning = exists().where(
            concerned.case_id == Case.id, unit.process_id == concerned.id, unit.unit == viewer.org
        )
        return or_(Case.provider_id == viewer.org, ordered, concerning)
    if viewer.role == CASE_WORKER:
        return or_(Case.case_worker_id == viewer.sub, and_(Case.case_worker_id.is_(None), in_municipality))
    if viewer.role in MUNICIPALITY_WIDE:
        return in_municipality
    if viewer.role == BILLING:
        notice, told = _NOTICE, _TOLD
        noticed = exists().where(notice.case_id == Case.id)
        messaged = exists().where(told.case_id == Case.id, told.mailbox.in_(billing_mailboxes()))
        return and_(or_(noticed, messaged), in_municipality)
    return false()


@functools.cache
def billing_mailboxes() -> tuple[str, ...]:
    """The billing mailboxes of every municipality profile (the API loads the same profiles)."""
    return tuple(sorted({p.mailboxes.billing for p in load_all_profiles().values()}))


def _own_orders(viewer: Viewer) -> ColumnElement[bool]:
    """A unit sees only the orders sent to it, even on a case it shares with another unit."""
    if viewer.role in UNIT_SCOPED:
        return Order.provider_id == viewer.org if viewer.org else false()
    return true()


def concerns_viewer(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition on ``Process`` for the processes that concern ``viewer`` (issue 6 §5,
    FU-10, issue 7): a unit sees only the processes whose unit set (``process_units``) names it,
    also on a case it shares with another unit; a process naming no unit (a case's follow-up
    cycle) is the case workers' alone."""
    if viewer.role not in UNIT_SCOPED:
        return true()
    if not viewer.org:
        return false()
    unit = _OWN_UNIT
    return exists().where(unit.process_id == Process.id, unit.unit == viewer.org)


# -- cases -----------------------------------------------------------------------------------


def list_cases(session: Session, viewer: Viewer) -> Sequence[Case]:
    return session.scalars(select(Case).where(visible_cases(viewer)).order_by(Case.created_at)).all()


def get_visible_case(session: Session, viewer: Viewer, case_id: str) -> Case | None:
    return session.scalars(select(Case).where(Case.id == case_id, visible_cases(viewer))).first()


@dataclass(frozen=True)
class UnitViewer:
    """A unit as a reader: what a coordinator of ``org`` would see (e.g. who reads its mailbox)."""

    org: str
    sub: str = ""
    role: str = PROVIDER
    municipality: str | None = None


def case_concerns_unit(session: Session, case_id: str, unit: str) -> bool:
    """The case is one the unit works with: its provider, an order sent to it, or a process that
    names it (the unit's own people see it, FU-10)."""
    return get_visible_case(session, UnitViewer(unit), case_id) is not None


def unit_in_use(session: Session, unit: str) -> bool:
    """Some case, order or process names the unit (a unit of a profile without a register)."""
    for query in (
        select(Case.id).where(Case.provider_id == unit),
        select(Order.id).where(Order.provider_id == unit),
        select(ProcessUnit.process_id).where(ProcessUnit.unit == unit),
    ):
        if session.scalars(query.limit(1)).first() is not None:
            return True
    return False


def get_case(session: Session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def add_case(session: Session, row: Case, decisions: Sequence[Decision]) -> None:
    session.add(row)
    session.flush()
    session.add_all(decisions)


def decisions_of_case(session: Session, case_id: str) -> Sequence[Decision]:
    return session.scalars(select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)).all()


def processes_of_case(session: Session, viewer: Viewer, case_id: str) -> Sequence[Process]:
    """The case's processes that concern ``viewer``, oldest first."""
    query = (
        select(Process)
        .join(Case, Case.id == Process.case_id)
        .where(Process.case_id == case_id, concerns_viewer(viewer))
        .order_by(Process.started_at, Process.id)
    )
    return session.scalars(query).all()


def orders_of_case(session: Session, viewer: Viewer, case_id: str) -> Sequence[Order]:
    """ORD-7: oldest first."""
    query = (
        select(Order).where(Order.case_id == case_id, _own_orders(viewer)).order_by(Order.sent_at, Order.id)
    )
    return session.scalars(query).all()


def orders_of_case_all(session: Session, case_id: str) -> Sequence[Order]:
    """Every order of the case, oldest first (for a starting process, not for a viewer)."""
    query = select(Order).where(Order.case_id == case_id).order_by(Order.sent_at, Order.id)
    return session.scalars(query).all()


def _tasks_concerning(viewer: Viewer) -> Select[Task]:
    """Tasks with their case and process, limited to the processes that concern ``viewer``."""
    return (
        select(Task)
        .join(Case, Case.id == Task.case_id)
        .outerjoin(Process, Process.id == Task.process_id)
        .where(concerns_viewer(viewer))
    )


def open_tasks_of_case(session: Session, viewer: Viewer, case_id: str) -> Sequence[Task]:
    """The case's open tasks of the processes that concern ``viewer``, soonest due first."""
    query = _tasks_concerning(viewer).where(Task.case_id == case_id, Task.status == "open")
    return session.scalars(query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)).all()


# -- processes -------------------------------------------------------------------------------


def get_process(session: Session, process_id: str) -> Process | None:
    return session.get(Process, process_id)


def get_visible_process(session: Session, viewer: Viewer, process_id: str) -> Process | None:
    query = select(Process).join(Case, Case.id == Process.case_id)
    condition = (Process.id == process_id, visible_cases(viewer), concerns_viewer(viewer))
    return session.scalars(query.where(*condition)).first()


def process_once_per_case(
    session: Session, case_id: str, process_type: str, unique_key: str
) -> Process | None:
    """The process of ``process_type`` the case already has for ``unique_key`` (e.g. UC-5's month)."""
    query = select(Process).where(
        Process.case_id == case_id, Process.type == process_type, Process.unique_key == unique_key
    )
    return session.scalars(query).first()


def process_numbers(session: Session, case_id: str) -> dict[str, tuple[str, int]]:
    """Every process of the case (visible to the caller or not) by id: its type and its number
    among the case's processes of that type, oldest first (``Beställning 2``; a process id's own
    number may be ``101``). Ids and numbers only, so a page can name a process a text mentions
    without showing anything of it."""
    query = select(Process.id, Process.type).where(Process.case_id == case_id)
    numbers: dict[str, tuple[str, int]] = {}
    counts: dict[str, int] = {}
    for process_id, process_type in session.execute(
        query.order_by(Process.started_at, Process.seq, Process.id)
    ):
        counts[process_type] = counts.get(process_type, 0) + 1
        numbers[process_id] = (process_type, counts[process_type])
    return numbers


def count_processes(session: Session, case_id: str, process_type: str) -> int:
    query = select(func.count()).select_from(Process)
    return session.scalar(query.where(Process.case_id == case_id, Process.type == process_type)) or 0


def max_process_seq(session: Session, case_id: str, process_type: str) -> int:
    """The highest number a process of the type has in the case (0 when none)."""
    query = select(func.max(Process.seq)).where(Process.case_id == case_id, Process.type == process_type)
    return session.scalar(query) or 0


def process_seq_taken(session: Session, case_id: str, process_type: str, seq: int) -> bool:
    query = select(Process.id).where(Process.case_id == case_id, Process.type == process_type)
    return session.scalars(query.where(Process.seq == seq)).first() is not None


def add_process(session: Session, row: Process) -> None:
    """Reserve a process id; the unique (case_id, type, seq) refuses a taken number on flush."""
    session.add(row)
    session.flush()


def delete_process(session: Session, process_id: str) -> None:
    session.execute(delete(ProcessUnit).where(ProcessUnit.process_id == process_id))
    row = session.get(Process, process_id)
    if row is not None:
        session.delete(row)


def abort_process(session: Session, process_id: str, outcome: str, at: datetime) -> bool:
    """Record that the process's workflow ended abnormally at ``at`` (``outcome`` says how), if
    its row still says running: it no longer holds what its type allows once per case (e.g. the
    one running extension), and its open tasks are closed. → whether the row was running."""
    row = session.get(Process, process_id, populate_existing=True)  # as it is now, not as loaded
    if row is None or row.status != RUNNING:
        return False
    row.status, row.outcome, row.closed_at, row.unique_key = ABORTED, outcome, at, None
    open_tasks = select(Task).where(Task.process_id == process_id, Task.status == "open")
    for task in session.scalars(open_tasks):
        task.status, task.closed_at = "cancelled", at
    return True


def units_of_process(session: Session, process_id: str) -> set[str]:
    """The units a process concerns."""
    query = select(ProcessUnit.unit).where(ProcessUnit.process_id == process_id)
    return set(session.scalars(query).all())


def add_process_units(session: Session, process_id: str, units: Iterable[str]) -> None:
    """Add the units not yet recorded for the process (the process row must exist)."""
    for unit in sorted(set(units) - units_of_process(session, process_id)):
        session.add(ProcessUnit(process_id=process_id, unit=unit))
    session.flush()


# -- tasks, orders, mailboxes, billing -------------------------------------------------------


def is_overdue(now: datetime) -> ColumnElement[bool]:
    return or_(Task.overdue.is_(True), and_(Task.due_at.is_not(None), Task.due_at < now))


def inbox(
    session: Session,
    viewer: Viewer,
    now: datetime,
    *,
    overdue: bool | None = None,
    role: str | None = None,
    case_id: str | None = None,
) -> Sequence[Task]:
    """The caller's open tasks on visible cases: their role's (and unit's) or escalated to their
    role; overdue first, then by due time."""
    own = and_(Task.role == viewer.role, or_(Task.org.is_(None), Task.org == viewer.org))
    query = _tasks_concerning(viewer).where(
        Task.status == "open", visible_cases(viewer), or_(own, Task.escalated_to == viewer.role)
    )
    if overdue is not None:
        query = query.where(is_overdue(now) if overdue else ~is_overdue(now))
    if role is not None:
        query = query.where(Task.role == role)
    if case_id is not None:
        query = query.where(Task.case_id == case_id)
    first_overdue = case((is_overdue(now), 0), else_=1)
    return session.scalars(query.order_by(first_overdue, Task.due_at.is_(None), Task.due_at, Task.id)).all()


def visible_orders(session: Session, viewer: Viewer, status: str | None = None) -> Sequence[Order]:
    """ORD-7: a provider executes new orders in date order, oldest first."""
    query = (
        select(Order).join(Case, Case.id == Order.case_id).where(visible_cases(viewer), _own_orders(viewer))
    )
    if status is not None:
        query = query.where(Order.status == status)
    return session.scalars(query.order_by(Order.sent_at, Order.id)).all()


def mailbox_messages(session: Session, viewer: Viewer, mailbox: str, limit: int = 200) -> Sequence[Message]:
    """A function mailbox's messages about cases the caller may see, newest first."""
    query = (
        select(Message)
        .join(Case, Case.id == Message.case_id)
        .where(Message.mailbox == mailbox, visible_cases(viewer))
        .order_by(Message.sent_at.desc(), Message.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def get_message(session: Session, key: str) -> Message | None:
    return session.get(Message, key)


def add_message(session: Session, row: Message) -> None:
    session.add(row)


def billing_notices(session: Session, viewer: Viewer) -> Sequence[BillingNotice]:
    query = select(BillingNotice).join(Case, Case.id == BillingNotice.case_id).where(visible_cases(viewer))
    return session.scalars(query.order_by(BillingNotice.registered_at.desc(), BillingNotice.id)).all()


# -- idempotency keys ------------------------------------------------------------------------


def get_idempotency_record(session: Session, scope: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, scope)


def add_idempotency_record(session: Session, row: IdempotencyRecord) -> None:
    """Store a key's first use; the primary key (its scope) refuses a second one on flush."""
    session.add(row)
    session.flush()


def delete_idempotency_record(session: Session, scope: str) -> None:
    row = session.get(IdempotencyRecord, scope)
    if row is not None:
        session.delete(row)
