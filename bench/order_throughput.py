"""Benchmark: order processes through the real API, worker and bundled Temporal dev server.

Starts a dev server on free ports in a temporary folder, the worker and the app (in-process, over
ASGI, like the tests), registers N cases, then starts N order processes and confirms each one,
``--concurrency`` requests at a time. Prints throughput and latency figures; asserts nothing.

    .venv/bin/python -m bench.order_throughput --orders 200 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from readmodel.database import make_engine, make_session_factory
from runtime.settings import Settings
from runtime.temporal import dev_server_path, make_data_converter, register_search_attributes
from runtime.worker import build_worker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _timed(samples: list[float], request: Callable[[], Awaitable[httpx.Response]]) -> None:
    began = time.perf_counter()
    response = await request()
    samples.append(time.perf_counter() - began)
    if response.status_code >= 300:
        raise RuntimeError(f"{response.status_code}: {response.text}")


async def _run_all(
    concurrency: int, samples: list[float], requests: list[Callable[[], Awaitable[httpx.Response]]]
) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(request: Callable[[], Awaitable[httpx.Response]]) -> None:
        async with gate:
            await _timed(samples, request)

    began = time.perf_counter()
    await asyncio.gather(*(one(request) for request in requests))
    return time.perf_counter() - began


def _report(what: str, samples: list[float], elapsed: float) -> None:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"{what:<22} n={len(samples):<5} {len(samples) / elapsed:7.1f}/s   "
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   "
        f"max {ordered[-1] * 1000:7.1f} ms"
    )


async def _login(http: httpx.AsyncClient, body: dict[str, str]) -> dict[str, str]:
    token = (await http.post("/auth/dev-login", json=body)).json()["token"]
    return {"Authorization": f"Bearer {token}"}


async def bench(orders: int, concurrency: int, folder: Path) -> None:
    env = await WorkflowEnvironment.start_local(
        data_converter=make_data_converter(Settings()),
        port=_free_port(),
        ui=False,
        dev_server_existing_path=dev_server_path(),
        dev_server_database_filename=str(folder / "temporal.db"),
        dev_server_log_level="error",
    )
    async with env:
        await register_search_attributes(env.client, "default")
        sessions = make_session_factory(make_engine(f"sqlite:///{folder / 'readmodel.db'}"))
        settings = Settings(task_queue=f"bench-{uuid.uuid4()}")
        async with build_worker(env.client, settings, sessions):
            app = create_app(settings, client=env.client, sessions=sessions)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
                await _measure(http, orders, concurrency)


def _keyed(headers: dict[str, str]) -> dict[str, str]:
    """Every start and action carries a fresh Idempotency-Key (issue 6 §4)."""
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


async def _measure(http: httpx.AsyncClient, orders: int, concurrency: int) -> None:
    worker = await _login(http, {"sub": "cw", "name": "Bench", "role": "case_worker"})
    provider = await _login(http, {"sub": "pv", "name": "Bench", "role": "provider", "org": "p1"})
    case_body = {"person_name": "Bench", "provider_id": "p1", "decisions": []}
    case_ids = [
        (await http.post("/cases", json=case_body, headers=_keyed(worker))).json()["case_id"]
        for _ in range(orders)
    ]

    starts: list[float] = []
    # Two weeks after the day the benchmark runs (the API's clock is the wall clock here).
    start_date = (date.today() + timedelta(days=14)).isoformat()
    order = {"type": "order", "start_date": start_date, "items": [{"name": "Städning", "kind": "service"}]}

    def start(case_id: str) -> Callable[[], Awaitable[httpx.Response]]:
        headers = _keyed(worker)
        return lambda: http.post("/processes", json={**order, "case_id": case_id}, headers=headers)

    def confirm(case_id: str) -> Callable[[], Awaitable[httpx.Response]]:
        headers = {**provider, "Idempotency-Key": str(uuid.uuid4())}
        return lambda: http.post(
            f"/processes/case-{case_id}/order/1/actions/confirm", json={}, headers=headers
        )

    elapsed = await _run_all(concurrency, starts, [start(case_id) for case_id in case_ids])
    _report("start order (→ ready)", starts, elapsed)
    confirms: list[float] = []
    elapsed = await _run_all(concurrency, confirms, [confirm(case_id) for case_id in case_ids])
    _report("confirm (update)", confirms, elapsed)

    began = time.perf_counter()
    inbox = await http.get("/tasks", headers=provider)
    took = (time.perf_counter() - began) * 1000
    print(f"{'provider inbox':<22} {len(inbox.json())} open tasks in {took:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.orders} orders, {args.concurrency} concurrent requests, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(bench(args.orders, args.concurrency, Path(folder)))
    sys.stdout.flush()
    os._exit(0)  # the SDK's native threads can crash interpreter finalisation (DESIGN.md)


if __name__ == "__main__":
    main()
