"""Summarise a py-spy raw profile (``py-spy record --format raw``) of the benchmark's worker or API:
where the CPU time goes, by kind of work and by function.

    .venv/bin/python -m bench.profile_summary /tmp/m/worker.pyspy.txt
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# Kinds of work, by a piece of the frame's file path (first match wins, innermost frame first).
KINDS = (
    ("sandbox: importing modules", ("importlib._bootstrap", "Importer._import ")),
    ("sandbox: restricted proxies", ("workflow_sandbox/_restrictions",)),
    # Entering the sandbox: per activation, and (with a payload codec) per payload the SDK visits,
    # to look up its serialization context.
    (
        "sandbox: entering it (activations, payload contexts)",
        ("workflow_sandbox/_importer", "workflow_sandbox/_runner"),
    ),
    ("SDK payload visitor (codec path)", ("temporalio/bridge/_visitor", "worker/_command_aware_visitor")),
    ("payload codec (AES-GCM)", ("runtime/codec.py", "cryptography/")),
    ("pydantic payload converter", ("contrib/pydantic", "pydantic/", "pydantic_core/")),
    ("SQLAlchemy and the database", ("sqlalchemy/", "sqlite3", "psycopg")),
    ("workflow code (workflows/)", ("workflows/",)),
    ("Temporal SDK workflow instance", ("temporalio/worker/_workflow_instance",)),
    ("FastAPI / Starlette / uvicorn", ("fastapi/", "starlette/", "uvicorn/", "h11/", "httptools")),
    ("JWT", ("jwt/",)),
    ("our API (api/)", ("/api/",)),
)


# Innermost frames of a thread that waits (py-spy cannot always tell an idle thread here): the
# thread pools' queues, conditions, the event loop's selector. Their samples are not CPU.
IDLE = (
    "_worker (concurrent/futures/thread.py:81)",
    "Condition.wait (threading.py",
    "EpollSelector.select",
    "Runner.run (asyncio/runners.py:118)",
    "Thread._wait_for_tstate_lock",
    "Queue.get (queue.py",
)


def _idle(stack: list[str]) -> bool:
    return bool(stack) and stack[-1].startswith(IDLE)


def _kind(stack: list[str]) -> str:
    for frame in reversed(stack):
        for name, needles in KINDS:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def summarise(path: Path, top: int = 15) -> str:
    kinds: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        frames, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        stack = frames.split(";")[2:]  # without the process and the thread
        if _idle(stack):
            idle += count
            continue
        total += count
        kinds[_kind(stack)] += count
        for frame in set(stack):
            inclusive[frame] += count
        if stack:
            own[stack[-1]] += count
    lines = [f"{path.name}: {total} busy samples (shares below), {idle} of waiting threads left out"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in kinds.most_common()]
    lines.append("  top functions by own time:")
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summarise(Path(argument)))
