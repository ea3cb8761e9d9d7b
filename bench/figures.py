"""Figures shared by the benchmarks: latency series, the machine, strict JSON."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Series:
    """Latencies (seconds) of one kind of request and the wall time they took together."""

    samples: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    failed: int = 0

    def pct(self, p: float) -> float:
        """The ``p``-th percentile by nearest rank (seconds; NaN without samples)."""
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]

    def figures(self) -> dict[str, float]:
        n = len(self.samples)
        return {
            "n": n,
            "failed": self.failed,
            "per_second": n / self.elapsed if self.elapsed else float("nan"),
            "p50_ms": statistics.median(self.samples) * 1000 if n else float("nan"),
            "p95_ms": self.pct(95) * 1000,
            "p99_ms": self.pct(99) * 1000,
        }


async def run(concurrency: int, jobs: list[Callable[[], Awaitable[bool]]], series: Series) -> None:
    """Run ``jobs`` (each answers whether it succeeded) ``concurrency`` at a time, timing each."""
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[bool]]) -> None:
        async with gate:
            began = time.perf_counter()
            ok = await job()
            if ok:
                series.samples.append(time.perf_counter() - began)
            else:
                series.failed += 1

    began = time.perf_counter()
    await asyncio.gather(*(one(job) for job in jobs))
    series.elapsed += time.perf_counter() - began


def commit() -> str:
    """The commit the benchmark ran on (``+`` when the checkout had changes), for its results."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg()[0],
    }


def without_nan(value: Any) -> Any:
    """The result as strict JSON: a figure without samples (NaN) is null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nan(v) for v in value]
    return value


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum`` (else the usage error says so)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}: {value}")
        return value

    return parse
