#!/usr/bin/env bash
# The growth benchmark: how the hub's latency grows with the data. For each backend and
# each event count it seeds a fresh database (bench/seed.sh: 20 upcoming published
# events, the rest past or drafts), starts a release hub with its response cache off
# (PUBLIC_CACHE_TTL_MS=0: every answer comes from the database), checks the seed
# through the API, and measures with wrk at low concurrency (--latency, after a
# warm-up per target):
#
#   list    GET /api/v1/events?limit=20
#   miss    the same with a distinct q on every request (bench/miss.lua)
#   event   GET /api/v1/events/{slug}
#   ics     GET /api/v1/events.ics
#
# and the registration latency (examples/register_load.rs, a few clients registering
# distinct people on new events) on the smallest event count with each number of
# seeded past registrations. Prints p50 and p99 per size with their ratio to the
# smallest case, against the target "within 2× of the small case", and writes the table
# as markdown to target/bench/growth.md (raw wrk outputs, JSON lines and hub logs in
# target/bench/growth/). It measures and asserts nothing: a ratio above 2 is flagged
# in the table, never an error.
#
# Usage: bench/growth.sh [--quick] [options]
#   --quick              SQLite only, 1,000 and 100,000 events, 0 and 1,000,000
#                        registrations, 3 s runs: about 70 s with the build there (the
#                        full run: about 6 min)
#   --db LIST            sqlite, postgres or "sqlite postgres" (default both; quick: sqlite)
#   --events LIST        event counts (default "1000 100000 1000000"; quick: "1000 100000");
#                        the first is the small case every ratio is taken against
#   --registrations LIST past registrations seeded for the registration runs, on the
#                        first event count (default "0 1000000")
#   --duration S         seconds per measured wrk run (default 5; quick: 3)
#   --warmup S           seconds of warm-up per target before it (default 2; quick: 1)
#   --connections N      wrk connections (default 4)
#   --threads N          wrk threads (default 1)
#   --reg-clients N      concurrent registration clients (default 8)
#   --reg-seconds S      seconds of registration load (default 5; quick: 3)
#   --no-build           use the release binaries already built
#   --keep               keep the databases (target/bench/growth/work/*.db; PostgreSQL:
#                        llcp_growth_<events>[_r<registrations>]) for EXPLAIN afterwards
#   -h, --help           this text
# Environment: PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth;
# throwaway databases llcp_growth_* are created and dropped beside it), BENCH_RUST_LOG
# (the hub's RUST_LOG, default warn), BENCH_RETENTION_MONTHS (the hub's RETENTION_MONTHS,
# default 120, so that the retention job leaves the seeded history alone), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMMAND="bench/growth.sh${*:+ $*}"
RUN_STARTED=$(date +%s)

QUICK=0 BUILD=1 KEEP=0
DBS='' EVENT_SIZES='' REG_SIZES='' DURATION='' WARMUP='' REG_SECONDS=''
CONNECTIONS=4 THREADS=1 REG_CLIENTS=8
need_value() { [[ $# -ge 2 && -n $2 ]] || { echo "$1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --db) need_value "$@"; DBS=$2; shift ;;
    --events) need_value "$@"; EVENT_SIZES=$2; shift ;;
    --registrations) need_value "$@"; REG_SIZES=$2; shift ;;
    --duration) need_value "$@"; DURATION=$2; shift ;;
    --warmup) need_value "$@"; WARMUP=$2; shift ;;
    --connections) need_value "$@"; CONNECTIONS=$2; shift ;;
    --threads) need_value "$@"; THREADS=$2; shift ;;
    --reg-clients) need_value "$@"; REG_CLIENTS=$2; shift ;;
    --reg-seconds) need_value "$@"; REG_SECONDS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if (( QUICK )); then
  : "${DBS:=sqlite}" "${EVENT_SIZES:=1000 100000}" "${DURATION:=3}" "${WARMUP:=1}" "${REG_SECONDS:=3}"
else
  : "${DBS:=sqlite postgres}" "${EVENT_SIZES:=1000 100000 1000000}" "${DURATION:=5}" "${WARMUP:=2}"
  : "${REG_SECONDS:=5}"
fi
: "${REG_SIZES:=0 1000000}"
for n in $EVENT_SIZES $REG_SIZES "$DURATION" "$WARMUP" "$CONNECTIONS" "$THREADS" \
         "$REG_CLIENTS" "$REG_SECONDS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done
for n in $EVENT_SIZES; do
  (( n >= 100 )) || { echo "--events: every count must be at least 100" >&2; exit 2; }
