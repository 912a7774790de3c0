#!/usr/bin/env bash
# npm run dev: dependencies, pinned tools, then the orchestrator (scripts/dev.ts).
# `npm run dev -- --temporal=postgres`: the real Temporal server on Postgres instead of the dev server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-tools.sh
exec node --import tsx scripts/dev.ts "$@"
