"""The one command: ``python worker.py``.

Without ``TEMPORAL_ADDRESS`` (the local default) it starts the bundled Temporal dev server
(SQLite file under ./data/, Web UI on port 8233, search attributes registered, retention set),
the worker and the API on port 8000. With ``TEMPORAL_ADDRESS`` it runs only the worker.
Ctrl-C (SIGINT) or SIGTERM stops everything in order: API, worker, dev server. The dev server is
our child and ends with us however we end (SIGKILL too, on Linux: runtime/devserver.py); a port
that is taken (frontend, Web UI, API, worker metrics) stops the start with one line and status 1.
Logs are JSON lines (runtime/observability.py); the worker's SDK metrics are served in Prometheus
format on ``worker_metrics_port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import TypeVar

import uvicorn
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from readmodel.database import make_session_factory
from readmodel.schema import SchemaNotCurrentError, open_read_model
from runtime.devserver import DevServerError, Port, PortInUseError, check_ports_free, dev_server_ports
from runtime.observability import configure_logging, worker_runtime
from runtime.settings import Settings, get_settings
from runtime.temporal import (
    connect,
    register_search_attributes,
    set_retention,
    start_dev_server,
)
from runtime.worker import build_worker

API_APP = "api.main:app"

log = logging.getLogger("hemtjanst")

T = TypeVar("T")


class _ApiServer(uvicorn.Server):
    """uvicorn in our event loop; the signals are ours, so it must not capture them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_api(server: _ApiServer) -> None:
    try:
        await server.serve()
    except SystemExit as err:
        # uvicorn calls sys.exit when the app cannot be imported or the port cannot be bound;
        # as an exception it stops the other components in order instead of the event loop.
        raise RuntimeError(f"the API could not start (exit status {err.code})") from None


async def _retry(what: str, attempt: Callable[[], Awaitable[T]], *, seconds: float = 120) -> T:
    """Retry a connection while the Temporal server is starting (docker compose)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            return await attempt()
        except (RPCError, RuntimeError) as err:
            if loop.time() > deadline:
                raise
            log.warning("%s failed (%s); retrying in 2 s", what, err)
            await asyncio.sleep(2)


async def _register(client: Client, settings: Settings) -> None:
    try:
        await register_search_attributes(client, settings.temporal_namespace)
    except RPCError as err:
        # A managed cluster (e.g. Temporal Cloud) may not allow the operator API to a worker:
        # there the attributes are registered by the platform team, so go on and say so.
        if err.status not in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNIMPLEMENTED):
            raise
        log.warning("could not register search attributes (%s); register them by hand", err)


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            # A second Ctrl-C while shutting down: leave at once.
            print(f"\n{sig.name} again: stopping immediately", file=sys.stderr)
            _hard_exit(130)
        print(f"\n{sig.name}: stopping ...", file=sys.stderr)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)


def ports_to_check(settings: Settings) -> list[Port]:
    """Every port this process will bind: locally the dev server's and the API's, and the
    worker's metrics port wherever metrics are on."""
    ports: list[Port] = []
    if settings.local_dev:
        ports += dev_server_ports(settings)
        ports.append(Port("API", settings.api_host, settings.api_port, "HEMTJANST_API_PORT"))
    if settings.worker_metrics_port is not None:
        ports.append(
            Port(
                "worker metrics",
                settings.worker_metrics_host,
                settings.worker_metrics_port,
                "HEMTJANST_WORKER_METRICS_PORT",
            )
        )
    return ports


async def run(settings: Settings) -> int:
    # Before anything starts: a port that is taken is one clear line, never a half start or a
    # client attached to another process's server (issue 6 §8).
    check_ports_free(ports_to_check(settings))
    stop = asyncio.Event()
    try:
        # The local default migrates its own SQLite file; elsewhere migrating is a deployment step.
        engine = open_read_model(settings.database_url, migrate=settings.local_dev)
    except SchemaNotCurrentError as error:
        log.error("%s", error)
        return 2
    sessions = make_session_factory(engine)
    runtime = worker_runtime(settings)
    async with AsyncExitStack() as stack:
        client = await _temporal(settings, stack, runtime)
        _install_signal_handlers(stop)
        status = await _serve(settings, client, sessions, stop)
    log.info("stopped")
    return status


