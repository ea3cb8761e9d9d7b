"""Case-level events over HTTP (END-1..END-6, CAL-7, COM-1, COM-5, COM-7) on dated scenario
servers, each on SQLite and PostgreSQL: ``POST /cases/{case_id}/events`` starts a ``case-event``
process; its tasks, messages, billing notices and the end of every process by a death are read
back from the read model and the API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from readmodel import models
from readmodel.database import make_session_factory
from tests.support import advance_to, scenario, scenario_clock, sthlm, wait_closed
from tests.test_api_support import api_client, login_all
from tests.test_read_model import _postgres, _sqlite
from workflows.model import ProcessState

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other_provider": {"sub": "pv-dora", "name": "Dora", "role": "provider", "org": "hemtjanst-syd"},
    "supervisor": {"sub": "sup-gun", "name": "Gun Tillsyn", "role": "supervisor"},
    "billing": {"sub": "deb-hans", "name": "Hans Debitering", "role": "billing"},
}
COMPLETED = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
ADJUSTMENT = {
    "type": "time_adjustment",
    "service": "night_help",
    "month": "2027-03",
    "ordered_minutes": 600,
    "performed_minutes": 780,
    "reason": "Fler tillsynsbesök natt",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


class Api:
    def __init__(
        self, http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: dict[str, str], sessions: Any
    ) -> None:
        self.http, self.env, self.tokens, self.sessions = http, env, tokens, sessions

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": key or str(uuid.uuid4())}

    async def case(self, profile: str = "default", start_date: str = "2027-01-04") -> str:
        decision = {"kind": "care", "services": ["Personlig omvårdnad"], "start_date": start_date}
        body = {"person_name": "Greta Exempel", "provider_id": "hemtjanst-nord", "decisions": [decision]}
        if profile != "default":
            body["profile"] = profile
        response = await self.http.post("/cases", json=body, headers=self.headers("case_worker"))
        assert response.status_code == 201, response.text
        case_id: str = response.json()["case_id"]
        return case_id

    async def report(
        self, who: str, case_id: str, body: dict[str, Any], status: int = 201, key: str | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(f"/cases/{case_id}/events", json=body, headers=self.headers(who, key))
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def act(self, who: str, pid: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(
            f"/processes/{pid}/actions/{action}", json=body, headers=self.headers(who)
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def rows(self, model: type[Any], **where: Any) -> list[Any]:
        with self.sessions() as session:
            query = select(model).filter_by(**where)
            return list(session.scalars(query).all())


@asynccontextmanager
async def api(at: datetime, sessions: sessionmaker[Session]) -> AsyncIterator[Api]:
    async with (
        scenario(at, sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        yield Api(http, env, await login_all(http, USERS), sessions)


async def test_end4_cal7_a_march_adjustment_registered_sunday_2027_04_04_raises_no_billing_notice(
    sessions: sessionmaker[Session],
) -> None:
    """END-6 / END-4 / CAL-7: reported and handled on the 4th of April, the March adjustment is in
    time: no notice. Its task is due at the end of the 5th working day after Sun 4 April (Fri 9)."""
    async with api(sthlm(2027, 4, 4, 10), sessions) as app:
        case_id = await app.case()
        answer = await app.report("provider", case_id, ADJUSTMENT)
        event = answer["event"]
        assert event["type"] == "case-event" and event["process_id"] == f"case-{case_id}/case-event/1"
        (task,) = event["open_tasks"]
        assert (task["action"], task["role"]) == ("handle_time_adjustment", "case_worker")
        assert task["due_at"] == "2027-04-09T23:59:59+02:00"
        done = await app.act("case_worker", event["process_id"], "handle_time_adjustment", {"approved": True})
        assert (done["stage"], done["outcome"], done["deviations"]) == ("closed", "adjusted", [])
        assert app.rows(models.BillingNotice, case_id=case_id) == []
        assert app.rows(models.Message, case_id=case_id, mailbox="billing") == []
        (told,) = app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
        assert "780 minuter" in told.body  # COM-5: the provider is told


async def test_end4_cal7_a_march_adjustment_registered_monday_2027_04_05_raises_one_billing_notice(
    sessions: sessionmaker[Session],
) -> None:
    """END-4 / CAL-7: registered Mon 5 April, after the deadline 2027-04-04 23:59:59: one notice,
    in the billing notices and billing's mailbox; the handling later adds no second one."""
    async with api(sthlm(2027, 4, 5, 9), sessions) as app:
        case_id = await app.case()
        event = (await app.report("provider", case_id, ADJUSTMENT))["event"]
        assert event["open_tasks"][0]["due_at"] == "2027-04-12T23:59:59+02:00"
        (notice,) = app.rows(models.BillingNotice, case_id=case_id)
        assert notice.concerns.isoformat() == "2027-03-01"
        assert notice.deadline == sthlm(2027, 4, 4, 23, 59, 59)
        (mail,) = app.rows(models.Message, case_id=case_id, mailbox="billing")
        assert "2027-04-04" in mail.body and "Kontakta debiteringen" in mail.body
        await app.act("case_worker", event["process_id"], "handle_time_adjustment", {"approved": False})
        assert len(app.rows(models.BillingNotice, case_id=case_id)) == 1


