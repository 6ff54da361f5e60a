#!/usr/bin/env python3
"""Helpers of bench/run.sh (standard library only).

  benchlib.py token    BASE EMAIL PASSWORD           print an admin access token
  benchlib.py verify   BASE TOKEN FIRST_ID LAST_ID    check the seeded data through the API
  benchlib.py startup  BIN URL PORT COUNT CWD LOG     time start-up to a 200 from /readyz
  benchlib.py wrk      FILE                           one wrk output as JSON
  benchlib.py report   OUT_DIR                        tables from OUT_DIR/raw, to stdout
                                                      and OUT_DIR/results.md

Helpers of bench/growth.sh:

  benchlib.py growth-line   FACTS DB EVENTS           one size's latencies, one line
  benchlib.py growth-report FACTS MARKDOWN            the growth table, to stdout and MARKDOWN
"""

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse


def fail(message):
    print(f"benchlib: {message}", file=sys.stderr)
    sys.exit(1)


def request(base, method, path, headers=None, body=None):
    """One request; returns (status, headers as a lower-cased dict, body bytes)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def token(base, email, password):
    status, _, body = request(
        base,
        "POST",
        "/api/v1/auth/token",
        {"content-type": "application/json"},
        json.dumps({"email": email, "password": password}),
    )
    if status != 200:
        fail(f"signing in answered {status}: {body[:300]!r}")
    print(json.loads(body)["access_token"])


def verify(base, admin_token, first, last):
    """The listing returns exactly the seeded upcoming events, and seeded rows of every
    kind decode: an upcoming event, a past cancelled one, a draft (404), the calendar,
    a search that matches nothing, and the admin counts against the seat counter."""
    first, last = int(first), int(last)
    checks = []

    def check(ok, what):
        checks.append(what)
        if not ok:
            fail(f"seeded data: {what} failed")

    status, headers, body = request(base, "GET", "/api/v1/events?limit=20")
    check(status == 200, "GET /api/v1/events?limit=20 is 200")
    listing = json.loads(body)
    ids = [e["id"] for e in listing["items"]]
    check(ids == list(range(first, last + 1)), f"the listing is events {first}..{last} in order (got {ids})")
    check(listing["total"] == last - first + 1, "the listing's total is the upcoming published events")
    check(all(e["published_at"] for e in listing["items"]), "every listed event is published")
    etag = headers.get("etag", "")
    check(etag.startswith('"'), f"the listing has a strong ETag ({etag!r})")
    status, _, _ = request(base, "GET", "/api/v1/events?limit=20", {"If-None-Match": etag})
    check(status == 304, "If-None-Match with the listing's ETag is 304")

    slug = listing["items"][0]["slug"]
    status, _, event_body = request(base, "GET", f"/api/v1/events/{slug}")
    check(status == 200 and json.loads(event_body)["slug"] == slug, f"GET /api/v1/events/{slug} is 200")
    status, _, past = request(base, "GET", "/api/v1/events/31")
    check(status == 200 and json.loads(past)["status"] == "cancelled", "past event 31 reads as cancelled")
    status, _, _ = request(base, "GET", "/api/v1/events/13")
    check(status == 404, "draft event 13 is not public")
    status, _, ics = request(base, "GET", "/api/v1/events.ics")
    vevents = ics.count(b"BEGIN:VEVENT")
    check(status == 200 and vevents == last - first + 1, f"the calendar has the upcoming events ({vevents})")
    status, _, miss = request(base, "GET", "/api/v1/events?limit=20&q=zqverify")
    check(status == 200 and json.loads(miss)["total"] == 0, "a search for zq matches nothing")

    auth = {"authorization": f"Bearer {admin_token}"}
    for event_id in (first, 1):
        status, _, admin = request(base, "GET", f"/api/v1/admin/events/{event_id}", auth)
        check(status == 200, f"GET /api/v1/admin/events/{event_id} is 200")
        admin = json.loads(admin)
        if admin["capacity"] is not None:
            confirmed = admin["registrations"]["confirmed"]
            check(
                confirmed + admin["seats_remaining"] == admin["capacity"],
                f"event {event_id}: confirmed {confirmed} + seats remaining = capacity",
            )
    print(
        json.dumps(
            {
                "slug": slug,
                "etag": etag,
                "listing_bytes": len(body),
                "event_bytes": len(event_body),
                "ics_bytes": len(ics),
                "miss_bytes": len(miss),
                "checks": checks,
            }
        )
    )


def startup(binary, url, port, count, cwd, log):
    port, count = int(port), int(count)
    env = dict(os.environ, DATABASE_URL=url, BIND=f"127.0.0.1:{port}")
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    samples = []
    with open(log, "ab") as log_file:
        for _ in range(count):
            started = time.perf_counter()
            process = subprocess.Popen(
                [binary, "serve"], cwd=cwd, env=env, stdout=log_file, stderr=log_file
            )
            ready = None
            try:
                while time.perf_counter() - started < 60:
                    if process.poll() is not None:
                        fail(f"the hub exited during start-up (see {log})")
                    try:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                        conn.request("GET", "/readyz")
                        response = conn.getresponse()
                        response.read()
                        conn.close()
                        if response.status == 200:
                            ready = time.perf_counter() - started
                            break
                    except OSError:
                        pass
                    time.sleep(0.002)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if ready is None:
                fail("the hub was not ready within 60 s")
            samples.append(round(ready * 1000, 1))
            time.sleep(0.2)
    print(json.dumps({"samples_ms": samples, "median_ms": statistics.median(samples)}))


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text):
    def latency(percent):
        m = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        return float(m.group(1)) * UNITS_MS[m.group(2)] if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not rps:
        return None
    requests = re.search(r"(\d+) requests in", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)) if requests else 0,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(g) for g in socket.groups()) if socket else 0),
    }


# ---------------------------------------------------------------- report

TARGETS = [
    ("ceiling", "`ceiling`: the listing's bytes from memory (bench_ceiling)"),
    ("list", "`list`: `GET /api/v1/events?limit=20`"),
    ("list304", "`list304`: the same with `If-None-Match` (304)"),
    ("event", "`event`: `GET /api/v1/events/{slug}`"),
    ("ics", "`ics`: `GET /api/v1/events.ics`"),
    ("miss", "`miss`: the listing with a distinct `q` each request (matches nothing)"),
    ("list-nc", "`list-nc`: the listing, hub with its cache off"),
    ("event-nc", "`event-nc`: the event, hub with its cache off"),
]
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def load_facts(raw):
    facts = {}
    path = os.path.join(raw, "facts.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    fact = json.loads(line)
                    facts.setdefault(fact["db"], {})[fact["key"]] = fact["value"]
    return facts


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_mib(kb):
    return "–" if kb in (None, 0) else f"{kb / 1024:.1f}"


def report(out):
    raw = os.path.join(out, "raw")
    facts = load_facts(raw)
    run = facts.get("-", {})
    config, machine = run.get("config", {}), run.get("machine", {})
    dbs = [db for db in ("sqlite", "postgres") if db in facts]
    lines = ["# llcp-hub benchmarks", ""]
    lines.append(
        f"`{config.get('command', 'bench/run.sh')}`, {config.get('started', '?')}; "
        f"the whole run took {run.get('total_seconds', '?')} s."
    )
    lines.append("")
    lines.append(
        f"- Machine: {machine.get('nproc', '?')} cores (nproc), {machine.get('cpu', '?')}, "
        f"{machine.get('memory', '?')}, Linux {machine.get('kernel', '?')}; "
        f"{machine.get('versions', '')}."
    )
    lines.append(
        f"- Load: wrk {machine.get('wrk', '')} with {config.get('threads')} threads and "
        f"{config.get('connections')} connections, {config.get('duration')} s per run, "
        f"{config.get('rounds')} rounds alternating the targets (each warmed up for "
        f"{config.get('warmup')} s first); wrk, the hub and the ceiling share the machine's cores. "
        f"Hub: release build, RUST_LOG={config.get('rust_log')}, pool "
        f"{config.get('pool_size')}, actix's default workers (one per core), response cache "
        f"PUBLIC_CACHE_TTL_MS={config.get('cache_ttl_ms')}; revision {config.get('revision')}."
    )
    lines.append(
        f"- Data: {fmt_int(config.get('events', 0))} events over ten years (20 upcoming published), "
        f"{fmt_int(config.get('past_registrations', 0))} registrations on past events."
    )
    idle = [f"{DB_NAMES.get(k, k)} {v.get('idle_before')} %" for k, v in facts.items() if "idle_before" in v]
    if idle:
        lines.append(
            "- Machine idle (CPU) before each backend, after each round (1 s, the servers idle) "
            "and at the end: "
            + ", ".join(idle)
            + (" — **below 90 %: other work was running, the figures are disturbed**."
               if any(v.get("idle_before", 100) < 90 for v in facts.values()) else ".")
        )
    for db in dbs:
        f = facts[db]
        rows = {}
        rss_path = os.path.join(raw, db, "rss.tsv")
        rss_max = {}
        if os.path.exists(rss_path):
            with open(rss_path) as r:
                for line in r:
                    parts = line.split()
                    if len(parts) == 3:
                        rss_max[parts[0]] = max(rss_max.get(parts[0], 0), int(parts[2]))
        for name in sorted(os.listdir(os.path.join(raw, db))):
            m = re.match(r"wrk-([\w-]+?)-r(\d+)\.txt$", name)
            if m:
                with open(os.path.join(raw, db, name)) as w:
                    parsed = parse_wrk(w.read())
                if parsed:
                    rows.setdefault(m.group(1), []).append(parsed)
        lines += ["", f"## Reads on {DB_NAMES[db]}", ""]
        seed = f.get("seed", {})
        if seed:
            lines.append(
                f"Seeded in {seed.get('seconds')} s; database size {seed.get('size_mib')} MiB. "
                f"Response sizes: listing {f.get('verify', {}).get('listing_bytes', '?')} B, "
                f"event {f.get('verify', {}).get('event_bytes', '?')} B, "
                f"calendar {f.get('verify', {}).get('ics_bytes', '?')} B."
            )
            lines.append("")
        lines.append(
            "| target | requests/s (median) | min–max | ÷ ceiling | p99 ms (median) | p99 min–max | errors |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        ceiling = statistics.median(r["rps"] for r in rows["ceiling"]) if rows.get("ceiling") else None
        for key, label in TARGETS:
            runs = rows.get(key)
            if not runs:
                continue
            rps = [r["rps"] for r in runs]
            p99 = [r["p99_ms"] for r in runs if r["p99_ms"] is not None]
            median = statistics.median(rps)
            ratio = f"{median / ceiling:.2f}" if ceiling else "–"
            lines.append(
                f"| {label} | {fmt_int(median)} | {fmt_int(min(rps))}–{fmt_int(max(rps))} | {ratio} | "
                f"{fmt_ms(statistics.median(p99)) if p99 else '–'} | "
                f"{fmt_ms(min(p99)) if p99 else '–'}–{fmt_ms(max(p99)) if p99 else '–'} | "
                f"{sum(r['errors'] for r in runs)} |"
            )
        lines.append("")
        lines.append(
            "`list`, `list304`, `event` and `ics` are answered from the hub's response cache "
            "(refilled from the database, one request per answer, when near PUBLIC_CACHE_TTL_MS "
            "or after a change of public data); "
            "`miss`, `list-nc` and `event-nc` reach the database on every request. Errors: non-2xx/3xx "
            "answers plus socket errors, over all rounds."
        )
        f["rss_max"] = rss_max
    # Memory
    if dbs:
        lines += ["", "## Memory of the hub (from /proc)", ""]
        lines.append(
            "| database | VmRSS idle after start-up | max VmRSS under the read loads | VmHWM after the read loads | VmHWM after the registrations | cache-off hub's max VmRSS | ceiling's max VmRSS |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for db in dbs:
            f = facts[db]
            hub_max = max(
                (v for k, v in f["rss_max"].items() if k != "ceiling" and not k.endswith("-nc")), default=0
            )
            nc_max = max((v for k, v in f["rss_max"].items() if k.endswith("-nc")), default=0)
            lines.append(
                f"| {DB_NAMES[db]} | {fmt_mib(f.get('rss_idle_kb'))} MiB | {fmt_mib(hub_max)} MiB | "
                f"{fmt_mib(f.get('hwm_listing_kb'))} MiB | {fmt_mib(f.get('hwm_registrations_kb'))} MiB | "
                f"{fmt_mib(nc_max)} MiB | {fmt_mib(f['rss_max'].get('ceiling'))} MiB |"
            )
        lines += ["", "## Start-up to ready (existing, seeded database)", ""]
        lines.append("Time from starting `llcp-hub serve` to its first 200 from `/readyz` (polled every 2 ms).")
        lines.append("")
        lines.append("| database | median ms | min–max ms | samples |")
        lines.append("| --- | ---: | ---: | ---: |")
        for db in dbs:
            s = facts[db].get("startup")
            if s:
                lines.append(
                    f"| {DB_NAMES[db]} | {s['median_ms']:.0f} | {min(s['samples_ms']):.0f}–{max(s['samples_ms']):.0f} | {len(s['samples_ms'])} |"
                )
        lines += ["", "## Registrations against durable commits", ""]
        lines.append(
            f"`register_load`: {config.get('connections')} concurrent clients registering distinct people "
            f"round robin over 4 new events of 500 seats for {config.get('reg_seconds')} s (after 2,000 the "
            "events are full and registrations go to the waiting lists). Commits: `bench_commits`, one-row "
            "transactions one after another on one connection (SQLite: a fresh WAL file with "
            "`synchronous = FULL` beside the hub's database, each transaction IMMEDIATE, as the hub's are)."
        )
        lines.append("")
        lines.append(
            "| database | accepted/s | accepted | failed | request p50 / p99 ms | commits/s (1 connection) | commit p50 / p99 ms | accepted ÷ commits | overbooked events (API / database) | seat counter mismatches |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for db in dbs:
            f = facts[db]
            reg, commits, check = f.get("registrations"), f.get("commits"), f.get("db_check", {})
            if not reg:
                continue
            ratio = f"{reg['per_second'] / commits['per_second']:.2f}" if commits and commits["per_second"] else "–"
            lines.append(
                f"| {DB_NAMES[db]} | {fmt_int(reg['per_second'])} | {fmt_int(reg['accepted'])} | {reg['failed']} | "
                f"{fmt_ms(reg.get('p50_ms'))} / {fmt_ms(reg.get('p99_ms'))} | "
                f"{fmt_int(commits['per_second']) if commits else '–'} | "
                f"{fmt_ms(commits['p50_ms']) if commits else '–'} / {fmt_ms(commits['p99_ms']) if commits else '–'} | "
                f"{ratio} | {reg['overbooked_events']} / {check.get('overbooked', '?')} | "
                f"{reg.get('seat_mismatches', '?')} / {check.get('seat_mismatches', '?')} |"
            )
        extra = [(db, facts[db]["commits4"]) for db in dbs if facts[db].get("commits4")]
        for db, c in extra:
            lines.append("")
            lines.append(
                f"{DB_NAMES[db]} with {c['threads']} connections committing at once (group commit): "
                f"{fmt_int(c['per_second'])} commits/s, p99 {fmt_ms(c['p99_ms'])} ms."
            )
        lines.append("")
        lines.append(
            "Overbooking is checked twice: through the admin API for the load's events (confirmed ≤ "
            "capacity, confirmed + seats remaining = capacity) and in the database for every event "
            "(confirmed registrations ≤ capacity, and seats_taken = confirmed registrations)."
        )
    phases = run.get("phases")
    if phases:
        lines += ["", "## Where the time went", ""]
        lines.append("| phase | seconds |")
        lines.append("| --- | ---: |")
        for name, seconds in phases:
            lines.append(f"| {name} | {seconds} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


# ---------------------------------------------------------------- growth (bench/growth.sh)
# Reads the JSON lines bench/growth.sh writes (kind: run, seed, read, size, register,
# end) and tabulates p50 / p99 per size with the ratio to the smallest case.

GROWTH_TARGETS = [
    ("list", "`list`: `GET /api/v1/events?limit=20`"),
    ("miss", "`miss`: the listing with a distinct `q` (bench/miss.lua)"),
    ("event", "`event`: `GET /api/v1/events/{slug}`"),
    ("ics", "`ics`: `GET /api/v1/events.ics`"),
]
GROWTH_LIMIT = 2.0


def load_growth(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def growth_ratio(value, base):
    if value is None or not base:
        return "–", False
    ratio = value / base
    over = ratio > GROWTH_LIMIT
    text = f"{ratio:.2f}×"
    return (f"**{text} over 2×**" if over else text), over


def growth_line(path, db, events):
    events = int(events)
    parts = []
    for fact in load_growth(path):
        if fact.get("kind") == "read" and fact["db"] == db and fact["events"] == events:
            w = fact["wrk"]
            parts.append(f"{fact['target']} p50 {fmt_ms(w['p50_ms'])} / p99 {fmt_ms(w['p99_ms'])} ms")
    print("; ".join(parts))


def growth_report(path, markdown):
    facts = load_growth(path)
    run = next((f for f in facts if f["kind"] == "run"), {})
    end = next((f for f in facts if f["kind"] == "end"), {})
    dbs = [db for db in ("sqlite", "postgres") if any(f.get("db") == db for f in facts)]
    lines = ["# llcp-hub growth benchmark", ""]
    lines.append(
        f"`{run.get('command', 'bench/growth.sh')}`, {run.get('started', '?')}; "
        f"the whole run took {end.get('total_seconds', '?')} s"
        + (f" (of which the build {end['build_seconds']} s)." if end.get("build_seconds") else ".")
    )
    lines.append("")
    lines.append(
        f"- Machine: {run.get('nproc', '?')} cores (nproc), {run.get('cpu', '?')}, "
        f"{run.get('memory', '?')}, Linux {run.get('kernel', '?')}; {run.get('versions', '')}; "
        f"revision {run.get('revision', '?')}."
    )
    lines.append(
        f"- Reads: one release hub per database with its response cache off "
        f"(PUBLIC_CACHE_TTL_MS=0, every answer from the database), RUST_LOG={run.get('rust_log')}; "
        f"wrk {run.get('wrk', '')} `-t{run.get('threads')} -c{run.get('connections')} --latency`, "
        f"{run.get('warmup')} s of warm-up then one run of {run.get('duration')} s per request and size."
    )
    lines.append(
        f"- Registrations: `register_load` with {run.get('reg_clients')} clients for "
        f"{run.get('reg_seconds')} s, distinct people round robin over 4 new events of 500 seats, "
        f"on {fmt_int(run['events'][0]) if run.get('events') else '?'} events with the seeded past "
        "registrations; p50 / p99 over all its requests."
    )
    lines.append(
        f"- Target: p50 and p99 within {GROWTH_LIMIT:g}× of the smallest case. The ratios are "
        "measured, not asserted; one run each, on a shared machine, so a ratio near the line "
        "needs a second look before it means anything."
    )
    sizes = [f for f in facts if f["kind"] == "size"]
    if sizes:
        busy = [f for f in sizes if min(f["idle_before"], f["idle_after"]) < 90]
        lines.append(
            "- Machine idle (CPU) before / after each size: "
            + ", ".join(
                f"{DB_NAMES[f['db']]} {fmt_int(f['events'])}: {f['idle_before']} / {f['idle_after']} %"
                for f in sizes
            )
            + (" — **below 90 %: other work was running, the figures are disturbed**." if busy else ".")
        )
    overs = []
    for db in dbs:
        lines += ["", f"## {DB_NAMES[db]}", ""]
        lines.append("| request | data | p50 ms | p50 ÷ small | p99 ms | p99 ÷ small | requests/s | errors |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        reads = [f for f in facts if f["kind"] == "read" and f["db"] == db]
        for key, label in GROWTH_TARGETS:
            rows = sorted((f for f in reads if f["target"] == key), key=lambda f: f["events"])
            if not rows:
                continue
            base = rows[0]["wrk"]
            for f in rows:
                w = f["wrk"]
                r50, o50 = growth_ratio(w["p50_ms"], base["p50_ms"])
                r99, o99 = growth_ratio(w["p99_ms"], base["p99_ms"])
                if o50 or o99:
                    overs.append(
                        f"{DB_NAMES[db]} `{key}` at {fmt_int(f['events'])} events: "
                        + ", ".join(n for n, o in (("p50", o50), ("p99", o99)) if o)
                    )
                lines.append(
                    f"| {label} | {fmt_int(f['events'])} events | {fmt_ms(w['p50_ms'])} | {r50} | "
                    f"{fmt_ms(w['p99_ms'])} | {r99} | {fmt_int(w['rps'])} | {w['errors']} |"
                )
        regs = sorted(
            (f for f in facts if f["kind"] == "register" and f["db"] == db), key=lambda f: f["registrations"]
        )
        if regs:
            base = regs[0]["load"]
            for f in regs:
                load = f["load"]
                r50, o50 = growth_ratio(load["p50_ms"], base["p50_ms"])
                r99, o99 = growth_ratio(load["p99_ms"], base["p99_ms"])
                if o50 or o99:
                    overs.append(
                        f"{DB_NAMES[db]} registrations at {fmt_int(f['registrations'])} seeded: "
                        + ", ".join(n for n, o in (("p50", o50), ("p99", o99)) if o)
                    )
                lines.append(
                    f"| `register`: `POST /api/v1/events/{{id}}/registrations` | "
                    f"{fmt_int(f['registrations'])} registrations | {fmt_ms(load['p50_ms'])} | {r50} | "
                    f"{fmt_ms(load['p99_ms'])} | {r99} | {fmt_int(load['per_second'])} | {load['failed']} |"
                )
    seeds = [f for f in facts if f["kind"] == "seed"]
    if seeds:
        lines += ["", "## Seeding (bench/seed.sh)", ""]
        lines.append("| database | events | past registrations | seconds | size MiB |")
        lines.append("| --- | ---: | ---: | ---: | ---: |")
        for f in seeds:
            lines.append(
                f"| {DB_NAMES[f['db']]} | {fmt_int(f['events'])} | {fmt_int(f['registrations'])} | "
                f"{f['seconds']} | {fmt_int(f['size_mib'])} |"
            )
    lines += ["", "## Against the target", ""]
    if overs:
        lines.append(f"Beyond {GROWTH_LIMIT:g}× of the small case in this run:")
        lines.append("")
        lines += [f"- {o}" for o in overs]
    else:
        lines.append(f"Every p50 and p99 stayed within {GROWTH_LIMIT:g}× of the small case in this run.")
    text = "\n".join(lines) + "\n"
    with open(markdown, "w") as f:
        f.write(text)
    sys.stdout.write(text)


def main():
    commands = {
        "token": (token, 3),
        "verify": (verify, 4),
        "startup": (startup, 6),
        "wrk": (lambda path: print(json.dumps(parse_wrk(open(path).read()))), 1),
        "report": (report, 1),
        "growth-line": (growth_line, 3),
        "growth-report": (growth_report, 2),
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        fail(__doc__)
    function, arity = commands[sys.argv[1]]
    if len(sys.argv) - 2 != arity:
        fail(__doc__)
    function(*sys.argv[2:])


if __name__ == "__main__":
    main()
