#!/usr/bin/env bash
# Sustained registrations per second with 32 concurrent clients, on SQLite and on
# PostgreSQL, and a check that no event is overbooked.
# Usage: bench/registrations.sh [SECONDS]   (PG_URL overrides the PostgreSQL server)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=18080
export JWT_SECRET=bench-secret-bench-secret-bench-secret
PASSWORD='load test passphrase 2026'
SERVER=''

cargo build --release --quiet --bin llcp-hub --example register_load
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/llcp-hub
LOAD=$TARGET/release/examples/register_load
WORK=$(mktemp -d)
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

run() {
  local label=$1 url=$2
  echo "$PASSWORD" | DATABASE_URL=$url $BIN admin create --email bench@example.org >/dev/null
  DATABASE_URL=$url RUST_LOG=warn $BIN serve --bind 127.0.0.1:$PORT &
  SERVER=$!
  for _ in $(seq 50); do curl -sf localhost:$PORT/readyz >/dev/null && break; sleep 0.2; done
  local token
  token=$(curl -sf localhost:$PORT/api/v1/auth/token -H 'content-type: application/json' \
    -d "{\"email\":\"bench@example.org\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local result
  result=$($LOAD "http://127.0.0.1:$PORT" "$token" 32 "$SECONDS_PER_RUN" 4 500)
  kill $SERVER; wait $SERVER 2>/dev/null || true
  printf '%-12s %s\n' "$label" "$result"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $SECONDS_PER_RUN s per run, 32 clients"
run sqlite "sqlite://$WORK/bench.db"
DB=llcp_bench_$$
psql "$PG_URL" -qc "CREATE DATABASE $DB" >/dev/null
run postgresql "${PG_URL%/*}/$DB"
psql "$PG_URL" -qc "DROP DATABASE $DB WITH (FORCE)" >/dev/null
