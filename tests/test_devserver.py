"""The local default stops with its children (issue 6 §8).

``worker.py`` runs here as a real subprocess on free ports with a temporary data folder; every
wait is bounded and every process started here is stopped in ``finally``.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from temporalio.client import Client

from runtime.devserver import DevServer, DevServerError, PortInUseError, port_is_free
from runtime.settings import Settings
from runtime.temporal import connect, dev_server_path, start_dev_server
from tests.support import child_environment

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90.0
GONE_SECONDS = 5.0
READY_LINE = "Stop with Ctrl-C."


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that are free now, below the ephemeral range: the dev server takes
    random ephemeral ports for its internal services, which could be one we chose and released."""
    chosen: list[int] = []
    for port in random.sample(range(20000, _ephemeral_low()), 200):
        if port_is_free("127.0.0.1", port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise AssertionError("no free ports below the ephemeral range")


def worker_env(tmp_path: Path, ports: list[int]) -> dict[str, str]:
    """The environment of a local-default worker.py on ``ports`` (frontend, UI, API, metrics)."""
    env = child_environment()
    frontend, ui, api, metrics = ports
    env.update(
        HEMTJANST_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'readmodel.db'}",
        HEMTJANST_DEV_SERVER_PORT=str(frontend),
        HEMTJANST_UI_PORT=str(ui),
        HEMTJANST_API_PORT=str(api),
        HEMTJANST_WORKER_METRICS_PORT=str(metrics),
    )
    return env


@contextmanager
def running_worker(tmp_path: Path, ports: list[int], name: str) -> Iterator[subprocess.Popen[str]]:
    """worker.py started and ready (it printed its locations); killed at the end if still alive."""
    out = (tmp_path / f"{name}.out").open("w")
    err = (tmp_path / f"{name}.err").open("w")
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=worker_env(tmp_path, ports),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while READY_LINE not in (tmp_path / f"{name}.out").read_text():
            assert process.poll() is None, (tmp_path / f"{name}.err").read_text()[-2000:]
            assert time.monotonic() < deadline, "worker.py did not start in time"
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        out.close()
        err.close()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def dev_server_of(worker_pid: int) -> int:
    """The pid of the ``temporal server start-dev`` child of worker.py."""
    for child in children(worker_pid):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"start-dev" in cmdline:
            return child
    raise AssertionError(f"worker.py (pid {worker_pid}) has no dev server child")


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: object, seconds: float) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def kill_if_alive(pid: int | None) -> None:
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGKILL)


def test_sigkill_of_worker_py_ends_its_dev_server_frees_the_ports_and_a_restart_works(
    tmp_path: Path,
) -> None:
    """Issue 6 §8: after SIGKILL of worker.py the dev server is gone and all four ports are free
    within 5 s; the restart on the same data starts its own server, and SIGINT (Ctrl-C) stops it."""
    ports = free_ports(4)
    server: int | None = None
    try:
        with running_worker(tmp_path, ports, "first") as worker:
            server = dev_server_of(worker.pid)
            assert alive(server)
            assert not any(port_is_free("127.0.0.1", port) for port in ports)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            assert wait_until(lambda: not alive(server), GONE_SECONDS), "dev server outlived worker.py"
            assert wait_until(lambda: all(port_is_free("127.0.0.1", p) for p in ports), GONE_SECONDS)

        with running_worker(tmp_path, ports, "second") as worker:
            restarted = dev_server_of(worker.pid)
            assert restarted != server
            server = restarted
            assert "address already in use" not in (tmp_path / "second.err").read_text()
            worker.send_signal(signal.SIGINT)
            assert worker.wait(timeout=30) == 0
            assert not alive(server)
            assert all(port_is_free("127.0.0.1", port) for port in ports)
    finally:
        kill_if_alive(server)


@pytest.mark.parametrize(
    ("taken", "purpose", "setting"),
    [
        (0, "Temporal frontend", "HEMTJANST_DEV_SERVER_PORT"),
        (1, "Temporal Web UI", "HEMTJANST_UI_PORT"),
        (2, "API", "HEMTJANST_API_PORT"),
        (3, "worker metrics", "HEMTJANST_WORKER_METRICS_PORT"),
    ],
)
def test_a_start_that_finds_a_port_taken_exits_1_with_one_line_and_starts_nothing(
    tmp_path: Path, taken: int, purpose: str, setting: str
) -> None:
    """Issue 6 §8: a port in use (e.g. an orphan's) stops the start, never attaches to it."""
    ports = free_ports(4)
    with socket.socket() as stranger:
        stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        stranger.bind(("127.0.0.1", ports[taken]))
        stranger.listen()
        result = subprocess.run(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=worker_env(tmp_path, ports),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"worker.py: port {ports[taken]} on 127.0.0.1 ({purpose}) is already in use: another "
        f"worker.py or Temporal dev server may be running; stop it or set {setting}"
    ]
    assert result.stdout == ""
    assert not (tmp_path / "data" / "temporal-dev-server.log").exists()
    assert all(port_is_free("127.0.0.1", port) for i, port in enumerate(ports) if i != taken)


def _settings(tmp_path: Path) -> Settings:
    frontend, ui = free_ports(2)
    return Settings(temporal_address=None, data_dir=tmp_path / "data", dev_server_port=frontend, ui_port=ui)


async def test_start_dev_server_refuses_a_frontend_port_a_stranger_holds(tmp_path: Path) -> None:
    """Issue 6 §8: never attach to a stranger's server on our port."""
    settings = _settings(tmp_path)
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", settings.dev_server_port))
        stranger.listen()
        with pytest.raises(PortInUseError, match=rf"port {settings.dev_server_port} on 127\.0\.0\.1"):
            await start_dev_server(settings)
    assert not (tmp_path / "data" / "temporal-dev-server.log").exists()


async def test_a_dev_server_that_exits_at_start_is_an_error_with_its_last_line(tmp_path: Path) -> None:
    """The client connects only while our child runs; its exit is one line with the reason."""
    settings = _settings(tmp_path)

    async def connect_to(target: str) -> Client:
        return await connect(settings, target=target)

    with pytest.raises(DevServerError, match=r"exited with status 1: .*unknown flag: --no-such-flag"):
        await DevServer.start(
            settings,
            binary=dev_server_path(),
            connect=connect_to,
            extra_args=["--no-such-flag"],
        )


async def test_dev_server_shutdown_stops_the_child_and_frees_its_ports(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    server = await start_dev_server(settings)
    try:
        assert alive(server.pid)
        assert os.getpgid(server.pid) == server.pid  # its own group: Ctrl-C reaches only worker.py
    finally:
        await server.shutdown()
    assert not alive(server.pid)
    assert port_is_free("127.0.0.1", settings.dev_server_port)
    assert port_is_free("127.0.0.1", settings.ui_port)
    await server.shutdown()  # twice is harmless
