#!/usr/bin/env bash
# Installs the pinned Temporal CLI and stripe-mock into a cache folder outside the
# clone (shared by every clone and by CI), once. A `temporal` already on PATH is used
# as is. Prints nothing on the happy path but the paths, so callers can source it.
# `--temporal-server` also builds the real Temporal server and its SQL schema tool (the
# production topology on Postgres: `npm run dev -- --temporal=postgres`); that build is
# a separate step because it takes minutes on a fresh machine.
set -euo pipefail
TEMPORAL_VERSION=v1.5.1
# The server module the CLI above pins (its go.mod: go.temporal.io/server v1.29.1, no
# replace directives), so the dev server and the real one are the same server code.
TEMPORAL_SERVER_VERSION=v1.29.1
STRIPE_MOCK_VERSION=v0.197.0
TOOLS_DIR="${PAYNOCCHIO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/paynocchio/bin}"
mkdir -p "$TOOLS_DIR"
# Several clones (worktrees, a CI clone beside a dev checkout) may run this at once:
# one builds, the others wait for it and then find the tools in place.
exec 9>"$TOOLS_DIR/.install.lock"
flock 9

install_go_tool() { # name module version
  local name=$1 module=$2 version=$3 marker="$TOOLS_DIR/.$1-$3"
  if [ -x "$TOOLS_DIR/$name" ] && [ -f "$marker" ]; then return 0; fi
  echo "[tools] go install $module@$version (first run only, a few minutes)" >&2
  GOBIN="$TOOLS_DIR" GOFLAGS=-buildvcs=false go install "$module@$version" >&2
  touch "$marker"
}

if [ "${1:-}" = "--temporal-server" ]; then
  # temporal-server (cmd/server) and temporal-sql-tool (cmd/tools/sql) from one module
  # version, in one `go install` so they share the compile; renamed to the names the
  # docs and Temporal's own images use.
  marker="$TOOLS_DIR/.temporal-server-$TEMPORAL_SERVER_VERSION"
  if ! { [ -x "$TOOLS_DIR/temporal-server" ] && [ -x "$TOOLS_DIR/temporal-sql-tool" ] && [ -f "$marker" ]; }; then
    echo "[tools] go install go.temporal.io/server@$TEMPORAL_SERVER_VERSION (server + temporal-sql-tool; first run only, several minutes)" >&2
    staging="$TOOLS_DIR/.temporal-server-build"
    rm -rf "$staging" && mkdir -p "$staging"
    GOBIN="$staging" GOFLAGS=-buildvcs=false go install \
      "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
      "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >&2
    mv -f "$staging/server" "$TOOLS_DIR/temporal-server"
    mv -f "$staging/sql" "$TOOLS_DIR/temporal-sql-tool"
    rm -rf "$staging"
    touch "$marker"
  fi
fi

if [ "${1:-}" != "--stripe-mock-only" ] && ! command -v temporal >/dev/null 2>&1; then
  install_go_tool temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_VERSION"
fi
install_go_tool stripe-mock github.com/stripe/stripe-mock "$STRIPE_MOCK_VERSION"
