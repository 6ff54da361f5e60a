#!/usr/bin/env bash
# The SQL templates pass timestamp expressions through printf formats on purpose:
# shellcheck disable=SC2059

# Seeds a migrated llcp-hub database directly with SQL, for the benchmarks.
#
#   bench/seed.sh sqlite   /abs/path/hub.db            EVENTS PAST_REGISTRATIONS NOW_EPOCH
#   bench/seed.sh postgres postgres://user@host/dbname EVENTS PAST_REGISTRATIONS NOW_EPOCH
#
# The database must exist and be migrated (`llcp-hub migrate`) and hold no events.
# Both backends get the same rows (same ids, slugs, times and texts), written the way
# src/repo/events.rs and src/repo/registrations.rs write them:
#
#   * EVENTS events over ten years around NOW_EPOCH: the last 20 ids are upcoming and
#     published (7 to 178 days ahead: exactly what the default listing returns), 5 % are
#     future drafts (the next year, never published), and the rest lie in the past nine
#     years: every 13th a draft, every 31st published then cancelled, the others
#     published 30 days before they start.
#   * Times are UTC without offset ('YYYY-MM-DD HH:MM:SS', diesel's text form on SQLite),
#     whole seconds; timezone Europe/London; audience and speakers JSON arrays as
#     serde_json writes them; search_text = lower(title \n summary \n description).
#   * Registrations: 5 to 44 on each upcoming event, and PAST_REGISTRATIONS spread evenly
#     over the past published events that take registrations. Every 10th (by arrival
#     order) is cancelled (active_email NULL); of the active ones the first `capacity`
#     are confirmed and the rest waitlisted, as the service leaves them after promoting
#     from the waiting list; seats_taken is then set to the confirmed count.
#   * ids: registration ids are UUID-shaped ('%08x-0000-4000-8000-%012x' of event id and
#     seq); manage_token_hash is 64 hex digits that no token hashes to (seeded
#     registrations cannot be managed through the API).
#
# Not seeded: notifications, accounts (the harness creates its admin), bulletins.
set -euo pipefail

