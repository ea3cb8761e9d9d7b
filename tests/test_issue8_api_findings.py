"""Issue 8, a fresh tester's findings over HTTP, on dated scenario servers, each on SQLite and
PostgreSQL: END-2 (a death closes the case; a start racing it does not survive; billing reads the
death), CAL-7 (back-dated events are accepted within the case's life and raise the notice), the
follow-up's outcomes under the case events' rules (END-1, END-5, the order limits) and the limits
of the committee's report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from activities.follow_up import CycleStart, FollowUpActivities, cycle_id
from api import temporal_gateway as gateway
from readmodel import models
from readmodel.database import make_session_factory
from tests.support import advance_to, profile, sthlm, wait_closed
from tests.test_case_events_api import Api, api
from tests.test_read_model import _postgres, _sqlite
from tests.test_ui import ui_login
from workflows.io.follow_up import DecisionGranted
from workflows.model import Actor, ProcessState

COMPLETED = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
ORDER = {"type": "order", "start_date": "2027-03-22", "items": [{"name": "Städning", "kind": "service"}]}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


async def _post(app: Api, who: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await app.http.post(path, json=body, headers=app.headers(who))
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


async def _status(app: Api, workflow_id: str) -> Any:
    request = DescribeWorkflowExecutionRequest(
        namespace=app.env.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    described = await app.env.client.workflow_service.describe_workflow_execution(request)
    return described.workflow_execution_info


async def test_end2_a_death_closes_the_case_which_then_refuses_starts_and_events_and_billing_reads_it(
    sessions: sessionmaker[Session],
) -> None:
    """END-2: the provider reports a death of Sun 2027-03-14 on Mon 2027-03-15 09:00: the case
    is closed at that moment; a new order, a time adjustment, a second event and a follow-up
    started now are refused with 409 in Swedish; the case page offers no start or event form; a
    decision recorded later does not start the ended cycle again. Billing, told in its mailbox,
    reads the message and the case."""
    async with api(sthlm(2027, 3, 15, 9), sessions) as app:
        case_id = await app.case()
        cycle = cycle_id(case_id)
        await app.report("provider", case_id, {"type": "death", "died_on": "2027-03-14"})
        (case,) = app.rows(models.Case, id=case_id)
        assert sthlm(2027, 3, 15, 9) <= case.closed_at < sthlm(2027, 3, 15, 9, 1)  # at the report

        code, answer = await _post(app, "case_worker", "/processes", {**ORDER, "case_id": case_id})
        assert (code, "avslutat" in answer["detail"]) == (409, True), answer
        adjustment = {
            "type": "time_adjustment",
            "service": "night_help",
            "month": "2027-03",
            "ordered_minutes": 600,
            "performed_minutes": 780,
        }
        code, answer = await _post(app, "provider", f"/cases/{case_id}/events", adjustment)
        assert (code, "avslutat" in answer["detail"]) == (409, True), answer
        pause = {"type": "pause", "scope": "case", "starts_on": "2027-03-15"}
        assert (await _post(app, "provider", f"/cases/{case_id}/events", pause))[0] == 409
        start_now = f"/processes/{cycle}/actions/start_now"
        assert (await _post(app, "case_worker", start_now, {"reason": "Ändrat behov"}))[0] == 409

        app.http.headers["Origin"] = "http://test"
        await ui_login(app.http, Actor(user_id="pv-carl", role="provider", name="Carl", org="hemtjanst-nord"))
        page = (await app.http.get(f"/ui/arenden/{case_id}")).text
        assert "avslutat" in page
        assert "Rapportera en händelse i ärendet" not in page and "Starta en process" not in page
        app.http.cookies.clear()
        del app.http.headers["Origin"]

        # A decision recorded by a process racing the death does not bring the cycle back.
        await wait_closed(app.env, cycle)
        before = (await _status(app, cycle)).execution.run_id
        late = DecisionGranted(decision_id=f"{case_id}/late", start_date=date(2027, 3, 15))
        start = CycleStart(case_id=case_id, profile=profile(), decision=late, task_queue="unused")
        await FollowUpActivities(sessions, app.env.client).start_or_signal_cycle(start)
        after = await _status(app, cycle)
        assert (after.execution.run_id, after.status) == (before, COMPLETED)

        response = await app.http.get("/mailboxes/billing/messages", headers=app.headers("billing"))
        assert response.status_code == 200, response.text
        (told,) = [m for m in response.json() if m["case_id"] == case_id]
        assert told["subject"] == "Dödsfall: debiteringen upphör" and "2027-03-14" in told["body"]
        seen = await app.http.get(f"/cases/{case_id}", headers=app.headers("billing"))
        assert seen.status_code == 200, seen.text


async def test_end2_an_order_started_while_the_death_is_registered_ends_with_the_case(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """END-2: the order's row is reserved, then the death (2027-03-14) is registered before the
    order's workflow starts (the death finds no workflow to end). The start sees the closed case
    and ends its order as the death ended the others: ``ended_by_death``, nothing left open."""
    async with api(sthlm(2027, 3, 15, 9), sessions) as app:
        case_id = await app.case()
        real_start = gateway.start_process
        deaths: list[dict[str, Any]] = []

        async def death_first(*args: Any, **kwargs: Any) -> Any:
            if args[2] == "order" and not deaths:
                deaths.append(
                    await app.report("provider", case_id, {"type": "death", "died_on": "2027-03-14"})
                )
            return await real_start(*args, **kwargs)

        monkeypatch.setattr(gateway, "start_process", death_first)
        code, order = await _post(app, "case_worker", "/processes", {**ORDER, "case_id": case_id})
        assert code == 201, order
        assert (order["stage"], order["outcome"]) == ("closed", "ended_by_death")
        (ended,) = [e for e in deaths[0]["ended"] if e["process_id"] == order["process_id"]]
        assert ended["status"] == "already_closed"  # listed by the death, not yet running
        await wait_closed(app.env, order["process_id"])
        assert app.rows(models.Task, case_id=case_id, status="open") == []
        assert {r.status for r in app.rows(models.Process, case_id=case_id)} == {"completed"}


async def test_cal7_a_september_adjustment_and_a_death_learned_late_are_registered_with_billing_notices(
    sessions: sessionmaker[Session],
) -> None:
    """CAL-7 / END-4: on Tue 2027-11-30 the provider reports September's night help (deadline
    2027-10-04) and a death of 2027-08-20 learned late: both are accepted (201) and each raises
    a billing notice. A death dated before the case existed (its decision from 2027-01-04) is
    422 in Swedish and changes nothing."""
    async with api(sthlm(2027, 11, 30, 10), sessions) as app:
        case_id = await app.case()
        adjustment = {
            "type": "time_adjustment",
            "service": "night_help",
            "month": "2027-09",
            "ordered_minutes": 600,
            "performed_minutes": 780,
        }
        await app.report("provider", case_id, adjustment)
        code, answer = await _post(
            app, "provider", f"/cases/{case_id}/events", {"type": "death", "died_on": "2026-12-31"}
        )
        assert code == 422 and "före ärendets början (2027-01-04)" in str(answer["detail"]), answer
        assert app.rows(models.Case, id=case_id)[0].closed_at is None
        await app.report("provider", case_id, {"type": "death", "died_on": "2027-08-20"})
        notices = sorted(app.rows(models.BillingNotice, case_id=case_id), key=lambda n: n.concerns)
        assert [(n.concerns.isoformat(), n.deadline) for n in notices] == [
            ("2027-08-20", sthlm(2027, 9, 4, 23, 59, 59)),
            ("2027-09-01", sthlm(2027, 10, 4, 23, 59, 59)),
        ]


async def test_end1_a_confirmed_end_before_the_decision_started_is_422(
    sessions: sessionmaker[Session],
) -> None:
    """END-1: a decision from 2027-06-01 cannot end on 2027-05-01 (422 in Swedish); from
    2027-06-10 it can."""
    async with api(sthlm(2027, 6, 14, 9), sessions) as app:
        decisions = [
            {"kind": "care", "services": ["Personlig omvårdnad"], "start_date": "2027-01-04"},
            {"kind": "service", "services": ["Städning"], "start_date": "2027-06-01"},
        ]
        body = {"person_name": "Greta Exempel", "provider_id": "hemtjanst-nord", "decisions": decisions}
        response = await app.http.post("/cases", json=body, headers=app.headers("case_worker"))
        case_id = response.json()["case_id"]
        report = {"type": "service_ended", "ended_on": "2027-06-10", "services": ["Städning"]}
        event = (await app.report("provider", case_id, report))["event"]
        cleaning = [d.id for d in app.rows(models.Decision, case_id=case_id) if d.kind == "service"]
        confirm = {"ended_on": "2027-05-01", "ended_decision_ids": cleaning, "confirmed_with_person": True}
        path = f"/processes/{event['process_id']}/actions/confirm_end"
        code, answer = await _post(app, "case_worker", path, confirm)
        assert code == 422 and "före beslutets start (2027-06-01)" in str(answer["detail"]), answer
        done = await app.act(
            "case_worker", event["process_id"], "confirm_end", {**confirm, "ended_on": "2027-06-10"}
        )
        assert (done["outcome"], done["details"]["ended_on"]) == ("end_confirmed", "2027-06-10")


async def _follow_up_to_record(app: Api, case_id: str, planned: str) -> str:
    """start_now, plan at ``planned``, the provider's report and the form: → the follow-up's id."""
    cycle = cycle_id(case_id)
    now = await app.act("case_worker", cycle, "start_now", {"reason": "Anhörig om ändrat behov"})
    pid: str = now["details"]["current_follow_up"]
    # The cycle answers once it started the follow-up; the follow-up answers once its plan is open.
    await app.env.client.get_workflow_handle(pid).execute_update("ready", result_type=ProcessState)
    await app.act("case_worker", pid, "plan", {"planned_at": planned})
    report = {"need_matches_order": True, "given_as_ordered": True, "fully_executed": True}
    await app.act("provider", pid, "submit_report", {**report, "provider_attends": False})
    form = {"form": "phone", "provider_attends": False, "person_told_other_way": True}
    await app.act("case_worker", pid, "choose_form", form)
    return pid


RECORD = {
    "gets_granted_help": True,
    "takes_part_when": True,
    "takes_part_how": True,
    "feels_good": True,
    "need_matches_order": False,
    "care_plan_current": True,
}


async def test_end5_a_follow_ups_ended_services_keep_the_order_to_day_5_and_plausible_dates_only(
    sessions: sessionmaker[Session],
) -> None:
    """END-1 / END-5 (botkyrka) / COM-5 for a follow-up's outcome ``services_ended``: told Thu
    2027-04-29, the need ending Sat 2027-05-01 keeps the order of those services to Tue
    2027-05-04, with unplanned absence on 2-4 May; the provider's message names the services. An
    end 2020-01-01 (before the decision's start 2027-01-04) is 422, and so is a new decision
    starting 2059-01-01 (the order limits of POST /processes)."""
    async with api(sthlm(2027, 4, 29, 9), sessions) as app:
        case_id = await app.case(profile="botkyrka")
        order = {**ORDER, "case_id": case_id, "start_date": "2027-04-30"}
        order["items"] = [{"name": "Personlig omvårdnad", "kind": "care"}]
        code, started = await _post(app, "case_worker", "/processes", order)
        assert code == 201, started
        pid = await _follow_up_to_record(app, case_id, "2027-04-29T10:00:00+02:00")
        await advance_to(app.env, sthlm(2027, 4, 29, 10, 5))
        path = f"/processes/{pid}/actions/record"
        far = {"services": ["Ledsagning"], "start_date": "2059-01-01"}
        code, answer = await _post(
            app, "case_worker", path, {**RECORD, "outcome": "new_decision", "new_decision": far}
        )
        assert code == 422 and "2059-01-01" in str(answer["detail"]), answer
        decisions = [d.id for d in app.rows(models.Decision, case_id=case_id)]
        ended = {**RECORD, "outcome": "services_ended", "ended_decision_ids": decisions}
        code, answer = await _post(app, "case_worker", path, {**ended, "ended_on": "2020-01-01"})
        assert code == 422 and "före beslutets start (2027-01-04)" in str(answer["detail"]), answer

        done = await app.act("case_worker", pid, "record", {**ended, "ended_on": "2027-05-01"})
        assert (done["outcome"], done["details"]["order_ends_on"]) == ("services_ended", "2027-05-04")
        assert done["details"]["absence_days"] == ["2027-05-02", "2027-05-03", "2027-05-04"]
        (row,) = app.rows(models.Order, case_id=case_id)
        assert (row.ended_on, row.status) == (date(2027, 5, 4), "ended")
        (told,) = [
            m
            for m in app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
            if m.subject == "Insatser avslutas"
        ]
        assert "personlig omvårdnad" in told.body and "2027-05-02, 2027-05-03, 2027-05-04" in told.body
        assert "till och med 2027-05-04" in told.body
        assert not any(d in told.body for d in decisions)  # services, not decision ids
        await wait_closed(app.env, started["process_id"])


async def test_fu9_the_committees_report_refuses_a_period_that_ends_after_the_calendar(
    sessions: sessionmaker[Session],
) -> None:
    """FU-9 and the limits: ``to=2061-01-01`` lies after the calendar's last year (2060): 422."""
    async with api(sthlm(2027, 1, 4, 9), sessions) as app:
        response = await app.http.get(
            "/reports/follow-ups",
            params={"from": "2060-06-01", "to": "2061-01-01"},
            headers=app.headers("senior"),
        )
        assert response.status_code == 422, response.text
        response = await app.http.get(
            "/reports/follow-ups",
            params={"from": "2060-06-01", "to": "2060-12-31"},
            headers=app.headers("senior"),
        )
        assert response.status_code == 200, response.text
