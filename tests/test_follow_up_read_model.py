"""The follow-up board's read model on SQLite and PostgreSQL (FU-9): the cycle's activities write
the board row idempotently, the follow-up's stage lands only on its own row, and the board and the
committee's figures read it back, overdue first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from activities.follow_up import FollowUpActivities
from activities.records import (
    DecisionEnd,
    DecisionRecord,
    FollowUpEventRecord,
    FollowUpStage,
    ProcessRecord,
    ScheduleRecord,
)
from api.routes.follow_ups import figures
from readmodel import follow_ups as queries
from readmodel import models
from tests import test_read_model
from tests.test_read_model import CASE_ID, T0, ReadModel, case_record

# The SQLite + PostgreSQL fixtures of the read-model tests (a fresh schema per test).
read_model = test_read_model.read_model
with_case = test_read_model.with_case


@dataclass(frozen=True)
class CaseWorker:
    sub: str = "cw-1"
    role: str = "case_worker"
    org: str | None = None
    municipality: str | None = "norrkoping"


def schedule(**changes: object) -> ScheduleRecord:
    fields: dict[str, object] = {
        "case_id": CASE_ID,
        "cycle_id": f"case-{CASE_ID}/follow-up-cycle",
        "next_due": date(2027, 1, 23),
        "reason": "new_case",
        "last_follow_up": None,
        "follow_up_process_id": None,
        "stage": "scheduled",
        "status": "running",
        "updated_at": T0,
        **changes,
    }
    return ScheduleRecord(**fields)  # type: ignore[arg-type]


def test_fu9_the_board_row_is_written_once_and_read_back_overdue_first(with_case: ReadModel) -> None:
    activities = FollowUpActivities(with_case.sessions, None)  # type: ignore[arg-type]
    second = "case-2"
    with_case.activities.record_case(case_record(case_id=second))
    activities.record_schedule(schedule())
    activities.record_schedule(schedule())  # a retried activity
    activities.record_schedule(schedule(case_id=second, next_due=date(2026, 12, 1), reason="yearly"))
    process_id = f"case-{second}/follow-up/1"
    activities.record_schedule(
        schedule(case_id=second, next_due=date(2026, 12, 1), follow_up_process_id=process_id, stage="to_plan")
    )
    activities.record_follow_up_stage(FollowUpStage(second, process_id, "report_awaited", T0))
    activities.record_follow_up_stage(
        FollowUpStage(CASE_ID, "case-x/follow-up/9", "planned", T0)
    )  # not its row
    assert with_case.count(models.FollowUpSchedule) == 2
    with with_case.sessions() as session:
        rows = queries.board(session, CaseWorker(), date(2026, 12, 2), "cw-1")
        assert [(row.case_id, row.next_due, row.stage) for row, _ in rows] == [
            (second, date(2026, 12, 1), "report_awaited"),  # overdue first
            (CASE_ID, date(2027, 1, 23), "scheduled"),
        ]
        assert queries.board(session, CaseWorker(sub="cw-2"), date(2026, 12, 2), "cw-2") == []


def test_fu9_committee_figures_count_on_time_late_and_still_overdue(with_case: ReadModel) -> None:
    activities = FollowUpActivities(with_case.sessions, None)  # type: ignore[arg-type]
    write = with_case.activities.record_follow_up_event
    write(FollowUpEventRecord("e1", CASE_ID, "i tid", held_on=date(2027, 1, 20), due_on=date(2027, 1, 23)))
    write(FollowUpEventRecord("e2", CASE_ID, "sent", held_on=date(2027, 2, 3), due_on=date(2027, 1, 30)))
    write(FollowUpEventRecord("e3", CASE_ID, "plan", due_on=date(2027, 1, 23)))  # a plan, not held
    activities.record_schedule(schedule(next_due=date(2027, 1, 31)))
    with with_case.sessions() as session:
        viewer = CaseWorker(role="senior_case_worker", sub="scw")
        held = queries.held_follow_ups(session, viewer, date(2027, 1, 1), date(2027, 1, 31))
        pending = queries.pending_follow_ups(session, viewer, date(2027, 1, 1), date(2027, 1, 31))
    rows = figures(held, pending, date(2027, 2, 5))
    assert [
        (r.month, r.case_worker_id, r.due, r.done_on_time, r.done_late, r.still_overdue) for r in rows
    ] == [("2027-01", "cw-1", 3, 1, 1, 1)]


def test_a_decision_ended_after_a_follow_up_keeps_what_was_granted(with_case: ReadModel) -> None:
    activities = FollowUpActivities(with_case.sessions, None)  # type: ignore[arg-type]
    decision = DecisionRecord(f"{CASE_ID}/decision/1", CASE_ID, "care", ["Städning"], date(2026, 1, 1))
    with_case.activities.record_decision(decision)
    activities.end_decision(DecisionEnd(decision.decision_id, CASE_ID, date(2027, 3, 31)))
    activities.end_decision(
        DecisionEnd(decision.decision_id, "another-case", date(2027, 1, 1))
    )  # not its case
    row = with_case.get(models.Decision, decision.decision_id)
    assert (row.status, row.end_date, row.services, row.kind) == (
        "ended",
        date(2027, 3, 31),
        ["Städning"],
        "care",
    )


def test_a_process_id_without_a_number_takes_the_next_free_one_of_its_type(with_case: ReadModel) -> None:
    """``case-1/order/follow-up-1`` (an order after a follow-up) next to ``case-1/order/1``."""
    for process_id in (f"case-{CASE_ID}/order/1", f"case-{CASE_ID}/order/follow-up-1"):
        record = ProcessRecord(process_id, "order", CASE_ID, "sent", "running", T0)
        with_case.activities.record_process(record)
        with_case.activities.record_process(record)  # retried
    assert with_case.get(models.Process, f"case-{CASE_ID}/order/follow-up-1").seq == 2
    assert with_case.count(models.Process) == 2
