"""The homecoming process over HTTP and through the HTML forms, as each role (HT-1..HT-6): the
contract's errors, idempotent repeats, who sees what, the readable history, and forms prefilled
with the dates the rules propose. Each test runs on its own scenario server and clock."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.support import advance_to, end_of, scenario, scenario_clock, sthlm
from tests.test_api_support import api_client, login_all, new_case

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "team": {"sub": "hg-gun", "name": "Gun Hemgång", "role": "homecoming_team", "org": "hemgangsteam"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other": {"sub": "pv-dora", "name": "Dora Samordnare", "role": "provider", "org": "hemtjanst-syd"},
}
CARE = [{"name": "Personlig omvårdnad", "kind": "care", "minutes_per_month": 900}]


class Client:
    """The app on a scenario server, with every user of USERS logged in."""

    def __init__(self, http: httpx.AsyncClient, env: WorkflowEnvironment, tokens: dict[str, str]) -> None:
        self.http, self.env, self.tokens = http, env, tokens

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Idempotency-Key": key or str(uuid.uuid4())}

    async def start(self, who: str, case_id: str, status: int = 201, **fields: Any) -> dict[str, Any]:
        body = {"type": "homecoming", "case_id": case_id, **fields}
        response = await self.http.post("/processes", json=body, headers=self.headers(who))
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def act(
        self, who: str, pid: str, action: str, body: dict[str, Any], status: int = 200, key: str | None = None
    ) -> dict[str, Any]:
        url = f"/processes/{pid}/actions/{action}"
        response = await self.http.post(url, json=body, headers=self.headers(who, key))
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def get(self, who: str, url: str, status: int = 200) -> Any:
        response = await self.http.get(url, headers=self.headers(who))
        assert response.status_code == status, response.text
        return response.json()


@asynccontextmanager
async def app_at(at: datetime, sessions: sessionmaker[Session]) -> AsyncIterator[Client]:
    async with (
        scenario(at, sessions) as (env, worker),
        api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http,
    ):
        http.headers["Origin"] = "http://test"  # as a browser posting this site's forms does
        yield Client(http, env, await login_all(http, USERS))


async def orders_seen(app: Client, who: str, case_id: str, expected: list[tuple[Any, ...]]) -> None:
    """The case's orders as ``who`` sees them: (provider_id, status, ended_on) once they match;
    the orders are processes of their own, whose rows follow their sending shortly."""
    seen: list[tuple[Any, ...]] = []
    for _ in range(100):
        orders = (await app.get(who, f"/cases/{case_id}"))["orders"]
        seen = [(o["provider_id"], o["status"], o["ended_on"]) for o in orders]
        if seen == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(seen)


def task(state: dict[str, Any], action: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in state["open_tasks"] if t["action"] == action)
    return found


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_HT_2_HT_3_simplified_over_http_as_each_role_late_announcement_dialogue_and_visibility(
    sessions: sessionmaker[Session],
) -> None:
    """Handover Tue 2026-12-29 announced Mon 2026-12-28: accepted, a deviation, and the senior case
    worker's dialogue; only the team and the chosen provider see the process."""
    async with app_at(sthlm(2026, 12, 28, 9), sessions) as app:
        case_id = await new_case(app.http)
        await app.start("provider", case_id, status=403, mode="simplified")
        await app.start("case_worker", case_id, status=422, mode="simplified", items=CARE)
        await app.start("case_worker", case_id, status=422, mode="simplified", night_help_minutes=0)
        await app.start("case_worker", case_id, status=422, mode="bogus")
        state = await app.start("case_worker", case_id, mode="simplified", night_help_minutes=120)
        pid = state["process_id"]
        assert pid == f"case-{case_id}/homecoming/1"
        await app.get("other", f"/processes/{pid}", status=404)

        key = str(uuid.uuid4())
        body = {"start_date": "2026-12-28", "other": "Nyckel hos grannen.", "night_other": "Tillsyn 02:00."}
        sent = await app.act("case_worker", pid, "send_order", body, key=key)
        assert await app.act("case_worker", pid, "send_order", body, key=key) == sent  # one effect
        assert set(sent["details"]["orders"]) == {"team", "night"}
        await app.act("case_worker", pid, "send_order", body, status=409)

        # the team sees the process and its own task; the other provider still does not
        await orders_seen(app, "team", case_id, [("hemgangsteam", "sent", None)])
        assert (await app.get("team", f"/processes/{pid}"))["stage"] == "with_team"
        inbox = await app.get("team", f"/tasks?case_id={case_id}")
        assert "announce_handover" in {t["action"] for t in inbox}
        await app.get("other", f"/processes/{pid}", status=404)
        await app.act("provider", pid, "announce_handover", {"handover_date": "2026-12-29"}, status=403)
        await app.act("team", pid, "announce_handover", {"handover_date": "2026-12-20"}, status=422)
        await app.act(
            "team", pid, "announce_handover", {"handover_date": "2026-12-29", "planned_at": "x"}, 422
        )

        state = await app.act("team", pid, "announce_handover", {"handover_date": "2026-12-29"})
        assert state["deviations"] == ["Överlämningen meddelades för sent, senast 2026-12-23 (HT-3)."]
        assert task(state, "dialogue")["role"] == "senior_case_worker"
        assert at(task(state, "follow_up")["due_at"]) == end_of(datetime(2026, 12, 28).date())
        senior_inbox = await app.get("senior", "/tasks")
        assert [t["action"] for t in senior_inbox if t["case_id"] == case_id] == ["dialogue"]

        await app.act("senior", pid, "dialogue", {"note": "Sent besked, men hemgången fungerar."})
        await app.act("case_worker", pid, "follow_up", {"new_decision": True, "services": []}, status=422)
        await app.act("case_worker", pid, "follow_up", {"contacted_person": True})
        move = {"start_date": "2026-12-29", "items": CARE, "other": "Ringer på två gånger."}
        await app.act("case_worker", pid, "move_order", {**move, "provider_id": "hemgangsteam"}, status=422)
        unlisted = await app.act("case_worker", pid, "move_order", {**move, "provider_id": "x-1"}, status=422)
        assert unlisted["detail"][0] == {  # not in profiles/default.toml's units: refused at the edge
            "loc": ["provider_id"],
            "msg": "finns inte bland kommunens enheter",
            "type": "unknown_unit",
        }
        state = await app.act("case_worker", pid, "move_order", move)
        assert (state["status"], state["outcome"]) == ("completed", "handed_over")

        # the chosen provider sees the process and its moved order, not the team's
        assert (await app.get("provider", f"/processes/{pid}"))["outcome"] == "handed_over"
        await orders_seen(app, "provider", case_id, [("hemtjanst-nord", "sent", None)])
        await orders_seen(app, "team", case_id, [("hemgangsteam", "ended", "2026-12-29")])
        await app.get("other", f"/processes/{pid}", status=404)

        history = await app.get("senior", f"/processes/{pid}/history")
        texts = [(e["actor"], e["text"]) for e in history["entries"]]
        assert any(
            actor == "Gun Hemgång (hemgångsteam)" and "2026-12-29" in text and "för sent" in text
            for actor, text in texts
        )
        assert any(text.startswith("Avvikelse:") for _, text in texts)


