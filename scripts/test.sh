#!/usr/bin/env bash
# The test command: set up .venv (first run), then lint, type-check and run the tests.
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/test_runtime.py -x`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- setup (the same in scripts/run.sh) -------------------------------------------------------
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
        exit 1
    }
    echo "Creating .venv ..."
    "$PYTHON" -m venv .venv || {
        echo "Could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)" >&2
        exit 1
    }
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=".venv/.installed-$(.venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest()[:16])')"
if [ ! -f "$stamp" ]; then
    echo "Installing dependencies into .venv ..."
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
# ----------------------------------------------------------------------------------------------

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
