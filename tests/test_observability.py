"""Health, readiness, metrics and structured logs (issue 11 §4)."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from readmodel.database import make_session_factory
from runtime.observability import configure_logging, log_context, worker_runtime
from runtime.settings import Settings
from runtime.temporal import connect
from runtime.worker import build_worker
from tests.support import CASE_WORKER, fixed_clock
from tests.test_api_support import login
from tests.test_read_model import _postgres

PERSON = "Astrid Testsson"
PERSONAL_NUMBER = "19121212-1212"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def app_client(
    client: Client | None, sessions: sessionmaker[Session] | None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), client=client, sessions=sessions, clock=fixed_clock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


async def unreachable_temporal() -> Client:
    """A client for a port where nothing listens (lazy: connecting fails only on use)."""
    return await Client.connect(f"127.0.0.1:{_free_port()}", lazy=True)


def unreachable_read_model() -> sessionmaker[Session]:
    engine = create_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{_free_port()}/none", connect_args={"connect_timeout": 1}
    )
    return sessionmaker(engine)


# -- /healthz and /readyz -------------------------------------------------------------------------


async def test_healthz_answers_alive_without_asking_any_dependency() -> None:
    async with app_client(None, None) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_is_200_when_temporal_and_the_sqlite_read_model_answer(
    env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> None:
    async with app_client(env.client, sessions) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"temporal": "ok", "read_model": "ok"}}


async def test_readyz_is_200_on_a_postgresql_read_model(env: WorkflowEnvironment) -> None:
    with _postgres() as engine:
        async with app_client(env.client, make_session_factory(engine)) as http:
            answer = await http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"temporal": "ok", "read_model": "ok"}


async def test_readyz_is_503_naming_temporal_when_it_is_unreachable(sessions: sessionmaker[Session]) -> None:
    async with app_client(await unreachable_temporal(), sessions) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "detail": "Inte redo: Temporal svarar inte.",
        "checks": {"temporal": "unreachable", "read_model": "ok"},
    }


async def test_readyz_is_503_naming_the_read_model_when_its_database_is_unreachable(
    env: WorkflowEnvironment,
) -> None:
    async with app_client(env.client, unreachable_read_model()) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "detail": "Inte redo: läsmodellen svarar inte.",
        "checks": {"temporal": "ok", "read_model": "unreachable"},
    }


async def test_readyz_is_503_naming_both_when_neither_is_there() -> None:
    async with app_client(None, None) as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "Inte redo: Temporal och läsmodellen svarar inte."


# -- /metrics -----------------------------------------------------------------------------------


_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly ``labels`` in the Prometheus text, or None."""
    for line in text.splitlines():
        if line.startswith(f"{name}{{"):
            inside, value = line.removeprefix(f"{name}{{").rsplit("} ", 1)
            if dict(_LABEL.findall(inside)) == labels:
                return float(value)
    return None


async def test_metrics_count_requests_by_route_template_and_status_never_by_raw_path(
    sessions: sessionmaker[Session],
) -> None:
    async with app_client(None, sessions) as http:
        for _ in range(3):
            assert (await http.get("/processes/case-c-4711/order/1")).status_code == 401
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/no/such/c-4711")).status_code == 404
        answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    text = answer.text
    route = "/processes/{process_id:path}"
    labels = {"method": "GET", "route": route, "status": "401"}
    assert _sample(text, "hemtjanst_http_requests_total", **labels) == 3.0
    assert _sample(text, "hemtjanst_http_request_duration_seconds_count", **labels) == 3.0
    assert _sample(text, "hemtjanst_http_request_duration_seconds_bucket", **labels, le="+Inf") == 3.0
    health = {"method": "GET", "route": "/healthz", "status": "200"}
    assert _sample(text, "hemtjanst_http_requests_total", **health) == 1.0
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert _sample(text, "hemtjanst_http_requests_total", **unmatched) == 1.0
    assert "4711" not in text
    assert "process_resident_memory_bytes" in text


async def test_every_answer_carries_a_request_id_and_keeps_a_well_formed_one(
    sessions: sessionmaker[Session],
) -> None:
    async with app_client(None, sessions) as http:
        fresh = await http.get("/healthz")
        kept = await http.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
        replaced = await http.get("/healthz", headers={"X-Request-ID": "no spaces or\tcontrol <x>"})
    assert len(fresh.headers["x-request-id"]) == 32
    assert kept.headers["x-request-id"] == "lb-1234.abc"
    assert replaced.headers["x-request-id"] != "no spaces or\tcontrol <x>"
    assert len(replaced.headers["x-request-id"]) == 32


