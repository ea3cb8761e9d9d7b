"""Input-format errors in Swedish, in the contract's ``{"detail": ...}`` shape (issue 6 §7).

Pydantic's errors (from FastAPI's request validation, from parsing process inputs, from the limits
of ``api.limits``) become ``{"loc": [...], "msg": <Swedish>, "type": <pydantic's type>}``. The
input itself is never part of an answer or a log line: it may hold a personal identity number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import LimitError

# Pydantic's error type -> what is wrong, in Swedish (a predicate: "<field> <msg>").
SWEDISH: dict[str, str] = {
    "missing": "måste fyllas i",
    "date_parsing": "är inget giltigt datum",
    "date_from_datetime_parsing": "är inget giltigt datum",
    "date_from_datetime_inexact": "är inget giltigt datum",
    "date_type": "är inget giltigt datum",
    "datetime_parsing": "är ingen giltig tidpunkt",
    "datetime_from_date_parsing": "är ingen giltig tidpunkt",
    "datetime_type": "är ingen giltig tidpunkt",
    "datetime_object_invalid": "är ingen giltig tidpunkt",
    "int_parsing": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "int_from_float": "måste vara ett heltal",
    "float_parsing": "måste vara ett tal",
    "float_type": "måste vara ett tal",
    "literal_error": "har ett värde som inte finns bland valen",
    "enum": "har ett värde som inte finns bland valen",
    "string_type": "måste vara text",
    "string_too_short": "måste fyllas i",
    "bool_parsing": "måste vara ja eller nej",
    "bool_type": "måste vara ja eller nej",
    "list_type": "måste vara en lista",
    "dict_type": "måste vara ett objekt",
    "model_type": "måste vara ett objekt",
    "model_attributes_type": "måste vara ett objekt",
    "dataclass_type": "måste vara ett objekt",
    "dataclass_exact_type": "måste vara ett objekt",
    "extra_forbidden": "är inget känt fält",
    "unexpected_keyword_argument": "är inget känt fält",
    "json_invalid": "är ingen giltig JSON",
    "json_type": "är ingen giltig JSON",
    "string_unicode": "är ingen giltig text",
    "timezone_aware": "måste anges med tidszon (t.ex. +01:00)",
}
UNKNOWN = "har ett ogiltigt värde"
INVALID_INPUT = "Ogiltig indata."


def _message(error: Any) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in ("string_too_long", "too_long") and "max_length" in ctx:
        unit = "tecken" if kind == "string_too_long" else "rader"
        return f"får vara högst {ctx['max_length']} {unit}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()), "")
        words = {
            "greater_than": "större än",
            "greater_than_equal": "minst",
            "less_than": "mindre än",
            "less_than_equal": "högst",
        }
        return f"måste vara {words[kind]} {bound}"
    if kind in ("value_error", "assertion_error"):
        # Our own validators' Swedish reason (never the input): "Value error, <reason>".
        return str(ctx.get("error") or error.get("msg") or UNKNOWN).removeprefix("Value error, ")
    return SWEDISH.get(kind, UNKNOWN)


def swedish_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{"loc", "msg", "type"}`` with the message in Swedish, without the input."""
    return [
        {"loc": list(e.get("loc", ())), "msg": _message(e), "type": str(e.get("type", ""))} for e in errors
    ]


def validation_detail(error: ValidationError) -> list[dict[str, Any]]:
    """A pydantic ValidationError as the contract's 422 detail."""
    return swedish_errors(error.errors(include_url=False, include_input=False))


class FieldError(BaseModel):
    """One field that is wrong: where (``loc``), what (``msg``, Swedish), pydantic's error ``type``."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: a Swedish sentence, or (422 on input) one entry per wrong field."""

    detail: str | list[FieldError]


# The framework's own answers (an unknown path, a method a route does not have) in Swedish.
_STATUS_TEXTS = {
    400: "Felaktig begäran.",
    404: "Sidan eller resursen finns inte.",
    405: "Metoden är inte tillåten för den här adressen.",
    406: "Svarsformatet kan inte levereras.",
    415: "Innehållstypen stöds inte.",
}


def swedish_detail(error: StarletteHTTPException) -> Any:
    """The error's detail; the framework's English default phrase becomes a Swedish sentence."""
    if error.detail == HTTPStatus(error.status_code).phrase:
        return _STATUS_TEXTS.get(error.status_code, f"Fel {error.status_code}.")
    return error.detail


def install(app: FastAPI) -> None:
    """Swedish 422 answers for request validation and the limits; nothing of the input echoed."""

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        detail = swedish_errors(error.errors()) or INVALID_INPUT
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": swedish_detail(error)}, error.status_code, headers=error.headers)

    @app.exception_handler(LimitError)
    async def _limits(_request: Request, error: LimitError) -> JSONResponse:
        return JSONResponse({"detail": error.problems}, status.HTTP_422_UNPROCESSABLE_CONTENT)


# The 4xx answers of the contract, for the OpenAPI document of every JSON route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Idempotency-Key saknas eller är felformaterad"},
    401: {"model": ErrorOut, "description": "Ingen eller ogiltig token"},
    403: {
        "model": ErrorOut,
        "description": "Rollen får inte göra detta, eller formulär från annan webbplats",
    },
    404: {"model": ErrorOut, "description": "Finns inte, eller syns inte för anroparen"},
    409: {
        "model": ErrorOut,
        "description": "Åtgärden är inte öppen, processen är avslutad, eller redan startad",
    },
    413: {"model": ErrorOut, "description": "Begäran är för stor"},
    422: {
        "model": ErrorOut,
        "description": "Ogiltig indata (fält, gränser, datum), eller nyckeln användes för annat",
    },
}
ERROR_RESPONSES[504] = {"model": ErrorOut, "description": "Processen svarade inte i tid"}
# What a read (GET) can answer, and what only a start or an action adds to it.
READ_RESPONSES: dict[int | str, dict[str, Any]] = {c: ERROR_RESPONSES[c] for c in (401, 403, 404, 422)}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {c: ERROR_RESPONSES[c] for c in (400, 409, 413)}
PROCESS_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {**WRITE_RESPONSES, 504: ERROR_RESPONSES[504]}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


def shown(name: object) -> str:
    """A field or type name from the request, quoted in an error only when it looks like a name
    (never free text from the input, which may be personal data)."""
    return str(name) if isinstance(name, str) and _NAME.fullmatch(name) else "(okänt namn)"
