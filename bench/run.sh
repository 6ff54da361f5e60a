#!/usr/bin/env bash
# The llcp-hub benchmarks: builds in release mode, seeds a database per backend, and
# measures with wrk from a second process, alternating the targets round by round:
#
#   ceiling   bench_ceiling: the listing's exact bytes and headers served from memory
#   list      GET /api/v1/events?limit=20
#   list304   the same with If-None-Match: the listing's ETag (304)
#   event     GET /api/v1/events/{slug}
#   ics       GET /api/v1/events.ics
#   miss      the listing with a distinct q on every request (bench/miss.lua)
#   list-nc   GET /api/v1/events?limit=20 from a second hub on the same database with
#             its response cache off (PUBLIC_CACHE_TTL_MS=0): every answer from the database
#   event-nc  GET /api/v1/events/{slug} from that hub
#
# then the hub's memory (VmRSS/VmHWM) under that load, start-up-to-ready time on the
# existing database, registrations per second under 32 concurrent clients with an
# overbooking check, and the database's durable one-row commits per second.
# Prints a table of medians, min-max and ratios to the ceiling, and writes it as
# markdown to target/bench/results.md (raw wrk outputs and facts in target/bench/raw).
#
# Usage: bench/run.sh [--quick] [--scale] [options]
#   --quick            SQLite only, 2,000 events, 2 rounds of 3 s: about 85 s
#   --scale            seed 1,000,000 registrations on past events as well
#   --db LIST          sqlite, postgres or "sqlite postgres" (default both; quick: sqlite)
#   --rounds N         rounds per target (default 3)
#   --duration S       seconds per wrk run (default 10)
#   --warmup S         seconds of warm-up per target before the rounds (default 2)
#   --events N         events to seed (default 10000)
#   --registrations N  registrations on past events (default 0; 1000000 with --scale)
#   --reg-seconds S    seconds of registration load (default 20)
#   --commit-seconds S seconds of the durable-commit baseline (default 10)
#   --startups N       start-up samples (default 5)
#   --connections N    wrk connections and registration clients (default 32)
#   --threads N        wrk threads (default 2)
#   --no-build         use the binaries already built
#   --keep             keep the databases (target/bench/work; PostgreSQL: llcp_bench)
# Environment: PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, trust auth;
# the throwaway database llcp_bench is created and dropped beside it), BENCH_RUST_LOG
# (the hub's RUST_LOG, default warn), BENCH_POOL_SIZE (DATABASE_POOL_SIZE, default the
# hub's own default, 10), BENCH_RETENTION_MONTHS (the hub's RETENTION_MONTHS, default 120,
# so that the retention job leaves the seeded history alone), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMMAND="bench/run.sh${*:+ $*}"
RUN_STARTED=$(date +%s)

QUICK=0 SCALE=0 BUILD=1 KEEP=0
DBS='' ROUNDS='' DURATION='' WARMUP='' EVENTS='' PAST_REGS='' REG_SECONDS=''
COMMIT_SECONDS='' STARTUPS='' CONNECTIONS=32 THREADS=2
need_value() { [[ $# -ge 2 && -n $2 ]] || { echo "$1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --scale) SCALE=1 ;;
    --db) need_value "$@"; DBS=$2; shift ;;
    --rounds) need_value "$@"; ROUNDS=$2; shift ;;
    --duration) need_value "$@"; DURATION=$2; shift ;;
    --warmup) need_value "$@"; WARMUP=$2; shift ;;
    --events) need_value "$@"; EVENTS=$2; shift ;;
    --registrations) need_value "$@"; PAST_REGS=$2; shift ;;
    --reg-seconds) need_value "$@"; REG_SECONDS=$2; shift ;;
    --commit-seconds) need_value "$@"; COMMIT_SECONDS=$2; shift ;;
    --startups) need_value "$@"; STARTUPS=$2; shift ;;
    --connections) need_value "$@"; CONNECTIONS=$2; shift ;;
    --threads) need_value "$@"; THREADS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if (( QUICK )); then
  : "${DBS:=sqlite}" "${ROUNDS:=2}" "${DURATION:=3}" "${WARMUP:=1}" "${EVENTS:=2000}"
  : "${REG_SECONDS:=5}" "${COMMIT_SECONDS:=3}" "${STARTUPS:=3}"
else
  : "${DBS:=sqlite postgres}" "${ROUNDS:=3}" "${DURATION:=10}" "${WARMUP:=2}" "${EVENTS:=10000}"
  : "${REG_SECONDS:=20}" "${COMMIT_SECONDS:=10}" "${STARTUPS:=5}"
