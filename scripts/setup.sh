#!/usr/bin/env bash
# Shared setup of scripts/test.sh and scripts/run.sh (sourced from the repository root): create
# .venv on the first run and install the project with its dev extras; reinstall only when
# pyproject.toml has changed since the last install.
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
stamp=".venv/.installed-$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest()[:16])')"
if [ ! -f "$stamp" ]; then
    echo "Installing dependencies into .venv ..."
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

