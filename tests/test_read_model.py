"""The read-model activities write idempotently, on SQLite and on PostgreSQL.

The same tests run against a fresh SQLite file and, when the server answers, against PostgreSQL
(``TEST_POSTGRES_URL``, default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each
PostgreSQL test gets a schema of its own that is dropped afterwards, so nothing is left behind
and the module can run any number of times, also next to other test runs on the same database.
The activity methods are plain synchronous methods, called directly without a worker.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from temporalio.exceptions import ApplicationError

from activities.read_model import READ_MODEL_REFUSED, ReadModelActivities
from activities.records import (
    BillingNoticeRecord,
    CaseAssignment,
    CaseRecord,
    DecisionRecord,
    FollowUpEventRecord,
    JournalRecord,
    MessageRecord,
    OrderRecord,
    ProcessRecord,
    TaskRecord,
)
from readmodel import models
from readmodel.database import make_engine, make_session_factory

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

CASE_ID = "case-1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@cache
def postgres_unreachable() -> str | None:
    """None when PostgreSQL answers, else the reason to skip."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means: skip, with the reason
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}: {first_line}"
    finally:
        engine.dispose()
    return None


@dataclass
class ReadModel:
    backend: str
    engine: Engine
    sessions: sessionmaker[Session]
    activities: ReadModelActivities

    def count(self, model: type[models.Base]) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def get(self, model: type[models.Base], key: str) -> Any:
        with self.sessions() as session:
            return session.get(model, key)


@contextmanager
def _sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodel.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _postgres() -> Iterator[Engine]:
    reason = postgres_unreachable()
    if reason is not None:
        pytest.fail(f"PostgreSQL is part of every machine and CI (DEVELOPERS.md): {reason}")
    schema = f"test_readmodel_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Every connection of the engine under test works inside the fresh schema only.
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine: Engine | None = None
    try:
        engine = make_engine(url.render_as_string(hide_password=False))
        yield engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def read_model(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModel]:
    backend = _sqlite(tmp_path) if request.param == "sqlite" else _postgres()
    with backend as engine:
        sessions = make_session_factory(engine)
        yield ReadModel(request.param, engine, sessions, ReadModelActivities(sessions))


@pytest.fixture
def with_case(read_model: ReadModel) -> ReadModel:
    """The read model with the case that messages, journal entries etc. refer to."""
    read_model.activities.record_case(case_record())
    return read_model


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; the activities write UTC, so read them as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --- records -------------------------------------------------------------------------------------


def case_record(**changes: Any) -> CaseRecord:
    record = CaseRecord(
        case_id=CASE_ID,
        person_name="Astrid Andersson",
        municipality="norrkoping",
        profile="norrkoping",
        created_at=T0,
        case_worker_id="cw-1",
        provider_id="hemtjanst-ost",
    )
    return replace(record, **changes)


def process_record(**changes: Any) -> ProcessRecord:
    record = ProcessRecord(
        process_id=f"{CASE_ID}/order/3",
        process_type="order",
        case_id=CASE_ID,
        stage="sent",
        status="running",
        started_at=T0,
    )
    return replace(record, **changes)


def task_record(**changes: Any) -> TaskRecord:
    record = TaskRecord(
        task_id=f"{CASE_ID}/order/3/confirm",
        process_id=f"{CASE_ID}/order/3",
        case_id=CASE_ID,
        action="confirm",
        role="provider",
        org="hemtjanst-ost",
        title="Bekräfta beställningen",
        due_at=T0 + timedelta(days=1),
        status="open",
        opened_at=T0,
    )
    return replace(record, **changes)


def message_record(**changes: Any) -> MessageRecord:
    record = MessageRecord(
        key=f"{CASE_ID}/urgent-change/1/notify",
        mailbox="case-workers",
        case_id=CASE_ID,
        subject="Akut förändring",
        body="Behovet har ökat.",
        sender="hemtjanst-ost",
        sent_at=T0,
        process_id=f"{CASE_ID}/urgent-change/1",
    )
    return replace(record, **changes)


def journal_record(**changes: Any) -> JournalRecord:
    record = JournalRecord(
        key=f"{CASE_ID}/order/3/journal/confirm",
        case_id=CASE_ID,
        journal="provider",
        author="Sam Samordnare",
        text="Beställningen bekräftad.",
        at=T0,
        process_id=f"{CASE_ID}/order/3",
    )
    return replace(record, **changes)


def billing_notice_record(**changes: Any) -> BillingNoticeRecord:
    record = BillingNoticeRecord(
        key=f"{CASE_ID}/time-adjustment/1/billing",
        case_id=CASE_ID,
        concerns=date(2026, 1, 20),
        deadline=datetime(2026, 2, 4, 22, 59, 59, tzinfo=UTC),
        registered_at=datetime(2026, 2, 6, 9, 0, tzinfo=UTC),
        text="Kontakta debiteringen.",
    )
    return replace(record, **changes)