async def test_HT_5_reverse_over_http_the_provider_asks_and_takes_back(
    sessions: sessionmaker[Session],
) -> None:
    async with app_at(sthlm(2027, 3, 8, 9), sessions) as app:
        case_id = await new_case(app.http)
        await app.start("other", case_id, status=404, mode="reverse")
        await app.start("provider", case_id, status=422, mode="reverse", safety_alarm=True)
        state = await app.start("provider", case_id, mode="reverse")
        pid = state["process_id"]
        request = {
            "reason": "Behöver extra stöd efter fall",
            "period_start": "2027-03-10",
            "period_end": "2027-03-24",
        }
        await app.act("provider", pid, "request_takeover", {**request, "reason": ""}, status=422)
        state = await app.act("provider", pid, "request_takeover", request)
        # HT-5: COM-1 (Mon 2027-03-15), but before the period starts Wed 2027-03-10
        assert at(task(state, "move_order")["due_at"]) == end_of(datetime(2027, 3, 9).date())
        state = await app.act("case_worker", pid, "move_order", {"start_date": "2027-03-10", "items": CARE})
        await orders_seen(app, "team", case_id, [("hemgangsteam", "sent", None)])
        assert (await app.get("team", f"/processes/{pid}"))["stage"] == "with_team"
        state = await app.act("provider", pid, "hand_back", {"back_on": "2027-03-24"})
        state = await app.act("case_worker", pid, "move_order", {"start_date": "2027-03-24", "items": CARE})
        assert state["outcome"] == "handed_back"
        expected = [("hemgangsteam", "ended", "2027-03-24"), ("hemtjanst-nord", "sent", None)]
        await orders_seen(app, "case_worker", case_id, expected)


