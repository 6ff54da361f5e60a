"""Summarise a Schemathesis NDJSON event stream: findings grouped by operation and check.

Usage: python summarize.py EVENTS.ndjson [OUT.md]

Prints a short table to stdout and, with OUT.md, writes every group with one reproducing
curl command. Credentials are shown as $ADMIN_TOKEN / $MEMBER_TOKEN (the hub's base URL
as $HUB_URL), so the commands work after `source scripts/test-hub.sh` and signing in.
"""

from __future__ import annotations

import base64
import json
import shlex
import sys
from collections import OrderedDict
from urllib.parse import urlsplit


def token_for(path: str) -> str | None:
    if path.startswith("/api/v1/admin/") or path == "/api/v1/admin":
        return "$ADMIN_TOKEN"
    if path == "/api/v1/me" or path.startswith("/api/v1/me/"):
        return "$MEMBER_TOKEN"
    return None


def curl_for(request: dict) -> str:
    url = urlsplit(request["uri"])
    target = url.path + (f"?{url.query}" if url.query else "")
    parts = ["curl", "-sS", "-i", "-X", request["method"]]
    for name, values in (request.get("headers") or {}).items():
        for value in values:
            if name.lower() == "authorization" and value == "[Filtered]":
                # Filtered in the report: the token fuzz.sh configured for this path.
                token = token_for(url.path) or "$TOKEN"
                parts += ["-H", f'"Authorization: Bearer {token}"']
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = request.get("body")
    if isinstance(body, dict) and "$base64" in body:
        raw = base64.b64decode(body["$base64"])
        try:
            text = raw.decode("utf-8")
            text.encode("ascii")
            parts += ["--data-raw", shlex.quote(text)]
        except (UnicodeDecodeError, UnicodeEncodeError):
            text = raw.decode("utf-8", "backslashreplace") if b"\x00" not in raw else None
            if text is not None and all(ch.isprintable() or ch in "\n\t" for ch in text):
                parts += ["--data-raw", shlex.quote(text)]
            else:
                escaped = "".join(f"\\x{b:02x}" for b in raw)
                parts += ["--data-binary", f"\"$(printf '{escaped}')\""]
    elif isinstance(body, str):
        parts += ["--data-raw", shlex.quote(body)]
    parts.append(f'"$HUB_URL"{shlex.quote(target)}')
    return " ".join(parts)


def response_text(interaction: dict | None, limit: int = 400) -> str:
    content = ((interaction or {}).get("response") or {}).get("content")
    if isinstance(content, dict) and "$base64" in content:
        text = base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    elif isinstance(content, str):
        text = content
    else:
        return ""
    return text if len(text) <= limit else text[:limit] + " …"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    groups: "OrderedDict[tuple[str, str, str], dict]" = OrderedDict()
    errors: "OrderedDict[tuple[str, str], dict]" = OrderedDict()
    with open(sys.argv[1], encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            if "NonFatalError" in event:
                e = event["NonFatalError"]
                key = (e.get("label") or "?", e["value"].get("type", "?"))
                g = errors.setdefault(key, {"count": 0, "message": e["value"].get("message", "")})
                g["count"] += 1
                continue
            finished = event.get("ScenarioFinished")
            if not finished or finished.get("status") != "failure":
                continue
            recorder = finished["recorder"]
            phase = finished.get("phase", "?")
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure", {})
                    operation = failure.get("operation") or recorder.get("label", "?")
                    key = (operation, check["name"], failure.get("code", "?"))
                    g = groups.get(key)
                    if g is None:
                        interaction = recorder.get("interactions", {}).get(case_id)
                        g = groups[key] = {
                            "count": 0,
                            "title": failure.get("title", ""),
                            "message": failure.get("message", ""),
                            "phases": set(),
                            "status": (interaction or {}).get("response", {}).get("status_code"),
                            "body": response_text(interaction),
                            "curl": curl_for(interaction["request"]) if interaction else None,
                            "variants": {},
                        }
                    g["count"] += 1
                    g["phases"].add(phase)
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    status = (interaction.get("response") or {}).get("status_code")
                    variant = g["variants"].setdefault(status, {"count": 0, "body": response_text(interaction)})
                    variant["count"] += 1
                    if variant.get("curl") is None and interaction.get("request"):
                        variant["curl"] = curl_for(interaction["request"])

    print(f"{len(groups)} distinct findings (operation x check), {len(errors)} kinds of request errors")
    for (operation, check, code), g in sorted(groups.items()):
        got = ", ".join(str(status) for status in g["variants"]) or str(g["status"])
        print(f"  {code:6} {check:30} {operation:58} x{g['count']}  (got {got})")
    for (label, kind), g in errors.items():
        print(f"  ERROR  {kind:30} {label:58} x{g['count']}  {g['message'][:80]}")

    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as out:
            out.write("# Schemathesis findings by operation and check\n\n")
            out.write("Replay: `source scripts/test-hub.sh; start_test_hub target/debug/llcp-hub`, sign in, export ADMIN_TOKEN and MEMBER_TOKEN.\n")
            out.write("Ids in the URLs come from this run's database; substitute ones from yours.\n\n")
            for (operation, check, code), g in sorted(groups.items()):
                out.write(f"## {operation} — {check} ({code} {g['title']})\n\n")
                got = ", ".join(str(status) for status in g["variants"]) or str(g["status"])
                out.write(f"- cases: {g['count']}; phases: {', '.join(sorted(g['phases']))}; responses: {got}\n")
                message = g["message"] if len(g["message"]) <= 700 else g["message"][:700] + "\n…"
                out.write("- message (first case):\n\n" + "".join(f"      {line}\n" for line in message.splitlines()) + "\n")
                variants = g["variants"] or {g["status"]: {"count": g["count"], "body": g["body"], "curl": g["curl"]}}
                for status, v in variants.items():
                    out.write(f"- {status} ({v['count']} case{'s' if v['count'] != 1 else ''}):\n\n")
                    if v.get("body"):
                        out.write(f"  ```\n  {v['body']}\n  ```\n\n")
                    if v.get("curl"):
                        out.write(f"  ```sh\n  {v['curl']}\n  ```\n\n")
                out.write("\n")
            if errors:
                out.write("## Request errors (no response)\n\n")
                for (label, kind), g in errors.items():
                    out.write(f"- {label}: {kind} x{g['count']}: {g['message']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
