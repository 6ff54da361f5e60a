#!/usr/bin/env bash
# Breaking-change guard: the unit tests of contract/breaking.py, then the committed
# contract against the v1 baseline.
#   contract/breaking.sh [BASELINE [CURRENT]]
# defaults: openapi/v1-baseline.json and openapi/openapi.json. Exits 1 on a breaking
# change or a failing test, 2 when the baseline is missing. Python 3.11 standard library.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ beside the sources

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASELINE=${1:-$ROOT/openapi/v1-baseline.json}
CURRENT=${2:-$ROOT/openapi/openapi.json}
start=$(date +%s.%N)

echo "== unit tests (contract/test_breaking.py)"
python3 - "$ROOT/contract" <<'PY'
import sys, unittest
suite = unittest.defaultTestLoader.discover(sys.argv[1], pattern="test_breaking.py")
result = unittest.TextTestRunner(verbosity=1).run(suite)
failed = len(result.failures) + len(result.errors)
print(f"breaking: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed")
sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
PY

echo "== ${BASELINE#"$ROOT"/} -> ${CURRENT#"$ROOT"/}"
if [[ ! -f $BASELINE ]]; then
  echo "no baseline at $BASELINE: cut one from the released contract (cp openapi/openapi.json openapi/v1-baseline.json)" >&2
  exit 2
fi
status=0
python3 "$ROOT/contract/breaking.py" "$BASELINE" "$CURRENT" || status=$?
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "breaking-change guard took %.1fs\n", b - a }'
exit $status
