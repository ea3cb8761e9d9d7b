"""Cases over HTTP: registration, who sees which case (FU-10), billing notices (CAL-7)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from readmodel import models
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER, SENIOR, sthlm
from tests.test_api_support import api_client, keyed, login, new_case
from workflows.model import Actor

BILLING = Actor(user_id="bi-hans", role="billing", name="Hans Debitering")


@pytest.fixture
async def api(sessions: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(None, sessions) as http:
        yield http


async def test_a_case_worker_registers_a_case_with_its_decisions(api: httpx.AsyncClient) -> None:
    case_id = await new_case(api, profile="norrkoping")
    response = await api.get(f"/cases/{case_id}", headers=await login(api, CASE_WORKER))
    assert response.status_code == 200
    case = response.json()
    assert (case["municipality"], case["profile"], case["case_worker_id"]) == (
        "norrkoping",
        "norrkoping",
        CASE_WORKER.user_id,
    )
    assert case["decisions"] == [
        {
            "id": f"{case_id}/decision/1",
            "kind": "care",
            "services": ["Personlig omvårdnad"],
            "start_date": "2026-11-16",
            "end_date": None,
            "status": "active",
        }
    ]
    assert (case["processes"], case["orders"], case["open_tasks"]) == ([], [], [])
    assert case["created_at"].endswith(("+01:00", "+02:00"))


async def test_the_same_idempotency_key_registers_the_case_once(api: httpx.AsyncClient) -> None:
    headers = {**await login(api, CASE_WORKER), "Idempotency-Key": str(uuid.uuid4())}
    body = {"person_name": "Greta", "provider_id": "hemtjanst-nord"}
    first = await api.post("/cases", json=body, headers=headers)
    second = await api.post("/cases", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert len((await api.get("/cases", headers=headers)).json()) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"profile": "atlantis"},
        {"decisions": [{"kind": "magic", "start_date": "2026-11-16"}]},
        {"decisions": [{"kind": "care", "start_date": "2026-11-16", "end_date": "2026-11-01"}]},
        {"person_name": ""},
    ],
)
async def test_registering_a_case_with_invalid_input_is_422(
    api: httpx.AsyncClient, change: dict[str, object]
) -> None:
    body = {"person_name": "Greta", **change}
    response = await api.post("/cases", json=body, headers=keyed(await login(api, CASE_WORKER)))
    assert response.status_code == 422


async def test_a_provider_may_not_register_a_case(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/cases", json={"person_name": "Greta"}, headers=keyed(await login(api, PROVIDER))
    )
    assert response.status_code == 403


async def test_FU_10_each_role_lists_only_the_cases_it_may_see(api: httpx.AsyncClient) -> None:
    """FU-10: a provider sees only its own cases; a case worker their own and unassigned ones;
    a senior case worker the municipality's."""
    nord = await new_case(api)
    syd = await new_case(api, provider_id="hemtjanst-syd")
    colleague = await new_case(api, case_worker_id="cw-other")
    elsewhere = await new_case(api, profile="botkyrka", case_worker_id="cw-other")

    async def listed(actor: Actor, municipality: str | None = None) -> set[str]:
        response = await api.get("/cases", headers=await login(api, actor, municipality))
        assert response.status_code == 200
        return {c["id"] for c in response.json()}

    assert await listed(PROVIDER) == {nord, colleague, elsewhere}
    assert await listed(OTHER_PROVIDER) == {syd}
    assert await listed(CASE_WORKER) == {nord, syd}
    assert await listed(SENIOR, "default") == {nord, syd, colleague}
    assert await listed(SENIOR) == {nord, syd, colleague, elsewhere}
    assert await listed(BILLING) == set()
    response = await api.get(f"/cases/{syd}", headers=await login(api, PROVIDER))
    assert response.status_code == 404


async def test_CAL_7_billing_sees_late_registration_notices_and_only_their_cases(
    api: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    late = await new_case(api)
    await new_case(api)
    with sessions.begin() as session:
        session.add(
            models.BillingNotice(
                id="n-1",
                case_id=late,
                concerns=date(2026, 9, 28),
                deadline=sthlm(2026, 10, 4, 23, 59, 59),
                registered_at=datetime(2026, 10, 6, 8, 0, tzinfo=sthlm(2026, 10, 6).tzinfo),
                text="Verkställighetsdatum registrerat efter den 4:e.",
            )
        )
    response = await api.get("/billing/notices", headers=await login(api, BILLING))
    assert response.status_code == 200
    [notice] = response.json()
    assert (notice["case_id"], notice["concerns"], notice["deadline"]) == (
        late,
        "2026-09-28",
        "2026-10-04T23:59:59+02:00",
    )
    assert {c["id"] for c in (await api.get("/cases", headers=await login(api, BILLING))).json()} == {late}
    assert (await api.get("/billing/notices", headers=await login(api, PROVIDER))).status_code == 403