async def test_end5_botkyrka_told_thursday_2027_04_29_need_ending_saturday_keeps_the_order_to_tuesday(
    sessions: sessionmaker[Session],
) -> None:
    """END-5 (botkyrka), END-1, COM-5: the case worker ends the service on Thu 2027-04-29 with the
    need ending Sat 2027-05-01: the order runs to Tue 2027-05-04 and 2-4 May are unplanned absence,
    as the provider's mailbox is told; the decision ends 2027-05-01."""
    async with api(sthlm(2027, 4, 29, 10), sessions) as app:
        case_id = await app.case(profile="botkyrka")
        order = {
            "type": "order",
            "case_id": case_id,
            "start_date": "2027-04-12",
            "items": [{"name": "Personlig omvårdnad", "kind": "care"}],
            "sent_at": "2027-04-09T10:00:00+02:00",
        }
        response = await app.http.post("/processes", json=order, headers=app.headers("case_worker"))
        assert response.status_code == 201, response.text
        order_id = response.json()["process_id"]
        report = {"type": "service_ended", "ended_on": "2027-05-01", "services": ["Personlig omvårdnad"]}
        event = (await app.report("case_worker", case_id, report))["event"]
        (task,) = event["open_tasks"]
        assert task["action"] == "confirm_end" and task["due_at"] == "2027-05-07T23:59:59+02:00"
        assert event["details"]["proposals"]["confirm_end"]["ended_order_ids"] == order_id
        confirm = {
            "ended_on": "2027-05-01",
            "confirmed_with_person": True,
            "ended_decision_ids": [f"{case_id}/decision/1"],
            "ended_order_ids": [order_id],
        }
        done = await app.act("case_worker", event["process_id"], "confirm_end", confirm)
        assert done["outcome"] == "end_confirmed"
        assert done["details"]["order_ends_on"] == "2027-05-04"
        assert done["details"]["absence_days"] == ["2027-05-02", "2027-05-03", "2027-05-04"]
        (told,) = [
            m
            for m in app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
            if m.subject == "Insatser avslutas"
        ]
        assert "till och med 2027-05-04" in told.body and "2027-05-02, 2027-05-03, 2027-05-04" in told.body
        (decision,) = app.rows(models.Decision, case_id=case_id)
        assert (decision.status, decision.end_date.isoformat()) == ("ended", "2027-05-01")
        (row,) = app.rows(models.Order, id=order_id)
        assert (row.status, row.ended_on.isoformat()) == ("ended", "2027-05-04")


async def test_end1_com1_com7_an_unconfirmed_end_reported_friday_escalates_after_five_working_days(
    sessions: sessionmaker[Session],
) -> None:
    """END-1 / COM-1 / COM-7: the provider reports Fri 2027-03-12 that a service was last performed
    Wed 10 March; the case worker's confirmation is due Fri 2027-03-19 23:59:59 and, missed, is
    escalated to the senior case worker with a message in the senior case worker's mailbox."""
    async with api(sthlm(2027, 3, 12, 11), sessions) as app:
        case_id = await app.case()
        report = {"type": "service_ended", "ended_on": "2027-03-10", "services": ["Städning"]}
        event = (await app.report("provider", case_id, report))["event"]
        (task,) = event["open_tasks"]
        assert (task["role"], task["due_at"]) == ("case_worker", "2027-03-19T23:59:59+01:00")
        (told,) = app.rows(models.Message, case_id=case_id, mailbox="case-workers")
        assert "2027-03-10" in told.body
        await advance_to(app.env, sthlm(2027, 3, 20, 0, 5))
        response = await app.http.get(f"/processes/{event['process_id']}", headers=app.headers("senior"))
        (task,) = response.json()["open_tasks"]
        assert (task["overdue"], task["escalated_to"]) == (True, "senior_case_worker")
        assert app.rows(models.Message, case_id=case_id, mailbox="senior-case-worker")
        back = {"ended_on": "2027-03-10", "confirmed_with_person": True}
        done = await app.act("senior", event["process_id"], "confirm_end", back)
        assert (done["outcome"], done["details"]["ended_on"]) == ("end_confirmed", "2027-03-10")