# -- structured logs ----------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """configure_logging (JSON) into a buffer; the previous logging set-up is restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    saved_sdk = (workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message)
    buffer = io.StringIO()
    handler = configure_logging(Settings(log_format="json", log_level="INFO"), stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        workflow.logger.workflow_info_on_message, activity.logger.activity_info_on_message = saved_sdk


def _records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_request_log_lines_are_json_with_ids_and_never_the_body_or_personal_data(
    env: WorkflowEnvironment, sessions: sessionmaker[Session], log_lines: io.StringIO
) -> None:
    async with app_client(env.client, sessions) as http:
        headers = await login(http, CASE_WORKER)
        body = {"person_name": f"{PERSON} {PERSONAL_NUMBER}", "provider_id": "hemtjanst-nord"}
        created = await http.post("/cases", json=body, headers={**headers, "Idempotency-Key": "k-1"})
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        refused = await http.post("/cases", json={"person_name": 17, "x": PERSON}, headers=headers)
        assert refused.status_code == 422
        read = await http.get(f"/cases/{case_id}", headers={**headers, "X-Request-ID": "req-42"})
        assert read.status_code == 200
    output = log_lines.getvalue()
    assert PERSON not in output
    assert PERSONAL_NUMBER not in output
    assert "Idempotency" not in output and "Bearer" not in output
    requests = [r for r in _records(log_lines) if r["logger"] == "hemtjanst.api"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/auth/dev-login", 200),
        ("POST", "/cases", 201),
        ("POST", "/cases", 422),
        ("GET", "/cases/{case_id}", 200),
    ]
    last = requests[-1]
    assert last["request_id"] == "req-42"
    assert last["case_id"] == case_id
    assert last["level"] == "INFO"
    assert last["message"] == "GET /cases/{case_id} 200"
    assert isinstance(last["duration_ms"], float)
    assert isinstance(last["pid"], int)
    assert last["time"].endswith("Z")
    assert len({r["request_id"] for r in requests}) == 4


def test_a_worker_line_names_the_process_and_its_case_from_the_sdk_info(log_lines: io.StringIO) -> None:
    """The SDK's workflow and activity loggers pass the workflow id; process ids contain the case."""
    sdk = logging.getLogger("temporalio.workflow")
    info = {"workflow_id": "case-c-9f2/order/1", "run_id": "r"}
    sdk.warning("task failed", extra={"temporal_workflow": info})
    with log_context(process_id="case-c-77/extra-visits/2"):
        logging.getLogger("hemtjanst").info("done", extra={"person_name": PERSON})
    first, second = _records(log_lines)
    assert (first["process_id"], first["case_id"]) == ("case-c-9f2/order/1", "c-9f2")
    assert first["level"] == "WARNING"
    assert "temporal_workflow" not in first and "run_id" not in first
    assert (second["process_id"], second["case_id"]) == ("case-c-77/extra-visits/2", "c-77")
    assert PERSON not in log_lines.getvalue()  # an extra that is not an id is never written


def test_text_format_is_one_plain_line(log_lines: io.StringIO) -> None:
    buffer = io.StringIO()
    handler = configure_logging(Settings(log_format="TEXT"), stream=buffer)
    logging.getLogger("hemtjanst").info("hello")
    logging.getLogger().removeHandler(handler)
    assert buffer.getvalue().rstrip().endswith("INFO hemtjanst hello")


# -- the worker's SDK metrics -------------------------------------------------------------------


async def test_the_worker_serves_its_temporal_sdk_metrics_in_prometheus_format(
    env: WorkflowEnvironment, sessions: sessionmaker[Session]
) -> None:
    port = _free_port()
    settings = Settings(worker_metrics_port=port)
    runtime = worker_runtime(settings)
    target = env.client.service_client.config.target_host
    client = await connect(settings, target=target, runtime=runtime)
    worker = build_worker(client, settings, sessions, task_queue=f"metrics-{uuid.uuid4()}")
    async with worker, httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert "# TYPE temporal_request counter" in answer.text
    assert 'operation="GetSystemInfo"' in answer.text
    assert "temporal_num_pollers" in answer.text or "temporal_worker_start" in answer.text


def test_worker_metrics_settings_default_to_port_9464_and_an_empty_port_turns_them_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HEMTJANST_WORKER_METRICS_PORT", raising=False)
    defaults = Settings()
    assert (defaults.worker_metrics_host, defaults.worker_metrics_port) == ("127.0.0.1", 9464)
    assert (defaults.log_format, defaults.log_level) == ("json", "INFO")
    monkeypatch.setenv("HEMTJANST_WORKER_METRICS_PORT", "")
    assert Settings().worker_metrics_port is None
    monkeypatch.setenv("HEMTJANST_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_uvicorn_access_lines_never_reach_the_log_even_when_uvicorn_has_set_them_up(
    log_lines: io.StringIO,
) -> None:
    """Found by a tester: a query string with a personal identity number reached the log through
    uvicorn's access logger. The API writes its own request lines (route templates, no queries)."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/tasks?case_id=19121212-1212", "1.1", 200
    )
    logging.getLogger("api").info("Förfrågan klar.")
    text = log_lines.getvalue()
    assert "19121212" not in text
    assert "Förfrågan klar." in text  # the log itself works; only the access lines are gone


def test_a_database_error_in_a_log_line_never_carries_the_row_it_quotes(log_lines: io.StringIO) -> None:
    """Found by a tester: PostgreSQL's DETAIL ("Failing row contains (c-x, Greta Testsson
    19121212-1212, ...)") reached a JSON line through the exception text."""
    from sqlalchemy.exc import IntegrityError

    try:
        raise IntegrityError(
            "INSERT INTO cases ...", {}, Exception("DETAIL: Failing row contains (c-x, Greta Testsson)")
        )
    except IntegrityError:
        logging.getLogger("api").exception("could not write")
    text = log_lines.getvalue()
    assert "Greta" not in text
    assert "IntegrityError: (database error; text withheld)" in text
