"""The new-urgent-case process over HTTP (NEW-1..NEW-7, ORD-6, COM-2): ``POST /processes`` without a
case_id creates the case; the on-call grant, take over, phone, decide, send the order, close; the
contract's errors (403 wrong role, 409 not open, 422 invalid data), idempotent repeats, the history.

The API checks ``help_started_at`` against the real clock and the workflow checks actions against
the server's, so this module runs its own time-skipping server (its clock starts at the real now,
2026-11-22) and never moves it; grants are dated the Friday before. The issue's exact dates with a
moving clock are asserted in test_new_urgent_case_process.py.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support import end_of, sthlm
from tests.test_api_support import login_all

USERS = {
    "case_worker": {"sub": "cw-anna", "name": "Anna Handläggare", "role": "case_worker"},
    "senior": {"sub": "scw-berit", "name": "Berit Förste", "role": "senior_case_worker"},
    "on_call": {"sub": "oc-erik", "name": "Erik Jour", "role": "on_call_supervisor"},
    "provider": {"sub": "pv-carl", "name": "Carl Samordnare", "role": "provider", "org": "hemtjanst-nord"},
    "default_provider": {
        "sub": "pv-siv",
        "name": "Siv Samordnare",
        "role": "provider",
        "org": "hemtjanst-sundbyberg",
    },
}
_tokens: dict[str, str] = {}

GRANTED_AT = "2026-11-20T20:00:00+01:00"  # Fri 20:00, on-call time
MANDATE_END = sthlm(2026, 11, 23, 12, 0)  # NEW-2: Mon 12:00


@pytest.fixture(scope="module")
async def http(api_http: httpx.AsyncClient) -> httpx.AsyncClient:
    """This module's app (conftest's ``api_http``) with every user of USERS logged in."""
    _tokens.update(await login_all(api_http, USERS))
    return api_http


def _as(who: str, key: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {_tokens[who]}", "Idempotency-Key": key or str(uuid.uuid4())}


def _body(**fields: Any) -> dict[str, Any]:
    return {"type": "new-urgent-case", "person_name": "Greta Exempel", **fields}


async def _start(
    http: httpx.AsyncClient, body: dict[str, Any], who: str, key: str | None = None
) -> dict[str, Any]:
    response = await http.post("/processes", json=body, headers=_as(who, key))
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


async def _ok(
    http: httpx.AsyncClient,
    who: str,
    process_id: str,
    action: str,
    body: dict[str, Any],
    key: str | None = None,
) -> dict[str, Any]:
    response = await _action(http, who, process_id, action, body, key)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _task(state: dict[str, Any], action: str) -> dict[str, Any]:
    task: dict[str, Any] = next(t for t in state["open_tasks"] if t["action"] == action)
    return task


async def test_NEW_2_on_call_grant_over_http_creates_the_case_with_the_mandate_end_and_repeats_once(
    http: httpx.AsyncClient,
) -> None:
    body = _body(help_started_at=GRANTED_AT, granted_by_on_call=True, provider_id="hemtjanst-nord")
    key = str(uuid.uuid4())
    state = await _start(http, body, "on_call", key)
    case_id = state["case_id"]
    assert state["process_id"] == f"case-{case_id}/new-urgent-case/1"
    assert state["type"] == "new-urgent-case"
    assert _at(state["deadlines"]["take_over"]) == MANDATE_END
    take_over = _task(state, "take_over")
    assert (take_over["role"], _at(take_over["due_at"])) == ("case_worker", MANDATE_END)
    assert "Greta" not in str(state)  # the name stays in the case, not in the process state

    again = await http.post("/processes", json=body, headers=_as("on_call", key))
    assert again.status_code == 200, again.text
    assert again.json()["process_id"] == state["process_id"]

    # the case exists and the case worker sees it (no case worker yet, same municipality)
    case = await http.get(f"/cases/{case_id}", headers=_as("case_worker"))
    assert case.status_code == 200, case.text
    # the on-call grant reached the case workers' mailbox, about this one case (COM-2)
    box = await http.get("/mailboxes/case-workers/messages", headers=_as("case_worker"))
    assert box.status_code == 200, box.text
    mine = [m for m in box.json() if m["case_id"] == case_id]
    assert [m["subject"] for m in mine] == ["Hemtjänst beviljad under jourtid"]


async def test_NEW_2_start_errors_wrong_role_and_invalid_data(http: httpx.AsyncClient) -> None:
    forbidden = await http.post("/processes", json=_body(), headers=_as("provider"))
    assert forbidden.status_code == 403, forbidden.text
    cases = [
        # only the on-call supervisor grants in on-call time
        ("case_worker", _body(help_started_at=GRANTED_AT, granted_by_on_call=True)),
        # Fri 10:00 is office hours: no on-call grant
        ("on_call", _body(help_started_at="2026-11-20T10:00:00+01:00", granted_by_on_call=True)),
        # an on-call grant needs the moment help started
        ("on_call", _body(granted_by_on_call=True)),
        # not in the future, and with an offset
        ("case_worker", _body(help_started_at="2099-01-01T10:00:00+01:00")),
        ("case_worker", _body(help_started_at="2026-11-20T10:00:00")),
        ("case_worker", _body(person_name="  ")),
    ]
    for who, body in cases:
        response = await http.post("/processes", json=body, headers=_as(who))
        assert response.status_code == 422, (body, response.text)


async def test_NEW_3_NEW_4_NEW_7_full_path_over_http_with_errors_idempotency_and_history(
    http: httpx.AsyncClient,
) -> None:
    state = await _start(
        http,
        _body(help_started_at=GRANTED_AT, granted_by_on_call=True, provider_id="hemtjanst-nord"),
        "on_call",
    )
    pid, case_id = state["process_id"], state["case_id"]

    assert (await _action(http, "provider", pid, "take_over", {})).status_code == 403
    assert (await _action(http, "case_worker", pid, "decide", {"granted": False})).status_code == 409
    naive = await _action(http, "case_worker", pid, "take_over", {"occurred_at": "2026-11-21T09:00:00"})
    assert naive.status_code == 422, naive.text

    key = str(uuid.uuid4())
    first = await _ok(http, "case_worker", pid, "take_over", {"note": "Tar över"}, key)
    repeat = await _ok(http, "case_worker", pid, "take_over", {"note": "Tar över"}, key)
    assert repeat == first
    assert {t["action"] for t in first["open_tasks"]} == {"phone_provider", "close"}

    assert (
        await _action(http, "case_worker", pid, "phone_provider", {"phoned_name": " "})
    ).status_code == 422
    called = await _ok(
        http,
        "case_worker",
        pid,
        "phone_provider",
        {
            "phoned_name": "Carl Samordnare",
            "phoned_role": "coordinator",
            "occurred_at": "2026-11-20T21:00:00+01:00",
        },
    )
    # ORD-6 / NEW-3: call Fri 2026-11-20 -> Mon 23, Tue 24, Wed 25 -> end of Wed 2026-11-25
    assert _at(called["deadlines"]["send_order"]) == end_of(datetime(2026, 11, 25).date())
    assert called["details"]["proposed_decision_date"] == "2026-11-20"

    wrong_date = {"granted": True, "decision_date": "2026-11-21", "services": ["Personlig omvårdnad"]}
    assert (await _action(http, "case_worker", pid, "decide", wrong_date)).status_code == 422
    decided = await _ok(http, "case_worker", pid, "decide", {**wrong_date, "decision_date": "2026-11-20"})
    assert decided["details"]["first_follow_up_due"] == "2027-01-20"  # NEW-7

    order = {"start_date": "2026-11-20", "items": [{"name": "Personlig omvårdnad", "kind": "care"}]}
    done = await _ok(http, "case_worker", pid, "send_order", order)
    assert (done["outcome"], done["status"]) == ("granted", "completed")
    assert done["details"]["order_id"] == f"case-{case_id}/order/1"
    # The order is a process of its own, started by this one: its read-model row follows its start.
    for _ in range(100):
        child = await http.get(f"/processes/case-{case_id}/order/1", headers=_as("provider"))
        if child.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert child.status_code == 200, child.text
    assert child.json()["type"] == "order"
    assert (await _action(http, "case_worker", pid, "close", {})).status_code == 409

    history = await http.get(f"/processes/{pid}/history", headers=_as("senior"))
    assert history.status_code == 200, history.text
    entries = history.json()["entries"]
    assert any(
        e["actor"] == "Anna Handläggare (biståndshandläggare)" and "Ta över" in e["text"] for e in entries
    )
    assert any(e["actor"] == "Erik Jour (jourhavande arbetsledare)" for e in entries)
    called_entry = next(e for e in entries if e["text"].startswith("Ringde utföraren"))
    assert called_entry["when"] == "2026-11-20 21:00"


async def test_NEW_5_NEW_6_unknown_person_in_sundbyberg_default_provider_told_then_closed(
    http: httpx.AsyncClient,
) -> None:
    state = await _start(
        http,
        _body(profile="sundbyberg", unknown_person=True, help_started_at="2026-11-21T11:00:00+01:00"),
        "case_worker",
    )
    pid, case_id = state["process_id"], state["case_id"]
    assert state["details"]["provider_id"] == "hemtjanst-sundbyberg"
    box = await http.get("/mailboxes/provider-hemtjanst-sundbyberg/messages", headers=_as("default_provider"))
    assert box.status_code == 200, box.text
    assert [m["subject"] for m in box.json() if m["case_id"] == case_id] == [
        "Akuta insatser för okänd person"
    ]

    await _ok(http, "case_worker", pid, "take_over", {})
    closed = await _ok(http, "case_worker", pid, "close", {"note": "Dottern hjälper till."})
    assert (closed["outcome"], closed["status"]) == ("closed_no_need", "completed")
    box = await http.get("/mailboxes/provider-hemtjanst-sundbyberg/messages", headers=_as("default_provider"))
    assert sorted(m["subject"] for m in box.json() if m["case_id"] == case_id) == [
        "Akuta insatser för okänd person",
        "Ärendet avslutas",
    ]
