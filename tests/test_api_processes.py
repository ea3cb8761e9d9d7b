"""Processes over HTTP against the time-skipping server: start, inbox, actions, errors, history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel import models
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER, SENIOR, scenario_clock, wait_closed
from tests.test_api_support import (
    ORDER_CONFIRM_DUE,
    act,
    api_client,
    keyed,
    login,
    new_case,
    order_body,
    start_order,
)
from workflows.model import Actor

SUPERVISOR = Actor(user_id="sv-gun", role="supervisor", name="Gun Tillsyn")


@pytest.fixture
async def api(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http:
        yield http


async def _state(http: httpx.AsyncClient, process_id: str, actor: Actor = CASE_WORKER) -> dict[str, Any]:
    response = await http.get(f"/processes/{process_id}", headers=await login(http, actor))
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def _task(state: dict[str, Any], action: str) -> dict[str, Any]:
    return next(t for t in state["open_tasks"] if t["action"] == action)


async def test_ORD_1_starting_an_order_answers_201_with_confirm_due_24_working_hours_later(
    api: httpx.AsyncClient,
) -> None:
    """ORD-1: sent Friday 10:00, the provider confirms by Monday 10:00, shown with the +01:00 offset."""
    case_id = await new_case(api)
    state = await start_order(api, case_id)
    assert state["process_id"] == f"case-{case_id}/order/1"
    assert state["type"] == "order"
    confirm = _task(state, "confirm")
    assert confirm["due_at"] == ORDER_CONFIRM_DUE
    assert (confirm["role"], confirm["org"]) == ("provider", "hemtjanst-nord")
    assert state["deadlines"]["confirm"] == ORDER_CONFIRM_DUE


async def test_a_second_order_of_the_same_case_gets_the_next_number(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    await start_order(api, case_id)
    second = await start_order(api, case_id)
    assert second["process_id"] == f"case-{case_id}/order/2"


async def test_ORD_1_the_provider_inbox_shows_confirm_with_its_due_time(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    state = await start_order(api, case_id)
    response = await api.get("/tasks", params={"case_id": case_id}, headers=await login(api, PROVIDER))
    assert response.status_code == 200
    tasks = {t["action"]: t for t in response.json()}
    assert tasks["confirm"]["due_at"] == ORDER_CONFIRM_DUE
    assert tasks["confirm"]["process_id"] == state["process_id"]
    assert set(tasks["confirm"]) >= {"task_id", "case_id", "title", "overdue", "escalated_to", "org", "role"}
    other = await api.get("/tasks", params={"case_id": case_id}, headers=await login(api, OTHER_PROVIDER))
    assert other.json() == []


async def test_the_same_idempotency_key_twice_confirms_once_and_answers_the_same(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    headers = {**await login(api, PROVIDER), "Idempotency-Key": str(uuid.uuid4())}
    url = f"/processes/{process_id}/actions/confirm"
    first = await api.post(url, json={"note": "Planering startad"}, headers=headers)
    second = await api.post(url, json={"note": "Planering startad"}, headers=headers)
    assert first.status_code == second.status_code == 200, first.text
    assert first.json() == second.json()
    assert first.json()["stage"] == "confirmed"
    confirmed = "Bekräfta mottagen beställning: utfört. Anteckning: Planering startad"  # §7
    done = [e for e in first.json()["timeline"] if e["text"] == confirmed]
    assert len(done) == 1
    assert "confirm" not in {t["action"] for t in (await _state(api, process_id))["open_tasks"]}


async def test_the_wrong_role_gets_403_and_the_state_is_unchanged(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    before = await _state(api, process_id)
    response = await act(api, process_id, "confirm", {}, SENIOR)
    assert response.status_code == 403
    assert "hemtjänstutförare" in response.json()["detail"]
    assert await _state(api, process_id) == before


async def test_a_supervisor_reads_but_cannot_act(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    assert (await _state(api, process_id, SUPERVISOR))["process_id"] == process_id
    assert (await act(api, process_id, "confirm", {}, SUPERVISOR)).status_code == 403


async def test_an_action_that_is_not_open_is_409_and_the_state_is_unchanged(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    before = await _state(api, process_id)
    response = await act(api, process_id, "care_plan_done", {"done_on": "2026-11-21"})
    assert response.status_code == 409
    assert "inte öppen" in response.json()["detail"]
    assert await _state(api, process_id) == before


async def test_ORD_2_an_execution_date_in_the_future_is_422_and_the_state_is_unchanged(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    before = await _state(api, process_id)
    response = await act(api, process_id, "register_execution", {"execution_date": "2026-12-31"})
    assert response.status_code == 422
    assert "framtiden" in response.json()["detail"]
    # beyond the calendar's years the calendar's limit answers first (§2.2)
    response = await act(api, process_id, "register_execution", {"execution_date": "2099-01-01"})
    assert response.status_code == 422
    assert "utanför kalenderns år 2020–2060" in str(response.json()["detail"])
    assert await _state(api, process_id) == before


async def test_an_action_body_is_validated_and_cannot_set_the_actor(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    actor = {"user_id": "x", "role": "provider", "org": "hemtjanst-nord"}
    assert (await act(api, process_id, "confirm", {"actor": actor})).status_code == 422
    assert (await act(api, process_id, "register_execution", {"execution_date": "igår"})).status_code == 422
    assert (await act(api, process_id, "confirm", {"occurred_at": "2026-11-20T12:00:00"})).status_code == 422
    assert (await act(api, process_id, "confirm", {"bogus": 1})).status_code == 422
    assert (await act(api, process_id, "fly", {})).status_code == 404


async def test_ORD_5_a_completed_order_answers_409_to_further_actions_and_keeps_its_state(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    assert (
        await act(api, process_id, "register_execution", {"execution_date": "2026-11-21"})
    ).status_code == 200
    done = await act(api, process_id, "care_plan_done", {"done_on": "2026-11-21"})
    assert done.status_code == 200, done.text
    assert (done.json()["stage"], done.json()["status"], done.json()["outcome"]) == (
        "closed",
        "completed",
        "executed",
    )
    await wait_closed(env, process_id)  # closed, not only answered
    again = await act(api, process_id, "care_plan_done", {"done_on": "2026-11-21"})
    assert again.status_code == 409
    assert again.json()["detail"] == "Processen är avslutad."
    assert (await _state(api, process_id))["outcome"] == "executed"


async def test_an_unknown_process_is_404(api: httpx.AsyncClient) -> None:
    headers = await login(api, CASE_WORKER)
    assert (await api.get("/processes/case-nope/order/1", headers=headers)).status_code == 404
    assert (await api.get("/processes/case-nope/order/1/history", headers=headers)).status_code == 404
    response = await act(api, "case-nope/order/1", "confirm", {})
    assert response.status_code == 404


async def test_FU_10_a_provider_of_another_unit_gets_404_for_the_case_its_process_and_actions(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    headers = await login(api, OTHER_PROVIDER)
    assert (await api.get(f"/cases/{case_id}", headers=headers)).status_code == 404
    assert (await api.get(f"/processes/{process_id}", headers=headers)).status_code == 404
    assert (await api.get(f"/processes/{process_id}/history", headers=headers)).status_code == 404
    assert (await act(api, process_id, "confirm", {}, OTHER_PROVIDER)).status_code == 404
    assert (await api.get("/orders", headers=headers)).json() == []
    own = await api.get(f"/processes/{process_id}", headers=await login(api, PROVIDER))
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "flying-carpet"}, "Okänd processtyp"),
        ({"start_date": None}, None),
        ({"items": []}, "minst en insats"),
        ({"sent_at": "2026-12-24T10:00:00+01:00"}, "framtiden"),
        ({"sent_at": "2099-01-01T10:00:00+01:00"}, "kalenderns år 2020–2060"),
        ({"sent_at": "2026-11-20T10:00:00"}, "tidszon"),
        ({"colour": "blue"}, "Okända fält"),
    ],
)
async def test_starting_with_invalid_input_is_422_and_starts_nothing(
    api: httpx.AsyncClient, sessions: sessionmaker[Session], change: dict[str, Any], expected: str | None
) -> None:
    case_id = await new_case(api)
    body = {k: v for k, v in order_body(case_id, **change).items() if v is not None}
    response = await api.post("/processes", json=body, headers=keyed(await login(api, CASE_WORKER)))
    assert response.status_code == 422, response.text
    if expected is not None:
        assert expected in str(response.json()["detail"])
    with sessions() as session:  # the case's follow-up cycle (FU-1) is the only process
        processes = session.scalars(select(models.Process)).all()
        assert [p.type for p in processes] == ["follow-up-cycle"]


async def test_only_the_start_roles_may_start_and_only_on_visible_cases(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    response = await api.post(
        "/processes", json=order_body(case_id), headers=keyed(await login(api, PROVIDER))
    )
    assert response.status_code == 403
    stranger = Actor(user_id="cw-other", role="case_worker", name="Annan")
    other_case = await new_case(api, case_worker_id="cw-someone-else")
    response = await api.post(
        "/processes", json=order_body(other_case), headers=keyed(await login(api, stranger))
    )
    assert response.status_code == 404


async def test_a_repeated_start_with_the_same_idempotency_key_gives_the_same_process(
    api: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    case_id = await new_case(api)
    headers = {**await login(api, CASE_WORKER), "Idempotency-Key": f"start-{uuid.uuid4()}"}
    first = await api.post("/processes", json=order_body(case_id), headers=headers)
    second = await api.post("/processes", json=order_body(case_id), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["process_id"] == second.json()["process_id"]
    with sessions() as session:  # the order, and the case's follow-up cycle (FU-1)
        processes = session.scalars(select(models.Process)).all()
        assert sorted(p.type for p in processes) == ["follow-up-cycle", "order"]


async def test_the_history_is_a_swedish_timeline_with_the_actor(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    process_id = (await start_order(api, case_id))["process_id"]
    assert (await act(api, process_id, "confirm", {"note": "ok"})).status_code == 200
    response = await api.get(f"/processes/{process_id}/history", headers=await login(api, CASE_WORKER))
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert any(e["actor"] == "Carl Samordnare (hemtjänstutförare)" for e in entries)
    assert any(e["text"].startswith("Beställning skickad") for e in entries)
    assert all(e["at"].endswith(("+01:00", "+02:00")) and len(e["when"]) == 16 for e in entries)


async def test_ORD_7_the_case_and_the_order_list_show_orders_oldest_first(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    newer = await start_order(api, case_id, sent_at="2026-11-20T11:00:00+01:00")
    older = await start_order(api, case_id, sent_at="2026-11-19T09:00:00+01:00")
    headers = await login(api, PROVIDER)
    orders = (await api.get("/orders", headers=headers)).json()
    assert [o["id"] for o in orders] == [older["process_id"], newer["process_id"]]
    assert orders[0]["sent_at"] == "2026-11-19T09:00:00+01:00"
    case = (await api.get(f"/cases/{case_id}", headers=headers)).json()
    assert [o["id"] for o in case["orders"]] == [older["process_id"], newer["process_id"]]
    # The case's follow-up cycle (FU-1) is the case worker's: the provider does not see it.
    assert {p["id"] for p in case["processes"]} == {older["process_id"], newer["process_id"]}
    assert {t["action"] for t in case["open_tasks"]} >= {"confirm", "register_execution"}


async def test_the_openapi_schema_documents_every_start_and_action_body(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    action_body = schema["paths"]["/processes/{process_id}/actions/{action}"]["post"]["requestBody"]
    titles = {v["title"] for v in action_body["content"]["application/json"]["schema"]["anyOf"]}
    assert {"order: confirm", "order: register_execution"} <= titles
    execution = schema["components"]["schemas"]["RegisterExecution"]
    assert "actor" not in execution["properties"]
    assert execution["required"] == ["execution_date"]
    start = schema["paths"]["/processes"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "order" in {v["title"] for v in start["oneOf"]}


async def test_NEW_1_a_new_urgent_case_creates_its_case_and_a_repeat_with_the_key_finds_it(
    api: httpx.AsyncClient,
) -> None:
    headers = {**await login(api, CASE_WORKER), "Idempotency-Key": f"new-{uuid.uuid4()}"}
    body = {"type": "new-urgent-case", "person_name": "Sven Akut"}
    first = await api.post("/processes", json=body, headers=headers)
    second = await api.post("/processes", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200), first.text
    state = first.json()
    assert second.json()["process_id"] == state["process_id"] == f"case-{state['case_id']}/new-urgent-case/1"
    case = await api.get(f"/cases/{state['case_id']}", headers=headers)
    assert case.status_code == 200, case.text
    assert [p["type"] for p in case.json()["processes"]] == ["new-urgent-case"]


async def test_UC_1_a_provider_starts_an_urgent_change_on_its_own_case(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    body = {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": "2026-11-20T08:00:00+01:00",
        "description": "Behöver hjälp vid toalettbesök nattetid.",
    }
    response = await api.post("/processes", json=body, headers=keyed(await login(api, PROVIDER)))
    assert response.status_code == 201, response.text
    assert response.json()["process_id"] == f"case-{case_id}/urgent-change/1"
    other = await api.post("/processes", json=body, headers=keyed(await login(api, OTHER_PROVIDER)))
    assert other.status_code == 404


async def test_an_order_naming_a_decision_the_case_does_not_have_is_422_and_starts_nothing(
    api: httpx.AsyncClient,
) -> None:
    """Found by a tester: an order's decision_id "nope" was accepted."""
    case_id = await new_case(api)
    headers = keyed(await login(api, CASE_WORKER))
    wrong = await api.post("/processes", json=order_body(case_id, decision_id="nope"), headers=headers)
    assert wrong.status_code == 422
    assert "finns inte bland ärendets gällande beslut" in str(wrong.json()["detail"])
    right = order_body(case_id, decision_id=f"{case_id}/decision/1")
    accepted = await api.post("/processes", json=right, headers=keyed(await login(api, CASE_WORKER)))
    assert accepted.status_code == 201, accepted.text