done
[[ -n ${EVENT_SIZES// /} ]] || { echo "--events needs at least one count" >&2; exit 2; }
(( DURATION >= 1 && CONNECTIONS >= 1 && THREADS >= 1 && THREADS <= CONNECTIONS && REG_CLIENTS >= 1 )) \
  || { echo "need --duration ≥ 1 and 1 ≤ --threads ≤ --connections, --reg-clients ≥ 1" >&2; exit 2; }
for db in $DBS; do
  [[ $db == sqlite || $db == postgres ]] || { echo "--db takes sqlite and/or postgres" >&2; exit 2; }
done
read -r -a SIZES <<<"$EVENT_SIZES"
read -r -a REGS <<<"$REG_SIZES"
BASE_EVENTS=${SIZES[0]}

TARGETS=(list miss event ics)
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
RUST_LOG_LEVEL=${BENCH_RUST_LOG:-warn}
TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
OUT=$TARGET_DIR/bench
GROWTH=$OUT/growth
RAW=$GROWTH/raw
WORK=$GROWTH/work
LOGS=$GROWTH/logs
BINS=$GROWTH/bin
FACTS=$RAW/growth.jsonl
ADMIN_EMAIL=bench-admin@example.org
ADMIN_PASSWORD='bench admin passphrase 2026'
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export RUST_LOG=$RUST_LOG_LEVEL
# The seed holds ten years of registrations with names; a deployment's retention job
# anonymises what is past RETENTION_MONTHS as it goes, but the first pass over a seeded
# history would run during the measurements. Keep it out unless asked for
# (BENCH_RETENTION_MONTHS=24 measures a hub doing that first pass).
export RETENTION_MONTHS=${BENCH_RETENTION_MONTHS:-120}

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'growth: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------ tools
need_tool() {  # command [debian package]
  command -v "$1" >/dev/null && return 0
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing ${2:-$1}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${2:-$1}"; } >/dev/null \
      || die "could not install ${2:-$1}"
  else
    die "$1 is missing: install the Debian package ${2:-$1}"
  fi
}
need_tool wrk
need_tool sqlite3
need_tool curl
need_tool python3
if [[ " $DBS " == *" postgres "* ]]; then
  need_tool psql postgresql-client
  psql -qAtX "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1 \
    || die "PostgreSQL does not answer at $PG_URL (set PG_URL, or use --db sqlite)"
fi

# ------------------------------------------------------------------ state and cleanup
HUB_PID='' PG_DBS=()
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
drop_pg() {  # drop_pg NAME
  psql -qX "$PG_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true
}
cleanup() {
  local status=$? name
  stop_pid "$HUB_PID"; HUB_PID=''
  if (( ! KEEP )); then
    for name in "${PG_DBS[@]}"; do drop_pg "$name"; done
    rm -rf "$WORK"
  fi
  if (( status != 0 )); then
    echo "growth: failed (exit $status); logs in $LOGS" >&2
  fi
  return $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() {  # record JSON: one line of the run's facts
  printf '%s\n' "$1" >>"$FACTS"
}

idle_percent() {  # idle_percent SECONDS: the machine's idle CPU share over that time
  local _ u n sy i w x y z t1 i1
  read -r _ u n sy i w x y z _ </proc/stat
  t1=$((u + n + sy + i + w + x + y + z)) i1=$((i + w))
  sleep "$1"
  read -r _ u n sy i w x y z _ </proc/stat
  echo $(( 100 * (i + w - i1) / (u + n + sy + i + w + x + y + z - t1 + 1) ))
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {  # wait_ready URL PID SECONDS
  local i
  for ((i = 0; i < $3 * 20; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true) == 200 ]] && return 0
    sleep 0.05
  done
  return 1
}

# ------------------------------------------------------------------ build
mkdir -p "$OUT"
rm -rf "$RAW" "$WORK" "$LOGS" "$BINS"
mkdir -p "$RAW" "$WORK" "$LOGS" "$BINS"
BUILD_SECONDS=0
if (( BUILD )); then
  say "cargo build --release --bin llcp-hub --examples"
  cargo build --release --locked --quiet --bin llcp-hub --examples
  BUILD_SECONDS=$(( $(date +%s) - RUN_STARTED ))
fi
# Copies, so that a rebuild in the same tree during the run cannot swap the binaries.
for b in "$TARGET_DIR/release/llcp-hub" "$TARGET_DIR/release/examples/register_load"; do
  [[ -x $b ]] || die "$b is missing (build it: cargo build --release --bin llcp-hub --examples)"
  cp "$b" "$BINS/"
done
BIN=$BINS/llcp-hub
LOAD=$BINS/register_load

PORT=$(free_port)
HUB=http://127.0.0.1:$PORT
NOW=$(date +%s)

# ------------------------------------------------------------------ run facts
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
versions="$(rustc --version 2>/dev/null | cut -d' ' -f1-2 || true)"
sqlite_crate=$(awk '/^name = "libsqlite3-sys"/ {getline; gsub(/"/, "", $3); print $3}' Cargo.lock | head -1)
versions+=", libsqlite3-sys $sqlite_crate (bundled SQLite)"
if [[ " $DBS " == *" postgres "* ]]; then
  versions+=", PostgreSQL $(psql -qAtX "$PG_URL" -c 'SHOW server_version' | cut -d' ' -f1)"
fi
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n $(git status --porcelain --untracked-files=no -- src Cargo.toml Cargo.lock migrations 2>/dev/null) ]]; then
  revision+=" with uncommitted changes to src"
fi
wrk_version=$(wrk --version 2>&1 | head -1 | awk '{print $2}' || true)
record "$(python3 -c '
import json, sys
a = sys.argv[1:]
print(json.dumps({"kind": "run", "command": a[0], "started": a[1], "nproc": int(a[2]), "cpu": a[3],
  "memory": a[4], "kernel": a[5], "versions": a[6], "wrk": a[7], "revision": a[8],
  "dbs": a[9].split(), "events": [int(n) for n in a[10].split()],
  "registrations": [int(n) for n in a[11].split()], "duration": int(a[12]), "warmup": int(a[13]),
  "connections": int(a[14]), "threads": int(a[15]), "reg_clients": int(a[16]),
  "reg_seconds": int(a[17]), "rust_log": a[18]}))' \
  "$COMMAND" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" "$cpu" "$mem" "$(uname -r)" \
  "$versions" "$wrk_version" "$revision" "$DBS" "$EVENT_SIZES" "$REG_SIZES" "$DURATION" "$WARMUP" \
  "$CONNECTIONS" "$THREADS" "$REG_CLIENTS" "$REG_SECONDS" "$RUST_LOG_LEVEL")"
say "machine: $(nproc) cores, $cpu, $mem, Linux $(uname -r)"
say "plan: $DBS; events: $EVENT_SIZES; registrations (on $BASE_EVENTS events): $REG_SIZES;" \
  "wrk -t$THREADS -c$CONNECTIONS, ${WARMUP} s warm-up + $DURATION s per target"

# ------------------------------------------------------------------ one database
# prepare DB EVENTS REGS: a fresh, migrated, seeded database with an admin; sets URL and
# records the seeding time and size.
prepare() {
  local db=$1 events=$2 regs=$3 name log=$LOGS/$1.log started seconds size
  name=llcp_growth_$events
  if (( regs > 0 )); then name+=_r$regs; fi
  case $db in
    sqlite)
      URL=sqlite://$WORK/$name.db
      rm -f "$WORK/$name".db*
      ;;
    postgres)
      drop_pg "$name"
      psql -qX "$PG_URL" -c "CREATE DATABASE $name" >/dev/null
      PG_DBS+=("$name")
      URL=${PG_URL%/*}/$name
      ;;
  esac
  DATABASE_URL=$URL "$BIN" migrate >>"$log" 2>&1 || die "migrate failed (see $log)"
  printf '%s\n' "$ADMIN_PASSWORD" | DATABASE_URL=$URL "$BIN" admin create \
    --email "$ADMIN_EMAIL" --name "Bench Admin" >>"$log" 2>&1 || die "admin create failed (see $log)"
  say "$db: seeding $events events and $regs past registrations"
  started=$(date +%s.%N)
  "$ROOT/bench/seed.sh" "$db" "$URL" "$events" "$regs" "$NOW"
  seconds=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")
  if [[ $db == sqlite ]]; then
    size=$(du -cm "$WORK/$name".db* | awk 'END {print $1}')
  else
    size=$(psql -qAtX "$URL" -c "SELECT pg_database_size(current_database()) / 1048576")
  fi
  record "{\"kind\": \"seed\", \"db\": \"$db\", \"events\": $events, \"registrations\": $regs, \"seconds\": $seconds, \"size_mib\": $size}"
  say "$db: seeded in $seconds s ($size MiB)"
}

# drop DB: removes the database prepare made last (unless --keep)
drop_db() {
  (( KEEP )) && return 0
  case $1 in
    sqlite) rm -f "${URL#sqlite://}"* ;;
    postgres) drop_pg "${URL##*/}" ;;
  esac
}