fi
if (( SCALE )); then : "${PAST_REGS:=1000000}"; else : "${PAST_REGS:=0}"; fi
for n in "$ROUNDS" "$DURATION" "$WARMUP" "$EVENTS" "$PAST_REGS" "$REG_SECONDS" \
         "$COMMIT_SECONDS" "$STARTUPS" "$CONNECTIONS" "$THREADS"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done
(( ROUNDS >= 1 && DURATION >= 1 && EVENTS >= 100 && STARTUPS >= 1 )) \
  || { echo "need --rounds ≥ 1, --duration ≥ 1, --events ≥ 100, --startups ≥ 1" >&2; exit 2; }
for db in $DBS; do
  [[ $db == sqlite || $db == postgres ]] || { echo "--db takes sqlite and/or postgres" >&2; exit 2; }
done

TARGETS=(ceiling list list304 event ics miss list-nc event-nc)
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BENCH_DB=llcp_bench
RUST_LOG_LEVEL=${BENCH_RUST_LOG:-warn}
TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
OUT=$TARGET_DIR/bench
RAW=$OUT/raw
WORK=$OUT/work
LOGS=$OUT/logs
BIN=$TARGET_DIR/release/llcp-hub
CEILING=$TARGET_DIR/release/examples/bench_ceiling
COMMITS=$TARGET_DIR/release/examples/bench_commits
LOAD=$TARGET_DIR/release/examples/register_load
ADMIN_EMAIL=bench-admin@example.org
ADMIN_PASSWORD='bench admin passphrase 2026'
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export RUST_LOG=$RUST_LOG_LEVEL
# The seed holds ten years of registrations with names; a deployment's retention job
# anonymises what is past RETENTION_MONTHS as it goes, but the first pass over a seeded
# history would run during the measurements. Keep it out unless asked for
# (BENCH_RETENTION_MONTHS=24 measures a hub doing that first pass).
export RETENTION_MONTHS=${BENCH_RETENTION_MONTHS:-120}
if [[ -n ${BENCH_POOL_SIZE:-} ]]; then export DATABASE_POOL_SIZE=$BENCH_POOL_SIZE; fi
POOL_SIZE=${DATABASE_POOL_SIZE:-10}

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

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
[[ " $DBS " == *" postgres "* ]] && need_tool psql postgresql-client
if [[ " $DBS " == *" postgres "* ]]; then
  psql -qAtX "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1 \
    || die "PostgreSQL does not answer at $PG_URL (set PG_URL, or use --db sqlite)"
fi

