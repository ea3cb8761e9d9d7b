"""Issue 6 §4 and UC-5 (§6): an Idempotency-Key means one caller, one target, one body; one
extra-visits process per case and month. The keys and the uniqueness live in the read model, so
these run on SQLite AND PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.idempotency import MISSING, REUSED, Scope
from readmodel import models
from tests.backends import BACKENDS, count, read_model_on, started_processes
from tests.support import CASE_WORKER, PROVIDER, sthlm
from tests.test_api_support import api_scenario, login, new_case, order_body, start_order
from workflows.model import Actor

AT = sthlm(2026, 12, 1, 10, 0)  # Tue: November's extra visits are still open (UC-5), December's too


@pytest.fixture(params=BACKENDS)
def sessions_on(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with read_model_on(request.param, tmp_path) as sessions:
        yield sessions


@pytest.fixture
async def api(sessions_on: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_scenario(AT, sessions_on) as http:
        yield http


async def _post(
    http: httpx.AsyncClient, path: str, body: Any, actor: Actor, key: str | None
) -> httpx.Response:
    headers = await login(http, actor)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await http.post(path, json=body, headers=headers)


def _urgent_change(case_id: str) -> dict[str, Any]:
    return {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": "2026-12-01T08:00:00+01:00",
        "description": "Behöver hjälp nattetid.",
    }


async def test_every_start_and_action_without_a_key_is_400_in_swedish_and_changes_nothing(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    """Two identical starts without a key created two orders."""
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    messages = count(sessions_on, models.Message)
    requests = [
        ("/cases", {"person_name": "Greta"}, CASE_WORKER),
        ("/processes", order_body(case_id), CASE_WORKER),
        (f"/processes/{order}/actions/confirm", {"note": "ok"}, PROVIDER),
        (
            "/mailboxes/provider-hemtjanst-nord/messages",
            {"case_id": case_id, "subject": "S", "body": "B"},
            CASE_WORKER,
        ),
    ]
    for path, body, actor in requests:
        response = await _post(api, path, body, actor, None)
        assert (response.status_code, response.json()) == (400, {"detail": MISSING}), path
    assert (count(sessions_on, models.Case), started_processes(sessions_on)) == (1, 1)
    assert count(sessions_on, models.Message) == messages


@pytest.mark.parametrize("key", ["k" * 256, "x" * 8192, "nyckel-åäö", "tab\tkey", " "])
async def test_a_key_over_255_characters_or_not_printable_ascii_is_400(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session], key: str
) -> None:
    """An 8 KB key gave 500 from Temporal's update id limit."""
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    headers = [(k.encode(), v.encode()) for k, v in (await login(api, PROVIDER)).items()]
    headers.append((b"Idempotency-Key", key.encode()))
    response = await api.post(f"/processes/{order}/actions/confirm", json={}, headers=headers)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


