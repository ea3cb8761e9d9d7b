"""Issue 6 §7: input-format errors in Swedish in the contract's ``{"detail": ...}`` shape, the
OpenAPI document describing the 4xx answers as they are, and /docs working without internet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support import CASE_WORKER
from tests.test_api_support import api_client, keyed, login

ERROR_CODES = {"400", "401", "403", "404", "409", "413", "422"}


@pytest.fixture
async def api(sessions: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(None, sessions) as http:
        yield http


async def test_a_wrong_type_and_a_missing_field_answer_swedish_field_errors_without_the_input(
    api: httpx.AsyncClient,
) -> None:
    headers = keyed(await login(api, CASE_WORKER))
    response = await api.post(
        "/cases", json={"decisions": "Greta Exempel", "provider_id": 5}, headers=headers
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"loc": ["body", "person_name"], "msg": "måste fyllas i", "type": "missing"},
            {"loc": ["body", "provider_id"], "msg": "måste vara text", "type": "string_type"},
            {"loc": ["body", "decisions"], "msg": "måste vara en lista", "type": "list_type"},
        ]
    }
    assert "Greta" not in response.text


async def test_a_body_that_is_not_json_is_422_in_swedish(api: httpx.AsyncClient) -> None:
    headers = {**keyed(await login(api, CASE_WORKER)), "Content-Type": "application/json"}
    response = await api.post("/cases", content=b'{"person_name": "Gre', headers=headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["msg"], error["type"]) == ("är ingen giltig JSON", "json_invalid")


async def test_a_query_parameter_of_the_wrong_type_is_422_in_swedish(api: httpx.AsyncClient) -> None:
    response = await api.get("/tasks", params={"overdue": "kanske"}, headers=await login(api, CASE_WORKER))
    assert response.json() == {
        "detail": [{"loc": ["query", "overdue"], "msg": "måste vara ja eller nej", "type": "bool_parsing"}]
    }


async def test_the_openapi_document_describes_the_error_answers_of_every_start_and_action(
    api: httpx.AsyncClient,
) -> None:
    schema = (await api.get("/openapi.json")).json()
    for path in ("/processes", "/processes/{process_id}/actions/{action}", "/cases"):
        responses = schema["paths"][path]["post"]["responses"]
        assert set(responses) >= ERROR_CODES, path
        for code in ERROR_CODES:
            content = responses[code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    detail = schema["components"]["schemas"]["ErrorOut"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
    key = next(
        p for p in schema["paths"]["/processes"]["post"]["parameters"] if p["name"] == "Idempotency-Key"
    )
    assert "255" in key["description"]
    assert key["required"] is True and key["schema"]["maxLength"] == 255


async def test_docs_are_served_without_a_cdn(api: httpx.AsyncClient) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    assert "cdn.jsdelivr.net" not in page.text and "unpkg.com" not in page.text
    assert "/static-offline-docs/swagger-ui-bundle.js" in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await api.get(f"/static-offline-docs/{asset}")
        assert response.status_code == 200 and len(response.content) > 10_000, asset
    assert (await api.get("/redoc")).status_code == 200


async def test_the_frameworks_own_errors_and_token_errors_are_swedish(api: httpx.AsyncClient) -> None:
    """Found by a tester: 405 "Method Not Allowed", 404 "Not Found" and PyJWT class names in 401."""
    unknown = await api.get("/no-such-page")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Sidan eller resursen finns inte."})
    method = await api.put("/tasks")
    assert method.status_code == 405
    assert method.json() == {"detail": "Metoden är inte tillåten för den här adressen."}
    garbage = await api.get("/tasks", headers={"Authorization": "Bearer not.a.token"})
    assert garbage.status_code == 401
    assert "Error" not in garbage.json()["detail"]
    assert garbage.json()["detail"].startswith("Ogiltig token")
