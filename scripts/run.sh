#!/usr/bin/env bash
# The run command: set up .venv (first run), then start the Temporal dev server, the worker and
# the API (`python worker.py`). Stop with Ctrl-C.
#   bash scripts/run.sh --demo   the same, and once the API is ready fill it with the demo
#                                (made-up people, processes in every stage: scripts/demo.py)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh

if [ "${1:-}" != "--demo" ]; then
    exec .venv/bin/python worker.py "$@"
fi
shift
.venv/bin/python worker.py "$@" &
worker=$!
# Ctrl-C reaches worker.py itself (same process group; it stops in order); a TERM to this
# script is passed on. Waiting goes on until worker.py has stopped.
trap ':' INT
trap 'kill -TERM "$worker" 2>/dev/null || true' TERM
.venv/bin/python -m scripts.demo || echo "The demo did not finish (see above); the system keeps running." >&2
while kill -0 "$worker" 2>/dev/null; do wait "$worker" || true; done
