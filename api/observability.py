"""Health, readiness, request metrics and request log lines of the API (issue 11 §4).

- ``GET /healthz``: the process is alive (no dependency is asked): 200 ``{"status": "ok"}``.
- ``GET /readyz``: Temporal answers and the read model answers a query, each within
  ``READY_TIMEOUT_SECONDS``: 200 ``{"status": "ready", "checks": {...}}``, otherwise 503 with
  ``detail`` naming what is not reachable and ``checks`` (``"ok"`` or ``"unreachable"`` per
  dependency). Load balancers send traffic on ``/readyz``; orchestrators restart on ``/healthz``.
- ``GET /metrics``: Prometheus text format: ``hemtjanst_http_requests_total`` and
  ``hemtjanst_http_request_duration_seconds`` (histogram) by method, route template (e.g.
  ``/processes/{process_id:path}``, never the raw path with its ids) and status, plus the
  process collector (CPU, memory, open files). Each app has its own registry.

Every request gets an id (a well-formed ``X-Request-ID`` header is kept, otherwise a fresh one),
returned in ``X-Request-ID``; every log line written while the request is handled carries it and
the route's ``process_id`` / ``case_id`` (runtime/observability.py), and one line per request says
method, route template, status and duration. Never the body, the query string or a header.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from runtime.observability import bind_ids

log = logging.getLogger("hemtjanst.api")

READY_TIMEOUT_SECONDS = 2.0
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
OK, UNREACHABLE = "ok", "unreachable"
_NAMES = {"temporal": "Temporal", "read_model": "läsmodellen"}

router = APIRouter(tags=["drift"])


class RequestMetrics:
    """The API's request counter and latency histogram in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "hemtjanst_http_requests",
            "HTTP requests answered, by method, route template and status.",
            labels,
            registry=self.registry,
        )
        self.duration = Histogram(
            "hemtjanst_http_request_duration_seconds",
            "Time to answer an HTTP request (seconds), by method, route template and status.",
            labels,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status_code: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status_code)).inc()
        self.duration.labels(method, route, str(status_code)).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/cases/{case_id}``), or ``<unmatched>``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class ObservabilityMiddleware:
    """Request id, request log line and metrics for every HTTP request (pure ASGI)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        answered = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        with bind_ids(request_id=request_id, path_params=lambda: scope.get("path_params")):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._record(scope, answered["status"], time.perf_counter() - started)

    def _record(self, scope: Scope, status_code: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope)
        self.metrics.observe(method, route, status_code, seconds)
        milliseconds = round(seconds * 1000, 1)
        fields = {"method": method, "route": route, "status": status_code, "duration_ms": milliseconds}
        log.info("%s %s %d", method, route, status_code, extra=fields)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.lower().encode():
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: answers without asking Temporal or the read model."""
    return {"status": "ok"}


NOT_READY = {"description": "Temporal or the read model is unreachable"}


@router.get(
    "/readyz",
    responses={status.HTTP_503_SERVICE_UNAVAILABLE: NOT_READY},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready: Temporal and the read model answer; 503 naming the one that does not."""
    temporal, read_model = await asyncio.gather(
        _temporal_check(request.app.state.client), _read_model_check(request.app.state.sessions)
    )
    checks = {"temporal": temporal, "read_model": read_model}
    failing = [_NAMES[name] for name, result in checks.items() if result != OK]
    if failing:
        detail = f"Inte redo: {' och '.join(failing)} svarar inte."
        return JSONResponse({"detail": detail, "checks": checks}, status.HTTP_503_SERVICE_UNAVAILABLE)
    return JSONResponse({"status": "ready", "checks": checks})


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """The API's metrics in Prometheus text format."""
    registry = request.app.state.request_metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def _temporal_check(client: Client | None) -> str:
    if client is None:
        return UNREACHABLE
    try:
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=READY_TIMEOUT_SECONDS)
        )
    except Exception as err:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: Temporal unreachable (%s)", type(err).__name__)
        return UNREACHABLE
    return OK


async def _read_model_check(sessions: sessionmaker[Session] | None) -> str:
    if sessions is None:
        return UNREACHABLE
    try:
        await asyncio.wait_for(asyncio.to_thread(_select_one, sessions), timeout=READY_TIMEOUT_SECONDS)
    except Exception as err:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: read model unreachable (%s)", type(err).__name__)
        return UNREACHABLE
    return OK


def _select_one(sessions: sessionmaker[Session]) -> Any:
    with sessions() as session:
        return session.execute(text("SELECT 1")).scalar_one()


def install(app: FastAPI) -> None:
    """Add the routes and the middleware (call once, in ``create_app``)."""
    app.state.request_metrics = RequestMetrics()
    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.request_metrics)
