#!/usr/bin/env bash
# The test command: set up .venv (first run), then lint, type-check and run the tests.
# Arguments go to pytest, e.g. `bash scripts/test.sh tests/test_runtime.py -x`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh

# The browser tests (tests/test_browser_*.py) drive Debian's chromium: Playwright's own browser
# download is not possible. As root (CI) it is installed here; otherwise say how.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the browser tests ..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "The browser tests need chromium: sudo apt-get install -y chromium (or set CHROMIUM=/path)" >&2
    fi
fi

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