if [[ $# -ne 5 ]]; then
  grep '^#   bench/seed.sh' "$0" >&2
  exit 2
fi
BACKEND=$1 TARGET=$2 EVENTS=$3 PAST_REGS=$4 NOW=$5
UPCOMING=20
if (( EVENTS < 100 )); then echo "EVENTS must be at least 100" >&2; exit 2; fi
NFD=$(( EVENTS / 20 ))                 # future drafts
NPAST=$(( EVENTS - UPCOMING - NFD ))   # past events
NOWDAY=$(( NOW / 86400 * 86400 ))
T0=$(( NOW - 9 * 365 * 86400 ))        # the first past event, nine years back
SPAN=$(( 9 * 365 * 86400 - 2 * 86400 )) # ... up to two days ago

DESCRIPTION="The aims are to share learning and to start to define common products, tools and templates which can be owned and developed by boroughs in greater detail and shared with other boroughs. Material from the session is posted on the Community of Practice website afterwards, and the programme team follows up with every borough that took part."

# Lookup tables shared by both dialects (plain VALUES lists).
lookup_tables() {
  cat <<SQL
CREATE TEMP TABLE kinds (i INTEGER PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL);
INSERT INTO kinds VALUES
  (0, 'workshop', 'Workshop'), (1, 'seminar', 'Seminar'), (2, 'conference', 'Conference'),
  (3, 'masterclass', 'Masterclass'), (4, 'meeting', 'Meeting');
CREATE TEMP TABLE topics (i INTEGER PRIMARY KEY, title TEXT NOT NULL, slug TEXT NOT NULL, summary TEXT NOT NULL);
INSERT INTO topics VALUES
  (0, 'Service specifications for external provision', 'service-specifications', 'Sharing learning on specifying library services for external provision.'),
  (1, 'Community management and social enterprise', 'community-management', 'How community-managed libraries and social enterprises can run local services.'),
  (2, 'Community engagement and consultation', 'community-engagement', 'Engaging residents and library users before services change.'),
  (3, 'Shared services across boroughs', 'shared-services', 'Lessons from boroughs that share management, stock and back-office services.'),
  (4, 'Digital inclusion in libraries', 'digital-inclusion', 'Helping residents get online, from public computers to assisted digital support.'),
  (5, 'Stock procurement and supply', 'stock-procurement', 'Joint procurement of books and other stock, and what the consortia have saved.'),
  (6, 'Volunteers in library services', 'volunteers', 'Recruiting, training and keeping volunteers alongside paid staff.'),
  (7, 'Co-locating libraries with other services', 'co-location', 'Libraries sharing buildings with council, health and advice services.'),
  (8, 'Performance data and benchmarking', 'performance-data', 'Collecting and comparing library performance data across London.'),
  (9, 'Reading development for children', 'reading-development', 'Summer reading, school partnerships and early years reading programmes.'),
  (10, 'Income generation and room hire', 'income-generation', 'Earning income from rooms, events and services without losing the public mission.');
CREATE TEMP TABLE venues (i INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, postcode TEXT NOT NULL);
INSERT INTO venues VALUES
  (0, 'Swiss Cottage Library', '88 Avenue Road, London', 'NW3 3HA'),
  (1, 'Canada Water Library', '21 Surrey Quays Road, London', 'SE16 7AR'),
  (2, 'Idea Store Whitechapel', '321 Whitechapel Road, London', 'E1 1BU'),
  (3, 'Guildhall Library', 'Aldermanbury, London', 'EC2V 7HH'),
  (4, 'Peckham Library', '122 Peckham Hill Street, London', 'SE15 5JR'),
  (5, 'Hammersmith Library', 'Shepherds Bush Road, London', 'W6 7AT'),
  (6, 'Brixton Library', 'Brixton Oval, London', 'SW2 1JQ'),
  (7, 'Croydon Central Library', 'Katharine Street, Croydon', 'CR9 1ET');
CREATE TEMP TABLE boroughs (i INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO boroughs VALUES
  (0, 'Barking and Dagenham'), (1, 'Barnet'), (2, 'Bexley'), (3, 'Brent'), (4, 'Bromley'),
  (5, 'Camden'), (6, 'City of London'), (7, 'Croydon'), (8, 'Ealing'), (9, 'Enfield'),
  (10, 'Greenwich'), (11, 'Hackney'), (12, 'Hammersmith and Fulham'), (13, 'Haringey'),
  (14, 'Harrow'), (15, 'Havering'), (16, 'Hillingdon'), (17, 'Hounslow'), (18, 'Islington'),
  (19, 'Kensington and Chelsea'), (20, 'Kingston upon Thames'), (21, 'Lambeth'),
  (22, 'Lewisham'), (23, 'Merton'), (24, 'Newham'), (25, 'Redbridge'),
  (26, 'Richmond upon Thames'), (27, 'Southwark'), (28, 'Sutton'), (29, 'Tower Hamlets'),
  (30, 'Waltham Forest'), (31, 'Wandsworth'), (32, 'Westminster');
SQL
}

# The event columns, in terms of a plan row p (id, part, s = start epoch, pub = publish
# epoch or NULL), k (kind), t (topic) and v (venue, NULL when online). $1 turns an epoch
# expression into a timestamp, $2 is a newline literal.
event_select() {
  local ts=$1 nl=$2
  cat <<SQL
SELECT p.id,
  k.kind || '-' || t.slug || '-' || p.id,
  k.label || ': ' || t.title,
  k.kind,
  t.summary,
  CASE WHEN p.id % 10 = 0 THEN NULL ELSE t.summary || ' ' || '$DESCRIPTION' END,
  $(printf "$ts" "p.s"),
  $(printf "$ts" "p.s + (2 + p.id % 3) * 3600"),
  'Europe/London',
  v.name, v.address, v.postcode,
  CASE p.id % 4 WHEN 0 THEN '["officers"]' WHEN 1 THEN '["councillors"]'
    WHEN 2 THEN '["officers","councillors"]' ELSE '[]' END,
  CASE WHEN p.id % 9 = 0 THEN NULL ELSE 'London Library Change Programme' END,
  CASE p.id % 3 WHEN 0 THEN '[]' WHEN 1 THEN '["Keynote: Society of London Treasurers (SLT)"]'
    ELSE '["Ada Lovelace","Charles Babbage"]' END,
  CASE WHEN p.id % 7 = 0 AND p.part <> 2 THEN NULL ELSE 30 + (p.id * 37) % 171 END,
  0,
  NOT (p.id % 11 = 0 AND p.part <> 2),
  CASE WHEN p.part = 2 AND p.id % 2 = 0 THEN $(printf "$ts" "p.pub") END,
  CASE WHEN p.id % 3 = 0 THEN $(printf "$ts" "p.s - 86400") END,
  CASE WHEN p.cancelled = 1 THEN 'cancelled' ELSE 'scheduled' END,
  CASE WHEN p.cancelled = 1 THEN 'The venue is closed for repairs.' END,
  CASE WHEN p.pub IS NOT NULL THEN $(printf "$ts" "p.pub") END,
  CASE WHEN p.id % 5 = 0 THEN NULL ELSE 14 + p.id / 40 END,
  lower(k.label || ': ' || t.title || $nl || t.summary
    || CASE WHEN p.id % 10 = 0 THEN '' ELSE $nl || t.summary || ' ' || '$DESCRIPTION' END),
  $(printf "$ts" "p.created"),
  $(printf "$ts" "p.updated"),
  p.cancelled
FROM plan p
JOIN kinds k ON k.i = p.id % 5
JOIN topics t ON t.i = (p.id / 5) % 11
LEFT JOIN venues v ON v.i = p.id % 8 AND p.id % 6 <> 0
ORDER BY p.id
SQL
}

EVENT_COLUMNS="id, slug, title, kind, summary, description, starts_at, ends_at, timezone,
  venue_name, venue_address, venue_postcode, audience, organiser, speakers, capacity,
  seats_taken, registration_required, registration_opens_at, registration_closes_at,
  status, cancellation_reason, published_at, bulletin_number, search_text, created_at,
  updated_at, sequence"

REG_COLUMNS="id, event_id, seq, full_name, email, organisation, borough, job_title,
  accessibility_needs, status, attended, active_email, manage_token_hash, created_at,
  updated_at, promoted_at, cancelled_at"

# The plan: id, part (0 past, 1 future draft, 2 upcoming published), start, publish,
# creation and last-update epochs, and whether it was cancelled. $1 is the id series.
plan_select() {
  local ids=$1
  cat <<SQL
SELECT id, part, s, pub,
  CASE WHEN part = 1 THEN $NOW - 3 * 86400 ELSE COALESCE(pub, s - 30 * 86400) - 2 * 86400 END AS created,
  CASE WHEN cancelled = 1 THEN s - 7 * 86400
       WHEN part = 1 THEN $NOW - 3 * 86400
       ELSE COALESCE(pub, s - 32 * 86400) END AS updated,
  cancelled
FROM (
  SELECT id, part, s,
    CASE WHEN part = 0 AND id % 13 <> 0 THEN s - 30 * 86400
         WHEN part = 2 THEN $NOW - (1 + id % 5) * 86400 END AS pub,
    CASE WHEN part = 0 AND id % 13 <> 0 AND id % 31 = 0 THEN 1 ELSE 0 END AS cancelled
  FROM (
    SELECT id, part,
      CASE part
        WHEN 0 THEN (($T0 + (id - 1) * $SPAN / $NPAST) / 86400) * 86400
        WHEN 1 THEN $NOWDAY + (1 + (id - $NPAST - 1) * 364 / $NFD) * 86400
        ELSE $NOWDAY + (7 + 9 * (id - $NPAST - $NFD - 1)) * 86400
      END + (9 + 2 * (id % 4)) * 3600 AS s
    FROM (
      SELECT id, CASE WHEN id <= $NPAST THEN 0 WHEN id <= $NPAST + $NFD THEN 1 ELSE 2 END AS part
      FROM $ids
    ) a
  ) b
) c
SQL
}

# Which events get registrations, and how many: cnt per event.
regplan_select() {
  local now_ts=$1
  cat <<SQL
WITH past AS (
  SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rank, COUNT(*) OVER () AS n
  FROM events
  WHERE published_at IS NOT NULL AND registration_required AND starts_at < $now_ts
)
SELECT e.id AS event_id, e.capacity, e.published_at, 1 AS past,
  $PAST_REGS / past.n + CASE WHEN past.rank <= $PAST_REGS % past.n THEN 1 ELSE 0 END AS cnt
FROM past JOIN events e ON e.id = past.id
WHERE $PAST_REGS > 0
UNION ALL
SELECT id, capacity, published_at, 0, 5 + (id * 13) % 40
FROM events WHERE id > $NPAST + $NFD
SQL
}

# The registration columns from x (event_id, seq, capacity, published_at, past) and b
# (borough). $1 formats the UUID-shaped id, $2 the hash, $3 adds days and minutes to a
# timestamp: printf with the timestamp, days and minutes expressions.
reg_select() {
  local id_expr=$1 hash_expr=$2 plus=$3
  local created cancelled
  created=$(printf "$plus" "x.published_at" \
    "CASE WHEN x.past = 1 THEN x.seq % 28 ELSE 0 END" "x.seq % 1440")
  cancelled=$(printf "$plus" "x.published_at" \
    "CASE WHEN x.past = 1 THEN x.seq % 28 + 1 ELSE 0 END" "x.seq % 1440 + 60")
  cat <<SQL
SELECT $id_expr, x.event_id, x.seq,
  'Officer ' || x.seq || ' of event ' || x.event_id,
  x.email,
  b.name || ' Council', b.name,
  CASE WHEN x.seq % 3 = 0 THEN NULL ELSE 'Library services officer' END,
  CASE WHEN x.seq % 50 = 0 THEN 'Step-free access, please.' END,
  x.status,
  x.past = 1 AND x.status = 'confirmed' AND x.seq % 4 <> 0,
  CASE WHEN x.status = 'cancelled' THEN NULL ELSE x.email END,
  $hash_expr,
  $created,
  CASE WHEN x.status = 'cancelled' THEN $cancelled ELSE $created END,
  NULL,
  CASE WHEN x.status = 'cancelled' THEN $cancelled END
FROM (
  SELECT r.event_id, r.seq, r.capacity, r.published_at, r.past,
    'officer' || r.seq || '.e' || r.event_id || '@example.org' AS email,
    CASE WHEN r.seq % 10 = 0 THEN 'cancelled'
         WHEN r.capacity IS NULL OR r.seq - r.seq / 10 <= r.capacity THEN 'confirmed'
         ELSE 'waitlisted' END AS status
  FROM (SELECT p.event_id, n.n + 1 AS seq, p.capacity, p.published_at, p.past
        FROM regplan p JOIN rnums n ON n.n < p.cnt) r
) x
JOIN boroughs b ON b.i = (x.event_id + x.seq) % 33
ORDER BY x.event_id, x.seq
SQL
}

SEATS="UPDATE events SET seats_taken = (
  SELECT COUNT(*) FROM registrations r WHERE r.event_id = events.id AND r.status = 'confirmed')
WHERE id IN (SELECT event_id FROM regplan);"

sqlite_sql() {
  cat <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
$(lookup_tables)
CREATE TEMP TABLE nums (n INTEGER PRIMARY KEY);
WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < $EVENTS)
INSERT INTO nums SELECT n FROM c;
CREATE TEMP TABLE plan AS
$(plan_select "(SELECT n + 1 AS id FROM nums)");
INSERT INTO events ($EVENT_COLUMNS)
$(event_select "datetime(%s, 'unixepoch')" "char(10)");
CREATE TEMP TABLE regplan AS
$(regplan_select "datetime($NOW, 'unixepoch')");
CREATE TEMP TABLE rnums (n INTEGER PRIMARY KEY);
WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < (SELECT MAX(cnt) FROM regplan))
INSERT INTO rnums SELECT n FROM c;
INSERT INTO registrations ($REG_COLUMNS)
$(reg_select "printf('%08x-0000-4000-8000-%012x', x.event_id, x.seq)" \
  "printf('%032x%032x', x.event_id, x.seq)" \
  "datetime(%s, '+' || (%s) || ' days', '+' || (%s) || ' minutes')");
$SEATS
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

postgres_sql() {
  cat <<SQL
\set ON_ERROR_STOP on
SET synchronous_commit = off;
BEGIN;
$(lookup_tables)
CREATE TEMP TABLE plan AS
$(plan_select "generate_series(1::bigint, $EVENTS::bigint) AS g(id)");
INSERT INTO events ($EVENT_COLUMNS)
$(event_select "(to_timestamp(%s) AT TIME ZONE 'UTC')" "chr(10)");
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT MAX(id) FROM events));
CREATE TEMP TABLE regplan AS
$(regplan_select "(to_timestamp($NOW) AT TIME ZONE 'UTC')");
CREATE TEMP TABLE rnums AS SELECT n FROM generate_series(0, (SELECT MAX(cnt) FROM regplan) - 1) AS g(n);
INSERT INTO registrations ($REG_COLUMNS)
$(reg_select "lpad(to_hex(x.event_id), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(x.seq), 12, '0')" \
  "lpad(to_hex(x.event_id), 32, '0') || lpad(to_hex(x.seq), 32, '0')" \
  "(%s + (%s) * INTERVAL '1 day' + (%s) * INTERVAL '1 minute')");
$SEATS
COMMIT;
VACUUM ANALYZE events;
VACUUM ANALYZE registrations;
-- Flush the seed's WAL now, so that no checkpoint of it lands in the measurements.
CHECKPOINT;
SQL
}

case $BACKEND in
  sqlite)
    path=${TARGET#sqlite://}
    path=${path#sqlite:}
    sqlite_sql | sqlite3 -bail "$path" >/dev/null
    ;;
  postgres)
    postgres_sql | psql -q -X "$TARGET" >/dev/null
    # Write the seed's dirty pages out now rather than during the measurements (needs
    # superuser or pg_checkpoint; skipped otherwise).
    psql -q -X "$TARGET" -c 'CHECKPOINT' >/dev/null 2>&1 || true
    ;;
  print-sqlite) sqlite_sql ;;
  print-postgres) postgres_sql ;;
  *) echo "backend must be sqlite or postgres" >&2; exit 2 ;;
esac
