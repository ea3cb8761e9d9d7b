"""Function mailboxes over HTTP: one message, one case (COM-2); who reads which mailbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER, scenario_clock
from tests.test_api_support import api_client, keyed, login, new_case, start_order
from workflows.model import Actor

NORD_BOX = "/mailboxes/provider-hemtjanst-nord/messages"
CASE_WORKERS_BOX = "/mailboxes/case-workers/messages"


@pytest.fixture
async def api(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(env.client, sessions, worker.task_queue, clock=scenario_clock(env)) as http:
        yield http


async def _post(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], actor: Actor = CASE_WORKER
) -> httpx.Response:
    return await http.post(
        path,
        json={"subject": "Ändrat behov", "body": "Text", **body},
        headers=keyed(await login(http, actor)),
    )


@pytest.mark.parametrize(
    "cases", [{}, {"case_ids": []}, {"case_ids": ["a", "b"]}, {"case_id": "a", "case_ids": ["b"]}]
)
async def test_COM_2_a_message_naming_zero_or_several_cases_is_422(
    api: httpx.AsyncClient, cases: dict[str, Any]
) -> None:
    """COM-2: each message concerns one case only."""
    response = await _post(api, NORD_BOX, cases)
    assert response.status_code == 422
    assert "exakt ett ärende" in response.json()["detail"]


async def test_COM_2_a_message_about_one_case_is_201_and_listed_in_the_mailbox(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    response = await _post(api, NORD_BOX, {"case_id": case_id})
    assert response.status_code == 201, response.text
    assert response.json()["sender"] == "Anna Handläggare (biståndshandläggare)"
    listed = await api.get(NORD_BOX, headers=await login(api, PROVIDER))
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [response.json()["id"]]
    assert listed.json()[0]["case_id"] == case_id


async def test_a_repeated_message_with_the_same_idempotency_key_is_stored_once(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    headers = {**await login(api, CASE_WORKER), "Idempotency-Key": str(uuid.uuid4())}
    body = {"case_id": case_id, "subject": "Hej", "body": "Text"}
    first = await api.post(NORD_BOX, json=body, headers=headers)
    second = await api.post(NORD_BOX, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert len((await api.get(NORD_BOX, headers=headers)).json()) == 1


async def test_COM_6_a_provider_reporting_a_changed_need_must_say_why_the_person_does_not(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    body = {"case_id": case_id, "changed_need": True}
    assert (await _post(api, CASE_WORKERS_BOX, body, PROVIDER)).status_code == 422
    reason = {**body, "reason_self_contact": "Brukaren har afasi."}
    response = await _post(api, CASE_WORKERS_BOX, reason, PROVIDER)
    assert response.status_code == 201
    assert "Brukaren har afasi." in response.json()["body"]


async def test_FU_10_a_provider_reads_only_its_own_mailbox_and_writes_only_about_its_cases(
    api: httpx.AsyncClient,
) -> None:
    case_id = await new_case(api)
    headers = await login(api, OTHER_PROVIDER)
    assert (await api.get(NORD_BOX, headers=headers)).status_code == 403
    assert (await api.get(CASE_WORKERS_BOX, headers=headers)).status_code == 403
    assert (await api.get("/mailboxes/nowhere/messages", headers=headers)).status_code == 404
    assert (await _post(api, CASE_WORKERS_BOX, {"case_id": case_id}, OTHER_PROVIDER)).status_code == 404


async def test_an_order_sends_a_message_to_the_provider_mailbox(api: httpx.AsyncClient) -> None:
    """COM-4: the order's message carries the free-text "övrigt"."""
    case_id = await new_case(api)
    await start_order(api, case_id)
    messages = (await api.get(NORD_BOX, headers=await login(api, PROVIDER))).json()
    assert [m["subject"] for m in messages] == ["Ny beställning"]
    assert "Övrigt: Nyckel finns hos grannen." in messages[0]["body"]