async def test_HT_6_discharge_start_over_http_in_botkyrka_only(sessions: sessionmaker[Session]) -> None:
    async with app_at(sthlm(2027, 6, 25, 9, 30), sessions) as app:
        discharge: dict[str, Any] = {"discharge_need": "unchanged", "called_at": "2027-06-25T09:00:00+02:00"}
        plain = await new_case(app.http)
        await app.start("case_worker", plain, status=422, mode="simplified", **discharge)
        botkyrka = await new_case(app.http, profile="botkyrka")
        await app.start("case_worker", botkyrka, status=422, mode="simplified")  # HT-6 needs the call
        state = await app.start("case_worker", botkyrka, mode="simplified", **discharge)
        assert at(state["deadlines"]["services_start"]) == end_of(datetime(2027, 6, 28).date())


# -- the HTML forms --------------------------------------------------------------------------------


async def ui_as(app: Client, who: str) -> None:
    user = USERS[who]
    app.http.cookies.clear()
    form = {"role": user["role"], "sub": user["sub"], "name": user["name"], "org": user.get("org", "")}
    assert (await app.http.post("/ui/login", data=form)).status_code == 303


def value_of(page: str, form_id: str, name: str) -> str:
    """The prefilled value of an input, or the selected choice of a select (a unit field)."""
    select = re.search(rf'<select[^>]*\bid="{form_id}-{name}"[^>]*>(.*?)</select>', page, re.S)
    if select is not None:
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
        return chosen.group(1) if chosen else ""
    tag = re.search(rf'<input[^>]*\bid="{form_id}-{name}"[^>]*>', page)
    assert tag is not None, f"{form_id}-{name} not in the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


async def post_form(app: Client, pid: str, action: str, form: dict[str, str], status: int = 303) -> str:
    page = await app.http.get(f"/ui/processer/{pid}")
    assert page.status_code == 200, page.text
    assert f'id="atgard-{action}"' in page.text or f"atgard/{action}" in page.text
    response = await app.http.post(
        f"/ui/processer/{pid}/atgard/{action}", data={"idempotency_key": str(uuid.uuid4()), **form}
    )
    assert response.status_code == 303, response.text  # post/redirect/get, also after a refusal
    if status == 303:
        return response.text
    shown = await app.http.get(response.headers["location"])  # the page with the error
    assert shown.status_code == status, shown.text
    return shown.text


