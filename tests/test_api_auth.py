"""Identity: the dev login, bearer tokens and the cookie, 401 for everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from sqlalchemy.orm import Session, sessionmaker

from runtime.settings import DEV_JWT_SECRET
from tests.support import CASE_WORKER, PROVIDER
from tests.test_api_support import api_client, login


@pytest.fixture
async def api(sessions: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(None, sessions) as http:
        yield http


async def test_dev_login_gives_a_token_with_the_claims_asked_for(api: httpx.AsyncClient) -> None:
    body = {
        "sub": "pv-carl",
        "name": "Carl",
        "role": "provider",
        "org": "hemtjanst-nord",
        "municipality": "x",
    }
    response = await api.post("/auth/dev-login", json=body)
    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], DEV_JWT_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["org"], claims["municipality"]) == (
        "pv-carl",
        "provider",
        "hemtjanst-nord",
        "x",
    )
    assert response.cookies.get("token") == response.json()["token"]


async def test_a_request_without_a_token_is_401(api: httpx.AsyncClient) -> None:
    response = await api.get("/cases")
    assert response.status_code == 401
    assert "detail" in response.json()


async def test_a_token_with_a_wrong_signature_is_401(api: httpx.AsyncClient) -> None:
    forged = jwt.encode({"sub": "x", "role": "supervisor"}, "not-the-secret-but-long-enough-32b", "HS256")
    response = await api.get("/cases", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_a_garbage_or_expired_token_is_401(api: httpx.AsyncClient) -> None:
    expired = jwt.encode(
        {"sub": "x", "role": "supervisor", "exp": datetime.now(UTC) - timedelta(minutes=1)},
        DEV_JWT_SECRET,
        "HS256",
    )
    for token in ("garbage", expired):
        response = await api.get("/cases", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


async def test_a_token_with_an_unknown_role_is_401(api: httpx.AsyncClient) -> None:
    token = jwt.encode({"sub": "x", "role": "admin"}, DEV_JWT_SECRET, "HS256")
    response = await api.get("/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_the_dev_login_refuses_an_unknown_role(api: httpx.AsyncClient) -> None:
    response = await api.post("/auth/dev-login", json={"sub": "x", "role": "admin"})
    assert response.status_code == 422


async def test_the_cookie_from_the_dev_login_authenticates_the_html_forms(api: httpx.AsyncClient) -> None:
    await login(api, CASE_WORKER)  # the client keeps the cookie
    response = await api.get("/cases")
    assert response.status_code == 200


async def test_the_dev_login_is_404_where_it_is_switched_off(sessions: sessionmaker[Session]) -> None:
    async with api_client(None, sessions, dev_login_enabled=False) as http:
        body = {"sub": PROVIDER.user_id, "role": "provider", "org": PROVIDER.org}
        assert (await http.post("/auth/dev-login", json=body)).status_code == 404


async def test_with_an_issuer_key_configured_a_dev_signed_token_is_401(
    sessions: sessionmaker[Session],
) -> None:
    """Production verifies against the issuer's key only; the dev secret no longer opens anything."""
    pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
    async with api_client(
        None,
        sessions,
        jwt_issuer_key=pem,
        jwt_issuer="https://idp.example",
        jwt_audience="hemtjanst",
        dev_login_enabled=False,
    ) as http:
        token = jwt.encode({"sub": "x", "role": "supervisor"}, DEV_JWT_SECRET, "HS256")
        response = await http.get("/cases", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
