#!/usr/bin/env bash
# npm test: dependencies and pinned tools when missing, a type-check, then the whole
# jest suite against the real parts (test/helpers/global-setup.ts starts them).
# Jest's JSON result goes to .test-results.json for .ci/run to count.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-tools.sh
npx tsc --noEmit -p tsconfig.json
exec npx jest --json --outputFile=.test-results.json "$@"
