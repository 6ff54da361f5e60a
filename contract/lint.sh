#!/usr/bin/env bash
# Lints the committed OpenAPI document (openapi/openapi.json) with Redocly CLI's
# `recommended` ruleset as configured in contract/redocly.yaml.
# Zero errors are required (exit status 1 otherwise); warnings are printed only.
# Prints one line per problem (severity, rule id, JSON pointer, message); the full
# report is kept in target/contract/lint.json.
# Usage, from anywhere: contract/lint.sh [SPEC]   (SPEC defaults to openapi/openapi.json)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
spec=$(realpath "${1:-$root/openapi/openapi.json}")
[[ -f "$spec" ]] || { echo "lint.sh: no such file: $spec" >&2; exit 2; }
out="$root/target/contract"
mkdir -p "$out"

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
cd "$here"

# Install the pinned CLI from package-lock.json when it is missing or another version.
want=$(node -p 'require("./package-lock.json").packages["node_modules/@redocly/cli"].version')
have=$(node -p 'require("./node_modules/@redocly/cli/package.json").version' 2>/dev/null || true)
if [[ "$have" != "$want" ]]; then
  echo "lint.sh: installing @redocly/cli $want (npm ci)"
  timeout 300 npm ci --no-audit --no-fund --loglevel=error
fi

echo "lint.sh: redocly lint $spec (@redocly/cli $want, contract/redocly.yaml)"
set +e
# stderr carries the summary and, on Node 20, a deprecation banner (its box lines are
# dropped when it is printed below).
timeout 120 ./node_modules/.bin/redocly lint "$spec" --config "$here/redocly.yaml" \
  --format=json >"$out/lint.json" 2>"$out/lint.stderr"
status=$?
set -e
# One line per problem: SEVERITY RULE-ID POINTER MESSAGE
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const p of r.problems) {
    const at = (p.location || []).map(l => l.pointer).join(" ");
    console.log(`${p.severity.padEnd(5)} ${p.ruleId.padEnd(24)} ${at}  ${p.message}`);
  }
  const t = r.totals || {};
  console.log(`lint.sh: ${t.errors ?? "?"} errors, ${t.warnings ?? "?"} warnings (report: target/contract/lint.json)`);
' "$out/lint.json" || echo "lint.sh: could not read the JSON report" >&2
grep -v '[╔║╚]' "$out/lint.stderr" | grep -v '^\s*$' >&2 || true

if [[ $status -ne 0 ]]; then
  echo "lint.sh: FAILED: the OpenAPI document has lint errors (redocly exit $status)" >&2
  exit 1
fi
echo "lint.sh: OK (no errors)"