# ------------------------------------------------------------------ state and cleanup
HUB_PID='' NOCACHE_PID='' CEILING_PID='' PG_CREATED=0
PHASES=()
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
drop_pg() {
  psql -qX "$PG_URL" -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
cleanup() {
  local status=$?
  stop_pid "$CEILING_PID"; CEILING_PID=''
  stop_pid "$NOCACHE_PID"; NOCACHE_PID=''
  stop_pid "$HUB_PID"; HUB_PID=''
  if (( PG_CREATED && ! KEEP )); then drop_pg; fi
  if (( ! KEEP )); then rm -rf "$WORK"; fi
  if (( status != 0 )); then
    echo "bench: failed (exit $status); logs in $LOGS" >&2
  fi
  return $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

phase_name='' phase_started=0
phase() {  # phase [NAME]: ends the current phase (if any) and starts NAME (if given)
  local now tenths
  now=$(date +%s%N)
  if [[ -n $phase_name ]]; then
    tenths=$(( (now - phase_started) / 100000000 ))
    PHASES+=("$(printf '["%s", %d.%d]' "$phase_name" $((tenths / 10)) $((tenths % 10)))")
  fi
  phase_name=${1:-} phase_started=$now
}

fact() {  # fact DB KEY JSON
  printf '{"db": "%s", "key": "%s", "value": %s}\n' "$1" "$2" "$3" >>"$RAW/facts.jsonl"
}

idle_percent() {  # idle_percent SECONDS: the machine's idle CPU share over that time
  local _ u n sy i w x y z t1 i1
  read -r _ u n sy i w x y z _ </proc/stat
  t1=$((u + n + sy + i + w + x + y + z)) i1=$((i + w))
  sleep "$1"
  read -r _ u n sy i w x y z _ </proc/stat
  echo $(( 100 * (i + w - i1) / (u + n + sy + i + w + x + y + z - t1 + 1) ))
}

# Other work on the machine skews every figure: note how idle it was before each
# backend (and warn), so that a disturbed run can be told from a clean one.
check_idle() {  # check_idle LABEL [SECONDS]
  local idle
  idle=$(idle_percent "${2:-2}")
  fact "$1" idle_before "$idle"
  if (( idle < 90 )); then
    say "WARNING: the machine was only $idle % idle before $1: other work will disturb the figures"
    say "$(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | tr -s ' ' | paste -sd ',')"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

proc_kb() {  # proc_kb PID FIELD: VmRSS or VmHWM in kB, 0 if gone
  local key value _
  if [[ -r /proc/$1/status ]]; then
    while read -r key value _; do
      if [[ $key == "$2:" ]]; then echo "$value"; return; fi
    done </proc/"$1"/status
  fi
  echo 0
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

start_hub() {  # start_hub DATABASE_URL PORT LOG [NAME=VALUE...]: sets STARTED_PID
  local url=$1 port=$2 log=$3
  shift 3
  (
    cd "$WORK"
    # Links in responses name the main hub, so that both hubs send the same bytes.
    export DATABASE_URL=$url BIND=127.0.0.1:$port PUBLIC_BASE_URL=$HUB
    exec env "$@" "$BIN" serve
  ) >>"$log" 2>&1 &
  STARTED_PID=$!
  wait_ready "http://127.0.0.1:$port/readyz" "$STARTED_PID" 60 \
    || die "the hub was not ready within 60 s (see $log)"
}

# ------------------------------------------------------------------ build
mkdir -p "$OUT"
rm -rf "$RAW" "$WORK" "$LOGS"
mkdir -p "$RAW" "$WORK" "$LOGS"
phase build
if (( BUILD )); then
  say "cargo build --release (llcp-hub, bench_ceiling, bench_commits, register_load)"
  cargo build --release --locked --quiet --bin llcp-hub \
    --example bench_ceiling --example bench_commits --example register_load
fi
for b in "$BIN" "$CEILING" "$COMMITS" "$LOAD"; do [[ -x $b ]] || die "$b is missing (build it)"; done

HUB_PORT=$(free_port)
NOCACHE_PORT=$(free_port)
CEILING_PORT=$(free_port)
HUB=http://127.0.0.1:$HUB_PORT
NOCACHE=http://127.0.0.1:$NOCACHE_PORT
CEILING_URL=http://127.0.0.1:$CEILING_PORT
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
fact - machine "$(python3 -c 'import json, sys; print(json.dumps(dict(zip(["nproc", "cpu", "memory", "kernel", "versions", "wrk"], sys.argv[1:]))))' \
  "$(nproc)" "$cpu" "$mem" "$(uname -r)" "$versions" "$wrk_version")"
fact - config "$(python3 -c 'import json, sys; a = sys.argv[1:]; print(json.dumps({"command": a[0], "started": a[1], "rounds": int(a[2]), "duration": int(a[3]), "warmup": int(a[4]), "events": int(a[5]), "past_registrations": int(a[6]), "reg_seconds": int(a[7]), "connections": int(a[8]), "threads": int(a[9]), "rust_log": a[10], "pool_size": a[11], "dbs": a[12], "revision": a[13], "cache_ttl_ms": a[14]}))' \
  "$COMMAND" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$ROUNDS" "$DURATION" "$WARMUP" "$EVENTS" "$PAST_REGS" \
  "$REG_SECONDS" "$CONNECTIONS" "$THREADS" "$RUST_LOG_LEVEL" "$POOL_SIZE" "$DBS" "$revision" "${PUBLIC_CACHE_TTL_MS:-default (900)}")"
say "machine: $(nproc) cores, $cpu, $mem, Linux $(uname -r)"
say "plan: $DBS; $EVENTS events, $PAST_REGS past registrations; $ROUNDS rounds × ${#TARGETS[@]} targets × $DURATION s; wrk -t$THREADS -c$CONNECTIONS"

# ------------------------------------------------------------------ one wrk run
# run_wrk DB TARGET ROUND SECONDS PID_TO_SAMPLE OUTFILE: wrk with WRK_ARGS; samples the
# PID's VmRSS every half second while wrk runs.
run_wrk() {
  local db=$1 target=$2 round=$3 seconds=$4 pid=$5 out=$6 wrk_pid max=0 kb
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s --latency "${WRK_ARGS[@]}" >"$out" 2>&1 &
  wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    kb=$(proc_kb "$pid" VmRSS)
    (( kb > max )) && max=$kb
    sleep 0.5
  done
  wait "$wrk_pid" || die "wrk failed for $target: $(cat "$out")"
  grep -q 'Requests/sec' "$out" || die "wrk printed no result for $target: $(cat "$out")"
  if [[ $round != warmup ]]; then
    printf '%s %s %s\n' "$target" "$round" "$max" >>"$RAW/$db/rss.tsv"
  fi
}

set_target() {  # set_target TARGET TAG: sets WRK_ARGS and SAMPLE_PID
  SAMPLE_PID=$HUB_PID
  case $1 in
    ceiling) WRK_ARGS=("$CEILING_URL/api/v1/events?limit=20"); SAMPLE_PID=$CEILING_PID ;;
    list) WRK_ARGS=("$HUB/api/v1/events?limit=20") ;;
    list304) WRK_ARGS=(-H "If-None-Match: $ETAG" "$HUB/api/v1/events?limit=20") ;;
    event) WRK_ARGS=("$HUB/api/v1/events/$SLUG") ;;
    ics) WRK_ARGS=("$HUB/api/v1/events.ics") ;;
    miss) WRK_ARGS=(-s "$ROOT/bench/miss.lua" "$HUB/api/v1/events?limit=20" -- "$2") ;;
    list-nc) WRK_ARGS=("$NOCACHE/api/v1/events?limit=20"); SAMPLE_PID=$NOCACHE_PID ;;
    event-nc) WRK_ARGS=("$NOCACHE/api/v1/events/$SLUG"); SAMPLE_PID=$NOCACHE_PID ;;
  esac
}

