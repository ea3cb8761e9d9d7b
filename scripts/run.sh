#!/usr/bin/env bash
# The run command: set up .venv (first run), then start the Temporal dev server, the worker and
# the API (`python worker.py`). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh

exec .venv/bin/python worker.py "$@"
