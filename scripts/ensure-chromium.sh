#!/usr/bin/env bash
# The operator console's browser test drives Debian's `chromium` through puppeteer-core
# (no browser download from npm). Installs it with apt-get when it is missing and we
# can (root, apt available); otherwise says so and exits non-zero, so the test fails
# clearly instead of passing without a browser. Idempotent and quiet when present.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "[chromium] installing Debian's chromium (first run only)" >&2
  # Another process may hold the apt lock (a parallel run): wait for it rather than fail.
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "[chromium] $CHROMIUM is missing and cannot be installed here (needs root and apt-get): install Debian's chromium or set CHROMIUM_PATH" >&2
exit 1