async def test_HT_4_regular_through_the_html_forms_as_each_role_with_the_proposed_dates_prefilled(
    sessions: sessionmaker[Session],
) -> None:
    async with app_at(sthlm(2027, 2, 26, 10), sessions) as app:
        case_id = await new_case(app.http)
        await ui_as(app, "case_worker")
        case_page = await app.http.get(f"/ui/arenden/{case_id}")
        assert 'value="homecoming"' in case_page.text and "Vanlig handläggning" in case_page.text
        start = {
            "idempotency_key": str(uuid.uuid4()),
            "type": "homecoming",
            "case_id": case_id,
            "mode": "regular",
            "origin": "short_term_stay",
            "items-0-name": "Personlig omvårdnad",
            "items-0-kind": "care",
            "items-0-minutes_per_month": "900",
        }
        started = await app.http.post("/ui/processer", data=start)
        assert started.status_code == 303, started.text
        pid = started.headers["location"].removeprefix("/ui/processer/").split("?")[0]

        await post_form(app, pid, "send_team_info", {"information": ""}, status=422)
        await post_form(app, pid, "send_team_info", {"information": "Insulin morgon och kväll."})
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert value_of(page, "atgard-send_order", "start_date") == "2027-02-26"  # proposed: today
        await post_form(app, pid, "send_order", {"start_date": "2027-02-26", "other": "Portkod 4711"})

        await advance_to(app.env, sthlm(2027, 2, 27, 8, 50))
        await ui_as(app, "team")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert "Meddela överlämning" in page
        # HT-4: the earliest on-time planned handover, 24 clock hours on, on the next full hour
        assert value_of(page, "atgard-announce_handover", "planned_at") == "2027-02-28T09:00"
        error = await post_form(app, pid, "announce_handover", {"planned_at": "2027-03-01T10:00"}, status=422)
        assert "Ange de insatser som ska lämnas över" in error
        # issue 10: a rule's refusal stands at the field it is about, with aria-invalid
        assert 'name="services" aria-invalid="true"' in error and "(services)" not in error
        past = {"planned_at": "2027-02-27T08:00", "services": "Personlig omvårdnad"}  # before "now", 08:50
        error = await post_form(app, pid, "announce_handover", past, status=422)
        field = "atgard-announce_handover-planned_at"
        assert f'aria-invalid="true" aria-describedby="{field}-hjalp {field}-fel"' in error
        assert (
            f'<p class="field-error" id="{field}-fel">Den planerade överlämningen måste ligga efter' in error
        )
        await post_form(
            app,
            pid,
            "announce_handover",
            {"planned_at": "2027-03-01T10:00", "services": "Personlig omvårdnad"},
        )

        await ui_as(app, "provider")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert "atgard-move_order" not in page  # not the provider's to do
        await ui_as(app, "case_worker")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert value_of(page, "atgard-move_order", "start_date") == "2027-03-01"
        assert value_of(page, "atgard-move_order", "provider_id") == "hemtjanst-nord"
        # HT-4: the order moves with the services the team listed; a new decision after the
        # follow-up is proposed from the handover date
        assert value_of(page, "atgard-move_order", "items-0-name") == "Personlig omvårdnad"
        assert value_of(page, "atgard-move_order", "items-0-kind") == "care"
        assert value_of(page, "atgard-follow_up", "decision_date") == "2027-03-01"
        assert "Fylls i när ”Nytt beslut om hemtjänst” är ikryssat." in page
        no_items = {"start_date": "2027-03-01", "provider_id": "hemtjanst-nord"}
        error = await post_form(app, pid, "move_order", no_items, status=422)
        assert '<p class="field-error" id="atgard-move_order-items-fel">' in error  # at the services' rows
        await post_form(
            app,
            pid,
            "move_order",
            {
                "start_date": "2027-03-01",
                "provider_id": "hemtjanst-nord",
                "items-0-name": "Personlig omvårdnad",
                "items-0-kind": "care",
            },
        )
        state = await app.get("case_worker", f"/processes/{pid}")
        assert (state["outcome"], state["details"]["announcement_on_time"]) == ("handed_over", True)


async def test_HT_3_simplified_through_the_html_forms_with_the_proposed_handover_date(
    sessions: sessionmaker[Session],
) -> None:
    """Announced Wed 2026-12-23: the form proposes Tue 2026-12-29, the earliest on-time date."""
    async with app_at(sthlm(2026, 12, 23, 10), sessions) as app:
        case_id = await new_case(app.http)
        await ui_as(app, "case_worker")
        start = {
            "idempotency_key": str(uuid.uuid4()),
            "type": "homecoming",
            "case_id": case_id,
            "mode": "simplified",
        }
        started = await app.http.post("/ui/processer", data=start)
        assert started.status_code == 303, started.text
        pid = started.headers["location"].removeprefix("/ui/processer/").split("?")[0]
        await post_form(app, pid, "send_order", {"start_date": "2026-12-23"})
        await ui_as(app, "team")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        proposed = value_of(page, "atgard-announce_handover", "handover_date")
        assert proposed == "2026-12-29"
        await post_form(app, pid, "announce_handover", {"handover_date": proposed})
        await ui_as(app, "case_worker")
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        assert "Registrera uppföljning" in page
        assert value_of(page, "atgard-follow_up", "decision_date") == "2026-12-29"  # the handover date
        decided = {"contacted_person": "on", "new_decision": "on", "decision_date": "2026-12-29"}
        await post_form(app, pid, "follow_up", decided | {"services": "Personlig omvårdnad\nTillsyn"})
        page = (await app.http.get(f"/ui/processer/{pid}")).text
        # HT-3: the order moves with the new decision's services
        moved = [value_of(page, "atgard-move_order", f"items-{i}-name") for i in range(3)]
        assert moved == ["Personlig omvårdnad", "Tillsyn", ""]
        await post_form(
            app,
            pid,
            "move_order",
            {"start_date": "2026-12-29", "items-0-name": "Hemtjänst", "items-0-kind": "care"},
        )
        state = await app.get("case_worker", f"/processes/{pid}")
        assert (state["outcome"], state["deviations"]) == ("handed_over", [])
