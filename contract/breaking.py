#!/usr/bin/env python3
"""Breaking changes for clients between two OpenAPI 3.1 JSON documents.

    python3 contract/breaking.py BASELINE.json CURRENT.json

Prints one line per finding, `ERROR <location>: <message>` or `WARNING ...`, where the
location is a JSON-pointer-like path from the operation down to the field (parameters
are written `/parameters/<in>/<name>`, and `(in #/components/schemas/X)` names the
component a schema finding was found in). Exits 1 when there is at least one ERROR, 0
when there are only warnings or nothing, 2 when the arguments or documents are unusable.
Standard library only; local `$ref`s (`#/...`) are followed, remote ones are not.

"request" below means what a client sends (parameters, request bodies) and "response"
what it receives from a success (2xx) response. A client built against BASELINE must go
on working against CURRENT, and so must a client regenerated from CURRENT.

ERROR (breaks clients)
  paths       a path or an operation removed (path templates match whatever their
              parameters are called); an operationId changed, added or removed (it names
              the generated method); a path parameter renamed; a public operation that
              now needs authentication (`security`)
  parameters  a new required parameter; an optional parameter made required
  request     a required body where there was none, or an optional body made required;
              a request media type removed; a new required field, or a field made
              required; a field removed while the schema forbids additional properties;
              additional properties newly forbidden; a type narrowed (a type dropped from
              the list, `null` no longer accepted, number -> integer); a format added or
              changed (except a widening int32 -> int64, float -> double); maxLength,
              maximum, exclusiveMaximum, maxItems, maxProperties added or lowered;
              minLength, minimum, exclusiveMinimum, minItems, minProperties added or
              raised; a pattern or multipleOf added or changed; uniqueItems turned on; an
              enum (or const) added, or an enum value removed; a oneOf/anyOf variant removed
  response    a success status code removed; a success media type removed; a success
              response header removed; a field removed; a field no longer required (it may
              now be absent); a type widened (a new type in the list, `null` now possible,
              integer -> number); a format changed or removed (except a narrowing
              int64 -> int32, double -> float); an enum value removed (the generated enum
              loses a member that client code may name)

WARNING (reported, does not fail)
  response    a new enum value, or an enum dropped: clients that map values strictly (a
              generated Python or Java enum) raise on a value they do not know, but new
              values are how these fields are meant to grow, so this is a review item
              rather than a failure; likewise a new oneOf/anyOf variant; a new success
              status code
  request     a parameter removed (the generated method loses an argument; the server
              ignores it if sent); a field removed where additional properties are allowed
              (the server ignores it); a request body removed

Everything else that is additive passes: new paths and operations, optional parameters
and fields, new response fields, new enum values and variants in requests, looser
request constraints, tighter response types. Types are compared only where both
documents declare `type`; response constraints other than type, format and enum are not
compared (generated clients do not check them).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REQUEST, RESPONSE = "request", "response"

# Upper bounds that only go up (request) or down (response) to stay compatible.
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
# Formats where the second accepts everything the first does.
WIDER_FORMAT = {("int32", "int64"), ("float", "double")}


@dataclass(frozen=True)
class Finding:
    level: str  # "ERROR" or "WARNING"
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.level} {self.location}: {self.message}"


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: Any) -> str:
    return "".join("/" + escape(t) for t in tokens)


def template_key(path: str) -> str:
    """`/events/{id}` and `/events/{event_id}` are the same path for a client."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def template_names(path: str) -> list[str]:
    return re.findall(r"\{([^}/]*)\}", path)


def is_success(status: str) -> bool:
    return str(status).upper().startswith("2")


