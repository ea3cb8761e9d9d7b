"""Structured logs and the worker's Temporal SDK metrics (issue 11 §4).

Logs: one JSON object per line on stderr (``HEMTJANST_LOG_FORMAT=json``, the default; ``text`` for
a human at a terminal), with the ids that say what a line is about and nothing else about a person:

- ``pid``: the operating-system process id;
- ``request_id``: the API request (the ``X-Request-ID`` header, or a fresh one), set by the API's
  middleware for everything logged while it handles the request;
- ``process_id`` and ``case_id``: the process (= Temporal workflow id) and its case, from the API
  route's path, from the SDK's workflow and activity loggers, or from ``extra=``.

Never log a request body, a form field or a name: the lines carry ids, route templates, statuses
and durations (api/observability.py writes the request lines). SQL parameters are kept out of
error messages by the engine (readmodel/database.py, ``hide_parameters``).

Metrics: the worker's client and worker run on a ``Runtime`` whose Prometheus exporter serves
``http://<worker_metrics_host>:<worker_metrics_port>/metrics`` (the SDK's names: workflow task
and activity latencies, poll counts, slots, sticky cache ...).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import DBAPIError
from temporalio import activity, workflow
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from runtime.settings import Settings

# The ids a log line may carry, filled per context (an API request, a task).
CONTEXT_IDS = ("request_id", "process_id", "case_id")
_context: dict[str, ContextVar[str | None]] = {name: ContextVar(name, default=None) for name in CONTEXT_IDS}

# Process ids are "case-<case id>/<process type>/<number>" (api/starting.py process_id).
_CASE_OF_PROCESS = re.compile(r"^case-(?P<case>[^/]+)/")

JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
# The fields of the API's request lines (api/observability.py).
REQUEST_FIELDS = ("method", "route", "status", "duration_ms")
_KEPT = {"time", "level", "logger", "message", "exc_info", "stack_info", "pid", *CONTEXT_IDS, *REQUEST_FIELDS}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


# An API request: its id and a view of the route's path parameters, which are known only once the
# request is routed (the middleware binds before routing; the filter reads at each log line).
PathParams = Callable[[], Mapping[str, Any] | None]
_bound: ContextVar[tuple[str, PathParams] | None] = ContextVar("bound_request", default=None)


@contextmanager
def bind_ids(*, request_id: str, path_params: PathParams) -> Iterator[None]:
    """Within the block (an API request), log lines carry ``request_id`` and the ``process_id`` /
    ``case_id`` path parameters of the route, once it is matched."""
    token = _bound.set((request_id, path_params))
    try:
        yield
    finally:
        _bound.reset(token)


def current_ids() -> dict[str, str | None]:
    """The ids of the current context: ``log_context`` first, then the bound request."""
    ids: dict[str, str | None] = {name: _context[name].get() for name in CONTEXT_IDS}
    bound = _bound.get()
    if bound is not None:
        request_id, path_params = bound
        ids["request_id"] = ids["request_id"] or request_id
        params = path_params() or {}
        for name in ("process_id", "case_id"):
            value = params.get(name)
            if not ids[name] and isinstance(value, str):
                ids[name] = value
    return ids


@contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Within the block, every log line carries these ids (``request_id``, ``process_id``,
    ``case_id``); a ``case_id`` is derived from a ``process_id`` when not given."""
    if ids.get("process_id") and not ids.get("case_id"):
        ids["case_id"] = case_of(ids["process_id"])
    tokens = [(_context[name], _context[name].set(value)) for name, value in ids.items() if value]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def case_of(process_id: str | None) -> str | None:
    """The case id inside a process id, or None."""
    match = _CASE_OF_PROCESS.match(process_id or "")
    return match.group("case") if match else None


class ContextIds(logging.Filter):
    """Adds ``pid`` and the context ids to every record (the SDK's workflow and activity info
    gives the process id on worker lines); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_ids()
        ids = {name: getattr(record, name, None) or context[name] for name in CONTEXT_IDS}
        info = getattr(record, "temporal_workflow", None) or getattr(record, "temporal_activity", None)
        if isinstance(info, dict) and not ids["process_id"]:
            ids["process_id"] = info.get("workflow_id")
        ids["case_id"] = ids["case_id"] or case_of(ids["process_id"])
        record.__dict__.update(ids, pid=os.getpid())
        return True


def _database_error(error: BaseException | None) -> BaseException | None:
    """The database error in ``error``'s chain, if any (its text may quote a row: PostgreSQL's
    DETAIL "Failing row contains (...)")."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError | psycopg.Error):
            return error
        error = error.__cause__ or error.__context__
    return None


def format_exception_safely(ei: Any, default: Callable[[Any], Any]) -> str:
    """A traceback, but a database error's message is withheld: only its type and where it came
    from reach the log, never the values it quotes."""
    error = ei[1] if ei else None
    if _database_error(error) is None:
        return str(default(ei))
    frames = "".join(traceback.format_tb(ei[2]))
    return (
        f"Traceback (most recent call last):\n{frames}{type(error).__name__}: (database error; text withheld)"
    )


class SafeText(logging.Formatter):
    """The text format, with database errors' texts withheld (``format_exception_safely``)."""

    def formatException(self, ei: Any) -> str:
        return format_exception_safely(ei, super().formatException)


class JsonLines(JsonFormatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, the ids, and only
    the extra fields named in ``REQUEST_FIELDS``: any other ``extra=`` a library passes (which
    could hold data) is dropped, so a line carries nothing that was not chosen for it."""

    def __init__(self) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
        self.default_time_format = "%Y-%m-%dT%H:%M:%S"
        self.default_msec_format = "%s.%03dZ"
        self.converter = time.gmtime

    def formatException(self, ei: Any) -> str:
        return format_exception_safely(ei, super().formatException)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in log_data.items() if key in _KEPT and value is not None}


def configure_logging(settings: Settings, *, stream: Any = None) -> logging.Handler:
    """Send every log record (ours, uvicorn's, the SDK's) through one handler on the root logger,
    JSON or text per ``settings.log_format``; returns the handler. Safe to call again (it
    replaces the handler it installed before)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextIds())
    if settings.log_format == "json":
        handler.setFormatter(JsonLines())
        # The ids are fields of their own; the SDK need not append them to the message too.
        workflow.logger.workflow_info_on_message = False
        activity.logger.activity_info_on_message = False
    else:
        handler.setFormatter(SafeText(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_hemtjanst", False)]:
        root.removeHandler(old)
    handler._hemtjanst = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # uvicorn's own handlers would print plain text beside ours: let its records reach the root.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Never uvicorn's access lines: they carry raw paths with query strings (which may hold a
    # personal identity number) and client addresses. The API writes its own request lines.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler


def worker_runtime(settings: Settings) -> Runtime:
    """The SDK runtime of the worker: Prometheus metrics on the configured address (unless the
    port is unset) and the SDK core's own log lines forwarded into ours."""
    metrics = None
    if settings.worker_metrics_port is not None:
        address = f"{settings.worker_metrics_host}:{settings.worker_metrics_port}"
        metrics = PrometheusConfig(bind_address=address)
    core_logs = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    return Runtime(telemetry=TelemetryConfig(logging=core_logs, metrics=metrics))
