"""The bundled Temporal dev server as a child process that ends with its parent (issue 6 §8).

``WorkflowEnvironment.start_local`` spawns the CLI through the SDK's Rust bridge: a SIGKILL of
``worker.py`` left that server running with its ports and its SQLite file, and the next start
printed "address already in use" and then connected to the orphan. Here the CLI
(``temporal server start-dev``) is our own ``subprocess`` child:

- On Linux it gets ``PR_SET_PDEATHSIG`` = SIGTERM: when the thread that started it dies (the main
  thread of ``worker.py``, however it dies: SIGKILL, crash, ``os._exit``), the kernel sends the
  server SIGTERM and it stops within a second or two, freeing its ports and its database.
  Other systems have no death signal: there an orphan can remain after a SIGKILL, and the port
  check below stops the next start with a clear line instead of attaching to it.
- It runs in its own process group, so a Ctrl-C in the terminal reaches only ``worker.py``,
  which stops the API and the worker first and then the server (``DevServer.shutdown``).
- Before it starts, its ports must be free (``check_ports_free``): a port that is taken is one line
  of ``PortInUseError``; the client connects only while our child is alive, so it never attaches
  to a stranger's server.

The server's own output goes to ``<data_dir>/temporal-dev-server.log``; when it exits early, its
last line is in the error.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from runtime.settings import Settings

log = logging.getLogger(__name__)

# Connects a client to a target ``host:port`` (the caller's converter, runtime, namespace).
Connect = Callable[[str], Awaitable[Client]]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
LOG_FILE = "temporal-dev-server.log"
STARTUP_SECONDS = 60.0
STOP_SECONDS = 10.0


class PortInUseError(RuntimeError):
    """A port the local default needs is taken (one line, for the terminal)."""


class DevServerError(RuntimeError):
    """The dev server could not start or exited by itself (one line, for the terminal)."""


@dataclass(frozen=True)
class Port:
    """A TCP port the local default binds: what it is for and the setting that moves it."""

    purpose: str
    host: str
    number: int
    setting: str


def port_is_free(host: str, number: int) -> bool:
    """True when ``host:number`` can be bound now (as the servers bind it: with SO_REUSEADDR, so a
    connection in TIME_WAIT does not count as taken, a listening socket does)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, number))
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def check_ports_free(ports: Sequence[Port]) -> None:
    """Raise ``PortInUseError`` naming the first port that is taken."""
    for port in ports:
        if not port_is_free(port.host, port.number):
            raise PortInUseError(
                f"port {port.number} on {port.host} ({port.purpose}) is already in use: another "
                f"worker.py or Temporal dev server may be running; stop it or set {port.setting}"
            )


def dev_server_ports(settings: Settings) -> list[Port]:
    """The ports of the dev server itself: the gRPC frontend and the Web UI."""
    return [
        Port("Temporal frontend", "127.0.0.1", settings.dev_server_port, "HEMTJANST_DEV_SERVER_PORT"),
        Port("Temporal Web UI", "127.0.0.1", settings.ui_port, "HEMTJANST_UI_PORT"),
    ]


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks Linux to send the child SIGTERM when its parent thread dies.

    libc is loaded here, before the fork; the child only calls into it. If the parent died
    between fork and prctl, the child would never get the signal: it checks and leaves.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


class DevServer:
    """A running ``temporal server start-dev`` child and a client connected to it.

    Start with ``await DevServer.start(settings, ...)``; stop with ``await server.shutdown()``
    (SIGTERM, then SIGKILL after ``STOP_SECONDS``). The same two members as the SDK's
    ``WorkflowEnvironment`` that the callers use: ``client`` and ``shutdown()``.
    """

    def __init__(self, process: subprocess.Popen[bytes], client: Client, log_path: Path) -> None:
        self.process = process
        self.client = client
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        binary: str,
        connect: Connect,
        extra_args: Sequence[str] = (),
    ) -> DevServer:
        """Check the ports, start the CLI, and connect with ``connect(target)`` once the frontend
        accepts connections.

        Raises ``PortInUseError`` (a port taken), ``DevServerError`` (the server exited or did not
        answer within ``STARTUP_SECONDS``).
        """
        check_ports_free(dev_server_ports(settings))
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = data_dir / LOG_FILE
        args = [
            binary, "server", "start-dev",
            "--ip", "127.0.0.1",
            "--port", str(settings.dev_server_port),
            "--ui-port", str(settings.ui_port),
            "--namespace", settings.temporal_namespace,
            "--db-filename", str(data_dir / "temporal.db"),
            "--log-level", "warn",
            "--dynamic-config-value", "frontend.enableServerVersionCheck=false",
            *extra_args,
        ]  # fmt: skip
        with log_path.open("ab") as output:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        log.info("Temporal dev server started (pid %d, log %s)", process.pid, log_path)
        try:
            client = await _connect_while_alive(process, settings, log_path, connect)
        except BaseException:
            await _stop(process)
            raise
        return cls(process, client, log_path)

    async def shutdown(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice."""
        await _stop(self.process)


async def _connect_while_alive(
    process: subprocess.Popen[bytes],
    settings: Settings,
    log_path: Path,
    connect: Connect,
) -> Client:
    """Wait for the frontend port, then connect; fail as soon as our child has exited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_SECONDS
    target = f"127.0.0.1:{settings.dev_server_port}"
    while True:
        status = process.poll()
        if status is not None:
            detail = _last_line(log_path) or "no output"
            raise DevServerError(f"the Temporal dev server exited with status {status}: {detail}")
        if loop.time() > deadline:
            raise DevServerError(
                f"the Temporal dev server did not answer on {target} within {STARTUP_SECONDS:.0f} s "
                f"(see {log_path})"
            )
        # A connect probe, never a bind: a bind here could take the port from under the child.
        if await _accepts("127.0.0.1", settings.dev_server_port):
            try:
                client = await asyncio.wait_for(connect(target), timeout=10)
            except (RuntimeError, TimeoutError) as err:
                log.debug("dev server not ready yet: %s", err)
            else:
                if process.poll() is None:
                    return client
                continue
        await asyncio.sleep(0.1)


async def _accepts(host: str, number: int) -> bool:
    """True when something accepts TCP connections on ``host:number``."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, number), timeout=1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_SECONDS
    while process.poll() is None:
        if loop.time() > deadline:
            log.warning("the Temporal dev server did not stop in %.0f s; killing it", STOP_SECONDS)
            process.kill()
            process.wait()
            break
        await asyncio.sleep(0.05)
    log.info("Temporal dev server stopped (status %s)", process.returncode)