async def test_end3_the_provider_pauses_the_whole_case_alone_and_single_services_need_the_case_worker(
    sessions: sessionmaker[Session],
) -> None:
    """END-3: a hospital stay from Mon 2027-03-08 registered by the provider closes at once (the case
    workers are told); a case worker who learns of it may register it too (END-3 says the provider
    MAY do it alone), and then the provider is told. A pause of single services opens
    the case worker's confirmation (COM-1: Mon 15 March), and the provider is told the period
    (COM-5)."""
    async with api(sthlm(2027, 3, 8, 9), sessions) as app:
        case_id = await app.case()
        whole = {"type": "pause", "scope": "case", "starts_on": "2027-03-08", "reason": "Sjukhusvistelse"}
        event = (await app.report("provider", case_id, whole))["event"]
        assert (event["stage"], event["outcome"], event["open_tasks"]) == ("closed", "pause_registered", [])
        (told,) = app.rows(models.Message, case_id=case_id, mailbox="case-workers")
        assert "hela ärendet från 2027-03-08 tills vidare" in told.body
        by_case_worker = (await app.report("case_worker", case_id, whole))["event"]
        assert (by_case_worker["stage"], by_case_worker["outcome"]) == ("closed", "pause_registered")
        (to_provider,) = app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
        assert to_provider.body == "Uppehåll i hela ärendet från 2027-03-08 tills vidare."
        single = {
            "type": "pause",
            "scope": "services",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-20",
            "services": ["Städning"],
        }
        event = (await app.report("case_worker", case_id, single))["event"]
        (task,) = event["open_tasks"]
        assert (task["action"], task["due_at"]) == ("confirm_pause", "2027-03-15T23:59:59+01:00")
        pid = event["process_id"]
        refused = await app.http.post(
            f"/processes/{pid}/actions/confirm_pause",
            json={"starts_on": "2027-03-10", "ends_on": "2027-03-20"},
            headers=app.headers("case_worker"),
        )
        assert refused.status_code == 422, refused.text  # not confirmed with the person
        confirm = {"starts_on": "2027-03-10", "ends_on": "2027-03-21", "confirmed_with_person": True}
        done = await app.act("case_worker", pid, "confirm_pause", confirm)
        assert (done["outcome"], done["details"]["ends_on"]) == ("pause_confirmed", "2027-03-21")
        _, message = sorted(
            app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord"),
            key=lambda m: m.sent_at,
        )
        assert "2027-03-10–2027-03-21" in message.body


async def test_end_roles_and_units_that_may_not_report_get_403_or_404_and_nothing_starts(
    sessions: sessionmaker[Session],
) -> None:
    """Who reports: the supervisor and billing never (403), a provider not of the case does not see
    it (404), a case worker does not report a time adjustment (END-6: the provider does, 403); no
    key is 400, an unknown event or a bad field 422, and a repeat with the same key is one event."""
    async with api(sthlm(2027, 3, 8, 9), sessions) as app:
        case_id = await app.case()
        death = {"type": "death", "died_on": "2027-03-07"}
        await app.report("supervisor", case_id, death, status=403)
        await app.report("billing", case_id, death, status=403)
        await app.report("other_provider", case_id, death, status=404)
        await app.report("case_worker", "c-nonexistent", death, status=404)
        await app.report("case_worker", case_id, ADJUSTMENT, status=403)
        await app.report("provider", case_id, {"type": "birthday"}, status=422)
        await app.report("provider", case_id, {**ADJUSTMENT, "month": "2027-13"}, status=422)
        await app.report("provider", case_id, {"type": "death", "died_on": "2027-03-09"}, status=422)
        headers = {"Authorization": f"Bearer {app.tokens['provider']}"}
        missing = await app.http.post(f"/cases/{case_id}/events", json=death, headers=headers)
        assert missing.status_code == 400
        assert app.rows(models.Process, case_id=case_id, type="case-event") == []
        first = await app.report("provider", case_id, ADJUSTMENT, key="adj-1")
        again = await app.report("provider", case_id, ADJUSTMENT, status=200, key="adj-1")
        assert again["event"]["process_id"] == first["event"]["process_id"]
        await app.report("provider", case_id, {**ADJUSTMENT, "ordered_minutes": 60}, status=422, key="adj-1")
        assert len(app.rows(models.Process, case_id=case_id, type="case-event")) == 1


