"""The codec endpoint: Temporal's remote codec protocol, so a supervisor can read histories.

The Temporal Web UI (and ``temporal --codec-endpoint``) sends ``POST <endpoint>/decode`` with the
payloads of a history as protobuf JSON, ``{"payloads": [{"metadata": {"encoding": "<base64>"},
"data": "<base64>"}]}``, and shows what comes back in the same shape; ``/encode`` is the reverse.
Only a supervisor may call it (DESIGN.md: personal data stays out of histories in clear text, an
authorised supervisor reads them): a bearer token or the ``token`` cookie of the dev login, 401
without a valid one, 403 for any other role.

The UI calls from the browser, from another origin (http://localhost:8233 locally), so these routes
answer CORS for ``settings.codec_cors_origins`` only, with credentials (the UI's "include
cross-origin credentials" sends our cookie) and the headers the UI sends: ``Content-Type``,
``X-Namespace`` and, with "pass access token", ``Authorization``. The rest of the API has no CORS.
Refusals (401, 403, 422) carry no CORS grant: the UI reads any readable answer as payloads, so it
must see a failed request instead, which it reports and then shows the payloads still encrypted.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from api.auth import current_user
from api.deps import SettingsDep
from runtime.codec import EncryptionCodec
from runtime.settings import Settings
from workflows.model import SUPERVISOR

router = APIRouter(prefix="/codec", tags=["codec"])

Operation = Literal["encode", "decode"]
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


def _codec(settings: Settings) -> PayloadCodec:
    """The codec of the workers and clients: the same key ring, from the same settings."""
    current, keys = settings.payload_key_ring
    return EncryptionCodec(keys, current)


def _cors(request: Request, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None or origin.rstrip("/") not in settings.codec_cors_origins:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def _error(code: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=code, headers={"Vary": "Origin", **(headers or {})})


@router.options("/{operation}", include_in_schema=False)
async def preflight(operation: Operation, request: Request, settings: SettingsDep) -> Response:
    """CORS preflight of the Temporal UI (its request carries JSON and X-Namespace)."""
    headers = _cors(request, settings)
    if "Access-Control-Allow-Origin" not in headers:
        return Response(status_code=status.HTTP_403_FORBIDDEN, headers=headers)
    headers |= {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=headers)


@router.post(
    "/{operation}",
    responses={
        200: {"description": "The payloads, decoded or encoded, as protobuf JSON `{payloads: [...]}`"},
        401: {"description": "No or invalid token"},
        403: {"description": "Not a supervisor"},
        422: {"description": "Not a Payloads JSON, or a payload that does not decrypt"},
    },
)
async def convert(operation: Operation, request: Request, settings: SettingsDep) -> Response:
    """Temporal remote codec: decode (or encode) payloads for the Temporal UI and CLI; supervisor only."""
    try:
        user = current_user(request, settings)
    except HTTPException as error:
        return _error(error.status_code, str(error.detail), dict(error.headers or {}))
    if user.role != SUPERVISOR:
        return _error(status.HTTP_403_FORBIDDEN, "Bara tillsyn (supervisor) får läsa historiker.")
    try:
        payloads = json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as error:
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Inte en Payloads-JSON: {error}")
    codec = _codec(settings)
    try:
        if operation == "decode":
            result = await codec.decode(payloads.payloads)
        else:
            result = await codec.encode(payloads.payloads)
    except ValueError as error:
        return _error(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))
    body = json_format.MessageToJson(Payloads(payloads=result))
    return Response(body, media_type="application/json", headers=_cors(request, settings))
