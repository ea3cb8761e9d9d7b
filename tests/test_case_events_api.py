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
from temporalio.testing import WorkflowEnvironment

from readmodel import models
from readmodel.database import make_session_factory
from tests.support import advance_to, scenario, scenario_clock, sthlm
from tests.test_api_support import api_client, login_all
from tests.test_read_model import _postgres, _sqlite

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other_provider": {"sub": "pv-dora", "name": "Dora", "role": "provider", "org": "hemtjanst-syd"},
    "supervisor": {"sub": "sup-gun", "name": "Gun Tillsyn", "role": "supervisor"},
    "billing": {"sub": "deb-hans", "name": "Hans Debitering", "role": "billing"},
}
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
            m for m in app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
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
    workers are told); the case worker may not register it (403). A pause of single services opens
    the case worker's confirmation (COM-1: Mon 15 March), and the provider is told the period
    (COM-5)."""
    async with api(sthlm(2027, 3, 8, 9), sessions) as app:
        case_id = await app.case()
        whole = {"type": "pause", "scope": "case", "starts_on": "2027-03-08", "reason": "Sjukhusvistelse"}
        await app.report("case_worker", case_id, whole, status=403)
        event = (await app.report("provider", case_id, whole))["event"]
        assert (event["stage"], event["outcome"], event["open_tasks"]) == ("closed", "pause_registered", [])
        (told,) = app.rows(models.Message, case_id=case_id, mailbox="case-workers")
        assert "hela ärendet från 2027-03-08 tills vidare" in told.body
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
        (message,) = app.rows(models.Message, case_id=case_id, mailbox="provider-hemtjanst-nord")
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