start_hub() {  # start_hub DB: the cache-off hub on URL; sets HUB_PID and TOKEN
  local log=$LOGS/hub-$1.log
  (
    cd "$WORK"
    export DATABASE_URL=$URL BIND=127.0.0.1:$PORT PUBLIC_BASE_URL=$HUB PUBLIC_CACHE_TTL_MS=0
    exec "$BIN" serve
  ) >>"$log" 2>&1 &
  HUB_PID=$!
  wait_ready "$HUB/readyz" "$HUB_PID" 120 || die "the hub was not ready within 120 s (see $log)"
  TOKEN=$(python3 "$ROOT/bench/benchlib.py" token "$HUB" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
}

run_wrk() {  # run_wrk DB TARGET EVENTS PHASE SECONDS: one wrk run, its output kept
  local db=$1 target=$2 events=$3 phase=$4 seconds=$5 out args
  out=$RAW/$db-$events-$target-$phase.txt
  case $target in
    list) args=("$HUB/api/v1/events?limit=20") ;;
    miss) args=(-s "$ROOT/bench/miss.lua" "$HUB/api/v1/events?limit=20" -- "${db:0:1}${events}${phase:0:1}") ;;
    event) args=("$HUB/api/v1/events/$SLUG") ;;
    ics) args=("$HUB/api/v1/events.ics") ;;
  esac
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s --latency "${args[@]}" >"$out" 2>&1 \
    || die "wrk failed for $target: $(cat "$out")"
  grep -q 'Requests/sec' "$out" || die "wrk printed no result for $target: $(cat "$out")"
  if [[ $phase == run ]]; then
    record "{\"kind\": \"read\", \"db\": \"$db\", \"events\": $events, \"target\": \"$target\", \"wrk\": $(python3 "$ROOT/bench/benchlib.py" wrk "$out")}"
  fi
}