class Document:
    """One OpenAPI document, with `$ref` resolution inside it."""

    def __init__(self, doc: Any, name: str):
        if not isinstance(doc, dict) or not isinstance(doc.get("paths", {}), dict):
            raise ValueError(f"{name}: not an OpenAPI document (no paths object)")
        self.doc = doc
        self.name = name

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValueError(f"{self.name}: only local $refs are supported, not {ref!r}")
        node: Any = self.doc
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                raise ValueError(f"{self.name}: unresolvable $ref {ref!r}")
        return node

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """Follows a chain of `$ref`s; siblings of a `$ref` override the target's keys.
        Returns the node and the last ref followed (None if there was none)."""
        last = None
        seen = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise ValueError(f"{self.name}: $ref cycle at {ref!r}")
            seen.add(ref)
            last = ref
            target = self.lookup(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings and isinstance(target, dict) else target
        return node, last


def is_null_schema(doc: Document, schema: Any) -> bool:
    schema, _ = doc.deref(schema)
    if not isinstance(schema, dict):
        return False
    t = schema.get("type")
    return t == "null" or t == ["null"] or ("const" in schema and schema["const"] is None) or schema.get("enum") == [None]


@dataclass
class View:
    """A schema made comparable: `$ref`s followed, `allOf` merged, and a nullable wrapper
    (`oneOf`/`anyOf` of one schema and `{"type": "null"}`) folded into `types`."""

    schema: dict
    types: set[str] | None
    variants: list[Any] | None  # the members of a remaining oneOf/anyOf
    via: str | None  # the last $ref followed to get here


def view(doc: Document, node: Any, depth: int = 0) -> View:
    if depth > 64:
        raise ValueError(f"{doc.name}: schemas nested too deeply (an allOf cycle?)")
    node, via = doc.deref(node)
    if node is True or node is None:
        node = {}
    if not isinstance(node, dict):
        return View({}, None, None, via)
    schema = dict(node)
    extra_null = bool(schema.pop("nullable", False))

    # allOf: merge the members into one schema.
    for member in schema.pop("allOf", []) or []:
        part = view(doc, member, depth + 1)
        schema = merge(schema, part.schema, part.types)
        if part.variants is not None and "oneOf" not in schema and "anyOf" not in schema:
            schema["oneOf"] = part.variants

    variants = None
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if not isinstance(members, list):
            continue
        non_null = [m for m in members if not is_null_schema(doc, m)]
        if len(non_null) < len(members):
            extra_null = True
        if len(non_null) == 1:
            inner = view(doc, non_null[0], depth + 1)
            rest = {k: v for k, v in schema.items() if k != key}
            merged = {**inner.schema, **{k: v for k, v in rest.items() if k not in inner.schema}}
            types = set(inner.types) if inner.types is not None else None
            if types is not None and extra_null:
                types.add("null")
            return View(merged, types, inner.variants, inner.via or via)
        if non_null:
            variants = non_null
        break

    types = None
    if "type" in schema:
        t = schema["type"]
        types = set(t) if isinstance(t, list) else {t}
        if extra_null:
            types.add("null")
    return View(schema, types, variants, via)


def merge(into: dict, part: dict, part_types: set[str] | None) -> dict:
    out = dict(into)
    for key, value in part.items():
        if key == "properties":
            out["properties"] = {**value, **out.get("properties", {})}
        elif key == "required":
            out["required"] = sorted(set(out.get("required", [])) | set(value))
        elif key == "additionalProperties":
            if value is False or "additionalProperties" not in out:
                out["additionalProperties"] = value
        elif key not in out:
            out[key] = value
    if part_types is not None:
        own = out.get("type")
        if own is None:
            out["type"] = sorted(part_types)
        else:
            own_set = set(own) if isinstance(own, list) else {own}
            out["type"] = sorted(own_set & part_types) or sorted(own_set)
    return out


def enum_values(schema: dict) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if isinstance(values, list) else None


def canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def type_text(types: set[str]) -> str:
    return "[" + ", ".join(sorted(types)) + "]"


class Comparison:
    def __init__(self, baseline: Any, current: Any):
        self.base = Document(baseline, "baseline")
        self.cur = Document(current, "current")
        self.findings: list[Finding] = []

    # -- reporting -----------------------------------------------------------------------
    def error(self, location: str, message: str, via: str | None = None) -> None:
        self._add("ERROR", location, message, via)

    def warn(self, location: str, message: str, via: str | None = None) -> None:
        self._add("WARNING", location, message, via)

    def _add(self, level: str, location: str, message: str, via: str | None) -> None:
        if via:
            message += f" (in {via})"
        finding = Finding(level, location, message)
        if finding not in self.findings:
            self.findings.append(finding)

    # -- paths and operations --------------------------------------------------------------
    def run(self) -> list[Finding]:
        base_paths = self.base.doc.get("paths") or {}
        cur_paths = self.cur.doc.get("paths") or {}
        cur_by_key = {template_key(p): p for p in cur_paths}
        for path, base_item in base_paths.items():
            cur_path = cur_by_key.get(template_key(path))
            if cur_path is None:
                self.error(pointer("paths", path), "path removed")
                continue
            base_item, _ = self.base.deref(base_item)
            cur_item, _ = self.cur.deref(cur_paths[cur_path])
            for method in METHODS:
                if method not in base_item:
                    continue
                loc = pointer("paths", cur_path, method)
                if method not in cur_item:
                    op_id = base_item[method].get("operationId")
                    self.error(pointer("paths", path, method), "operation removed" + (f" ({op_id})" if op_id else ""))
                    continue
                self.operation(loc, path, cur_path, base_item, cur_item, method)
        return self.findings

    def security(self, doc: Document, op: dict) -> list[dict]:
        sec = op.get("security", doc.doc.get("security"))
        return sec if isinstance(sec, list) else []

    def operation(self, loc: str, base_path: str, cur_path: str, base_item: dict, cur_item: dict, method: str) -> None:
        base_op, _ = self.base.deref(base_item[method])
        cur_op, _ = self.cur.deref(cur_item[method])
        b_id, c_id = base_op.get("operationId"), cur_op.get("operationId")
        if b_id != c_id:
            self.error(loc + "/operationId", f"operationId changed from {b_id!r} to {c_id!r}: generated clients' method names change")

        for old, new in zip(template_names(base_path), template_names(cur_path)):
            if old != new:
                self.error(loc, f"path parameter {{{old}}} renamed to {{{new}}}: generated clients' argument names change")

        b_sec, c_sec = self.security(self.base, base_op), self.security(self.cur, cur_op)
        b_public = not b_sec or any(req == {} for req in b_sec)
        c_public = not c_sec or any(req == {} for req in c_sec)
        if b_public and not c_public:
            self.error(loc + "/security", "a public operation now requires authentication")

        self.parameters(loc, base_item, cur_item, base_op, cur_op)
        self.request_body(loc, base_op, cur_op)
        self.responses(loc, base_op, cur_op)

    # -- parameters ------------------------------------------------------------------------
    def params_of(self, doc: Document, item: dict, op: dict) -> dict[tuple[str, str], dict]:
        out: dict[tuple[str, str], dict] = {}
        path_index = 0
        for source in (item.get("parameters") or [], op.get("parameters") or []):
            for raw in source:
                param, _ = doc.deref(raw)
                if not isinstance(param, dict) or "name" not in param:
                    continue
                where = param.get("in", "")
                name = param["name"].lower() if where == "header" else param["name"]
                out[(where, name)] = param
        # Path parameters match by position in the template, whatever they are called.
        renamed: dict[tuple[str, str], dict] = {}
        for (where, name), param in out.items():
            if where == "path":
                renamed[("path", f"#{path_index}:{name}")] = param
                path_index += 1
            else:
                renamed[(where, name)] = param
        return renamed

    def parameters(self, loc: str, base_item: dict, cur_item: dict, base_op: dict, cur_op: dict) -> None:
        base_params = self.params_of(self.base, base_item, base_op)
        cur_params = self.params_of(self.cur, cur_item, cur_op)

        def path_slot(key: tuple[str, str]) -> str | None:
            return key[1].split(":", 1)[0] if key[0] == "path" else None

        cur_by_slot = {path_slot(k): k for k in cur_params if k[0] == "path"}
        matched_cur: set[tuple[str, str]] = set()
        for key, b in base_params.items():
            ck = cur_by_slot.get(path_slot(key)) if key[0] == "path" else key
            c = cur_params.get(ck) if ck else None
            ploc = loc + pointer("parameters", b.get("in", ""), b["name"])
            if c is None:
                if key[0] == "path":
                    continue  # the path itself changed; reported with the path
                self.warn(ploc, "parameter removed: generated clients lose the argument")
                continue
            matched_cur.add(ck)
            if c.get("required") and not b.get("required"):
                self.error(ploc, "optional parameter is now required")
            if "schema" in b and "schema" in c:
                self.schema(b["schema"], c["schema"], ploc + "/schema", REQUEST, frozenset(), None)
        for key, c in cur_params.items():
            if key in matched_cur:
                continue
            if c.get("required"):
                ploc = loc + pointer("parameters", c.get("in", ""), c["name"])
                self.error(ploc, "new required parameter")

    # -- request bodies ----------------------------------------------------------------------
    def request_body(self, loc: str, base_op: dict, cur_op: dict) -> None:
        b, _ = self.base.deref(base_op.get("requestBody")) if "requestBody" in base_op else (None, None)
        c, _ = self.cur.deref(cur_op.get("requestBody")) if "requestBody" in cur_op else (None, None)
        bloc = loc + "/requestBody"
        if b is None and c is None:
            return
        if b is None:
            if c.get("required"):
                self.error(bloc, "a required request body was added")
            return
        if c is None:
            self.warn(bloc, "request body removed")
            return
        if c.get("required") and not b.get("required"):
            self.error(bloc, "the request body is now required")
        b_content, c_content = b.get("content") or {}, c.get("content") or {}
        for media, b_media in b_content.items():
            mloc = bloc + pointer("content", media)
            if media not in c_content:
                self.error(mloc, f"request media type {media} removed")
                continue
            c_media = c_content[media] or {}
            if "schema" in (b_media or {}) and "schema" in c_media:
                self.schema(b_media["schema"], c_media["schema"], mloc + "/schema", REQUEST, frozenset(), None)

    # -- responses -------------------------------------------------------------------------
    def responses(self, loc: str, base_op: dict, cur_op: dict) -> None:
        b_resps, c_resps = base_op.get("responses") or {}, cur_op.get("responses") or {}
        c_by_status = {str(k).upper(): k for k in c_resps}
        for status, b_raw in b_resps.items():
            if not is_success(status):
                continue
            rloc = loc + pointer("responses", status)
            c_key = c_by_status.get(str(status).upper())
            if c_key is None:
                self.error(rloc, f"success response {status} removed")
                continue
            b, _ = self.base.deref(b_raw)
            c, _ = self.cur.deref(c_resps[c_key])
            self.response(rloc, b or {}, c or {})
        b_success = {str(k).upper() for k in b_resps if is_success(k)}
        for status in c_resps:
            if is_success(status) and str(status).upper() not in b_success:
                self.warn(loc + pointer("responses", status), f"new success status {status}: clients may not expect it")

    def response(self, rloc: str, b: dict, c: dict) -> None:
        b_headers = {k.lower(): k for k in (b.get("headers") or {})}
        c_headers = {k.lower() for k in (c.get("headers") or {})}
        for lower, name in b_headers.items():
            if lower not in c_headers:
                self.error(rloc + pointer("headers", name), f"response header {name} removed")
        b_content, c_content = b.get("content") or {}, c.get("content") or {}
        for media, b_media in b_content.items():
            mloc = rloc + pointer("content", media)
            if media not in c_content:
                self.error(mloc, f"response media type {media} removed")
                continue
            c_media = c_content[media] or {}
            if "schema" in (b_media or {}) and "schema" in c_media:
                self.schema(b_media["schema"], c_media["schema"], mloc + "/schema", RESPONSE, frozenset(), None)

    # -- schemas ---------------------------------------------------------------------------
    def schema(self, b_raw: Any, c_raw: Any, loc: str, direction: str, stack: frozenset, via: str | None) -> None:
        b, c = view(self.base, b_raw), view(self.cur, c_raw)
        if b.via or c.via:
            key = (b.via, c.via, direction)
            if key in stack:
                return  # a recursive schema: this pair is already being compared
            stack = stack | {key}
        via = c.via or b.via or via
        bs, cs = b.schema, c.schema
        request = direction == REQUEST

        # Types.
        if b.types is not None and c.types is not None:
            if request:
                lost = {t for t in b.types - c.types if not (t == "integer" and "number" in c.types)}
                if lost:
                    what = "null is no longer accepted" if lost == {"null"} else f"no longer accepts {type_text(lost)}"
                    self.error(loc, f"request type narrowed from {type_text(b.types)} to {type_text(c.types)}: {what}", via)
            else:
                new = {t for t in c.types - b.types if not (t == "integer" and "number" in b.types)}
                if new:
                    what = "may now be null" if new == {"null"} else f"may now be {type_text(new)}"
                    self.error(loc, f"response type widened from {type_text(b.types)} to {type_text(c.types)}: {what}", via)

        # Formats.
        bf, cf = bs.get("format"), cs.get("format")
        if bf != cf:
            if request and cf is not None and (bf, cf) not in WIDER_FORMAT:
                self.error(loc, f"request format {'added' if bf is None else 'changed from ' + repr(bf)}: now {cf!r}", via)
            if not request and bf is not None and (cf, bf) not in WIDER_FORMAT:
                self.error(loc, f"response format {'removed' if cf is None else 'changed to ' + repr(cf)}: was {bf!r}", via)

        # Enums.
        be, ce = enum_values(bs), enum_values(cs)
        if request:
            if be is None and ce is not None:
                self.error(loc, f"request values restricted to the enum {ce}", via)
            elif be is not None and ce is not None:
                gone = [v for v in be if canon(v) not in {canon(x) for x in ce}]
                if gone:
                    self.error(loc, f"request enum value(s) removed: {gone}", via)
        elif be is not None:
            if ce is None:
                self.warn(loc, "response enum dropped: any value may now come back", via)
            else:
                gone = [v for v in be if canon(v) not in {canon(x) for x in ce}]
                new = [v for v in ce if canon(v) not in {canon(x) for x in be}]
                if gone:
                    self.error(loc, f"response enum value(s) removed: {gone}; generated enums lose them", via)
                if new:
                    self.warn(loc, f"new response enum value(s) {new}: strict clients may reject them", via)

        # Constraints on what clients send.
        if request:
            for key in UPPER_BOUNDS:
                cv, bv = cs.get(key), bs.get(key)
                if isinstance(cv, (int, float)) and not isinstance(cv, bool):
                    if not isinstance(bv, (int, float)) or isinstance(bv, bool):
                        self.error(loc, f"{key} {cv} added to a request field", via)
                    elif cv < bv:
                        self.error(loc, f"{key} lowered from {bv} to {cv}", via)
            for key in LOWER_BOUNDS:
                cv, bv = cs.get(key), bs.get(key)
                if isinstance(cv, (int, float)) and not isinstance(cv, bool):
                    if not isinstance(bv, (int, float)) or isinstance(bv, bool):
                        if key in ("minLength", "minItems", "minProperties") and cv == 0:
                            continue
                        self.error(loc, f"{key} {cv} added to a request field", via)
                    elif cv > bv:
                        self.error(loc, f"{key} raised from {bv} to {cv}", via)
            for key in ("pattern", "multipleOf"):
                if key in cs and cs.get(key) != bs.get(key):
                    change = "added" if key not in bs else f"changed from {bs[key]!r}"
                    self.error(loc, f"request {key} {change}: now {cs[key]!r}", via)
            if cs.get("uniqueItems") is True and bs.get("uniqueItems") is not True:
                self.error(loc, "request array items must now be unique", via)

        # Objects.
        self.properties(bs, cs, loc, direction, stack, via)

        # Arrays.
        if "items" in bs and "items" in cs and isinstance(bs["items"], (dict, bool)) and isinstance(cs["items"], (dict, bool)):
            self.schema(bs["items"], cs["items"], loc + "/items", direction, stack, via)

        # Unions that remain after unwrapping nullables.
        if b.variants is not None or c.variants is not None:
            self.variants(b, c, loc, direction, stack, via)

    def properties(self, bs: dict, cs: dict, loc: str, direction: str, stack: frozenset, via: str | None) -> None:
        has_object = any(k in s for s in (bs, cs) for k in ("properties", "required", "additionalProperties"))
        if not has_object:
            return
        bp, cp = bs.get("properties") or {}, cs.get("properties") or {}
        breq, creq = set(bs.get("required") or []), set(cs.get("required") or [])
        if direction == REQUEST:
            forbids = cs.get("additionalProperties") is False or cs.get("unevaluatedProperties") is False
            for name in sorted(creq - breq):
                if name in bp:
                    self.error(loc + pointer("properties", name), "request field is now required", via)
                else:
                    self.error(loc + pointer("properties", name), "new required request field", via)
            for name in bp:
                floc = loc + pointer("properties", name)
                if name not in cp:
                    if forbids:
                        self.error(floc, "request field removed, and the schema forbids additional properties: clients sending it are rejected", via)
                    else:
                        self.warn(floc, "request field removed (additional properties are allowed, so it is ignored)", via)
                    continue
                self.schema(bp[name], cp[name], floc, direction, stack, via)
            b_forbids = bs.get("additionalProperties") is False or bs.get("unevaluatedProperties") is False
            if forbids and not b_forbids and (bp or cp):
                self.error(loc, "additional properties are now forbidden in the request", via)
            if isinstance(bs.get("additionalProperties"), dict) and isinstance(cs.get("additionalProperties"), dict):
                self.schema(bs["additionalProperties"], cs["additionalProperties"], loc + "/additionalProperties", direction, stack, via)
        else:
            for name in bp:
                floc = loc + pointer("properties", name)
                if name not in cp:
                    self.error(floc, "response field removed", via)
                    continue
                if name in breq and name not in creq:
                    self.error(floc, "response field is no longer required: it may be absent", via)
                self.schema(bp[name], cp[name], floc, direction, stack, via)
            if isinstance(bs.get("additionalProperties"), dict) and isinstance(cs.get("additionalProperties"), dict):
                self.schema(bs["additionalProperties"], cs["additionalProperties"], loc + "/additionalProperties", direction, stack, via)

    def variants(self, b: View, c: View, loc: str, direction: str, stack: frozenset, via: str | None) -> None:
        kind = "oneOf" if "oneOf" in c.schema or "oneOf" in b.schema else "anyOf"
        b_list = b.variants if b.variants is not None else [b.schema]
        c_list = c.variants if c.variants is not None else [c.schema]

        def ref_name(node: Any) -> str | None:
            return node.get("$ref") if isinstance(node, dict) else None

        pairs: list[tuple[int, int]] = []
        c_free = list(range(len(c_list)))
        b_free = []
        for i, node in enumerate(b_list):
            name = ref_name(node)
            j = next((j for j in c_free if name is not None and ref_name(c_list[j]) == name), None)
            if j is None:
                b_free.append(i)
            else:
                pairs.append((i, j))
                c_free.remove(j)
        # Inline variants (or renamed ones) pair up in order.
        while b_free and c_free and len(b_free) == len(c_free):
            pairs.append((b_free.pop(0), c_free.pop(0)))
        for i, j in pairs:
            self.schema(b_list[i], c_list[j], loc + pointer(kind, j), direction, stack, via)
        if direction == REQUEST:
            for i in b_free:
                self.error(loc + pointer(kind, i), f"{kind} variant {ref_name(b_list[i]) or i} removed from the request", via)
        else:
            for j in c_free:
                self.warn(loc + pointer(kind, j), f"new {kind} variant {ref_name(c_list[j]) or j} in the response: strict clients may reject it", via)


def compare(baseline: Any, current: Any) -> list[Finding]:
    return Comparison(baseline, current).run()


def load(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or any(a in ("-h", "--help") for a in args):
        print("usage: breaking.py BASELINE.json CURRENT.json", file=sys.stderr)
        return 2
    try:
        findings = compare(load(args[0]), load(args[1]))
    except (OSError, ValueError) as error:
        print(f"breaking.py: {error}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    errors = sum(f.level == "ERROR" for f in findings)
    warnings = len(findings) - errors
    print(f"{errors} breaking change(s), {warnings} warning(s): {args[0]} -> {args[1]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
