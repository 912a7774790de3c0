#!/usr/bin/env bash
# npm test: dependencies and pinned tools when missing, a type-check, then the whole
# jest suite against the real parts (test/helpers/global-setup.ts starts them).
# Jest's JSON result goes to .test-results.json for .ci/run to count.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/install-tools.sh
# The real Temporal server (test/chaos/horizontal.test.ts runs the production topology on
# it): about 3 CPU-minutes after the CLI's build on a fresh machine, then cached. When it
# cannot be built here that test fails with the reason.
bash scripts/install-tools.sh --temporal-server || echo "[tools] building the Temporal server failed: test/chaos/horizontal.test.ts will fail" >&2
# The console's browser test needs Debian's chromium; when it cannot be installed
# here that test fails with the reason (it never passes without a browser).
bash scripts/ensure-chromium.sh || true
# The docs' Python snippets need Python's requests: Debian's python3-requests when no
# python3 here has it; when it cannot be had, those tests fail with the reason (never skip).
bash scripts/ensure-python-requests.sh || true
npx tsc --noEmit -p tsconfig.json
exec npx jest --json --outputFile=.test-results.json "$@"
