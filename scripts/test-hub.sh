# Sourced by the checks that need a live hub (browser, contract, generated clients):
#   source scripts/test-hub.sh; start_test_hub path/to/llcp-hub
# Starts the hub on a temporary SQLite database and a free loopback port with an admin
# and a member account, and exports HUB_URL, ADMIN_EMAIL, ADMIN_PASSWORD, MEMBER_EMAIL,
# MEMBER_PASSWORD and HUB_LOG. The hub stops, and the folder goes, when the shell exits;
# on a failing exit the hub's log is printed.

HUB_WORK=""
HUB_PID=""

stop_test_hub() {
  local status=$?
  if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
    kill "$HUB_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$HUB_PID" 2>/dev/null || true
    wait "$HUB_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -n "$HUB_WORK" && -f "$HUB_WORK/hub.log" ]]; then
    echo "---- hub log (last 200 lines) ----" >&2
    tail -n 200 "$HUB_WORK/hub.log" >&2
    echo "---- end of hub log ----" >&2
  fi
  [[ -n "$HUB_WORK" ]] && rm -rf "$HUB_WORK"
  return $status
}

start_test_hub() {
  local bin
  bin=$(realpath "$1")
  [[ -x "$bin" ]] || { echo "not an executable: $1" >&2; return 2; }
  HUB_WORK=$(mktemp -d -t llcp-hub.XXXXXX)
  trap stop_test_hub EXIT
  trap 'exit 130' INT TERM

  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  export HUB_URL="http://127.0.0.1:$port"
  export HUB_LOG="$HUB_WORK/hub.log"
  export ADMIN_EMAIL="contract-admin@example.org"
  export ADMIN_PASSWORD="test hub admin password 42"
  export MEMBER_EMAIL="contract-member@example.org"
  export MEMBER_PASSWORD="test hub member password 42"

  # The binary reads .env from its working directory: run it from the empty folder.
  (
    cd "$HUB_WORK"
    export DATABASE_URL="sqlite://$HUB_WORK/hub.db"
    export BIND="127.0.0.1:$port"
    export PUBLIC_BASE_URL="$HUB_URL"
    export JWT_SECRET="test-hub-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export RUST_LOG="${RUST_LOG:-info}"
    # Every request of the fuzzer, the browser tests and the client demos comes from
    # this one loopback address; the per-address limits have tests of their own.
    export RATE_LIMIT_REGISTRATIONS_PER_ADDRESS=0 RATE_LIMIT_REGISTRATIONS_PER_ADDRESS_AND_EVENT=0
    export RATE_LIMIT_SIGNUPS_PER_ADDRESS=0
    printf '%s\n' "$ADMIN_PASSWORD" \
      | "$bin" admin create --email "$ADMIN_EMAIL" --name "Test Admin" >>"$HUB_LOG" 2>&1
    exec "$bin" >>"$HUB_LOG" 2>&1
  ) &
  HUB_PID=$!

  for _ in $(seq 150); do   # 150 × 0.2 s = 30 s
    kill -0 "$HUB_PID" 2>/dev/null || { echo "the hub exited before it was ready" >&2; return 1; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HUB_URL/readyz" || true) == 200 ]] && break
    sleep 0.2
  done
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HUB_URL/readyz" || true) == 200 ]] \
    || { echo "the hub was not ready at $HUB_URL/readyz within 30 s" >&2; return 1; }

  curl -sf -o /dev/null "$HUB_URL/api/v1/accounts" -H 'content-type: application/json' -d "{
    \"email\": \"$MEMBER_EMAIL\", \"password\": \"$MEMBER_PASSWORD\",
    \"full_name\": \"Test Member\", \"organisation\": \"London Borough of Camden\"}" \
    || { echo "signing up the test member failed" >&2; return 1; }
  # The verification link goes out by mail, which the test hub does not send: mark the
  # address verified as following the link would, so that the member may apply.
  python3 - "$HUB_WORK/hub.db" "$MEMBER_EMAIL" <<'PY' \
    || { echo "verifying the test member failed" >&2; return 1; }
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
changed = db.execute(
    "UPDATE accounts SET email_verified_at = CURRENT_TIMESTAMP WHERE email_lower = ?",
    (sys.argv[2].lower(),),
).rowcount
db.commit()
sys.exit(0 if changed == 1 else 1)
PY
  echo "test hub ready at $HUB_URL"
}
