#!/usr/bin/env bash
# The docs' Python snippets (test/api/seed-docs.test.ts, README snippets in limits, abuse and
# statements tests) run with Python's `requests`. When no python3 here can import it, installs
# Debian's python3-requests with apt-get (for /usr/bin/python3; PyPI is not reachable from
# every machine this runs on, Debian's archive is). Prints nothing when present. Exits
# non-zero when it cannot be had: those tests then fail with the reason (they never skip).
# test/helpers/python.ts picks the interpreter the same way: $PAYNOCCHIO_PYTHON, python3, /usr/bin/python3.
set -euo pipefail
has_requests() { [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 && "$1" -c 'import requests' >/dev/null 2>&1; }
for py in "${PAYNOCCHIO_PYTHON:-}" python3 /usr/bin/python3; do
  has_requests "$py" && exit 0
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "[python] installing Debian's python3-requests (first run only)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends python3 python3-requests >/dev/null
  has_requests /usr/bin/python3 && exit 0
fi
echo "[python] no python3 here can import requests, and it cannot be installed (needs root and apt-get): install Debian's python3-requests or set PAYNOCCHIO_PYTHON" >&2
exit 1
