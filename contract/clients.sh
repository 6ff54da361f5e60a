#!/usr/bin/env bash
# Generated clients: can a third party generate a client from openapi/openapi.json and
# walk through the API with it? Usage: contract/clients.sh path/to/llcp-hub
#
#   Python      openapi-python-client (examples/python-client) into target/clients/python,
#               venv in target/clients/venv; then examples/python-client/demo.py.
#   TypeScript  openapi-typescript + openapi-fetch (examples/typescript-client): schema.d.ts
#               into its generated/, `tsc --noEmit`, `tsc` to dist/, then node dist/demo.js.
#
# Both demos run against one hub started by scripts/test-hub.sh. Every step is timed; the
# script goes on after a failing step where the next one does not depend on it, and exits
# 1 if any step failed. CLIENTS_SPEC=path overrides the document the clients are
# generated from (for trying a candidate spec; the default is the committed contract).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 path/to/llcp-hub" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BINARY=$(realpath "$1")
SPEC=$(realpath "${CLIENTS_SPEC:-$ROOT/openapi/openapi.json}")
cd "$ROOT"

OUT=$ROOT/target/clients
VENV=$OUT/venv
PY_CLIENT=$OUT/python
PY_EXAMPLE=$ROOT/examples/python-client
TS_EXAMPLE=$ROOT/examples/typescript-client
mkdir -p "$OUT"

failures=()
timings=()
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# run_step NAME COMMAND...: runs, times and records one step; returns its status.
run_step() {
  local name=$1 start status=0
  shift
  echo "== $name"
  start=$(now)
  "$@" || status=$?
  timings+=("$(printf '%6ss  %s' "$(elapsed "$start")" "$name")")
  if [[ $status -ne 0 ]]; then
    echo "!! FAILED: $name (exit $status)" >&2
    failures+=("$name")
  fi
  return $status
}

sha() { sha256sum "$@" | sha256sum | cut -c1-16; }

python_setup() {
  local stamp=$VENV/.requirements-sha want
  want=$(sha "$PY_EXAMPLE/requirements.txt")
  if [[ ! -x $VENV/bin/python ]]; then
    python3 -m venv "$VENV" || return
  fi
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$PY_EXAMPLE/requirements.txt" || return
    echo "$want" >"$stamp"
  else
    echo "venv up to date ($VENV)"
  fi
}

python_generate() {
  rm -rf "$PY_CLIENT"
  # The generator runs ruff from the venv on what it wrote; --fail-on-warning makes any
  # part of the document it cannot turn into code a failure, not a silent omission.
  PATH=$VENV/bin:$PATH "$VENV/bin/openapi-python-client" generate \
    --path "$SPEC" --config "$PY_EXAMPLE/config.yaml" \
    --output-path "$PY_CLIENT/llcp_hub_client" --meta none --fail-on-warning
}

python_demo() {
  LLCP_CLIENT_PATH=$PY_CLIENT "$VENV/bin/python" "$PY_EXAMPLE/demo.py"
}

typescript_install() {
  local stamp=$TS_EXAMPLE/node_modules/.lock-sha want
  want=$(sha "$TS_EXAMPLE/package-lock.json")
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "node_modules up to date"
    return 0
  fi
  (cd "$TS_EXAMPLE" && npm ci --no-audit --no-fund) || return
  echo "$want" >"$stamp"
}

typescript_generate() {
  rm -rf "$TS_EXAMPLE/generated"
  (cd "$TS_EXAMPLE" && npx --no-install openapi-typescript "$SPEC" --output generated/schema.d.ts)
}

typescript_typecheck() { (cd "$TS_EXAMPLE" && npx --no-install tsc --noEmit); }

typescript_build() {
  rm -rf "$TS_EXAMPLE/dist"
  (cd "$TS_EXAMPLE" && npx --no-install tsc)
}

typescript_demo() { node "$TS_EXAMPLE/dist/demo.js"; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 20 )); then
  echo "node 20 or newer is needed, found $(node --version)" >&2
  exit 2
fi

total_start=$(now)
echo "generating clients from ${SPEC#"$ROOT"/}"

python_ready=0
run_step "python: venv + requirements" python_setup &&
  run_step "python: generate client (openapi-python-client)" python_generate &&
  python_ready=1 || true

typescript_ready=0
run_step "typescript: npm ci" typescript_install &&
  run_step "typescript: generate schema.d.ts (openapi-typescript)" typescript_generate &&
  run_step "typescript: tsc --noEmit" typescript_typecheck &&
  run_step "typescript: tsc build" typescript_build &&
  typescript_ready=1 || true

if (( python_ready || typescript_ready )); then
  # shellcheck source=../scripts/test-hub.sh
  source "$ROOT/scripts/test-hub.sh"
  hub_start=$(now)
  start_test_hub "$BINARY"
  timings+=("$(printf '%6ss  %s' "$(elapsed "$hub_start")" "hub: start")")
  if (( python_ready )); then run_step "python: demo" python_demo || true; fi
  if (( typescript_ready )); then run_step "typescript: demo" typescript_demo || true; fi
fi

echo
echo "== timings"
printf '%s\n' "${timings[@]}"
printf '%6ss  %s\n' "$(elapsed "$total_start")" "total"
if (( ${#failures[@]} )); then
  echo "generated clients: ${#failures[@]} step(s) failed: ${failures[*]}" >&2
  exit 1
fi
echo "generated clients: all steps passed"