def order_record(**changes: Any) -> OrderRecord:
    record = OrderRecord(
        order_id=f"{CASE_ID}/order/3",
        case_id=CASE_ID,
        provider_id="hemtjanst-ost",
        sent_at=T0,
        start_date=date(2026, 3, 4),
        items=[{"service": "cleaning", "minutes": 60}],
    )
    return replace(record, **changes)


def decision_record(**changes: Any) -> DecisionRecord:
    record = DecisionRecord(
        decision_id=f"{CASE_ID}/decision/1",
        case_id=CASE_ID,
        kind="service",
        services=["cleaning"],
        start_date=date(2026, 3, 4),
    )
    return replace(record, **changes)


def follow_up_event_record(**changes: Any) -> FollowUpEventRecord:
    record = FollowUpEventRecord(
        key=f"{CASE_ID}/follow-up/1/event",
        case_id=CASE_ID,
        text="Uppföljning planerad.",
        due_on=date(2026, 5, 4),
    )
    return replace(record, **changes)


@dataclass(frozen=True)
class Upsert:
    """One keyed activity: how to build its record, a change, and how to read the change back."""

    method: str
    model: type[models.Base]
    key: str
    record: Callable[..., Any]
    change: dict[str, Any]

    def call(self, read_model: ReadModel, record: Any) -> None:
        getattr(read_model.activities, self.method)(record)


UPSERTS = [
    Upsert(
        "record_task",
        models.Task,
        f"{CASE_ID}/order/3/confirm",
        task_record,
        {"status": "done", "closed_by": "sam", "closed_at": T0 + timedelta(hours=3)},
    ),
    Upsert(
        "post_message",
        models.Message,
        f"{CASE_ID}/urgent-change/1/notify",
        message_record,
        {"subject": "Akut förändring (rättad)", "body": "Behovet kvarstår."},
    ),
    Upsert(
        "write_journal",
        models.JournalEntry,
        f"{CASE_ID}/order/3/journal/confirm",
        journal_record,
        {"text": "Beställningen bekräftad per telefon."},
    ),
    Upsert(
        "raise_billing_notice",
        models.BillingNotice,
        f"{CASE_ID}/time-adjustment/1/billing",
        billing_notice_record,
        {"registered_at": datetime(2026, 2, 7, 9, 0, tzinfo=UTC), "text": "Sent registrerad."},
    ),
    Upsert(
        "record_order",
        models.Order,
        f"{CASE_ID}/order/3",
        order_record,
        {"status": "executed", "execution_date": date(2026, 3, 5)},
    ),
    Upsert(
        "record_decision",
        models.Decision,
        f"{CASE_ID}/decision/1",
        decision_record,
        {"status": "ended", "end_date": date(2026, 6, 30)},
    ),
    Upsert(
        "record_follow_up_event",
        models.FollowUpEvent,
        f"{CASE_ID}/follow-up/1/event",
        follow_up_event_record,
        {"held_on": date(2026, 5, 5), "text": "Uppföljning genomförd."},
    ),
    Upsert(
        "record_process",
        models.Process,
        f"{CASE_ID}/order/3",
        process_record,
        {"stage": "confirmed", "status": "completed", "outcome": "executed", "closed_at": T0},
    ),
]