# ------------------------------------------------------------------ one backend
bench_db() {
  local db=$1 url log=$LOGS/hub-$1.log raw=$RAW/$1 started seconds size
  mkdir -p "$raw"
  check_idle "$db"
  phase "$db: create, migrate, seed"
  case $db in
    sqlite)
      url=sqlite://$WORK/hub.db
      rm -f "$WORK"/hub.db*
      ;;
    postgres)
      drop_pg
      psql -qX "$PG_URL" -c "CREATE DATABASE $PG_BENCH_DB" >/dev/null
      PG_CREATED=1
      url=${PG_URL%/*}/$PG_BENCH_DB
      ;;
  esac
  DATABASE_URL=$url "$BIN" migrate >>"$log" 2>&1 || die "migrate failed (see $log)"
  printf '%s\n' "$ADMIN_PASSWORD" | DATABASE_URL=$url "$BIN" admin create \
    --email "$ADMIN_EMAIL" --name "Bench Admin" >>"$log" 2>&1 || die "admin create failed (see $log)"
  say "$db: seeding $EVENTS events and $PAST_REGS past registrations"
  started=$(date +%s.%N)
  "$ROOT/bench/seed.sh" "$db" "$url" "$EVENTS" "$PAST_REGS" "$NOW"
  seconds=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")
  if [[ $db == sqlite ]]; then
    size=$(du -cm "$WORK"/hub.db* | awk 'END {print $1}')
  else
    size=$(psql -qAtX "$url" -c "SELECT pg_database_size(current_database()) / 1048576")
  fi
  fact "$db" seed "{\"seconds\": $seconds, \"size_mib\": $size}"
  say "$db: seeded in $seconds s ($size MiB)"

  phase "$db: start-up"
  say "$db: start-up to ready, $STARTUPS times"
  fact "$db" startup "$(python3 "$ROOT/bench/benchlib.py" startup "$BIN" "$url" "$HUB_PORT" "$STARTUPS" "$WORK" "$log")"

  phase "$db: reads"
  start_hub "$url" "$HUB_PORT" "$log"
  HUB_PID=$STARTED_PID
  sleep 1
  fact "$db" rss_idle_kb "$(proc_kb "$HUB_PID" VmRSS)"
  local token verified
  token=$(python3 "$ROOT/bench/benchlib.py" token "$HUB" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
  verified=$(python3 "$ROOT/bench/benchlib.py" verify "$HUB" "$token" $((EVENTS - 19)) "$EVENTS")
  fact "$db" verify "$verified"
  SLUG=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["slug"])' "$verified")
  ETAG=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["etag"])' "$verified")
  say "$db: seeded data checked through the API (listing, 304, event, calendar, search, admin counts)"

  "$CEILING" "$HUB" "127.0.0.1:$CEILING_PORT" '/api/v1/events?limit=20' >>"$LOGS/ceiling-$db.log" 2>&1 &
  CEILING_PID=$!
  wait_ready "$CEILING_URL/api/v1/events?limit=20" "$CEILING_PID" 30 \
    || die "the ceiling did not start (see $LOGS/ceiling-$db.log)"
  start_hub "$url" "$NOCACHE_PORT" "$LOGS/hub-nocache-$db.log" PUBLIC_CACHE_TTL_MS=0
  NOCACHE_PID=$STARTED_PID
  cmp -s <(curl -s "$CEILING_URL/api/v1/events?limit=20") <(curl -s "$HUB/api/v1/events?limit=20") \
    || die "the ceiling's body differs from the hub's listing"
  cmp -s <(curl -s "$NOCACHE/api/v1/events?limit=20") <(curl -s "$HUB/api/v1/events?limit=20") \
    || die "the cache-off hub's listing differs from the hub's"

  local target round
  if (( WARMUP > 0 )); then
    say "$db: warm-up, $WARMUP s per target"
    for target in "${TARGETS[@]}"; do
      set_target "$target" "${db}w"
      run_wrk "$db" "$target" warmup "$WARMUP" "$SAMPLE_PID" "$raw/warmup-$target.txt"
    done
  fi
  for ((round = 1; round <= ROUNDS; round++)); do
    say "$db: round $round of $ROUNDS (${#TARGETS[@]} targets × $DURATION s)"
    for target in "${TARGETS[@]}"; do
      set_target "$target" "${db}r$round"
      run_wrk "$db" "$target" "$round" "$DURATION" "$SAMPLE_PID" "$raw/wrk-${target}-r$round.txt"
    done
    check_idle "$db after round $round" 1
  done
  fact "$db" hwm_listing_kb "$(proc_kb "$HUB_PID" VmHWM)"
  stop_pid "$CEILING_PID"; CEILING_PID=''
  stop_pid "$NOCACHE_PID"; NOCACHE_PID=''

  phase "$db: registrations"
  say "$db: registrations, $CONNECTIONS clients for $REG_SECONDS s"
  token=$(python3 "$ROOT/bench/benchlib.py" token "$HUB" "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
  local reg
  reg=$("$LOAD" "$HUB" "$token" "$CONNECTIONS" "$REG_SECONDS" 4 500)
  fact "$db" registrations "$reg"
  fact "$db" hwm_registrations_kb "$(proc_kb "$HUB_PID" VmHWM)"
  stop_pid "$HUB_PID"; HUB_PID=''
  local check_sql="SELECT
      (SELECT COUNT(*) FROM events e WHERE e.capacity IS NOT NULL AND e.capacity <
        (SELECT COUNT(*) FROM registrations r WHERE r.event_id = e.id AND r.status = 'confirmed')),
      (SELECT COUNT(*) FROM events e WHERE e.seats_taken <>
        (SELECT COUNT(*) FROM registrations r WHERE r.event_id = e.id AND r.status = 'confirmed'))"
  local checked
  if [[ $db == sqlite ]]; then
    checked=$(sqlite3 -separator ' ' "$WORK/hub.db" "$check_sql")
  else
    checked=$(psql -qAtX -F ' ' "$url" -c "$check_sql")
  fi
  fact "$db" db_check "{\"overbooked\": ${checked% *}, \"seat_mismatches\": ${checked#* }}"
  say "$db: $(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print("%s registrations/s, %s failed" % (r["per_second"], r["failed"]))' "$reg"); overbooked events (all, in the database): ${checked% *}"

  phase "$db: durable commits"
  say "$db: durable-commit baseline, $COMMIT_SECONDS s"
  if [[ $db == sqlite ]]; then
    fact "$db" commits "$("$COMMITS" "sqlite://$WORK/commits.db" "$COMMIT_SECONDS" 1)"
  else
    fact "$db" commits "$("$COMMITS" "$url" "$COMMIT_SECONDS" 1)"
    fact "$db" commits4 "$("$COMMITS" "$url" "$COMMIT_SECONDS" 4)"
    if (( ! KEEP )); then drop_pg; PG_CREATED=0; fi
  fi
}

for db in $DBS; do
  bench_db "$db"
done
check_idle end
phase
PHASES_JSON="[$(IFS=,; echo "${PHASES[*]}")]"
fact - phases "$PHASES_JSON"
fact - total_seconds "$(( $(date +%s) - RUN_STARTED ))"
echo
python3 "$ROOT/bench/benchlib.py" report "$OUT"
echo
echo "(markdown: $OUT/results.md; raw wrk outputs: $RAW)"
