# shellcheck shell=bash
# What bench/run.sh and bench/growth.sh share: option parsing, the tools they install,
# the release build, the facts about the machine, creating a seeded database, starting a
# hub and the cleanup on exit. Sourced from the repository root after
# `set -euo pipefail`, by a script that has set PREFIX (of its error messages) and that
# defines stop_servers (called on exit), RAW, WORK and LOGS, and BIN before it creates a
# database or starts a hub. Much of what is set here is read by the scripts alone:
# shellcheck disable=SC2034,SC2153
ROOT=$PWD
RUN_STARTED=$(date +%s)

# ------------------------------------------------------------------ options
# The options every benchmark has; a script adds its own to these tables before
# parse_options. FLAG_OPTIONS: option → variable set to 1. VALUE_OPTIONS: option →
# variable set to the next argument.
QUICK=0 NO_BUILD=0 KEEP=0
DBS='' DURATION='' WARMUP='' REG_SECONDS=''
declare -A FLAG_OPTIONS=([--quick]=QUICK [--no-build]=NO_BUILD [--keep]=KEEP)
declare -A VALUE_OPTIONS=([--db]=DBS [--duration]=DURATION [--warmup]=WARMUP
  [--reg-seconds]=REG_SECONDS [--connections]=CONNECTIONS [--threads]=THREADS)
