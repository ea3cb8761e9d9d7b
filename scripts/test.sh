#!/usr/bin/env bash
# The test command: set up .venv (first run), then lint, type-check and run the tests.
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/test_runtime.py -x`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh

failed=0
step() {
    echo "==> $*"
    "$@" || { echo "FAILED: $*" >&2; failed=1; }
}
step .venv/bin/ruff check .
step .venv/bin/ruff format --check .
step .venv/bin/mypy .

echo "==> pytest $*"
status=0
.venv/bin/python -m pytest "$@" || status=$?

if [ "$status" -ne 0 ]; then
    exit "$status"
fi
exit "$failed"
