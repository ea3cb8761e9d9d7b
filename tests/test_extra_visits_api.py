"""UC-5 (SU, Phoniro) over HTTP: start the extra-visits process, register, review, answer; the
contract's errors (403 wrong role, 404 not visible, 409 not open / registration closed, 422 invalid
data) and idempotent repeats; the history says who did what.

The API checks a start against the real clock and the workflow against the server's, so this
module runs its own time-skipping server (its clock starts at the real now, Sun 2026-11-22) and
moves it forward itself; the tests run in file order and share one process.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support import advance_to, sthlm
from tests.test_api_support import login_all
from workflows import calendar

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {
        "sub": "scw-berit",
        "name": "Berit Förste",
        "role": "senior_case_worker",
        "municipality": "sundbyberg",
    },
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other_provider": {"sub": "pv-dora", "name": "Dora", "role": "provider", "org": "hemtjanst-syd"},
    "supervisor": {"sub": "sup-gun", "name": "Gun Tillsyn", "role": "supervisor"},
}
_shared: dict[str, str] = {}


@pytest.fixture(scope="module")
async def http(api_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """This module's app (conftest's ``api_http``) with every user of USERS logged in."""
    tokens = await login_all(api_http, USERS)
    _shared.update({f"token:{who}": token for who, token in tokens.items()})
    return api_http


def _as(who: str, key: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {_shared[f'token:{who}']}", "Idempotency-Key": key or str(uuid.uuid4())}


async def _action(
    http: httpx.AsyncClient, who: str, action: str, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    return await http.post(
        f"/processes/{_shared['process_id']}/actions/{action}",
        json=body,
        headers=_as(who, key or str(uuid.uuid4())),
    )


def _visit(state: dict[str, Any], visit_id: str) -> dict[str, Any]:
    return next(v for v in state["details"]["visits"] if v["visit_id"] == visit_id)


def _tasks(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["action"]: task for task in state["open_tasks"]}


VISIT = {
    "visit_date": "2026-11-21",
    "kind": "extra_visit",
    "services": ["Toalettbesök"],
    "reason": "Feber, behövde hjälp till toaletten under natten.",
}


async def test_UC_5_only_the_cases_own_provider_starts_extra_visits_for_an_open_month(
    http: httpx.AsyncClient, api_env: WorkflowEnvironment
) -> None:
    now = await api_env.get_current_time()
    assert calendar.local_date(now) == date(2026, 11, 22), (
        f"the scenario starts on Sun 2026-11-22; the server's clock says {now.isoformat()}"
    )
    case = await http.post(
        "/cases",
        json={"person_name": "Greta Exempel", "profile": "sundbyberg", "provider_id": "hemtjanst-nord"},
        headers=_as("case_worker", "case-ev-api"),
    )
    assert case.status_code == 201, case.text
    case_id = case.json()["case_id"]
    _shared["case_id"] = case_id
    start = {"type": "extra-visits", "case_id": case_id, "month": "2026-11"}

    by_case_worker = await http.post("/processes", json=start, headers=_as("case_worker"))
    assert by_case_worker.status_code == 403
    by_other_provider = await http.post("/processes", json=start, headers=_as("other_provider"))
    assert by_other_provider.status_code == 404
    december = await http.post("/processes", json={**start, "month": "2026-12"}, headers=_as("provider"))
    assert december.status_code == 422
    assert "december 2026 har inte börjat" in december.json()["detail"]
    october = await http.post("/processes", json={**start, "month": "2026-10"}, headers=_as("provider"))
    assert october.status_code == 422
    assert "oktober 2026 stängde 2026-11-02 23:59" in october.json()["detail"]
    bad = await http.post("/processes", json={**start, "month": "november"}, headers=_as("provider"))
    assert bad.status_code == 422

    started = await http.post("/processes", json=start, headers=_as("provider", "start-ev-api"))
    assert started.status_code == 201, started.text
    state = started.json()
    _shared["process_id"] = state["process_id"]
    assert state["process_id"] == f"case-{case_id}/extra-visits/1"
    assert state["stage"] == "registration_open"
    assert state["deadlines"]["register_visit"] == "2026-12-01T23:59:59+01:00"
    tasks = _tasks(state)
    assert tasks["register_visit"]["org"] == "hemtjanst-nord"
    assert tasks["review"]["due_at"] == "2026-11-29T23:59:59+01:00"
    again = await http.post("/processes", json=start, headers=_as("provider", "start-ev-api"))
    assert again.status_code == 200
    assert again.json()["process_id"] == state["process_id"]


async def test_UC_5_register_visit_over_http_with_errors_and_an_idempotent_repeat(
    http: httpx.AsyncClient,
) -> None:
    assert not ("process_id" not in _shared), "the process was not started"
    first = await _action(http, "provider", "register_visit", VISIT, key="reg-1")
    assert first.status_code == 200, first.text
    assert _visit(first.json(), "v1")["status"] == "registered"
    repeat = await _action(http, "provider", "register_visit", VISIT, key="reg-1")
    assert repeat.status_code == 200
    assert [v["visit_id"] for v in repeat.json()["details"]["visits"]] == ["v1"]

    wrong_role = await _action(http, "case_worker", "register_visit", VISIT)
    assert wrong_role.status_code == 403
    hidden = await _action(http, "other_provider", "register_visit", VISIT)
    assert hidden.status_code == 404
    read_only = await _action(http, "supervisor", "register_visit", VISIT)
    assert read_only.status_code == 403
    no_minutes = await _action(http, "provider", "register_visit", {**VISIT, "kind": "extra_on_ordinary"})
    assert no_minutes.status_code == 422
    assert "minuter" in no_minutes.json()["detail"]
    unknown_field = await _action(http, "provider", "register_visit", {**VISIT, "colour": "blå"})
    assert unknown_field.status_code == 422
    not_open = await _action(http, "provider", "answer_question", {"visit_id": "v1", "answer": "x"})
    assert not_open.status_code == 409

    state = (await http.get(f"/processes/{_shared['process_id']}", headers=_as("provider"))).json()
    assert [v["visit_id"] for v in state["details"]["visits"]] == ["v1"]


async def test_UC_5_review_question_and_answer_over_http_and_a_lasting_need_starts_an_order(
    http: httpx.AsyncClient,
) -> None:
    assert not ("process_id" not in _shared), "the process was not started"
    second = await _action(
        http,
        "provider",
        "register_visit",
        {**VISIT, "kind": "extra_on_ordinary", "services": ["Dusch"], "minutes": 15, "reason": "Kräkning."},
    )
    assert second.status_code == 200
    by_provider = await _action(http, "provider", "review", {"decisions": []})
    assert by_provider.status_code == 403
    reviewed = await _action(
        http,
        "case_worker",
        "review",
        {
            "decisions": [
                {"visit_id": "v1", "decision": "approve", "lasting_need": True, "item_kind": "care"},
                {"visit_id": "v2", "decision": "question", "question": "Varför behövdes duschen?"},
            ]
        },
        key="review-1",
    )
    assert reviewed.status_code == 200, reviewed.text
    state = reviewed.json()
    order_id = f"case-{_shared['case_id']}/order/x-1-v1"
    assert _visit(state, "v1")["order_id"] == order_id
    assert _tasks(state)["answer_question"]["due_at"] == "2026-11-29T23:59:59+01:00"
    twice = await _action(
        http, "case_worker", "review", {"decisions": [{"visit_id": "v1", "decision": "reject"}]}
    )
    assert twice.status_code == 422  # v1 is decided and no longer pending review

    order = await http.get(f"/processes/{order_id}", headers=_as("case_worker"))
    assert order.status_code == 200, order.text
    assert (order.json()["type"], order.json()["stage"], order.json()["status"]) == (
        "order",
        "sent",
        "running",
    )

    answered = await _action(
        http, "provider", "answer_question", {"visit_id": "v2", "answer": "Brukaren hade kräkts."}
    )
    assert answered.status_code == 200
    assert _visit(answered.json(), "v2")["status"] == "answered"


async def test_UC_5_a_november_visit_registered_on_2_december_is_rejected_over_http(
    http: httpx.AsyncClient, api_env: WorkflowEnvironment
) -> None:
    """The first working day of December 2026 is Tue 1 Dec: on Wed 2 Dec the answer is 409."""
    assert not ("process_id" not in _shared), "the process was not started"
    await advance_to(api_env, sthlm(2026, 12, 2, 9, 0))
    late = await _action(http, "provider", "register_visit", {**VISIT, "visit_date": "2026-11-30"})
    assert late.status_code == 409
    detail = late.json()["detail"]
    assert "Registreringen av extra insatser för november 2026 stängde 2026-12-01 23:59" in detail
    assert "2026-12-02 09:00 är för sen" in detail


async def test_UC_5_the_last_review_closes_the_month_and_the_history_says_who_did_what(
    http: httpx.AsyncClient,
) -> None:
    assert not ("process_id" not in _shared), "the process was not started"
    done = await _action(
        http, "senior", "review", {"decisions": [{"visit_id": "v2", "decision": "reject"}]}, key="review-2"
    )
    assert done.status_code == 200, done.text
    state = done.json()
    assert (state["stage"], state["status"], state["outcome"]) == ("closed", "completed", "reviewed")
    assert state["details"]["summary"]["approved"] == 1
    assert state["details"]["summary"]["rejected_extra_minutes"] == 15

    closed = await _action(http, "provider", "register_visit", VISIT)
    assert closed.status_code == 409

    history = await http.get(f"/processes/{_shared['process_id']}/history", headers=_as("provider"))
    assert history.status_code == 200
    lines = [f"{e['when']} {e['actor']}: {e['text']}" for e in history.json()["entries"]]
    assert any(
        line.startswith("2026-11-22")
        and "Carl Samordnare (hemtjänstutförare): Registrerade Extra besök" in line
        for line in lines
    )
    assert any("Anna Handläggare (biståndshandläggare): Granskade extra insatser" in line for line in lines)
    assert any("Carl Samordnare (hemtjänstutförare): Svar om extra insats v2" in line for line in lines)
    assert any(
        line.startswith("2026-12-02") and "Berit Förste (förste biståndshandläggare)" in line
        for line in lines
    )
