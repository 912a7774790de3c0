#!/usr/bin/env bash
# Installs the pinned Temporal CLI and stripe-mock into a cache folder outside the
# clone (shared by every clone and by CI), once. A `temporal` already on PATH is used
# as is. Prints nothing on the happy path but the paths, so callers can source it.
set -euo pipefail
TEMPORAL_VERSION=v1.5.1
STRIPE_MOCK_VERSION=v0.197.0
TOOLS_DIR="${PAYNOCCHIO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paynocchio/bin}"
mkdir -p "$TOOLS_DIR"

install_go_tool() { # name module version
  local name=$1 module=$2 version=$3 marker="$TOOLS_DIR/.$1-$3"
  if [ -x "$TOOLS_DIR/$name" ] && [ -f "$marker" ]; then return 0; fi
  echo "[tools] go install $module@$version (first run only, a few minutes)" >&2
  GOBIN="$TOOLS_DIR" GOFLAGS=-buildvcs=false go install "$module@$version" >&2
  touch "$marker"
}

if [ "${1:-}" != "--stripe-mock-only" ] && ! command -v temporal >/dev/null 2>&1; then
  install_go_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_VERSION"
fi
install_go_tool stripe-mock github.com/stripe/stripe-mock "$STRIPE_MOCK_VERSION"