need_value() { [[ $# -ge 2 && -n $2 ]] || { echo "$1 needs a value" >&2; exit 2; }; }
parse_options() {  # parse_options "$@"; -h/--help prints the script's header comment
  while [[ $# -gt 0 ]]; do
    case $1 in
      -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    esac
    if [[ -n $1 && -n ${FLAG_OPTIONS[$1]:-} ]]; then
      printf -v "${FLAG_OPTIONS[$1]}" 1
    elif [[ -n $1 && -n ${VALUE_OPTIONS[$1]:-} ]]; then
      need_value "$@"
      printf -v "${VALUE_OPTIONS[$1]}" '%s' "$2"
      shift
    else
      echo "unknown option $1 (see --help)" >&2; exit 2
    fi
    shift
  done
}
need_whole_numbers() {  # need_whole_numbers VALUE...
  local n
  for n in "$@"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
  done
}
check_dbs() {
  local db
  for db in $DBS; do
    [[ $db == sqlite || $db == postgres ]] || { echo "--db takes sqlite and/or postgres" >&2; exit 2; }
  done
}
uses_postgres() { [[ " $DBS " == *" postgres "* ]]; }

# ------------------------------------------------------------------ settings
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
RUST_LOG_LEVEL=${BENCH_RUST_LOG:-warn}
TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
OUT=$TARGET_DIR/bench
ADMIN_EMAIL=bench-admin@example.org
ADMIN_PASSWORD='bench admin passphrase 2026'
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export RUST_LOG=$RUST_LOG_LEVEL
# wrk's clients all come from 127.0.0.1, where a real rush comes from many addresses.
export RATE_LIMIT_REGISTRATIONS_PER_ADDRESS=0 RATE_LIMIT_REGISTRATIONS_PER_ADDRESS_AND_EVENT=0
export RATE_LIMIT_SIGNUPS_PER_ADDRESS=0
# The seed holds ten years of registrations with names; a deployment's retention job
# anonymises what is past RETENTION_MONTHS as it goes, but the first pass over a seeded
# history would run during the measurements. Keep it out unless asked for
# (BENCH_RETENTION_MONTHS=24 measures a hub doing that first pass).
export RETENTION_MONTHS=${BENCH_RETENTION_MONTHS:-120}

say() { printf '== %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$PREFIX" "$*" >&2; exit 1; }

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
need_tools() {  # what both benchmarks run, and a PostgreSQL that answers if --db names it
  need_tool wrk
  need_tool sqlite3
  need_tool curl
  need_tool python3
  if uses_postgres; then
    need_tool psql postgresql-client
    psql -qAtX "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1 \
      || die "PostgreSQL does not answer at $PG_URL (set PG_URL, or use --db sqlite)"
  fi
}

# ------------------------------------------------------------------ cleanup
PG_DBS=()  # the PostgreSQL databases created by this run, dropped on exit unless --keep
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
cleanup() {  # the EXIT trap, set once the tools are there
  local status=$? name
  stop_servers
  if (( ! KEEP )); then
    for name in "${PG_DBS[@]}"; do drop_pg "$name"; done
    rm -rf "$WORK"
  fi
  if (( status != 0 )); then
    echo "$PREFIX: failed (exit $status); logs in $LOGS" >&2
  fi
  return $status
}

# ------------------------------------------------------------------ helpers
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

# start_hub PID_VAR DATABASE_URL PORT LOG SECONDS [NAME=VALUE...]: BIN serving on PORT,
# its pid in the variable PID_VAR (set before the wait, so that stop_servers stops a hub
# that never got ready).
start_hub() {
  local var=$1 url=$2 port=$3 log=$4 seconds=$5 pid
  shift 5
  (
    cd "$WORK" || exit
    # Links in responses name the main hub (HUB), so that all hubs send the same bytes.
    export DATABASE_URL=$url BIND=127.0.0.1:$port PUBLIC_BASE_URL=$HUB
    exec env "$@" "$BIN" serve
  ) >>"$log" 2>&1 &
  pid=$!
  printf -v "$var" '%s' "$pid"
  wait_ready "http://127.0.0.1:$port/readyz" "$pid" "$seconds" \
    || die "the hub was not ready within $seconds s (see $log)"
}

# ------------------------------------------------------------------ build
fresh_dirs() {  # fresh_dirs DIR...: emptied for this run (OUT keeps the other results)
  mkdir -p "$OUT"
  rm -rf "$@"
  mkdir -p "$@"
}

BUILD_SECONDS=0
build_release() {  # build_release MESSAGE CARGO_BUILD_ARGS...: unless --no-build
  if (( ! NO_BUILD )); then
    say "$1"
    shift
    cargo build --release --locked --quiet "$@"
    BUILD_SECONDS=$(( $(date +%s) - RUN_STARTED ))
  fi
}

# ------------------------------------------------------------------ run facts
machine_facts() {  # sets cpu, mem, versions, revision and wrk_version
  local sqlite_crate
  cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
  versions="$(rustc --version 2>/dev/null | cut -d' ' -f1-2 || true)"
  sqlite_crate=$(awk '/^name = "libsqlite3-sys"/ {getline; gsub(/"/, "", $3); print $3}' Cargo.lock | head -1)
  versions+=", libsqlite3-sys $sqlite_crate (bundled SQLite)"
  if uses_postgres; then
    versions+=", PostgreSQL $(psql -qAtX "$PG_URL" -c 'SHOW server_version' | cut -d' ' -f1)"
  fi
  revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [[ -n $(git status --porcelain --untracked-files=no -- src Cargo.toml Cargo.lock migrations 2>/dev/null) ]]; then
    revision+=" with uncommitted changes to src"
  fi
  wrk_version=$(wrk --version 2>&1 | head -1 | awk '{print $2}' || true)
}

# ------------------------------------------------------------------ one database
# create_db DB NAME LOG EVENTS PAST_REGISTRATIONS: a fresh database (SQLite:
# $WORK/NAME.db; PostgreSQL: NAME beside PG_URL), migrated, with the bench admin and
# seeded by bench/seed.sh as of NOW; sets URL, SEED_SECONDS and SEED_MIB.
create_db() {
  local db=$1 name=$2 log=$3 events=$4 regs=$5 started
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
  SEED_SECONDS=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")
  if [[ $db == sqlite ]]; then
    SEED_MIB=$(du -cm "$WORK/$name".db* | awk 'END {print $1}')
  else
    SEED_MIB=$(psql -qAtX "$URL" -c "SELECT pg_database_size(current_database()) / 1048576")
  fi
  say "$db: seeded in $SEED_SECONDS s ($SEED_MIB MiB)"
}
