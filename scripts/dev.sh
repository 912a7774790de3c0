#!/usr/bin/env bash
# npm run dev: dependencies, pinned tools, then the orchestrator (scripts/dev.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-tools.sh
exec node --import tsx scripts/dev.ts "$@"
