"""Post/redirect/get for the forms: a failed post redirects to the page that shows the error.

A form post never answers with a page: success redirects (303) to the page that shows the result,
and a refused post redirects (303) to the GET of the page the form was on. That GET shows the
error next to its field and the values typed again, answers with the contract's status (403, 409,
422, ...), and forgets the problem, so a reload neither posts again nor shows a stale error.

The problem travels in two parts. The status, the Swedish messages and the form's id go in a
short-lived signed cookie. The values typed stay on the server (``FailedInputs``): a note of
10 000 characters does not fit in a cookie (browsers keep 4 kB), and losing it to a missing
subject is what a person would never forgive (issue 10). The cookie names them by a random token,
and only the same login may take them back, once, within ``MAX_AGE_SECONDS``. Values short
enough also ride in the cookie, so that an API process that did not keep them (a restart, another
replica without sticky sessions) still shows those.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

from api.auth import TOKEN_COOKIE

COOKIE = "ui_problem"
MAX_AGE_SECONDS = 120
MAX_COOKIE_BYTES = 3500  # browsers keep 4096 bytes per cookie, name and attributes included
SHORT_VALUE = 200  # a value this long at most also rides in the cookie
PATH = "/ui"
# What the server keeps of refused forms at most: the oldest go first beyond these.
MAX_ENTRIES = 1000
MAX_BYTES = 16 * 1024 * 1024


@dataclass
class _Entry:
    owner: str
    expires: float
    values: dict[str, str]
    size: int


class FailedInputs:
    """The values of refused form posts, in memory, bounded in number, bytes and time."""

    def __init__(
        self, ttl: float = MAX_AGE_SECONDS, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES
    ) -> None:
        self.ttl, self.max_entries, self.max_bytes = ttl, max_entries, max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, owner: str, values: dict[str, str], now: float | None = None) -> str:
        """Keep ``values`` for ``owner``; the random token that takes them back."""
        now = time.monotonic() if now is None else now
        size = sum(len(k.encode()) + len(v.encode()) for k, v in values.items())
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._expire(now)
            if size <= self.max_bytes:
                self._entries[token] = _Entry(owner, now + self.ttl, dict(values), size)
                self._bytes += size
                while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                    self._drop(next(iter(self._entries)))
        return token

    def take(self, token: str, owner: str, now: float | None = None) -> dict[str, str] | None:
        """The values kept under ``token`` for ``owner`` (then forgotten); None when there are none."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            entry = self._entries.get(token)
            if entry is None or not hmac.compare_digest(entry.owner, owner):
                return None
            self._drop(token)
            return entry.values

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        for token in [t for t, e in self._entries.items() if e.expires <= now]:
            self._drop(token)

    def _drop(self, token: str) -> None:
        entry = self._entries.pop(token)
        self._bytes -= entry.size


def failed_inputs(request: Request) -> FailedInputs:
    """The app's store of refused forms' values (made on first use)."""
    state = request.app.state
    store: FailedInputs | None = getattr(state, "failed_inputs", None)
    if store is None:
        store = state.failed_inputs = FailedInputs()
    return store


def _owner(request: Request) -> str:
    """Who may take values back: the login (a hash of its token cookie; none before a login)."""
    return hashlib.sha256(request.cookies.get(TOKEN_COOKIE, "").encode()).hexdigest()


def _secret(request: Request) -> bytes:
    return str(request.app.state.settings.jwt_secret).encode()


def _sign(request: Request, data: dict[str, Any]) -> str:
    payload = json.dumps(data, ensure_ascii=False).encode()
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

    ``fields`` maps a field's input name to its message (shown next to it); ``values`` are kept
    on the server whatever their length (``FailedInputs``)."""
    kept = {k: v for k, v in (values or {}).items() if k != "idempotency_key"}
    data: dict[str, Any] = {
        "page": target.split("#", 1)[0].split("?", 1)[0],
        "status": status_code,
        "messages": messages,
        "form": form,
        "fields": fields or {},
        "kept": failed_inputs(request).put(_owner(request), kept),
        "values": {k: v for k, v in kept.items() if len(v) <= SHORT_VALUE},
    }
    token = _sign(request, data)
    if len(token) > MAX_COOKIE_BYTES:
        data["values"] = {}
        token = _sign(request, data)
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(COOKIE, token, max_age=MAX_AGE_SECONDS, path=PATH, httponly=True, samesite="lax")
    return response


def pending_problem(request: Request) -> dict[str, Any] | None:
    """The problem a redirect left for this page (None when there is none or it is another page's),
    with every value typed that the server kept."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    data = _unsign(request, token)
    if data is None or data.get("page") != request.url.path:
        return None
    kept = failed_inputs(request).take(str(data.get("kept", "")), _owner(request))
    if kept is not None:
        data["values"] = kept
    return data


def drop(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)
