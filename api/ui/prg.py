"""Post/redirect/get for the forms: a failed post redirects to the page that shows the error.

A form post never answers with a page: success redirects (303) to the page that shows the result,
and a refused post redirects (303) to the GET of the page the form was on, with the problem (status,
Swedish messages, the form's id and the values typed) in a short-lived signed cookie. That GET shows
the error next to its field and the values again, answers with the contract's status (403, 409,
422, ...), and drops the cookie, so a reload neither posts again nor shows a stale error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

COOKIE = "ui_problem"
MAX_AGE_SECONDS = 120
MAX_COOKIE_BYTES = 3500  # browsers keep 4096 bytes per cookie, name and attributes included
PATH = "/ui"


def _secret(request: Request) -> bytes:
    return str(request.app.state.settings.jwt_secret).encode()


def _sign(request: Request, payload: bytes) -> str:
    mac = hmac.new(_secret(request), payload, hashlib.sha256).hexdigest()[:32]
    return f"{base64.urlsafe_b64encode(payload).decode()}.{mac}"


def _unsign(request: Request, token: str) -> dict[str, Any] | None:
    raw, _, mac = token.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(raw.encode())
    except ValueError:
        return None
    expected = hmac.new(_secret(request), payload, hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(expected, mac):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def redirect_with_problem(
    request: Request,
    target: str,
    status_code: int,
    messages: list[str],
    form: str = "",
    values: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> Response:
    """303 to ``target`` (a GET page) carrying the problem for that page only.

    ``fields`` maps a field's input name to its message (shown next to it). Values too long for a
    cookie are left out (the messages are always kept)."""
    kept = {k: v for k, v in (values or {}).items() if k != "idempotency_key"}
    data: dict[str, Any] = {
        "page": target.split("#", 1)[0].split("?", 1)[0],
        "status": status_code,
        "messages": messages,
        "form": form,
        "values": kept,
        "fields": fields or {},
    }
    token = _sign(request, json.dumps(data, ensure_ascii=False).encode())
    if len(token) > MAX_COOKIE_BYTES:
        data["values"] = {k: v for k, v in kept.items() if len(v) <= 200}
        token = _sign(request, json.dumps(data, ensure_ascii=False).encode())
    if len(token) > MAX_COOKIE_BYTES:
        data["values"] = {}
        token = _sign(request, json.dumps(data, ensure_ascii=False).encode())
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(COOKIE, token, max_age=MAX_AGE_SECONDS, path=PATH, httponly=True, samesite="lax")
    return response


def pending_problem(request: Request) -> dict[str, Any] | None:
    """The problem a redirect left for this page (None when there is none or it is another page's)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    data = _unsign(request, token)
    if data is None or data.get("page") != request.url.path:
        return None
    return data


def drop(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)
