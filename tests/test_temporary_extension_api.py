"""The temporary-extension process over HTTP and through the HTML forms, as each role (EXT-1..EXT-6).

Every test is a dated scenario: its own server whose clock starts on Mon 2027-03-15 (the issue's
14-day period, day 14 = Easter Day 2027-03-28), with the app's clock bound to it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from readmodel.database import make_session_factory
from tests.page_forms import posted
from tests.support import advance_to, scenario, scenario_clock, sthlm, wait_closed
from tests.test_api_support import api_client, login_all
from tests.test_read_model import _postgres, _sqlite

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other_provider": {"sub": "pv-dora", "name": "Dora", "role": "provider", "org": "hemtjanst-syd"},
    "deputy": {"sub": "dm-frida", "name": "Frida Bitr", "role": "deputy_manager", "org": "hemtjanst-nord"},
    "supervisor": {"sub": "sup-gun", "name": "Gun Tillsyn", "role": "supervisor"},
    "billing": {"sub": "deb-hans", "name": "Hans Debitering", "role": "billing"},
}
CARE = {"kind": "care", "services": ["Personlig omvårdnad"], "start_date": "2027-01-04"}
START = {
    "type": "temporary-extension",
    "started_on": "2027-03-15",
    "inserted": "Tillsyn två gånger per natt",
    "reason": "Urinvägsinfektion, orolig nattetid",
}
ITEMS = [{"name": "Tillsyn natt", "kind": "care", "minutes_per_month": 600}]


@pytest.fixture(params=["sqlite", "postgresql"])
def both_sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A fresh read model on SQLite and on PostgreSQL (a schema of its own), as DEVELOPERS.md asks
    of every test that writes the read model."""
    with _sqlite(tmp_path) if request.param == "sqlite" else _postgres() as engine:
        yield make_session_factory(engine)


