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
source "$REPO/scripts/test-hub.sh"
start_test_hub "$BIN"

# 4. The browser tests.
cd "$HERE"
export CHROMIUM
export SCREENSHOT_PATH="$REPO/target/browser/embed.png"
node --test --test-timeout=120000 embed.test.mjs docs.test.mjs
