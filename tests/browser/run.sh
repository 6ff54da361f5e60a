#!/usr/bin/env bash
# Headless-browser test of the embeddable event listing.
# Usage: tests/browser/run.sh path/to/llcp-hub
# Starts the hub on a temporary SQLite database, then runs embed.test.mjs in Chromium.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
BIN=$(realpath "$1")
[[ -x "$BIN" ]] || { echo "not an executable: $1" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# 1. Chromium from Debian (never a browser download through playwright).
if [[ ! -x "$CHROMIUM" ]]; then
  echo "installing chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# 2. Node packages, when missing or older than the lock file.
cd "$HERE"
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json \
      || package-lock.json -nt node_modules/.package-lock.json ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi

# 3. A fresh hub on a temporary database and a free loopback port.
WORK=$(mktemp -d -t llcp-browser.XXXXXX)
SERVER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$WORK/server.log" ]]; then
    echo "---- hub server log ($WORK/server.log) ----" >&2
    tail -n 200 "$WORK/server.log" >&2
    echo "---- end of hub server log ----" >&2
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo 18080)
HUB_URL="http://127.0.0.1:$PORT"
ADMIN_EMAIL="browser-admin@example.org"
ADMIN_PASSWORD="browser test admin password 42"

export DATABASE_URL="sqlite://$WORK/hub.db"
export BIND="127.0.0.1:$PORT"
export PUBLIC_BASE_URL="$HUB_URL"
export JWT_SECRET="browser-test-secret-0123456789abcdef0123456789"
export RUST_LOG="${RUST_LOG:-info}"

# The binary reads .env from its working directory: run it from the empty temp dir.
cd "$WORK"
printf '%s\n' "$ADMIN_PASSWORD" \
  | "$BIN" admin create --email "$ADMIN_EMAIL" --name "Browser Test Admin" >>"$WORK/server.log" 2>&1

"$BIN" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 150); do   # 150 × 0.2 s = 30 s
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the hub exited before it was ready" >&2
    exit 1
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HUB_URL/readyz" || true)
  if [[ "$code" == 200 ]]; then ready=1; break; fi
  sleep 0.2
done
[[ -n "$ready" ]] || { echo "the hub was not ready at $HUB_URL/readyz within 30 s" >&2; exit 1; }
echo "hub ready at $HUB_URL"

# 4. The browser tests.
cd "$HERE"
export HUB_URL ADMIN_EMAIL ADMIN_PASSWORD CHROMIUM
export SCREENSHOT_PATH="$REPO/target/browser/embed.png"
node --test --test-timeout=120000 embed.test.mjs
