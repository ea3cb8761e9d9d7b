"""The urgent-change process over HTTP (UC-1..UC-4, COM-6, COM-7): start by the provider or the
deputy manager, notify, escalate, respond, need ended; the contract's errors (403 wrong role,
404 not visible, 409 not open, 422 invalid data), idempotent repeats, and the history.

The API and the workflows share this module's scenario clock (conftest's ``api_env``, starting at
the suite's fixed moment), which is never moved here; "now" below is that clock's, never the wall
clock. The exact dates of the issue are asserted in test_urgent_change_process.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support import profile
from tests.test_api_support import login_all
from workflows import calendar
from workflows.rules import urgent_change as rules

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "other_provider": {"sub": "pv-dora", "name": "Dora", "role": "provider", "org": "hemtjanst-syd"},
    "deputy": {"sub": "dm-frida", "name": "Frida Bitr", "role": "deputy_manager", "org": "hemtjanst-nord"},
    "supervisor": {"sub": "sup-gun", "name": "Gun Tillsyn", "role": "supervisor"},
}
_tokens: dict[str, str] = {}


@pytest.fixture(scope="module")
async def http(api_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """This module's app (conftest's ``api_http``) with every user of USERS logged in."""
    _tokens.update(await login_all(api_http, USERS))
    return api_http


@pytest.fixture
async def now(api_env: WorkflowEnvironment) -> datetime:
    """The scenario clock's now (API and workflows read the same clock)."""
    return await api_env.get_current_time()


