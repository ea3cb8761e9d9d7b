"""SQLAlchemy 2.0 models of the read model.

Rows written by activities have deterministic primary keys (workflow id + step), so a retried
activity updates the same row instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """CAL-2: every instant is stored in UTC and read back aware.

    SQLite keeps no offset, so without this an instant written as 10:00+01:00 would read back as
    a naive 10:00 on SQLite but as 09:00Z on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant must carry its offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(64), index=True)
    profile: Mapped[str] = mapped_column(String(64))
    case_worker_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    # END-2: the moment the case was closed by a death, and the date of death (a process of the
    # case that starts afterwards ends itself with its orders ending that date).
    closed_at: Mapped[datetime | None]
    died_on: Mapped[date | None] = mapped_column(Date)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # care, service, safety_alarm, hsl, ...
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), default="active")
    process_id: Mapped[str | None] = mapped_column(String(200))


class Process(Base):
    __tablename__ = "processes"
    # unique_key: what a process type allows once per case (UC-5: one extra-visits per month);
    # NULL for types without one (NULLs never collide).
    __table_args__ = (
        UniqueConstraint("case_id", "type", "seq"),
        UniqueConstraint("case_id", "type", "unique_key", name="uq_processes_once_per_case"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(64), default="started")
    status: Mapped[str] = mapped_column(String(16), default="running")
    outcome: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # the key's scope hash
    # The unit the process itself works for (e.g. an order's receiver); who may see the process
    # is ``process_units``.
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    unique_key: Mapped[str | None] = mapped_column(String(64))


class ProcessUnit(Base):
    """A unit (provider, homecoming team, ...) that a process concerns (issue 6 §5, issue 7 "who
    sees what"): a unit-scoped viewer sees a process, its tasks and history only with a row here.
    A homecoming process concerns the team and the chosen provider; a case's follow-up cycle none.
    Written at the start by the API and by the workflow (``ProcessRecord.units``) when a unit joins;
    rows are never removed (a unit that took part keeps reading what it did)."""

    __tablename__ = "process_units"

    process_id: Mapped[str] = mapped_column(ForeignKey("processes.id"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the order process id
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime]
    start_date: Mapped[date] = mapped_column(Date)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    other: Mapped[str] = mapped_column(Text, default="")  # COM-4: "övrigt"
    status: Mapped[str] = mapped_column(String(32), default="sent")
    confirmed_at: Mapped[datetime | None]
    execution_date: Mapped[date | None] = mapped_column(Date)
    care_plan_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(250), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32), index=True)
    org: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_to: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))


class Message(Base):
    """A message in a function mailbox (COM-2): always about exactly one case."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(100), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str | None] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    journal: Mapped[str] = mapped_column(String(16))  # authority | provider
    process_id: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class FollowUpEvent(Base):
    __tablename__ = "follow_up_events"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[str | None] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    process_id: Mapped[str | None] = mapped_column(String(200))


class BillingNotice(Base):
    """CAL-7 / END-4: a change registered after the 4th of the following month."""

    __tablename__ = "billing_notices"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    process_id: Mapped[str | None] = mapped_column(String(200))
    concerns: Mapped[date] = mapped_column(Date)
    deadline: Mapped[datetime]
    registered_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class IdempotencyRecord(Base):
    """An Idempotency-Key as used (DESIGN.md: one caller, one target, one body).

    ``scope`` is the SHA-256 of (caller, target, key), so a key means something only for the
    caller who sent it and the resource it was sent to; ``fingerprint`` is the SHA-256 of the
    method, path and body of the first request, so a repeat with another action or body is told
    apart (422); ``resource_id`` is what the first request created or acted on.
    """

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class FollowUpSchedule(Base):
    """FU-9: one row per case with a follow-up cycle, the board's row; written by the cycle (due
    date, last follow-up, the running follow-up) and by the follow-up process (its stage)."""

    __tablename__ = "follow_up_schedules"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(200))
    next_due: Mapped[date | None] = mapped_column(Date, index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    last_follow_up: Mapped[date | None] = mapped_column(Date)
    follow_up_process_id: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(32), default="scheduled")
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ended
    updated_at: Mapped[datetime]


class Person(Base):
    """Someone the system has seen (issue 10 §1: people, not ids): the name and role behind a user
    id, written when an authenticated caller uses the API or the pages (``api.directory``), so
    other people read "Anna Lindgren" where a row holds ``cw-anna``. Only the latest identity is
    kept; a user id nobody has seen has no row and is shown as it is."""

    __tablename__ = "people"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    org: Mapped[str | None] = mapped_column(String(64))
    municipality: Mapped[str | None] = mapped_column(String(64))
