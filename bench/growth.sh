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
COMMAND="bench/growth.sh${*:+ $*}"
PREFIX=growth
# shellcheck source-path=SCRIPTDIR/..
source bench/lib.sh

EVENT_SIZES='' REG_SIZES='' CONNECTIONS=4 THREADS=1 REG_CLIENTS=8
VALUE_OPTIONS+=([--events]=EVENT_SIZES [--registrations]=REG_SIZES [--reg-clients]=REG_CLIENTS)
parse_options "$@"
if (( QUICK )); then
  : "${DBS:=sqlite}" "${EVENT_SIZES:=1000 100000}" "${DURATION:=3}" "${WARMUP:=1}" "${REG_SECONDS:=3}"
else
  : "${DBS:=sqlite postgres}" "${EVENT_SIZES:=1000 100000 1000000}" "${DURATION:=5}" "${WARMUP:=2}"
  : "${REG_SECONDS:=5}"
fi
: "${REG_SIZES:=0 1000000}"
# shellcheck disable=SC2086  # the lists, one count a word
need_whole_numbers $EVENT_SIZES $REG_SIZES "$DURATION" "$WARMUP" "$CONNECTIONS" "$THREADS" \
  "$REG_CLIENTS" "$REG_SECONDS"
for n in $EVENT_SIZES; do
  (( n >= 100 )) || { echo "--events: every count must be at least 100" >&2; exit 2; }
done
[[ -n ${EVENT_SIZES// /} ]] || { echo "--events needs at least one count" >&2; exit 2; }
(( DURATION >= 1 && CONNECTIONS >= 1 && THREADS >= 1 && THREADS <= CONNECTIONS && REG_CLIENTS >= 1 )) \
  || { echo "need --duration ≥ 1 and 1 ≤ --threads ≤ --connections, --reg-clients ≥ 1" >&2; exit 2; }
check_dbs
read -r -a SIZES <<<"$EVENT_SIZES"
read -r -a REGS <<<"$REG_SIZES"
BASE_EVENTS=${SIZES[0]}

TARGETS=(list miss event ics)
GROWTH=$OUT/growth
RAW=$GROWTH/raw
WORK=$GROWTH/work
LOGS=$GROWTH/logs
BINS=$GROWTH/bin
FACTS=$RAW/growth.jsonl

need_tools

# ------------------------------------------------------------------ state and cleanup
HUB_PID=''
stop_servers() { stop_pid "$HUB_PID"; HUB_PID=''; }
trap cleanup EXIT
trap 'exit 130' INT TERM

record() {  # record JSON: one line of the run's facts
  printf '%s\n' "$1" >>"$FACTS"
}

# ------------------------------------------------------------------ build
fresh_dirs "$RAW" "$WORK" "$LOGS" "$BINS"
build_release "cargo build --release --bin llcp-hub --examples" --bin llcp-hub --examples
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
machine_facts
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
  local db=$1 events=$2 regs=$3 name log=$LOGS/$1.log
  name=llcp_growth_$events
  if (( regs > 0 )); then name+=_r$regs; fi
  create_db "$db" "$name" "$log" "$events" "$regs"
  record "{\"kind\": \"seed\", \"db\": \"$db\", \"events\": $events, \"registrations\": $regs, \"seconds\": $SEED_SECONDS, \"size_mib\": $SEED_MIB}"
}

# drop DB: removes the database prepare made last (unless --keep)
drop_db() {
  (( KEEP )) && return 0
  case $1 in
    sqlite) rm -f "${URL#sqlite://}"* ;;
    postgres) drop_pg "${URL##*/}" ;;
  esac
}

serve() {  # serve DB: the cache-off hub on URL; sets HUB_PID and TOKEN
  start_hub HUB_PID "$URL" "$PORT" "$LOGS/hub-$1.log" 120 PUBLIC_CACHE_TTL_MS=0
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
    serve "$db"
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
    serve "$db"
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