register() {  # register DB REGS: registration latency on the running hub
  local db=$1 regs=$2 result
  say "$db: registrations on $BASE_EVENTS events with $regs seeded: $REG_CLIENTS clients for $REG_SECONDS s"
  result=$("$LOAD" "$HUB" "$TOKEN" "$REG_CLIENTS" "$REG_SECONDS" 4 500) \
    || die "register_load failed"
  record "{\"kind\": \"register\", \"db\": \"$db\", \"events\": $BASE_EVENTS, \"registrations\": $regs, \"load\": $result}"
  say "$db: $(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print("p50 %s ms, p99 %s ms, %s/s, %s failed" % (r["p50_ms"], r["p99_ms"], r["per_second"], r["failed"]))' "$result")"
}

# ------------------------------------------------------------------ one backend
bench_db() {
  local db=$1 events regs idle verified target registered=' '
  for events in "${SIZES[@]}"; do
    idle=$(idle_percent 2)
    (( idle < 90 )) && say "WARNING: the machine is only $idle % idle: other work will disturb the figures"
    prepare "$db" "$events" 0
    start_hub "$db"
    verified=$(python3 "$ROOT/bench/benchlib.py" verify "$HUB" "$TOKEN" $((events - 19)) "$events")
    SLUG=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["slug"])' "$verified")
    say "$db, $events events: seed checked through the API; warm-up ${WARMUP} s and $DURATION s per target"
    for target in "${TARGETS[@]}"; do
      (( WARMUP > 0 )) && run_wrk "$db" "$target" "$events" warmup "$WARMUP"
      run_wrk "$db" "$target" "$events" run "$DURATION"
    done
    record "{\"kind\": \"size\", \"db\": \"$db\", \"events\": $events, \"idle_before\": $idle, \"idle_after\": $(idle_percent 1)}"
    say "$db, $events events: $(python3 "$ROOT/bench/benchlib.py" growth-line "$FACTS" "$db" "$events")"
    # The registration case without seeded registrations runs on the smallest database,
    # after its reads.
    if [[ $events == "$BASE_EVENTS" && " ${REGS[*]} " == *" 0 "* ]]; then
      register "$db" 0
      registered=' 0 '
    fi
    stop_pid "$HUB_PID"; HUB_PID=''
    drop_db "$db"
  done
  for regs in "${REGS[@]}"; do
    [[ $registered == *" $regs "* ]] && continue
    prepare "$db" "$BASE_EVENTS" "$regs"
    start_hub "$db"
    register "$db" "$regs"
    stop_pid "$HUB_PID"; HUB_PID=''
    drop_db "$db"
  done
}

for db in $DBS; do
  bench_db "$db"
done
record "{\"kind\": \"end\", \"total_seconds\": $(( $(date +%s) - RUN_STARTED )), \"build_seconds\": $BUILD_SECONDS}"
echo
python3 "$ROOT/bench/benchlib.py" growth-report "$FACTS" "$OUT/growth.md"
echo
echo "(markdown: $OUT/growth.md; raw wrk outputs and facts: $RAW)"
