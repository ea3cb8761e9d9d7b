"""Processes whose workflow ended without closing them (api/abnormal_ends.py), over HTTP on dated
scenario servers, each on SQLite and PostgreSQL: an extension or homecoming terminated by an
operator in Temporal no longer blocks the next one (EXT-2, HT-1: one running per case), a
cancelled one answers its actions 409 and leaves no ghost task, a reserved row whose workflow
never started is released once it is clearly lost, and a death records such a process as aborted.
The read model says "aborted" ("avbruten") with how the workflow ended; a running process still
blocks (409)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflow.v1 import WorkflowExecutionInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse

from api import abnormal_ends
from readmodel import models
from readmodel import repository as repo
from readmodel.database import make_session_factory
from tests.support import sthlm, wait_closed
from tests.test_case_events_api import Api, api
from tests.test_read_model import _postgres, _sqlite
from tests.test_ui import ui_login
from workflows.model import Actor

AT = sthlm(2027, 3, 15, 9)  # Monday
EXTENSION = {
    "type": "temporary-extension",
    "started_on": "2027-03-15",
    "inserted": "Tillsyn två gånger per natt",
    "reason": "Urinvägsinfektion",
}
HOMECOMING = {"type": "homecoming", "mode": "simplified"}
# (the start's body, who starts it)
ONE_RUNNING = {"temporary-extension": (EXTENSION, "provider"), "homecoming": (HOMECOMING, "case_worker")}
CASE_WORKER = Actor(user_id="cw-anna", role="case_worker", name="Anna Handläggare")


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


async def _start(app: Api, case_id: str, process_type: str, status: int = 201) -> dict[str, Any]:
    body, who = ONE_RUNNING[process_type]
    response = await app.http.post("/processes", json={**body, "case_id": case_id}, headers=app.headers(who))
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _get(app: Api, path: str, who: str = "case_worker") -> Any:
    response = await app.http.get(path, headers=app.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def _row(app: Api, process_id: str) -> models.Process:
    (row,) = app.rows(models.Process, id=process_id)
    assert isinstance(row, models.Process)
    return row


@pytest.mark.parametrize("process_type", ONE_RUNNING)
async def test_EXT_2_HT_1_a_terminated_process_no_longer_blocks_the_next_start_and_a_running_one_does(
    process_type: str, sessions: sessionmaker[Session]
) -> None:
    """EXT-2 / HT-1 allow one running process of the type per case. Mon 2027-03-15: the first one
    runs, so a second start is 409 and the first stays running. An operator terminates the first
    in Temporal: the next start is 201 (number 2, its first task open), the first is recorded as
    aborted ("terminated", closed when Temporal closed it) with no open task left in the read
    model or the inbox, and GET shows it "aborted" with its timeline and a Swedish explanation.
    A start while number 2 runs is 409 again."""
    async with api(AT, sessions) as app:
        case_id = await app.case()
        first = await _start(app, case_id, process_type)
        pid = first["process_id"]
        assert first["open_tasks"], first
        refused = await _start(app, case_id, process_type, status=409)
        assert "redan en pågående process" in refused["detail"]
        assert (_row(app, pid).status, _row(app, pid).unique_key) == ("running", repo.RUNNING_KEY)

        await app.env.client.get_workflow_handle(pid).terminate(reason="Startad av misstag")
        await wait_closed(app.env, pid)
        second = await _start(app, case_id, process_type)
        assert second["process_id"] == f"case-{case_id}/{process_type}/2"
        assert (second["status"], second["type"]) == ("running", process_type)
        assert [t["action"] for t in second["open_tasks"]] == [t["action"] for t in first["open_tasks"]]

        row = _row(app, pid)
        assert (row.status, row.outcome, row.unique_key) == ("aborted", "terminated", None)
        assert row.closed_at is not None and AT <= row.closed_at < AT + timedelta(minutes=5)
        assert app.rows(models.Task, process_id=pid, status="open") == []
        assert {t.status for t in app.rows(models.Task, process_id=pid)} == {"cancelled"}
        assert _row(app, second["process_id"]).unique_key == repo.RUNNING_KEY
        inbox = await _get(app, "/tasks", ONE_RUNNING[process_type][1])
        assert pid not in {t["process_id"] for t in inbox}

        state = await _get(app, f"/processes/{pid}")
        assert (state["status"], state["outcome"], state["open_tasks"]) == ("aborted", "terminated", [])
        assert "avslutades av en operatör i Temporal" in state["deviations"][-1]
        assert len(state["timeline"]) > 1  # what happened before, then the end
        assert state["timeline"][-1]["text"] == state["deviations"][-1]
        case = await _get(app, f"/cases/{case_id}")
        statuses = {p["id"]: p["status"] for p in case["processes"]}
        assert (statuses[pid], statuses[second["process_id"]]) == ("aborted", "running")

        again = await _start(app, case_id, process_type, status=409)
        assert "redan en pågående process" in again["detail"]
        assert _row(app, second["process_id"]).status == "running"


async def test_an_action_on_a_cancelled_extension_is_409_and_leaves_it_aborted_without_ghost_tasks(
    sessions: sessionmaker[Session],
) -> None:
    """EXT-2: the extension's workflow is cancelled in Temporal while the case worker's
    confirm_start is open. The case worker's action answers 409 "Processen är avslutad." and the
    read model records the process as aborted ("canceled"): the task leaves the inbox, the case
    page and the process page say "avbruten", and a new extension can start."""
    async with api(AT, sessions) as app:
        case_id = await app.case()
        pid = (await _start(app, case_id, "temporary-extension"))["process_id"]
        await app.env.client.get_workflow_handle(pid).cancel()
        await wait_closed(app.env, pid)

        response = await app.http.post(
            f"/processes/{pid}/actions/confirm_start", json={}, headers=app.headers("case_worker")
        )
        assert (response.status_code, response.json()["detail"]) == (409, "Processen är avslutad.")
        row = _row(app, pid)
        assert (row.status, row.outcome, row.unique_key) == ("aborted", "canceled", None)
        assert app.rows(models.Task, process_id=pid, status="open") == []
        assert pid not in {t["process_id"] for t in await _get(app, "/tasks")}

        app.http.headers["Origin"] = "http://test"
        await ui_login(app.http, CASE_WORKER)
        case_page = (await app.http.get(f"/ui/arenden/{case_id}")).text
        assert "avbruten" in case_page
        process_page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert "avbruten" in process_page and "avbröts på begäran i Temporal" in process_page
        assert "Inga öppna uppgifter." in process_page
        app.http.cookies.clear()
        del app.http.headers["Origin"]
        await _start(app, case_id, "temporary-extension")


async def test_a_reserved_row_whose_workflow_never_started_blocks_for_15_minutes_and_then_is_lost(
    sessions: sessionmaker[Session],
) -> None:
    """A homecoming row reserved at 08:50 whose workflow never reached Temporal (the API stopped
    in between) holds the case's one running homecoming: a start at 09:00 is 409 while such a
    start may still be under way (within 15 minutes). One reserved at 08:40 is taken for lost:
    recorded as aborted ("lost") and the start is 201."""
    async with api(AT, sessions) as app:
        case_id = await app.case()
        now = await app.env.get_current_time()
        orphan = f"case-{case_id}/homecoming/1"
        with app.sessions.begin() as session:
            session.add(
                models.Process(
                    id=orphan,
                    case_id=case_id,
                    type="homecoming",
                    seq=1,
                    stage="starting",
                    status="running",
                    started_at=now - timedelta(minutes=10),
                    unique_key=repo.RUNNING_KEY,
                )
            )
        await _start(app, case_id, "homecoming", status=409)
        assert _row(app, orphan).status == "running"

        with app.sessions.begin() as session:
            row = session.get(models.Process, orphan)
            assert row is not None
            row.started_at = now - timedelta(minutes=20)
        started = await _start(app, case_id, "homecoming")
        assert started["process_id"] == f"case-{case_id}/homecoming/2"
        row = _row(app, orphan)
        assert (row.status, row.outcome, row.unique_key) == ("aborted", "lost", None)
        state = await _get(app, f"/processes/{orphan}")
        assert state["status"] == "aborted"
        assert "finns inte i Temporal" in state["deviations"][-1]


async def test_END_2_a_death_records_a_homecoming_terminated_before_it_as_aborted(
    sessions: sessionmaker[Session],
) -> None:
    """END-2: a homecoming was terminated in Temporal; the death on Mon 2027-03-15 (died Sun 14
    March) finds its row running, answers it "already_closed" and records it as aborted: no
    process of the case is left running and no task open."""
    async with api(AT, sessions) as app:
        case_id = await app.case()
        pid = (await _start(app, case_id, "homecoming"))["process_id"]
        await app.env.client.get_workflow_handle(pid).terminate(reason="Fel ärende")
        await wait_closed(app.env, pid)

        answer = await app.report("provider", case_id, {"type": "death", "died_on": "2027-03-14"})
        (ended,) = [e for e in answer["ended"] if e["process_id"] == pid]
        assert ended["status"] == "already_closed"
        assert (_row(app, pid).status, _row(app, pid).outcome) == ("aborted", "terminated")
        assert "running" not in {row.status for row in app.rows(models.Process, case_id=case_id)}
        assert app.rows(models.Task, case_id=case_id, status="open") == []


def _described(status: int, closed: datetime | None = None) -> DescribeWorkflowExecutionResponse:
    info = WorkflowExecutionInfo(status=status)  # type: ignore[arg-type]
    if closed is not None:
        stamp = Timestamp()
        stamp.FromDatetime(closed)
        info.close_time.CopyFrom(stamp)
    return DescribeWorkflowExecutionResponse(workflow_execution_info=info)


def test_each_abnormal_close_of_a_workflow_is_its_outcome_and_a_running_or_completed_one_is_none() -> None:
    closed = datetime(2027, 3, 15, 8, 5, tzinfo=UTC)
    statuses = {
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED: "terminated",
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED: "failed",
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: "timed_out",
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED: "canceled",
    }
    for status, outcome in statuses.items():
        assert abnormal_ends.of_description(_described(status, closed)) == abnormal_ends.AbnormalEnd(
            outcome, closed
        )
    for status in (
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
    ):
        assert abnormal_ends.of_description(_described(status)) is None
    text = abnormal_ends.explanation("timed_out", closed)
    assert text.startswith("Processen överskred sin tidsgräns i Temporal 2027-03-15 09:05")
