"""ASGI middleware at the edge: the request body's size (413), one Idempotency-Key at most (400),
and the origin of cookie-authenticated form posts (403).

Both answer before any route runs, with the contract's JSON ``{"detail": ...}`` in Swedish, and
never read or log what the body holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
TOO_LARGE = "Begäran är för stor: högst {limit} kB."
FOREIGN_ORIGIN = (
    "Formuläret skickades från en annan webbplats och togs inte emot. Öppna sidan på nytt och skicka igen."
)
NO_ORIGIN = "Formuläret saknar Origin/Referer och togs inte emot. Öppna sidan på nytt och skicka igen."


async def _answer(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodyLimit:
    """413 for a body over ``limit_of(path)`` bytes: at once when Content-Length says so; a body sent
    without it (chunked) is read here first, up to the limit, and handed on from memory, so that
    the answer is the 413 of the contract and never the framework's English 400."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str], int]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await _answer(send, 413, TOO_LARGE.format(limit=limit // 1024))
                return
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _answer(send, 413, TOO_LARGE.format(limit=limit // 1024))
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body of a request without Content-Length; None once it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)  # the client went away; the app will see an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


TWO_KEYS = "Begäran har flera Idempotency-Key-huvuden: skicka exakt en nyckel."


class OneIdempotencyKey:
    """400 for a request with more than one ``Idempotency-Key`` header: which one was meant is
    unknowable, and a key must mean one caller, one target, one body (issue 6 §4)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            keys = [k for k, _ in scope.get("headers", []) if k == b"idempotency-key"]
            if len(keys) > 1:
                await _answer(send, 400, TWO_KEYS)
                return
        await self.app(scope, receive, send)


def _origin_of(scope: Scope) -> str | None:
    """The netloc the browser says the request came from: Origin, else Referer."""
    origin = _header(scope, b"origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc or origin
    referer = _header(scope, b"referer")
    return urlsplit(referer).netloc if referer else None


class SameOrigin:
    """Issue 6 §5, CSRF: a state-changing request that a browser could send on its own (one
    authenticated by the ``token`` cookie, or any form post under ``/ui``) must come from a page of
    this site: its Origin (or Referer) names the Host it is sent to, or one of ``trusted``.

    Requests with an ``Authorization`` header are not at risk (a browser never adds one by itself),
    nor are the ``exempt`` paths that do not act on the cookie's authority (the dev login, which
    hands out a token; the codec endpoint, which has its own CORS allowlist and changes nothing).
    """

    def __init__(
        self, app: ASGIApp, cookie: str, trusted: Callable[[], list[str]], exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.cookie = cookie
        self.trusted = trusted
        self.exempt = exempt

    def _at_risk(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            return False
        path = str(scope["path"])
        if _header(scope, b"authorization") or path.startswith(self.exempt):
            return False
        cookies = _header(scope, b"cookie") or ""
        has_cookie = any(part.strip().startswith(f"{self.cookie}=") for part in cookies.split(";"))
        return has_cookie or path.startswith("/ui/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._at_risk(scope):
            await self.app(scope, receive, send)
            return
        origin = _origin_of(scope)
        if origin is None:
            await _answer(send, 403, NO_ORIGIN)
            return
        allowed = {_header(scope, b"host") or ""} | {urlsplit(o).netloc or o for o in self.trusted()}
        if origin not in allowed:
            await _answer(send, 403, FOREIGN_ORIGIN)
            return
        await self.app(scope, receive, send)