def assert_row_has(row: Any, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        actual = getattr(row, name)
        if isinstance(actual, datetime):
            actual = as_utc(actual)
        assert actual == value, name


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("upsert", UPSERTS, ids=[u.method for u in UPSERTS])
def test_an_activity_retried_with_the_same_record_leaves_exactly_one_row(
    with_case: ReadModel, upsert: Upsert
) -> None:
    record = upsert.record()
    upsert.call(with_case, record)
    upsert.call(with_case, record)
    assert with_case.count(upsert.model) == 1
    assert with_case.get(upsert.model, upsert.key) is not None


@pytest.mark.parametrize("upsert", UPSERTS, ids=[u.method for u in UPSERTS])
def test_a_changed_record_for_the_same_key_updates_the_row(with_case: ReadModel, upsert: Upsert) -> None:
    upsert.call(with_case, upsert.record())
    upsert.call(with_case, upsert.record(**upsert.change))
    assert with_case.count(upsert.model) == 1
    assert_row_has(with_case.get(upsert.model, upsert.key), upsert.change)


def test_record_case_called_twice_leaves_one_case(read_model: ReadModel) -> None:
    read_model.activities.record_case(case_record())
    read_model.activities.record_case(case_record())
    assert read_model.count(models.Case) == 1
    row = read_model.get(models.Case, CASE_ID)
    assert row.person_name == "Astrid Andersson"
    assert row.municipality == "norrkoping"
    assert as_utc(row.created_at) == T0
    assert row.closed_at is None


def test_record_case_does_not_overwrite_an_existing_case(read_model: ReadModel) -> None:
    read_model.activities.record_case(case_record())
    read_model.activities.record_case(
        case_record(person_name="Someone Else", provider_id="other", case_worker_id="cw-2")
    )
    assert read_model.count(models.Case) == 1
    row = read_model.get(models.Case, CASE_ID)
    assert row.person_name == "Astrid Andersson"
    assert row.provider_id == "hemtjanst-ost"
    assert row.case_worker_id == "cw-1"


def test_NEW_1_assigning_the_case_worker_who_took_over_is_idempotent(read_model: ReadModel) -> None:
    """NEW-1: after the take-over the case is the taking case worker's; a retried write is harmless."""
    read_model.activities.record_case(case_record(case_worker_id=None))
    assignment = CaseAssignment(case_id=CASE_ID, case_worker_id="cw-2")
    read_model.activities.assign_case_worker(assignment)
    read_model.activities.assign_case_worker(assignment)
    assert read_model.count(models.Case) == 1
    assert read_model.get(models.Case, CASE_ID).case_worker_id == "cw-2"


def test_record_process_for_an_unknown_process_creates_it_with_seq_from_the_id(
    with_case: ReadModel,
) -> None:
    with_case.activities.record_process(process_record())
    row = with_case.get(models.Process, "case-1/order/3")
    assert row.seq == 3
    assert row.type == "order"
    assert row.case_id == CASE_ID
    assert row.stage == "sent"
    assert row.status == "running"
    assert as_utc(row.started_at) == T0
    assert row.closed_at is None


def test_record_process_with_no_number_at_the_end_of_the_id_gets_seq_1(
    with_case: ReadModel,
) -> None:
    with_case.activities.record_process(
        process_record(process_id=f"{CASE_ID}/homecoming", process_type="homecoming")
    )
    assert with_case.get(models.Process, f"{CASE_ID}/homecoming").seq == 1


def test_record_process_keeps_the_start_time_and_seq_of_an_existing_process(
    with_case: ReadModel,
) -> None:
    with_case.activities.record_process(process_record())
    later = T0 + timedelta(days=2)
    with_case.activities.record_process(process_record(stage="executed", started_at=later))
    row = with_case.get(models.Process, "case-1/order/3")
    assert row.stage == "executed"
    assert as_utc(row.started_at) == T0
    assert row.seq == 3
    assert with_case.count(models.Process) == 1


def test_two_processes_of_one_case_are_two_rows(with_case: ReadModel) -> None:
    with_case.activities.record_process(process_record())
    with_case.activities.record_process(process_record(process_id=f"{CASE_ID}/order/4"))
    assert with_case.count(models.Process) == 2
    assert with_case.get(models.Process, f"{CASE_ID}/order/4").seq == 4


def test_different_keys_are_different_rows(with_case: ReadModel) -> None:
    with_case.activities.post_message(message_record())
    with_case.activities.post_message(message_record(key=f"{CASE_ID}/urgent-change/1/respond"))
    with_case.activities.post_message(message_record())
    assert with_case.count(models.Message) == 2


def test_a_message_about_an_unknown_case_is_refused_by_the_foreign_key(
    read_model: ReadModel,
) -> None:
    """COM-2: a mailbox message is always about an existing case; retrying cannot fix that, so the
    refusal is non-retryable (issue 6 §2.3)."""
    with pytest.raises(ApplicationError) as refused:
        read_model.activities.post_message(message_record(case_id="case-unknown"))
    assert (refused.value.type, refused.value.non_retryable) == (READ_MODEL_REFUSED, True)
    assert read_model.count(models.Message) == 0


def test_the_schema_can_be_created_again_on_the_same_database(read_model: ReadModel) -> None:
    """make_engine runs create_all at every start; a second start must not fail or lose rows."""
    read_model.activities.record_case(case_record())
    models.Base.metadata.create_all(read_model.engine)
    assert read_model.count(models.Case) == 1


def test_an_instant_with_a_stockholm_offset_reads_back_as_the_same_instant(
    request: pytest.FixtureRequest, with_case: ReadModel
) -> None:
    """CAL-2: instants are stored in UTC; an ``occurred_at`` written as 10:00+01:00 is 09:00Z."""
    confirmed = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    with_case.activities.record_order(order_record(confirmed_at=confirmed))
    row = with_case.get(models.Order, f"{CASE_ID}/order/3")
    assert as_utc(row.confirmed_at) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
