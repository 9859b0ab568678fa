#!/usr/bin/env bash
# One command from a fresh clone: set up .venv and run the main job on a built-in example.
#   bash scripts/quickstart.sh            # runs the `milsca` example
#   bash scripts/quickstart.sh iss-node   # or any name from `orbitcloud examples`
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/orbitcloud run "${1:-milsca}" "${@:2}"