class Api:
    """The app on a dated scenario, with a token for every user of USERS."""

    def __init__(self, http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: dict[str, str]) -> None:
        self.http, self.env, self.tokens = http, env, tokens

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": key or str(uuid.uuid4())}

    async def case(self, decisions: list[dict[str, Any]], profile: str = "staffanstorp") -> str:
        body = {"person_name": "Greta Exempel", "provider_id": "hemtjanst-nord", "profile": profile}
        response = await self.http.post(
            "/cases", json={**body, "decisions": decisions}, headers=self.headers("case_worker")
        )
        assert response.status_code == 201, response.text
        case_id: str = response.json()["case_id"]
        return case_id

    async def start(self, case_id: str, who: str = "provider", **fields: Any) -> httpx.Response:
        body = {**START, "case_id": case_id, **fields}
        return await self.http.post("/processes", json=body, headers=self.headers(who))

    async def act(self, who: str, pid: str, action: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/processes/{pid}/actions/{action}", json=body, headers=self.headers(who)
        )

    async def get(self, who: str, path: str) -> Any:
        response = await self.http.get(path, headers=self.headers(who))
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def dated_api(at: datetime, sessions: sessionmaker[Session]) -> AsyncIterator[Api]:
    async with (
        scenario(at, sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        http.headers["Origin"] = "http://test"  # as a browser posting this site's forms does
        yield Api(http, env, await login_all(http, USERS))


def _tasks(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["action"]: task for task in state["open_tasks"]}


@pytest.mark.parametrize(
    ("decisions", "held"),
    [
        ([{"kind": "service", "services": ["Städning"], "start_date": "2027-01-04"}], "endast servicebeslut"),
        ([{"kind": "safety_alarm", "start_date": "2027-01-04"}], "endast trygghetslarm"),
        ([{"kind": "hsl", "start_date": "2027-01-04"}], "endast uppdrag via hälso- och sjukvården (HSL)"),
        ([], "inga pågående beslut"),
    ],
)
async def test_EXT_1_each_refusal_is_422_in_swedish_pointing_to_new_urgent_case_and_nothing_starts(
    sessions: sessionmaker[Session], decisions: list[dict[str, Any]], held: str
) -> None:
    async with dated_api(sthlm(2027, 3, 15, 10), sessions) as api:
        case_id = await api.case(decisions)
        response = await api.start(case_id)
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert f"Personen har {held} den 2027-03-15." in detail
        assert "14-dagarsöverenskommelsen gäller bara brukare med pågående omvårdnadsbeslut" in detail
        assert "new-urgent-case" in detail
        case = await api.get("case_worker", f"/cases/{case_id}")
        started = [p for p in case["processes"] if p["type"] != "follow-up-cycle"]
        assert started == [] and case["open_tasks"] == []
        assert [m for m in await api.get("case_worker", "/mailboxes/mottagningsfunktionen/messages")] == []


async def test_EXT_2_start_errors_roles_visibility_profile_and_dates(sessions: sessionmaker[Session]) -> None:
    async with dated_api(sthlm(2027, 3, 15, 10), sessions) as api:
        case_id = await api.case([CARE])
        assert (await api.start(case_id, "case_worker")).status_code == 403
        assert (await api.start(case_id, "deputy")).status_code == 403
        assert (await api.start(case_id, "other_provider")).status_code == 404
        future = await api.start(case_id, started_on="2027-03-16")
        assert (future.status_code, "framtiden" in future.json()["detail"]) == (422, True)
        over = await api.start(case_id, started_on="2027-03-01")  # day 14 = 2027-03-14
        assert over.status_code == 422
        assert "slutade 2027-03-14" in over.json()["detail"]
        assert (await api.start(case_id, inserted=" ")).status_code == 422
        assert (await api.start(case_id, inserted="Tillsyn\x00natt")).status_code == 422
        too_long = await api.start(case_id, reason="x" * 10_001)  # the shared free-text limit
        assert too_long.status_code == 422
        assert "får vara högst 10000 tecken" in str(too_long.json()["detail"])
        assert (await api.start(case_id, started_on="15/3")).status_code == 422
        norrkoping = await api.start(await api.case([CARE], profile="norrkoping"))
        assert norrkoping.status_code == 422
        assert "används inte i Norrköpings kommun" in norrkoping.json()["detail"]

        body = {**START, "case_id": case_id}
        first = await api.http.post("/processes", json=body, headers=api.headers("provider", "ext-start-1"))
        repeat = await api.http.post("/processes", json=body, headers=api.headers("provider", "ext-start-1"))
        assert (first.status_code, repeat.status_code) == (201, 200)
        assert (
            first.json()["process_id"]
            == repeat.json()["process_id"]
            == f"case-{case_id}/temporary-extension/1"
        )
        state = first.json()
        assert state["deadlines"] == {
            "confirm_start": "2027-03-22T23:59:59+01:00",
            "follow_up": "2027-03-28T23:59:59+02:00",
        }
        assert state["details"]["proposed_decision_date"] == "2027-03-15"


async def test_EXT_the_whole_process_through_the_api_as_each_role_up_to_the_granted_updated_order(
    both_sessions: sessionmaker[Session],
) -> None:
    """EXT-2..EXT-5 over HTTP: the provider starts and reports a lasting change, the case worker
    confirms, follows up (remains), registers the application and grants, back-dated to day 1; the
    updated order reaches the provider. Wrong roles: 403 / 404; not open: 409; bad data: 422."""
    async with dated_api(sthlm(2027, 3, 15, 10), both_sessions) as api:
        case_id = await api.case([CARE])
        started = await api.start(case_id)
        assert started.status_code == 201, started.text
        pid = started.json()["process_id"]
        [notice] = await api.get("case_worker", "/mailboxes/mottagningsfunktionen/messages")
        assert notice["case_id"] == case_id and "2027-03-28 (dag 14)" in notice["body"]

        assert (await api.act("provider", pid, "confirm_start", {})).status_code == 403
        assert (await api.act("supervisor", pid, "confirm_start", {})).status_code == 403
        assert (await api.act("other_provider", pid, "confirm_start", {})).status_code == 404
        assert (await api.act("case_worker", pid, "decide", {"granted": False})).status_code == 409
        assert (await api.act("case_worker", pid, "confirm_start", {"colour": "blå"})).status_code == 422
        assert (await api.act("case_worker", pid, "confirm_start", {"note": "n" * 10_001})).status_code == 422
        confirmed = await api.act("case_worker", pid, "confirm_start", {"note": "Ok enligt avtal"})
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["stage"] == "confirmed"
        assert (await api.act("case_worker", pid, "confirm_start", {})).status_code == 409

        await advance_to(api.env, sthlm(2027, 3, 19, 11, 0))
        lasting = await api.act("provider", pid, "report_lasting", {"established_on": "2027-03-19"})
        assert lasting.status_code == 200, lasting.text
        assert lasting.json()["deadlines"]["report_lasting"] == "2027-03-26T23:59:59+01:00"
        told = await api.get("case_worker", "/mailboxes/case-workers/messages")
        assert [m["subject"] for m in told if m["case_id"] == case_id] == [
            "Utökat stöd bedöms vara varaktigt"
        ]

        await advance_to(api.env, sthlm(2027, 3, 26, 9, 0))
        follow_up = {"outcome": "remains", "provider_contact": "Carl Samordnare"}
        assert (await api.act("case_worker", pid, "follow_up", {"outcome": "maybe"})).status_code == 422
        remains = await api.act("case_worker", pid, "follow_up", follow_up)
        assert (remains.status_code, remains.json()["stage"]) == (200, "application")
        applied = await api.act("case_worker", pid, "register_application", {"received_on": "2027-03-26"})
        assert applied.json()["stage"] == "deciding"

        wrong = await api.act(
            "case_worker", pid, "decide", {"granted": True, "decision_date": "2027-03-26", "items": ITEMS}
        )
        assert wrong.status_code == 422
        assert wrong.json()["detail"] == (
            "Beslutet ska bakåtdateras till den dag utföraren satte in stödet: 2027-03-15, inte 2027-03-26."
        )
        granted = await api.act(
            "case_worker", pid, "decide", {"granted": True, "decision_date": "2027-03-15", "items": ITEMS}
        )
        assert granted.status_code == 200, granted.text
        assert (granted.json()["outcome"], granted.json()["status"]) == ("granted", "completed")
        order_id = f"case-{case_id}/order/temporary-extension-1"
        # The updated order is a process of its own: once its first steps are open, its row is written.
        await api.env.client.get_workflow_handle(order_id).execute_update("ready")

        case = await api.get("provider", f"/cases/{case_id}")
        [decision] = [d for d in case["decisions"] if d["kind"] == "care" and d["start_date"] == "2027-03-15"]
        assert decision["services"] == ["Tillsyn natt"]
        [order] = case["orders"]
        assert (order["id"], order["start_date"], order["provider_id"]) == (
            order_id,
            "2027-03-15",
            "hemtjanst-nord",
        )
        inbox = await api.get("provider", "/tasks")
        assert any(t["process_id"] == order_id and t["action"] == "confirm" for t in inbox)

        history = await api.get("supervisor", f"/processes/{pid}/history")
        lines = [(e["actor"], e["text"]) for e in history["entries"]]
        assert (
            "Carl Samordnare (hemtjänstutförare)",
            "Utökat stöd insatt från 2027-03-15: Tillsyn två gånger "
            "per natt. Orsak: Urinvägsinfektion, orolig nattetid",
        ) in lines
        assert any(
            a == "Anna Handläggare (biståndshandläggare)" and "i tid (senast 2027-03-22 23:59)" in t
            for a, t in lines
        )
        assert any("i tid (senast 2027-03-28 23:59)" in t for _, t in lines)  # EXT-4 met on 03-26
        assert (
            await api.http.get(f"/processes/{pid}", headers=api.headers("other_provider"))
        ).status_code == 404
        await wait_closed(api.env, pid)


async def test_EXT_6_transient_closes_with_no_payment_and_billing_reads_the_notice(
    both_sessions: sessionmaker[Session],
) -> None:
    async with dated_api(sthlm(2027, 3, 15, 10), both_sessions) as api:
        case_id = await api.case([CARE])
        pid = (await api.start(case_id)).json()["process_id"]
        assert await api.get("billing", "/billing/notices") == []
        await advance_to(api.env, sthlm(2027, 3, 25, 14, 0))
        transient = {
            "outcome": "transient",
            "provider_contact": "Carl Samordnare",
            "note": "Infektionen läkt",
        }
        done = await api.act("case_worker", pid, "follow_up", transient)
        assert done.status_code == 200, done.text
        assert (done.json()["outcome"], done.json()["open_tasks"]) == ("transient", [])
        [notice] = await api.get("billing", "/billing/notices")
        assert (notice["case_id"], notice["process_id"], notice["concerns"]) == (case_id, pid, "2027-03-15")
        assert notice["deadline"] == "2027-04-04T23:59:59+02:00"
        assert notice["text"] == (
            "Behovet var övergående. Ingen ersättning till utföraren för det utökade stödet under "
            "perioden 2027-03-15–2027-03-25. Infektionen läkt"
        )
        assert [c["id"] for c in await api.get("billing", "/cases")] == [case_id]
        provider_box = await api.get("provider", "/mailboxes/provider-hemtjanst-nord/messages")
        assert any(m["subject"] == "Uppföljning: övergående behov" for m in provider_box)
        await wait_closed(api.env, pid)


# -- the HTML forms ------------------------------------------------------------------------------


async def ui_login(api: Api, who: str) -> None:
    api.http.cookies.clear()
    user = USERS[who]
    form = {"role": user["role"], "sub": user["sub"], "name": user["name"], "org": user.get("org", "")}
    assert (await api.http.post("/ui/login", data=form)).status_code == 303


async def post_form(api: Api, pid: str, action: str, form: dict[str, str]) -> str:
    """Open the process page, post the action's form, return the next page."""
    url = f"/ui/processer/{pid}/atgard/{action}"
    page = await api.http.get(f"/ui/processer/{pid}")
    assert f'action="{url}"' in page.text
    response = await api.http.post(url, data=form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/ui/processer/{pid}?utfort={action}"
    return (await api.http.get(response.headers["location"])).text


async def test_EXT_the_whole_process_through_the_html_forms_as_provider_senior_and_case_worker(
    sessions: sessionmaker[Session],
) -> None:
    """The generated Swedish forms: the provider starts from the case page and reports a lasting
    change; the missed confirmation is escalated and the senior case worker confirms (COM-7); the
    case worker follows up, registers the application and decides with the proposed date
    2027-03-15 prefilled (EXT-5); another date shows the Swedish error with 422."""
    async with dated_api(sthlm(2027, 3, 15, 10), sessions) as api:
        case_id = await api.case([CARE])
        await ui_login(api, "provider")
        case_page = await api.http.get(f"/ui/arenden/{case_id}")
        assert "Starta tillfällig utökning (14 dagar)" in case_page.text
        assert '<label for="starta-temporary-extension-started_on">Stödet sattes in (dag 1)' in case_page.text
        start_form = {
            "type": "temporary-extension",
            "case_id": case_id,
            "idempotency_key": "ui-start-1",
            "started_on": "2027-03-15",
            "inserted": "Tillsyn två gånger per natt",
            "reason": "Urinvägsinfektion",
        }
        started = await api.http.post("/ui/processer", data=start_form)
        assert started.status_code == 303, started.text
        pid = f"case-{case_id}/temporary-extension/1"
        assert started.headers["location"] == f"/ui/processer/{pid}?startad=1"
        page = (await api.http.get(started.headers["location"])).text
        assert "Meddela om förändringen bedöms vara längre än 14 dagar" in page
        assert "Dag då förändringen konstaterades" in page
        assert "atgard/confirm_start" not in page  # the case worker's form, not the provider's

        await advance_to(api.env, sthlm(2027, 3, 17, 10, 0))
        page = await post_form(
            api, pid, "report_lasting", {"established_on": "2027-03-17", "message": "Varaktigt"}
        )
        assert "Klart: Meddela varaktig förändring." in page

        await ui_login(api, "case_worker")
        page = (await api.http.get(f"/ui/processer/{pid}")).text
        assert "atgard/confirm_start" in page and "atgard/follow_up" in page
        assert "sön 28 mars 23:59" in page  # EXT-4's due time, local (2027-03-28 23:59:59)
        await ui_login(api, "senior")
        assert "atgard/confirm_start" not in (await api.http.get(f"/ui/processer/{pid}")).text

        # COM-1 missed (due mån 2027-03-22 23:59): escalated, the senior case worker confirms
        await advance_to(api.env, sthlm(2027, 3, 23, 9, 0))
        page = await post_form(api, pid, "confirm_start", {"note": "Bekräftat av förste handläggare"})
        assert "Klart: Bekräfta uppstart (14 dagar)." in page
        assert "efter tidsgränsen (senast 2027-03-22 23:59)" in page
        await ui_login(api, "supervisor")
        assert "atgard/" not in (await api.http.get(f"/ui/processer/{pid}")).text  # reads, acts not

        await ui_login(api, "case_worker")
        await advance_to(api.env, sthlm(2027, 3, 24, 10, 0))
        page = await post_form(
            api, pid, "follow_up", {"outcome": "remains", "provider_contact": "Carl Samordnare", "note": ""}
        )
        assert "ansökan" in page
        page = await post_form(api, pid, "register_application", {"received_on": "2027-03-24"})
        assert posted(page, "atgard-decide")["decision_date"] == "2027-03-15"  # EXT-5: day 1, proposed
        assert "Fylls i när ”Beviljas” är ikryssat." in page

        url = f"/ui/processer/{pid}/atgard/decide"
        decide = {
            "granted": "on",
            "decision_date": "2027-03-24",
            "items-0-name": "Tillsyn natt",
            "items-0-kind": "care",
            "items-0-minutes_per_month": "600",
            "other": "Nyckel i kodlåda",
        }
        refused = await api.http.post(url, data=decide)
        assert refused.status_code == 303  # post/redirect/get: the process page shows the refusal
        shown = await api.http.get(refused.headers["location"])
        assert shown.status_code == 422
        assert "Beslutet ska bakåtdateras till den dag utföraren satte in stödet: 2027-03-15" in shown.text
        page = await post_form(api, pid, "decide", {**decide, "decision_date": "2027-03-15"})
        assert "beviljat" in page
        state = await api.get("case_worker", f"/processes/{pid}")
        assert (state["outcome"], state["details"]["decision_date"]) == ("granted", "2027-03-15")

        await ui_login(api, "provider")
        order_page = await api.http.get(f"/ui/processer/case-{case_id}/order/temporary-extension-1")
        assert order_page.status_code == 200
        assert "Bekräfta beställningen" in order_page.text
        await wait_closed(api.env, pid)
