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
COMMAND="bench/run.sh${*:+ $*}"
PREFIX=bench
# shellcheck source-path=SCRIPTDIR/..
source bench/lib.sh

SCALE=0
ROUNDS='' EVENTS='' PAST_REGS='' COMMIT_SECONDS='' STARTUPS='' CONNECTIONS=32 THREADS=2
FLAG_OPTIONS+=([--scale]=SCALE)
VALUE_OPTIONS+=([--rounds]=ROUNDS [--events]=EVENTS [--registrations]=PAST_REGS
  [--commit-seconds]=COMMIT_SECONDS [--startups]=STARTUPS)
parse_options "$@"
if (( QUICK )); then
  : "${DBS:=sqlite}" "${ROUNDS:=2}" "${DURATION:=3}" "${WARMUP:=1}" "${EVENTS:=2000}"
  : "${REG_SECONDS:=5}" "${COMMIT_SECONDS:=3}" "${STARTUPS:=3}"
else
  : "${DBS:=sqlite postgres}" "${ROUNDS:=3}" "${DURATION:=10}" "${WARMUP:=2}" "${EVENTS:=10000}"
  : "${REG_SECONDS:=20}" "${COMMIT_SECONDS:=10}" "${STARTUPS:=5}"
fi
if (( SCALE )); then : "${PAST_REGS:=1000000}"; else : "${PAST_REGS:=0}"; fi
need_whole_numbers "$ROUNDS" "$DURATION" "$WARMUP" "$EVENTS" "$PAST_REGS" "$REG_SECONDS" \
  "$COMMIT_SECONDS" "$STARTUPS" "$CONNECTIONS" "$THREADS"
(( ROUNDS >= 1 && DURATION >= 1 && EVENTS >= 100 && STARTUPS >= 1 )) \
  || { echo "need --rounds ≥ 1, --duration ≥ 1, --events ≥ 100, --startups ≥ 1" >&2; exit 2; }
check_dbs

TARGETS=(ceiling list list304 event ics miss list-nc event-nc)
PG_BENCH_DB=llcp_bench
RAW=$OUT/raw
WORK=$OUT/work
LOGS=$OUT/logs
BIN=$TARGET_DIR/release/llcp-hub
CEILING=$TARGET_DIR/release/examples/bench_ceiling
COMMITS=$TARGET_DIR/release/examples/bench_commits
LOAD=$TARGET_DIR/release/examples/register_load
if [[ -n ${BENCH_POOL_SIZE:-} ]]; then export DATABASE_POOL_SIZE=$BENCH_POOL_SIZE; fi
POOL_SIZE=${DATABASE_POOL_SIZE:-10}

need_tools

# ------------------------------------------------------------------ state and cleanup
HUB_PID='' NOCACHE_PID='' CEILING_PID=''
PHASES=()
stop_servers() {
  stop_pid "$CEILING_PID"; CEILING_PID=''
  stop_pid "$NOCACHE_PID"; NOCACHE_PID=''
  stop_pid "$HUB_PID"; HUB_PID=''
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

proc_kb() {  # proc_kb PID FIELD: VmRSS or VmHWM in kB, 0 if gone
  local key value _
  if [[ -r /proc/$1/status ]]; then
    while read -r key value _; do
      if [[ $key == "$2:" ]]; then echo "$value"; return; fi
    done </proc/"$1"/status
  fi
  echo 0
}

# ------------------------------------------------------------------ build
fresh_dirs "$RAW" "$WORK" "$LOGS"
phase build
build_release "cargo build --release (llcp-hub, bench_ceiling, bench_commits, register_load)" \
  --bin llcp-hub --example bench_ceiling --example bench_commits --example register_load
for b in "$BIN" "$CEILING" "$COMMITS" "$LOAD"; do [[ -x $b ]] || die "$b is missing (build it)"; done

HUB_PORT=$(free_port)
NOCACHE_PORT=$(free_port)
CEILING_PORT=$(free_port)
HUB=http://127.0.0.1:$HUB_PORT
NOCACHE=http://127.0.0.1:$NOCACHE_PORT
CEILING_URL=http://127.0.0.1:$CEILING_PORT
NOW=$(date +%s)

# ------------------------------------------------------------------ run facts
machine_facts
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
  local db=$1 name url log=$LOGS/hub-$1.log raw=$RAW/$1
  mkdir -p "$raw"
  check_idle "$db"
  phase "$db: create, migrate, seed"
  if [[ $db == sqlite ]]; then name=hub; else name=$PG_BENCH_DB; fi
  create_db "$db" "$name" "$log" "$EVENTS" "$PAST_REGS"
  url=$URL
  fact "$db" seed "{\"seconds\": $SEED_SECONDS, \"size_mib\": $SEED_MIB}"

  phase "$db: start-up"
  say "$db: start-up to ready, $STARTUPS times"
  fact "$db" startup "$(python3 "$ROOT/bench/benchlib.py" startup "$BIN" "$url" "$HUB_PORT" "$STARTUPS" "$WORK" "$log")"

  phase "$db: reads"
  start_hub HUB_PID "$url" "$HUB_PORT" "$log" 60
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
  start_hub NOCACHE_PID "$url" "$NOCACHE_PORT" "$LOGS/hub-nocache-$db.log" 60 PUBLIC_CACHE_TTL_MS=0
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
    if (( ! KEEP )); then drop_pg "$PG_BENCH_DB"; PG_DBS=(); fi
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
