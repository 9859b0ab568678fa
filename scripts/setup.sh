#!/usr/bin/env bash
# Create .venv (if needed) and install orbitcloud with its test tools into it.
# Idempotent: re-installs only when pyproject.toml changed since the last set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "orbitcloud needs Python >= 3.11; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: installing orbitcloud and its dependencies into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    echo "$want" > "$stamp"
fi
# Browser assets for the offline 3D viewer (CesiumJS from npm, see package.json).
npm_stamp=node_modules/.orbitcloud-npm-stamp
npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $npm_stamp || "$(cat "$npm_stamp")" != "$npm_want" ]]; then
    if ! command -v npm >/dev/null; then
        echo "setup: npm is missing; install Node.js and npm (Debian: apt-get install npm), then re-run" >&2
        exit 1
    fi
    echo "setup: installing the viewer's npm packages (cesium) into node_modules" >&2
    npm ci --no-audit --no-fund --loglevel=error
    echo "$npm_want" > "$npm_stamp"
fi
