#!/usr/bin/env bash
# Install what the browser tests need: Debian's chromium (apt) and the Python `playwright`
# package (pip, into .venv; it ships its own driver). Idempotent.
# Never run `playwright install`: it downloads browsers and fails offline. The tests launch
# /usr/bin/chromium through Playwright's executable_path instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x /usr/bin/chromium ]]; then
    if ! command -v apt-get >/dev/null; then
        echo "setup-browser: /usr/bin/chromium is missing and apt-get is not available; install Debian's chromium package" >&2
        exit 1
    fi
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then
        SUDO="sudo"
    fi
    echo "setup-browser: installing Debian's chromium (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
if ! .venv/bin/python -c 'import playwright' 2>/dev/null; then
    echo "setup-browser: installing the Python playwright package into .venv" >&2
    .venv/bin/python -m pip install --quiet 'playwright>=1.40'
fi
