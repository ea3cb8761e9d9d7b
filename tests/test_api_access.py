"""Issue 6 §5: who may see and do what. A provider unit sees only the processes and tasks that
concern it (404 otherwise) on every route and page; a deputy manager acts only for its own unit;
unit roles need an ``org``; tokens need ``exp``, carry the expected ``iss``/``aud`` when an issuer
is configured, and get 60 s of clock skew; a form is accepted only from this site's own pages.

The unit scenario: the case of unit nord, with an order to nord, an order to unit syd (e.g. the
night patrol) and an urgent change nord reported; Monday 2026-11-23 10:00 in Stockholm.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from runtime.settings import DEV_JWT_SECRET, Settings
from tests.backends import BACKENDS, read_model_on, started_processes
from tests.support import CASE_WORKER, DEPUTY, OTHER_PROVIDER, PROVIDER, sthlm
from tests.test_api_support import api_client, api_scenario, keyed, login, new_case, start_order
from workflows.model import Actor

AT = sthlm(2026, 11, 23, 10, 0)
NORD_OTHER = "Nyckel under mattan hos nord"
SYD_OTHER = "Portkod 4711 för nattpatrullen"
NORD_CHANGE = "Nattlig oro, nord satte in tillsyn"
OTHER_DEPUTY = Actor(user_id="dm-gustav", role="deputy_manager", name="Gustav Bitr", org="hemtjanst-syd")


@pytest.fixture(params=BACKENDS)
def sessions_on(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with read_model_on(request.param, tmp_path) as sessions:
        yield sessions


@pytest.fixture
async def api(sessions_on: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_scenario(AT, sessions_on) as http:
        yield http


def _urgent_change(case_id: str) -> dict[str, Any]:
    return {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": "2026-11-23T08:00:00+01:00",
        "description": NORD_CHANGE,
    }


async def _shared_case(http: httpx.AsyncClient) -> tuple[str, str, str, str]:
    """(case, nord's order, syd's order, nord's urgent change)."""
    case_id = await new_case(http)
    nord = (await start_order(http, case_id, other=NORD_OTHER))["process_id"]
    syd = (await start_order(http, case_id, provider_id="hemtjanst-syd", other=SYD_OTHER))["process_id"]
    change = await http.post(
        "/processes", json=_urgent_change(case_id), headers=keyed(await login(http, PROVIDER))
    )
    assert change.status_code == 201, change.text
    return case_id, nord, syd, change.json()["process_id"]


async def test_a_second_unit_sees_only_its_own_order_and_tasks_on_a_shared_case(
    api: httpx.AsyncClient,
) -> None:
    """Issue 6 §5: unit syd, with an order on nord's case, read nord's order (with övrigt), its
    history, nord's urgent change and its open tasks. Now every one of them is 404 or absent."""
    case_id, nord, syd, change = await _shared_case(api)
    as_syd = await login(api, OTHER_PROVIDER)
    for process_id in (nord, change):
        assert (await api.get(f"/processes/{process_id}", headers=as_syd)).status_code == 404
        assert (await api.get(f"/processes/{process_id}/history", headers=as_syd)).status_code == 404
        acted = await api.post(f"/processes/{process_id}/actions/confirm", json={}, headers=keyed(as_syd))
        assert acted.status_code == 404
    own = await api.get(f"/processes/{syd}", headers=as_syd)
    assert own.status_code == 200 and own.json()["details"]["other"] == SYD_OTHER
    case = (await api.get(f"/cases/{case_id}", headers=as_syd)).json()
    assert [p["id"] for p in case["processes"]] == [syd]
    assert [o["id"] for o in case["orders"]] == [syd]
    assert {t["process_id"] for t in case["open_tasks"]} == {syd}
    inbox = (await api.get("/tasks", headers=as_syd)).json()
    assert {t["process_id"] for t in inbox} == {syd}
    everything = json.dumps([case, inbox], ensure_ascii=False)
    assert NORD_OTHER not in everything and NORD_CHANGE not in everything


async def test_the_owning_unit_and_the_case_worker_still_see_theirs(api: httpx.AsyncClient) -> None:
    case_id, nord, syd, change = await _shared_case(api)
    as_nord = await login(api, PROVIDER)
    assert (await api.get(f"/processes/{nord}", headers=as_nord)).status_code == 200
    assert (await api.get(f"/processes/{change}/history", headers=as_nord)).status_code == 200
    assert (await api.get(f"/processes/{syd}", headers=as_nord)).status_code == 404
    nord_case = (await api.get(f"/cases/{case_id}", headers=as_nord)).json()
    assert {p["id"] for p in nord_case["processes"]} == {nord, change}
    worker_case = (await api.get(f"/cases/{case_id}", headers=await login(api, CASE_WORKER))).json()
    # The case's follow-up cycle is the case worker's and concerns no unit (FU-9).
    cycle = f"case-{case_id}/follow-up-cycle"
    assert {p["id"] for p in worker_case["processes"]} == {nord, syd, change, cycle}
    assert cycle not in {p["id"] for p in nord_case["processes"]}


async def test_the_pages_hide_another_units_processes_too(api: httpx.AsyncClient) -> None:
    case_id, nord, syd, change = await _shared_case(api)
    api.cookies.clear()
    form = {"role": "provider", "sub": OTHER_PROVIDER.user_id, "org": OTHER_PROVIDER.org or ""}
    assert (await api.post("/ui/login", data=form, headers={"Origin": "http://test"})).status_code == 303
    assert (await api.get(f"/ui/processer/{quote(nord)}")).status_code == 404
    assert (await api.get(f"/ui/processer/{quote(change)}")).status_code == 404
    page = await api.get(f"/ui/arenden/{case_id}")
    assert page.status_code == 200
    assert f'href="/ui/processer/{syd}"' in page.text
    assert nord not in page.text and NORD_OTHER not in page.text and change not in page.text
    own = await api.get(f"/ui/processer/{quote(syd)}")
    assert own.status_code == 200 and SYD_OTHER in own.text
    inbox = await api.get("/ui/uppgifter")
    assert nord not in inbox.text and syd in inbox.text
    api.cookies.clear()


async def test_a_deputy_manager_of_another_unit_may_not_start_an_urgent_change_on_the_case(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    """A deputy manager acts, and sees cases, only for its own unit (DESIGN.md): another unit's
    case is unknown to it (404, as for a provider), so it can neither read nor start anything."""
    case_id = await new_case(api)
    other = await login(api, OTHER_DEPUTY)
    refused = await api.post("/processes", json=_urgent_change(case_id), headers=keyed(other))
    assert refused.status_code == 404
    assert refused.json() == {"detail": "Ärendet finns inte."}
    assert (await api.get(f"/cases/{case_id}", headers=other)).status_code == 404
    assert case_id not in {c["id"] for c in (await api.get("/cases", headers=other)).json()}
    assert started_processes(sessions_on) == 0
    own = await api.post("/processes", json=_urgent_change(case_id), headers=keyed(await login(api, DEPUTY)))
    assert own.status_code == 201, own.text


async def test_a_form_posted_from_a_foreign_origin_is_403_and_starts_nothing(
    api: httpx.AsyncClient, sessions_on: sessionmaker[Session]
) -> None:
    """The HTML forms accepted a cookie-authenticated POST from a foreign origin."""
    case_id = await new_case(api)
    api.cookies.clear()
    login_form = {"role": "case_worker", "sub": CASE_WORKER.user_id, "name": CASE_WORKER.name}
    assert (
        await api.post("/ui/login", data=login_form, headers={"Origin": "https://evil.example"})
    ).status_code == 403
    assert (
        await api.post("/ui/login", data=login_form, headers={"Origin": "http://test"})
    ).status_code == 303
    form = {
        "type": "order",
        "case_id": case_id,
        "start_date": "2026-11-30",
        "items-0-name": "Städning",
        "items-0-kind": "service",
        "idempotency_key": "form-1",
    }
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        refused = await api.post("/ui/processer", data=form, headers=headers)
        assert refused.status_code == 403, headers
    json_by_cookie = await api.post(
        "/processes",
        json={"type": "order", "case_id": case_id},
        headers={"Origin": "https://evil.example", "Idempotency-Key": "k"},
    )
    assert json_by_cookie.status_code == 403
    assert started_processes(sessions_on) == 0
    accepted = await api.post(
        "/ui/processer", data=form, headers={"Referer": f"http://test/ui/arenden/{case_id}"}
    )
    assert accepted.status_code == 303, accepted.text
    assert started_processes(sessions_on) == 1
    api.cookies.clear()


async def test_a_failed_validation_never_logs_or_echoes_the_input(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    case_id = await new_case(api)
    personal = "19121212-1212"
    headers = keyed(await login(api, CASE_WORKER))
    bodies = [
        {"type": "order", "case_id": case_id, "start_date": personal, "items": []},
        {"type": "order", "case_id": case_id, "items": [], personal: "x"},
        {"type": personal},
    ]
    for body in bodies:
        response = await api.post("/processes", json=body, headers=headers)
        assert response.status_code == 422
        assert personal not in response.text
    response = await api.post("/cases", json={"person_name": ["Greta", personal]}, headers=headers)
    assert response.status_code == 422 and personal not in response.text
    assert personal not in caplog.text


# -- logins and tokens (no Temporal needed) --------------------------------------------------


@pytest.mark.parametrize("role", ["provider", "homecoming_team", "deputy_manager"])
async def test_the_dev_login_refuses_a_unit_role_without_org(
    sessions: sessionmaker[Session], role: str
) -> None:
    async with api_client(None, sessions) as http:
        response = await http.post("/auth/dev-login", json={"sub": "u-1", "role": role})
        assert response.status_code == 422
        assert f"Rollen {role} kräver en enhet (org)" in response.json()["detail"][0]["msg"]
        token = jwt.encode({"sub": "u-1", "role": role, "exp": _at(300)}, DEV_JWT_SECRET, "HS256")
        assert (await http.get("/cases", headers=_bearer(token))).status_code == 401


def _at(seconds: int) -> datetime:
    # PyJWT checks iat/nbf/exp against the machine's clock, so the tokens are built from it.
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_need_exp_and_get_60_seconds_of_clock_skew(sessions: sessionmaker[Session]) -> None:
    """A token issued 2 s ahead of the server clock was refused."""
    claims: dict[str, Any] = {"sub": "scw-1", "role": "senior_case_worker"}
    cases: list[tuple[dict[str, Any], int]] = [
        ({**claims}, 401),  # no exp
        ({**claims, "exp": _at(600), "iat": _at(2)}, 200),  # issued 2 s ahead
        ({**claims, "exp": _at(600), "iat": _at(50), "nbf": _at(50)}, 200),
        ({**claims, "exp": _at(600), "iat": _at(120)}, 401),  # beyond the leeway
        ({**claims, "exp": _at(-30)}, 200),  # expired 30 s ago: within the leeway
        ({**claims, "exp": _at(-120)}, 401),
    ]
    async with api_client(None, sessions) as http:
        for token_claims, expected in cases:
            token = jwt.encode(token_claims, DEV_JWT_SECRET, "HS256")
            response = await http.get("/cases", headers=_bearer(token))
            assert response.status_code == expected, (token_claims, response.text)


async def test_with_an_issuer_key_iss_and_aud_are_required_and_checked(
    sessions: sessionmaker[Session],
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValidationError, match="HEMTJANST_JWT_ISSUER"):
        Settings(jwt_issuer_key=pem)
    issuer = {"jwt_issuer": "https://idp.kommun.se", "jwt_audience": "hemtjanst-samverkan"}
    base = {"sub": "cw-1", "role": "case_worker", "exp": _at(600)}
    right = {**base, "iss": issuer["jwt_issuer"], "aud": issuer["jwt_audience"]}
    cases = [
        (right, 200),
        ({**right, "iss": "https://other.example"}, 401),
        ({**right, "aud": "another-system"}, 401),
        ({**base, "iss": issuer["jwt_issuer"]}, 401),  # no aud
        ({**base, "aud": issuer["jwt_audience"]}, 401),  # no iss
    ]
    async with api_client(
        None,
        sessions,
        jwt_issuer_key=pem,
        jwt_issuer=issuer["jwt_issuer"],
        jwt_audience=issuer["jwt_audience"],
        dev_login_enabled=False,
    ) as http:
        for claims, expected in cases:
            response = await http.get("/cases", headers=_bearer(jwt.encode(claims, key, "ES256")))
            assert response.status_code == expected, (claims, response.text)


@pytest.mark.parametrize(
    "claims",
    [
        {"name": "N" * 201},
        {"sub": "u\x00x"},
        {"sub": "u" * 65},
        {"org": "o" * 65, "role": "provider"},
        {"name": ["not", "text"]},
    ],
)
async def test_a_verified_token_with_claims_the_system_cannot_record_is_401(
    sessions: sessionmaker[Session], claims: dict[str, Any]
) -> None:
    token_claims = {
        "sub": "scw-1",
        "role": "senior_case_worker",
        "org": "hemtjanst-nord",
        "exp": _at(600),
        **claims,
    }
    async with api_client(None, sessions) as http:
        response = await http.get(
            "/cases", headers=_bearer(jwt.encode(token_claims, DEV_JWT_SECRET, "HS256"))
        )
        assert response.status_code == 401