async def test_a_key_of_255_printable_characters_is_accepted(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    response = await _post(api, f"/processes/{order}/actions/confirm", {}, PROVIDER, "~" + "K" * 253 + " ")
    assert response.status_code == 200, response.text


async def test_a_key_is_scoped_to_its_caller_a_provider_reusing_a_case_workers_key_starts_its_own_process(
    api: httpx.AsyncClient,
) -> None:
    """A provider starting an urgent change with the key a case worker used for an order got that
    order back (200) and nothing was started."""
    case_id = await new_case(api)
    order = await _post(api, "/processes", order_body(case_id), CASE_WORKER, "shared-key-1")
    assert order.status_code == 201, order.text
    change = await _post(api, "/processes", _urgent_change(case_id), PROVIDER, "shared-key-1")
    assert change.status_code == 201, change.text
    assert change.json()["process_id"] == f"case-{case_id}/urgent-change/1"
    assert order.json()["process_id"] == f"case-{case_id}/order/1"


async def test_the_same_key_with_another_action_is_422_and_registers_nothing(
    api: httpx.AsyncClient,
) -> None:
    """`confirm` with K, then `register_execution` with K answered 200 with the confirm's state."""
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    confirmed = await _post(api, f"/processes/{order}/actions/confirm", {}, PROVIDER, "K-1")
    assert confirmed.status_code == 200, confirmed.text
    body = {"execution_date": "2026-11-30"}
    executed = await _post(api, f"/processes/{order}/actions/register_execution", body, PROVIDER, "K-1")
    assert (executed.status_code, executed.json()) == (422, {"detail": REUSED})
    state = (await api.get(f"/processes/{order}", headers=await login(api, PROVIDER))).json()
    assert "register_execution" in {t["action"] for t in state["open_tasks"]}


async def test_the_same_key_with_another_body_is_422_and_the_same_body_answers_the_first_result(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    path = f"/processes/{order}/actions/confirm"
    first = await _post(api, path, {"note": "Planering startad"}, PROVIDER, "K-2")
    other = await _post(api, path, {"note": "Något annat"}, PROVIDER, "K-2")
    again = await _post(api, path, {"note": "Planering startad"}, PROVIDER, "K-2")
    assert (first.status_code, other.status_code, again.status_code) == (200, 422, 200)
    assert other.json() == {"detail": REUSED}
    assert again.json() == first.json()
    start = await _post(api, "/processes", order_body(case_id), CASE_WORKER, "S-1")
    changed = await _post(api, "/processes", order_body(case_id, other="Annat"), CASE_WORKER, "S-1")
    assert (start.status_code, changed.status_code) == (201, 422)
    assert started_processes(sessions_on) == 2


async def test_cases_and_messages_follow_the_same_rules(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    greta = {"person_name": "Greta", "provider_id": "hemtjanst-nord"}  # COM-2: the mailbox's unit's case
    first = await _post(api, "/cases", greta, CASE_WORKER, "C-1")
    repeat = await _post(api, "/cases", greta, CASE_WORKER, "C-1")
    other = await _post(api, "/cases", {"person_name": "Märta"}, CASE_WORKER, "C-1")
    assert (first.status_code, repeat.status_code, other.status_code) == (201, 200, 422)
    assert repeat.json() == first.json()
    senior = Actor(user_id="scw-berit", role="senior_case_worker", name="Berit")
    by_other_caller = await _post(api, "/cases", {"person_name": "Märta"}, senior, "C-1")
    assert by_other_caller.status_code == 201
    assert by_other_caller.json()["case_id"] != first.json()["case_id"]
    case_id = first.json()["case_id"]
    box = "/mailboxes/provider-hemtjanst-nord/messages"
    sent = await _post(api, box, {"case_id": case_id, "subject": "Hej", "body": "Text"}, CASE_WORKER, "M-1")
    resent = await _post(api, box, {"case_id": case_id, "subject": "Hej", "body": "Text"}, CASE_WORKER, "M-1")
    changed = await _post(
        api, box, {"case_id": case_id, "subject": "Hej", "body": "Annan"}, CASE_WORKER, "M-1"
    )
    assert (sent.status_code, resent.status_code, changed.status_code) == (201, 200, 422)
    assert resent.json() == sent.json()
    assert count(sessions_on, models.Message) == 1


async def test_the_read_model_stores_a_hash_of_caller_target_and_key_and_the_update_id_derives_from_it(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    case_id = await new_case(api)
    order = (await start_order(api, case_id))["process_id"]
    key = "k" * 255
    assert (await _post(api, f"/processes/{order}/actions/confirm", {}, PROVIDER, key)).status_code == 200
    with sessions_on() as session:
        row = session.scalars(
            select(models.IdempotencyRecord).where(models.IdempotencyRecord.key == key)
        ).one()
    scope = Scope(caller=row.caller, target=row.target, key=key)
    assert (row.caller, row.target) == ("provider|hemtjanst-nord|pv-carl", f"process:{order}")
    assert row.scope == scope.digest and len(row.fingerprint) == 64
    assert scope.update_id == f"idem-{scope.digest}" and key not in scope.update_id


# -- UC-5: one extra-visits process per case and month --------------------------------------


async def test_UC_5_a_second_extra_visits_start_for_the_same_month_is_409(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    case_id = await new_case(api, profile="sundbyberg")
    start = {"type": "extra-visits", "case_id": case_id, "month": "2026-11"}
    first = await _post(api, "/processes", start, PROVIDER, "ev-1")
    assert first.status_code == 201, first.text
    second = await _post(api, "/processes", start, PROVIDER, "ev-2")
    assert second.status_code == 409
    assert second.json() == {"detail": "Ärendet har redan en process Extrabesök (extra-visits) för 2026-11."}
    december = await _post(api, "/processes", {**start, "month": "2026-12"}, PROVIDER, "ev-3")
    assert december.status_code == 201, december.text
    assert december.json()["process_id"] == f"case-{case_id}/extra-visits/2"
    with sessions_on() as session:
        rows = session.scalars(select(models.Process).where(models.Process.type == "extra-visits")).all()
    assert sorted((p.seq, p.unique_key) for p in rows) == [(1, "2026-11"), (2, "2026-12")]


async def test_two_idempotency_key_headers_are_400_and_start_nothing(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    """Found by a tester: two keys with different values gave 201 (which key counted was unknown)."""
    case_id = await new_case(api)
    headers = [
        *(await login(api, CASE_WORKER)).items(),
        ("Idempotency-Key", "first"),
        ("Idempotency-Key", "second"),
    ]
    response = await api.post("/processes", json=order_body(case_id), headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "Begäran har flera Idempotency-Key-huvuden: skicka exakt en nyckel."}
    assert started_processes(sessions_on) == 0