def _as(who: str, key: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {_tokens[who]}", "Idempotency-Key": key or str(uuid.uuid4())}


async def _case(http: httpx.AsyncClient, provider_id: str | None = "hemtjanst-nord") -> str:
    body = {
        "person_name": "Greta Exempel",
        "provider_id": provider_id,
        "decisions": [{"kind": "care", "services": ["Personlig omvårdnad"], "start_date": "2026-11-02"}],
    }
    response = await http.post("/cases", json=body, headers=_as("case_worker"))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _start_body(case_id: str, kind: str, started_at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": kind,
        "started_at": started_at.isoformat(),
        "description": "Behöver hjälp vid toalettbesök och med att äta.",
        **fields,
    }


async def _start(http: httpx.AsyncClient, body: dict[str, Any], who: str = "provider") -> dict[str, Any]:
    response = await http.post("/processes", json=body, headers=_as(who))
    assert response.status_code == 201, response.text
    state: dict[str, Any] = response.json()
    return state


async def _action(
    http: httpx.AsyncClient,
    who: str,
    process_id: str,
    action: str,
    body: dict[str, Any],
    key: str | None = None,
) -> httpx.Response:
    return await http.post(f"/processes/{process_id}/actions/{action}", json=body, headers=_as(who, key))


async def _state(http: httpx.AsyncClient, process_id: str) -> dict[str, Any]:
    response = await http.get(f"/processes/{process_id}", headers=_as("case_worker"))
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


async def _mailbox(http: httpx.AsyncClient, mailbox: str, case_id: str, who: str) -> list[dict[str, Any]]:
    response = await http.get(f"/mailboxes/{mailbox}/messages", headers=_as(who))
    assert response.status_code == 200, response.text
    return [m for m in response.json() if m["case_id"] == case_id]


def _tasks(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["action"]: task for task in state["open_tasks"]}


async def test_UC_start_errors_wrong_role_not_visible_COM_6_reason_and_invalid_data(
    http: httpx.AsyncClient, now: datetime
) -> None:
    case_id = await _case(http)
    started = now - timedelta(hours=2)
    body = _start_body(case_id, "lasting", started)

    assert (await http.post("/processes", json=body, headers=_as("case_worker"))).status_code == 403
    assert (await http.post("/processes", json=body, headers=_as("other_provider"))).status_code == 404
    cannot_call = {**body, "person_can_contact": False}
    no_reason = await http.post("/processes", json=cannot_call, headers=_as("provider"))
    assert no_reason.status_code == 422
    assert "reported_for_person_reason" in no_reason.json()["detail"]  # COM-6
    future = _start_body(case_id, "short", now + timedelta(hours=1))
    assert (await http.post("/processes", json=future, headers=_as("provider"))).status_code == 422
    naive = {**body, "started_at": "2026-11-20T10:00:00"}
    assert (await http.post("/processes", json=naive, headers=_as("provider"))).status_code == 422
    bad_kind = {**body, "kind": "medium"}
    assert (await http.post("/processes", json=bad_kind, headers=_as("provider"))).status_code == 422

    no_home_care = await _case(http, provider_id=None)
    elsewhere = await http.post(
        "/processes", json=_start_body(no_home_care, "lasting", started), headers=_as("deputy")
    )
    # A case without home care belongs to no unit: a deputy manager does not see it (own unit only).
    assert elsewhere.status_code == 404

    with_reason = {**cannot_call, "reported_for_person_reason": "Brukaren har demens och kan inte ringa."}
    first = await http.post("/processes", json=with_reason, headers=_as("provider", "uc-start-1"))
    assert first.status_code == 201, first.text
    repeat = await http.post("/processes", json=with_reason, headers=_as("provider", "uc-start-1"))
    assert repeat.status_code == 200
    assert repeat.json()["process_id"] == first.json()["process_id"] == f"case-{case_id}/urgent-change/1"
    state = first.json()
    assert state["details"]["reported_for_person_reason"] == "Brukaren har demens och kan inte ringa."
    assert state["details"]["proposed_decision_date"] == calendar.local_date(started).isoformat()


async def test_UC_1_notify_escalate_and_the_senior_grants_from_the_start_day_over_http(
    http: httpx.AsyncClient, now: datetime
) -> None:
    """UC-1, COM-7, UC-4: notified and escalated with a reason; the senior case worker grants the
    decision dated from the day the support started (the proposed date, no other)."""
    case_id = await _case(http)
    started = now - timedelta(hours=3)
    state = await _start(http, _start_body(case_id, "lasting", started))
    pid = state["process_id"]
    notify = _tasks(state)["notify_case_worker"]
    assert (notify["role"], notify["org"]) == ("provider", "hemtjanst-nord")
    assert notify["due_at"] == calendar.local(rules.notify_due(started)).isoformat()

    assert (await _action(http, "case_worker", pid, "notify_case_worker", {})).status_code == 403
    assert (await _action(http, "other_provider", pid, "notify_case_worker", {})).status_code == 404
    assert (await _action(http, "supervisor", pid, "notify_case_worker", {})).status_code == 403
    respond_early = await _action(http, "case_worker", pid, "respond", {"outcome": "not_granted"})
    assert respond_early.status_code == 409
    assert (await _action(http, "provider", pid, "need_ended", {})).status_code == 409
    future = {"occurred_at": (now + timedelta(hours=2)).isoformat()}
    assert (await _action(http, "provider", pid, "notify_case_worker", future)).status_code == 422
    assert (await _action(http, "provider", pid, "notify_case_worker", {"colour": "blå"})).status_code == 422

    first = await _action(http, "provider", pid, "notify_case_worker", {"message": "Ring gärna"}, "n-1")
    assert first.status_code == 200, first.text
    repeat = await _action(http, "provider", pid, "notify_case_worker", {"message": "Ring gärna"}, "n-1")
    assert repeat.status_code == 200
    assert repeat.json() == first.json()
    assert first.json()["stage"] == "notified"
    assert len(await _mailbox(http, "case-workers", case_id, "case_worker")) == 1
    assert (await _action(http, "provider", pid, "notify_case_worker", {})).status_code == 409

    no_reason = await _action(http, "provider", pid, "escalate", {"reason": " "})
    assert no_reason.status_code == 422
    assert (await _action(http, "provider", pid, "escalate", {})).status_code == 422
    senior_early = await _action(http, "senior", pid, "respond", {"outcome": "not_granted"})
    assert senior_early.status_code == 403
    reason = "Ansvarig handläggare är på semester enligt autosvar."
    escalated = await _action(http, "provider", pid, "escalate", {"reason": reason})
    assert escalated.status_code == 200, escalated.text
    assert _tasks(escalated.json())["respond"]["escalated_to"] == "senior_case_worker"
    senior_inbox = await _mailbox(http, "senior-case-worker", case_id, "senior")
    assert len(senior_inbox) == 1
    assert reason in senior_inbox[0]["body"]

    proposed = calendar.local_date(started).isoformat()
    wrong = await _action(
        http, "senior", pid, "respond", {"outcome": "granted", "decision_date": "2026-01-01"}
    )
    assert wrong.status_code == 422
    assert proposed in wrong.json()["detail"]
    granted = await _action(
        http,
        "senior",
        pid,
        "respond",
        {"outcome": "granted", "decision_date": proposed, "services": ["Tillsyn"]},
    )
    assert granted.status_code == 200, granted.text
    assert (granted.json()["outcome"], granted.json()["stage"]) == ("granted", "closed")
    assert granted.json()["details"]["decision_date"] == proposed
    again = await _action(http, "case_worker", pid, "respond", {"outcome": "not_granted"})
    assert again.status_code == 409

    history = await http.get(f"/processes/{pid}/history", headers=_as("supervisor"))
    assert history.status_code == 200
    actors = {entry["actor"] for entry in history.json()["entries"]}
    assert {"Carl Samordnare (hemtjänstutförare)", "Berit Förste (förste biståndshandläggare)"} <= actors


async def test_UC_3_deputy_manager_starts_a_short_change_and_UC_2_the_need_ends_before_day_four(
    http: httpx.AsyncClient, now: datetime
) -> None:
    case_id = await _case(http)
    started = now - timedelta(hours=1)
    state = await _start(http, _start_body(case_id, "short", started), who="deputy")
    pid = state["process_id"]
    assert set(_tasks(state)) == {"need_ended", "escalate"}
    day_four = rules.day_four(started, profile().deadlines)
    assert state["details"]["proposed_decision_date"] == day_four.isoformat()
    assert (
        state["deadlines"]["notify_opens"]
        == calendar.local(calendar.at_local(day_four, rules.MIDNIGHT)).isoformat()
    )
    inbox = await _mailbox(http, "provider-hemtjanst-nord", case_id, "provider")
    assert [m["subject"] for m in inbox] == ["Utökat stöd insatt under jourtid"]

    assert (await _action(http, "deputy", pid, "need_ended", {})).status_code == 403
    ended = await _action(http, "provider", pid, "need_ended", {"note": "Febern har gått över."})
    assert ended.status_code == 200, ended.text
    assert (ended.json()["outcome"], ended.json()["open_tasks"]) == ("need_ended", [])
    assert await _mailbox(http, "case-workers", case_id, "case_worker") == []
    case = await http.get(f"/cases/{case_id}", headers=_as("case_worker"))
    assert case.status_code == 200
    assert [d["start_date"] for d in case.json()["decisions"]] == ["2026-11-02"]  # no new decision