async def _start(app: Api, who: str, body: dict[str, Any]) -> str:
    response = await app.http.post("/processes", json=body, headers=app.headers(who))
    assert response.status_code == 201, response.text
    pid: str = response.json()["process_id"]
    return pid


async def test_end2_a_death_closes_the_running_urgent_change_extension_homecoming_follow_up_and_order(
    sessions: sessionmaker[Session],
) -> None:
    """END-2: the provider reports a death on Mon 2027-03-15 (died Sun 14 March) while an urgent
    change, a temporary extension, a homecoming, a follow-up (and its cycle) and an order run:
    each closes with the outcome ``ended_by_death``, no open task remains in the read model, the
    order ends 2027-03-14, the case workers and billing are told, and a month later no deadline
    has fired. A second death report is 409."""
    async with api(sthlm(2027, 3, 15, 9), sessions) as app:
        case_id = await app.case()
        started = [
            await _start(
                app,
                "provider",
                {
                    "type": "urgent-change",
                    "case_id": case_id,
                    "kind": "lasting",
                    "started_at": "2027-03-15T07:30:00+01:00",
                    "description": "Behöver hjälp på natten",
                },
            ),
            await _start(
                app,
                "provider",
                {
                    "type": "temporary-extension",
                    "case_id": case_id,
                    "started_on": "2027-03-14",
                    "inserted": "Tillsyn två gånger per natt",
                    "reason": "Urinvägsinfektion",
                },
            ),
            await _start(
                app,
                "case_worker",
                {"type": "homecoming", "case_id": case_id, "mode": "simplified", "night_help_minutes": 120},
            ),
            await _start(
                app,
                "case_worker",
                {
                    "type": "order",
                    "case_id": case_id,
                    "start_date": "2027-03-22",
                    "items": [{"name": "Städning", "kind": "service"}],
                },
            ),
        ]
        cycle = f"case-{case_id}/follow-up-cycle"
        now = await app.act("case_worker", cycle, "start_now", {"reason": "Ändrat behov"})
        follow_up = now["details"]["current_follow_up"]
        assert follow_up, now
        # The cycle answers once the follow-up started; the follow-up once its plan task is open.
        await app.env.client.get_workflow_handle(follow_up).execute_update("ready", result_type=ProcessState)
        with app.sessions() as session:
            open_before = session.scalars(
                select(models.Task).where(models.Task.case_id == case_id, models.Task.status == "open")
            ).all()
            assert {t.process_id for t in open_before} >= {*started, follow_up}

        death = {"type": "death", "died_on": "2027-03-14", "note": "Avled i hemmet"}
        answer = await app.report("provider", case_id, death)
        assert answer["event"]["outcome"] == "death_registered"
        ended = {e["process_id"]: e for e in answer["ended"]}
        for pid in [*started, follow_up, cycle]:
            assert (ended[pid]["status"], ended[pid]["outcome"]) == ("completed", "ended_by_death"), pid
        for row in app.rows(models.Process, case_id=case_id):
            assert row.status == "completed", (row.id, row.stage)
        assert app.rows(models.Task, case_id=case_id, status="open") == []
        orders = app.rows(models.Order, case_id=case_id)
        assert orders and all(o.ended_on.isoformat() == "2027-03-14" for o in orders)
        assert all(o.status == "ended" for o in orders)
        decisions = app.rows(models.Decision, case_id=case_id)
        assert all(d.end_date.isoformat() == "2027-03-14" for d in decisions)
        (schedule,) = app.rows(models.FollowUpSchedule, case_id=case_id)
        assert schedule.status == "ended"
        assert any("2027-03-14" in m.body for m in app.rows(models.Message, mailbox="case-workers"))
        assert app.rows(models.Message, case_id=case_id, mailbox="billing")
        state = (await app.http.get(f"/processes/{started[0]}", headers=app.headers("case_worker"))).json()
        assert state["outcome"] == "ended_by_death"
        assert any(e["text"].startswith("Dödsfall den 2027-03-14") for e in state["timeline"])

        # No deadline fires any more: every workflow of the case has completed (no timer is left).
        for row in app.rows(models.Process, case_id=case_id):
            await wait_closed(app.env, row.id)
            request = DescribeWorkflowExecutionRequest(
                namespace=app.env.client.namespace, execution=WorkflowExecution(workflow_id=row.id)
            )
            described = await app.env.client.workflow_service.describe_workflow_execution(request)
            assert described.workflow_execution_info.status == COMPLETED, row.id
        await app.report("case_worker", case_id, {"type": "death", "died_on": "2027-03-14"}, status=409)
