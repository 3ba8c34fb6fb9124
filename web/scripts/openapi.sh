#!/usr/bin/env bash
# Writes web/openapi.json from the backend's own OpenAPI generator, keys sorted so the file
# (and the types generated from it) only change when the contract does: Litestar's path
# order varies between runs. Usage: web/scripts/openapi.sh [venv dir, default .venv]
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${1:-.venv}
"$VENV/bin/chengyun" openapi | "$VENV/bin/python" -c '
import json, sys
json.dump(json.load(sys.stdin), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
sys.stdout.write("\n")' > web/openapi.json