async def _temporal(settings: Settings, stack: AsyncExitStack, runtime: Runtime) -> Client:
    """The local default starts the bundled dev server (stopped last, by the exit stack);
    otherwise connect to TEMPORAL_ADDRESS, retrying while the server starts. The client runs on
    ``runtime`` (the worker's, with the SDK metrics)."""
    if not settings.local_dev:
        log.info("connecting to Temporal at %s", settings.temporal_address)
        client = await _retry("connecting to Temporal", lambda: connect(settings, runtime=runtime))
        await _retry("registering search attributes", lambda: _register(client, settings))
        return client
    log.info("starting the Temporal dev server (data in %s)", settings.data_dir)
    # The server is in its own process group: Ctrl-C reaches only us, and we stop it last.
    server = await start_dev_server(settings, runtime=runtime)
    stack.push_async_callback(server.shutdown)
    await register_search_attributes(server.client, settings.temporal_namespace)
    await set_retention(server.client, settings.temporal_namespace, settings.retention_days)
    return server.client


async def _serve(
    settings: Settings, client: Client, sessions: sessionmaker[Session], stop: asyncio.Event
) -> int:
    """Run the worker (and locally the API) until a signal or a failure; stop them in order."""
    worker = build_worker(client, settings, sessions)
    tasks: dict[str, asyncio.Task[None]] = {"worker": asyncio.create_task(worker.run())}
    api: _ApiServer | None = None
    if settings.local_dev:
        # Our logging (JSON lines; the API writes its own request lines without query strings).
        config = uvicorn.Config(
            API_APP,
            host=settings.api_host,
            port=settings.api_port,
            lifespan="on",
            log_config=None,
            access_log=False,
        )
        api = _ApiServer(config)
        tasks["api"] = asyncio.create_task(_serve_api(api))
    stopper = asyncio.create_task(stop.wait())
    # The locations are printed once the API listens (or at once without one).
    while api is not None and not api.started and not any(task.done() for task in (stopper, *tasks.values())):
        await asyncio.sleep(0.05)
    if api is None or api.started:
        _print_locations(settings)
    done, _ = await asyncio.wait([stopper, *tasks.values()], return_when="FIRST_COMPLETED")
    failed = [name for name, task in tasks.items() if task in done]
    stopper.cancel()
    # No new HTTP requests first, then the worker; the dev server stops after us.
    if api is not None:
        api.should_exit = True
    status = 0
    for name in ("api", "worker"):
        task = tasks.get(name)
        if task is None:
            continue
        if name == "worker" and not task.done():
            await worker.shutdown()
        try:
            await task
        except Exception as err:
            status = 1
            log.error("%s failed: %s", name, err, exc_info=err)
    if failed and status == 0:
        # A component returned on its own without a signal (e.g. the API could not bind).
        log.error("%s stopped unexpectedly", " and ".join(failed))
        status = 1
    return status


def _print_locations(settings: Settings) -> None:
    lines = [f"Worker on task queue '{settings.task_queue}', Temporal at {settings.temporal_target}"]
    if settings.worker_metrics_port is not None:
        lines.append(
            f"Worker metrics: http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics"
        )
    if settings.local_dev:
        host = "localhost" if settings.api_host in ("127.0.0.1", "0.0.0.0") else settings.api_host
        lines += [
            f"API:          http://{host}:{settings.api_port}",
            f"API docs:     http://{host}:{settings.api_port}/docs",
            f"Temporal UI:  http://localhost:{settings.ui_port}",
            "Stop with Ctrl-C.",
        ]
    print("\n".join(lines), flush=True)


def _hard_exit(status: int) -> None:
    """Leave without interpreter finalisation: the SDK's native threads can crash it (exit 134
    or 139) after all work is done (DESIGN.md, Temporal facts)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main() -> None:
    status = 1
    try:
        settings = get_settings()
        configure_logging(settings)
        status = asyncio.run(run(settings))
    except KeyboardInterrupt:
        status = 130
    except (PortInUseError, DevServerError) as err:
        # One line for the person at the terminal: what is wrong and what to do.
        print(f"worker.py: {err}", file=sys.stderr, flush=True)
        status = 1
    except Exception:
        log.exception("worker.py failed")
        status = 1
    finally:
        _hard_exit(status)


if __name__ == "__main__":
    main()
