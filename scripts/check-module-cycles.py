#!/usr/bin/env python3
"""Import cycles and layer rules among the crate's modules, for CI.

Reads every src/**/*.rs and maps each file to its module path (src/lib.rs and
src/main.rs are the crate root, src/a/mod.rs is `a`, src/a/b.rs is `a::b`). A file's
crate-internal references are its `use` paths (grouped and multi-line forms too) and the
paths in its code that start with `crate::`, `super::`, `self::`, the library's own name
(main.rs reaches the library as `llcp_hub::`) or a child module the file declares. Each
resolves to the longest module prefix that is a file: `crate::repo::events::EventRow` is
`repo::events`. Comments, string literals and `#[cfg(test)]` items are ignored (test code
may reach upward).

The file-level graph has an edge for every such reference except a file's references to
itself and a parent's `pub use` re-exports of what lies below it (with `mod`
declarations, which are no references at all: a mod.rs that declares and re-exports its
children is no cycle).

    scripts/check-module-cycles.py             every cycle (strongly connected group of
                                               files), with one example reference per
                                               step; exit 1 if there is one
    scripts/check-module-cycles.py --layers    the layer rule below; exit 1 if broken
    scripts/check-module-cycles.py --self-test

The layer rule, on top-level module names (the first path segment; lib.rs is `lib`,
main.rs is `main`): `repo`, `db` and `domain` import none of `routes`, `http`,
`service`, `app`, `notify`, `feeds`; `service`, `notify` and `feeds` import none of
`routes`, `http`, `app`; `http` imports none of `routes`, `service`, `app`; and
nothing but `app`, `demo`, `main`, `lib`, `routes` and `openapi` imports `routes`.

Standard library only.
"""

from __future__ import annotations

import argparse
import bisect
import re
import sys
import unittest
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

# ---------------------------------------------------------------- source text


def strip_code(text: str) -> str:
    """The text with comments, string and char literals blanked (newlines kept, so
    offsets and line numbers stay those of the file)."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        prev = text[i - 1] if i > 0 else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rbc" and not (prev.isalnum() or prev == "_"):
            # r"..", r#".."#, br".." and friends; b"..", c"..", b'.' fall through below.
            m = re.compile(r"(?:br|cr|r)(#*)\"").match(text, i)
            if m:
                end = text.find('"' + m.group(1), m.end())
                end = n if end < 0 else end + 1 + len(m.group(1))
                blank(i, end)
                i = end
            elif c in "bc" and nxt in "\"'":
                i += 1  # the literal itself is blanked from its quote
            else:
                i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime / label ('a).
            if nxt == "\\":
                j = text.find("'", i + 2)
                j = n if j < 0 else j
                if text[i + 2 : i + 3] == "'":  # '\''
                    j = i + 3
                blank(i, j + 1)
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def matching(code: str, open_at: int, pair: str = "{}") -> int:
    """Offset just past the bracket that closes the one at open_at (len(code) if none)."""
    depth = 0
    for k in range(open_at, len(code)):
        ch = code[k]
        if ch == pair[0]:
            depth += 1
        elif ch == pair[1]:
            depth -= 1
            if depth == 0:
                return k + 1
    return len(code)


CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")
CFG_TEST_INNER = re.compile(r"#\s*!\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")


def blank_test_items(code: str) -> str:
    """Blanks every item marked #[cfg(test)]: a `mod tests { .. }` block, a test-only fn,
    impl or use. A file marked #![cfg(test)] is blanked whole."""
    if CFG_TEST_INNER.search(code):
        return re.sub(r"[^\n]", " ", code)
    out = list(code)
    pos = 0
    while True:
        m = CFG_TEST.search(code, pos)
        if not m:
            break
        j = m.end()
        while True:  # further attributes on the same item
            ws = re.compile(r"\s*").match(code, j)
            j = ws.end()
            if code.startswith("#", j):
                b = code.find("[", j)
                j = matching(code, b, "[]") if b >= 0 else len(code)
            else:
                break
        # The item ends at its first `;` outside brackets, or at the brace closing its body.
        depth, k, end = 0, j, len(code)
        while k < len(code):
            ch = code[k]
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            elif ch == ";" and depth == 0:
                end = k + 1
                break
            elif ch == "{" and depth == 0:
                end = matching(code, k)
                break
            k += 1
        for q in range(m.start(), end):
            if out[q] != "\n":
                out[q] = " "
        pos = end
    return "".join(out)


# ---------------------------------------------------------------- files and modules


def module_of(rel: str) -> tuple[str, ...]:
    """'lib.rs' and 'main.rs' → (); 'a/mod.rs' → ('a',); 'a/b.rs' → ('a', 'b')."""
    parts = rel.split("/")
    if parts in (["lib.rs"], ["main.rs"]):
        return ()
    if parts[-1] == "mod.rs":
        return tuple(parts[:-1])
    return tuple(parts[:-1]) + (parts[-1][: -len(".rs")],)


def display(rel: str) -> str:
    if rel == "lib.rs":
        return "lib"
    if rel == "main.rs":
        return "main"
    return "::".join(module_of(rel))


def top_of(rel: str) -> str:
    return display(rel).split("::")[0]


@dataclass
class Ref:
    line: int
    text: str  # the path as written, expanded from its use group
    kind: str  # "use", "pub-use" or "path"


@dataclass
class Graph:
    files: list[str]  # paths relative to src/
    edges: dict[tuple[str, str], list[Ref]] = field(default_factory=dict)

    def add(self, src: str, dst: str, ref: Ref) -> None:
        self.edges.setdefault((src, dst), []).append(ref)

    def succ(self) -> dict[str, list[str]]:
        s: dict[str, list[str]] = {f: [] for f in self.files}
        for a, b in sorted(self.edges):
            s[a].append(b)
        return s

    def example(self, a: str, b: str) -> Ref:
        return min(self.edges[(a, b)], key=lambda r: r.line)


USE = re.compile(r"(?<![\w$])(pub(?:\s*\([^)]*\))?\s+)?use\s+")
MOD_DECL = re.compile(r"(?<![\w$])(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+(\w+)\s*([;{])")
MACRO_EXPORT = re.compile(r"#\s*\[\s*macro_export[^\]]*\]\s*macro_rules!\s*(\w+)")
TOKEN = re.compile(r"r#\w+|\w+|::|[{},*;]")


def parse_use_tree(tokens: list[tuple[str, int]]) -> list[tuple[list[str], int]]:
    """The full paths of a use tree (its tokens after `use`, up to `;`), each with the
    offset of its last segment. `a::{self, b}` gives a and a::b; `a::*` gives a."""
    paths: list[tuple[list[str], int]] = []
    pos = 0

    def peek() -> str:
        return tokens[pos][0] if pos < len(tokens) else ""

    def tree(prefix: list[str], at: int) -> None:
        nonlocal pos
        segs = list(prefix)
        last = at
        if peek() == "::":  # `::std::..` (an extern crate) or after a group's prefix
            pos += 1
            if not prefix:
                segs.append("::")
        while True:
            t = peek()
            if t == "{":
                pos += 1
                while peek() not in ("}", ""):
                    before = pos
                    tree(segs, last)
                    if peek() == ",":
                        pos += 1
                    if pos == before:  # not a use tree: skip the token
                        pos += 1
                if peek() == "}":
                    pos += 1
                return
            if t == "*":
                pos += 1
                paths.append((segs, last))
                return
            if t and t not in ("::", ",", "}", ";"):
                segs.append(t.removeprefix("r#"))
                last = tokens[pos][1]
                pos += 1
                if peek() == "as":
                    pos += 2  # the alias
                if peek() == "::":
                    pos += 1
                    continue
                if segs and segs[-1] == "self":
                    segs = segs[:-1]
                paths.append((segs, last))
                return
            return

    while pos < len(tokens) and peek() != ";":
        before = pos
        tree([], tokens[pos][1])
        if peek() == ",":
            pos += 1
        if pos == before:
            pos += 1
    return paths


def analyse(sources: dict[str, str], crate_name: str = "llcp_hub") -> Graph:
    """The file graph of a crate given as {path relative to src/: text}."""
    files = sorted(sources)
    by_module: dict[tuple[str, ...], str] = {}
    for rel in files:
        mod = module_of(rel)
        if mod == () and rel == "main.rs" and "lib.rs" in sources:
            continue
        by_module.setdefault(mod, rel)
    graph = Graph(files)

    cleaned = {rel: blank_test_items(strip_code(sources[rel])) for rel in files}
    macros: dict[str, str] = {}  # #[macro_export] macros live at the crate root by name
    for rel in files:
        if rel != "main.rs":
            for m in MACRO_EXPORT.finditer(cleaned[rel]):
                macros.setdefault(m.group(1), rel)

    def resolve(rel: str, scope: tuple[str, ...], segs: list[str], children: set[str]):
        """The file a path reaches, or None for an extern crate or a local name."""
        if not segs or segs[0] == "::":
            return None
        head = segs[0]
        bin_root = False
        if head in ("crate", "$crate"):
            absolute = segs[1:]
            bin_root = rel == "main.rs"
        elif head == crate_name:
            absolute = segs[1:]
        elif head in ("super", "self"):
            base = list(scope)
            k = 0
            while k < len(segs) and segs[k] in ("super", "self"):
                if segs[k] == "super":
                    base = base[:-1]
                k += 1
            absolute = base + segs[k:]
        elif head in children and len(scope) == len(module_of(rel)):
            absolute = list(scope) + segs
        else:
            return None
        for k in range(len(absolute), 0, -1):
            hit = by_module.get(tuple(absolute[:k]))
            if hit:
                return hit
        if bin_root:
            return rel
        if len(absolute) >= 1 and absolute[0] in macros:
            return macros[absolute[0]]
        return by_module.get(())

    for rel in files:
        code = cleaned[rel]
        newlines = [k for k, ch in enumerate(code) if ch == "\n"]

        def line_of(offset: int) -> int:
            return bisect.bisect_right(newlines, offset - 1) + 1

        own = module_of(rel)
        children: set[str] = set()
        inline: list[tuple[int, int, str]] = []  # inline `mod name { .. }` blocks
        for m in MOD_DECL.finditer(code):
            if m.group(2) == ";":
                children.add(m.group(1))
            else:
                brace = m.end() - 1
                inline.append((brace, matching(code, brace), m.group(1)))

        def scope_at(offset: int) -> tuple[str, ...]:
            names = [name for a, b, name in sorted(inline) if a < offset < b]
            return own + tuple(names)

        def add(segs: list[str], at: int, text: str, kind: str) -> None:
            dst = resolve(rel, scope_at(at), segs, children)
            if dst is None or dst == rel:
                return
            if kind == "pub-use" and module_of(dst)[: len(own)] == own and rel != "main.rs":
                if len(module_of(dst)) > len(own):
                    return  # a parent re-exporting what lies below it
            graph.add(rel, dst, Ref(line_of(at), text, kind))

        masked = list(code)
        for m in USE.finditer(code):
            end = code.find(";", m.end())
            end = len(code) if end < 0 else end + 1
            tokens = [(t.group(0), t.start()) for t in TOKEN.finditer(code, m.end(), end)]
            kind = "pub-use" if m.group(1) else "use"
            for segs, at in parse_use_tree(tokens):
                add(segs, at, ("pub use " if m.group(1) else "use ") + "::".join(segs), kind)
            for q in range(m.start(), end):
                if masked[q] != "\n":
                    masked[q] = " "
        rest = "".join(masked)

        heads = ["\\$?crate", "super", "self", re.escape(crate_name)] + sorted(children)
        inline_path = re.compile(
            r"(?<![\w:.$])(?:%s)(?:\s*::\s*(?:r#)?\w+)+" % "|".join(heads)
        )
        for m in inline_path.finditer(rest):
            if re.search(r"\(\s*in\s*$", rest[max(0, m.start() - 12) : m.start()]):
                continue  # pub(in crate::a): a visibility, no reference
            text = re.sub(r"\s+", "", m.group(0))
            segs = [s.removeprefix("r#") for s in text.split("::")]
            if len(segs) < 2:
                continue
            add(segs, m.start() + m.group(0).rfind(segs[-1]), text, "path")
    return graph


# ---------------------------------------------------------------- cycles


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative; the groups of two or more files, sorted."""
    succ = graph.succ()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in graph.files:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            children = succ[node]
            while i < len(children):
                child = children[i]
                i += 1
                if child not in index:
                    work.append((node, i))
                    work.append((child, 0))
                    recurse = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if recurse:
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.append(w)
                    if w == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(groups, key=lambda g: (-len(g), g))


def shortest_cycle(graph: Graph, start: str, members: set[str]) -> list[str]:
    """The shortest cycle start → … → start inside members (start repeated at the end)."""
    succ = graph.succ()
    came: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for v in succ[u]:
            if v == start:
                path = [u]
                while came[path[-1]] is not None:
                    path.append(came[path[-1]])  # type: ignore[arg-type]
                return list(reversed(path)) + [start]
            if v in members and v not in came:
                came[v] = u
                queue.append(v)
    return [start]


def edge_rows(graph: Graph, pairs: list[tuple[str, str]], indent: str) -> list[str]:
    """One aligned line per edge: the modules, the first reference's place and text."""
    rows = []
    for a, b in pairs:
        ref = graph.example(a, b)
        more = len(graph.edges[(a, b)]) - 1
        rows.append((f"{display(a)} -> {display(b)}", f"src/{a}:{ref.line}",
                     ref.text + (f" (+{more} more)" if more else "")))
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    return [f"{indent}{r[0]:<{w1}}  {r[1]:<{w2}}  {r[2]}" for r in rows]


def report_cycles(graph: Graph, out) -> int:
    groups = strongly_connected(graph)
    if not groups:
        print(f"no import cycles among {len(graph.files)} modules", file=out)
        return 0
    in_cycles = sum(len(g) for g in groups)
    print(
        f"import cycles: {in_cycles} of {len(graph.files)} modules in {len(groups)} "
        f"strongly connected group{'s' if len(groups) > 1 else ''}",
        file=out,
    )
    for n, group in enumerate(groups, 1):
        members = set(group)
        print(f"\ngroup {n} ({len(group)} modules): {', '.join(display(f) for f in group)}", file=out)
        covered: set[str] = set()
        for start in group:  # cycles until every member is on one
            if start in covered:
                continue
            cycle = shortest_cycle(graph, start, members)
            covered.update(cycle)
            print("  cycle: " + " -> ".join(display(f) for f in cycle), file=out)
            for row in edge_rows(graph, list(zip(cycle, cycle[1:])), "    "):
                print(row, file=out)
    return 1


# ---------------------------------------------------------------- layers

LOWER = {"repo", "db", "domain"}
# Rendering and sending (notifications, feeds) sit beside services, below the HTTP layer.
RENDERING = {"notify", "feeds"}
# demo loads bulletin 14 through the API's own input type, so that the demo data passes
# exactly the validation a client's would.
MAY_IMPORT_ROUTES = {"app", "demo", "main", "lib", "routes", "openapi"}


def layer_rule(src_top: str, dst_top: str) -> str | None:
    """Why an import from top-level module src_top of dst_top breaks the rule, if it does."""
    if src_top == dst_top:
        return None
    if src_top in LOWER and dst_top in {"routes", "http", "service", "app"} | RENDERING:
        return f"{src_top} must not import {dst_top}"
    if src_top in {"service"} | RENDERING and dst_top in {"routes", "http", "app"}:
        return f"{src_top} must not import {dst_top}"
    if src_top == "http" and dst_top in {"routes", "service", "app"}:
        return f"http must not import {dst_top}"
    if dst_top == "routes" and src_top not in MAY_IMPORT_ROUTES:
        allowed = sorted(MAY_IMPORT_ROUTES)
        return f"only {', '.join(allowed[:-1])} and {allowed[-1]} may import routes"
    return None


def layer_violations(graph: Graph) -> list[tuple[str, str, str]]:
    found = []
    for a, b in sorted(graph.edges):
        why = layer_rule(top_of(a), top_of(b))
        if why:
            found.append((a, b, why))
    return found


def report_layers(graph: Graph, out) -> int:
    found = layer_violations(graph)
    if not found:
        print(f"no layer violations among {len(graph.files)} modules", file=out)
        return 0
    print(f"layer violations: {len(found)} imports among {len(graph.files)} modules", file=out)
    for why in sorted({w for _, _, w in found}):
        print(f"\n{why}:", file=out)
        for row in edge_rows(graph, [(a, b) for a, b, w in found if w == why], "  "):
            print(row, file=out)
    return 1


# ---------------------------------------------------------------- self-test


class SelfTest(unittest.TestCase):
    def edges(self, sources: dict[str, str]) -> set[tuple[str, str]]:
        return set(analyse(sources).edges)

    def test_cycle_found_with_example_lines(self):
        g = analyse({
            "lib.rs": "pub mod a;\npub mod b;\npub mod c;\n",
            "a.rs": "use crate::b::Thing;\n",
            "b.rs": "\n\nfn f() { crate::a::go(); }\n",
            "c.rs": "use crate::a;\n",
        })
        self.assertEqual(strongly_connected(g), [["a.rs", "b.rs"]])
        self.assertEqual(g.example("b.rs", "a.rs").line, 3)
        self.assertEqual(g.example("a.rs", "b.rs").text, "use crate::b::Thing")

    def test_grouped_multi_line_use(self):
        e = self.edges({
            "lib.rs": "pub mod a;\npub mod x;\npub mod y;\n",
            "a.rs": "use crate::{\n    x::{self, Item},\n    y::z::Deep as D,\n};\n",
            "x.rs": "",
            "y/mod.rs": "pub mod z;\n",
            "y/z.rs": "",
        })
        self.assertEqual(e, {("a.rs", "x.rs"), ("a.rs", "y/z.rs")})

    def test_longest_module_prefix(self):
        g = analyse({
            "lib.rs": "pub mod repo;\npub mod routes;\n",
            "repo/mod.rs": "pub mod events;\n",
            "repo/events.rs": "pub struct EventRow;\n",
            "routes.rs": "fn f(r: crate::repo::events::EventRow) {}\n",
        })
        self.assertEqual(set(g.edges), {("routes.rs", "repo/events.rs")})

    def test_super_paths(self):
        e = self.edges({
            "lib.rs": "pub mod notify;\n",
            "notify/mod.rs": "pub mod outbox;\npub mod templates;\npub struct Links;\n",
            "notify/outbox.rs": "use super::templates::Message;\nfn f() -> super::Links { todo!() }\n",
            "notify/templates.rs": "",
        })
        self.assertEqual(e, {("notify/outbox.rs", "notify/templates.rs"), ("notify/outbox.rs", "notify/mod.rs")})

    def test_test_blocks_comments_and_strings_ignored(self):
        e = self.edges({
            "lib.rs": "pub mod a;\npub mod b;\n",
            "a.rs": (
                "// use crate::b::X;\n/* crate::b::Y */\nconst S: &str = \"crate::b::Z\";\n"
                "const R: &str = r#\"use crate::b::W;\"#;\nconst C: char = '{';\n"
                "#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::b::Helper;\n"
                "    fn t() { let _ = '}'; crate::b::go(); }\n}\n"
            ),
            "b.rs": "use crate::a::Thing;\n",
        })
        self.assertEqual(e, {("b.rs", "a.rs")})

    def test_lifetimes_and_byte_chars_do_not_hide_code(self):
        e = self.edges({
            "lib.rs": "pub mod a;\npub mod b;\n",
            "a.rs": "fn f<'a>(x: &'a [u8]) -> bool { x[0] == b'{' && crate::b::go(x) }\n",
            "b.rs": "",
        })
        self.assertEqual(e, {("a.rs", "b.rs")})

    def test_long_cycle_without_recursion(self):
        n = 3000
        files = {"lib.rs": "".join(f"pub mod m{i};\n" for i in range(n))}
        files.update({f"m{i}.rs": f"use crate::m{(i + 1) % n}::X;\n" for i in range(n)})
        groups = strongly_connected(analyse(files))
        self.assertEqual([len(g) for g in groups], [n])

    def test_parent_reexports_are_no_dependency(self):
        g = analyse({
            "lib.rs": "pub mod auth;\n",
            "auth/mod.rs": "pub mod jwt;\nmod keys;\npub use jwt::JwtKeys;\npub use self::keys::Key;\n",
            "auth/jwt.rs": "use super::Shared;\n",
            "auth/keys.rs": "",
        })
        self.assertEqual(set(g.edges), {("auth/jwt.rs", "auth/mod.rs")})
        self.assertEqual(strongly_connected(g), [])

    def test_parent_using_its_child_is_a_dependency(self):
        g = analyse({
            "lib.rs": "pub mod repo;\n",
            "repo/mod.rs": "pub mod events;\nuse events::count;\nfn like_escape() {}\n",
            "repo/events.rs": "fn f() { super::like_escape(); }\n",
        })
        self.assertEqual(strongly_connected(g), [["repo/events.rs", "repo/mod.rs"]])

    def test_main_reaches_the_library_by_name(self):
        e = self.edges({
            "lib.rs": "pub mod app;\npub mod pagination;\n",
            "main.rs": "use llcp_hub::app::Application;\n",
            "app.rs": "use crate::list_envelope;\n",
            "pagination.rs": "#[macro_export]\nmacro_rules! list_envelope { () => {} }\n",
        })
        # An exported macro is named at the crate root but lives where it is defined.
        self.assertEqual(e, {("main.rs", "app.rs"), ("app.rs", "pagination.rs")})

    def test_layer_rule(self):
        g = analyse({
            "lib.rs": "pub mod repo;\npub mod routes;\npub mod feeds;\npub mod app;\n",
            "repo.rs": "use crate::routes::X;\n",
            "routes.rs": "",
            "feeds.rs": "fn f() { crate::routes::g(); }\n",
            "app.rs": "use crate::routes;\n",
        })
        self.assertEqual(
            [(a, b) for a, b, _ in layer_violations(g)],
            [("feeds.rs", "routes.rs"), ("repo.rs", "routes.rs")],
        )


# ---------------------------------------------------------------- main


def crate_name_of(root: Path) -> str:
    try:
        import tomllib

        cargo = tomllib.loads((root / "Cargo.toml").read_text())
        return cargo.get("lib", {}).get("name") or cargo["package"]["name"].replace("-", "_")
    except (ImportError, OSError, KeyError, ValueError):
        return "llcp_hub"


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=here / "src", help="the crate's src/ (default: this repo's)")
    ap.add_argument("--layers", action="store_true", help="check the layer rule instead of cycles")
    ap.add_argument("--self-test", action="store_true", help="run the script's own tests")
    args = ap.parse_args(argv)
    if args.self_test:
        result = unittest.main(argv=[sys.argv[0], "-v"], exit=False, module=__name__).result
        return 0 if result.wasSuccessful() else 1
    src = args.src.resolve()
    if not src.is_dir():
        print(f"check-module-cycles: no directory {src}", file=sys.stderr)
        return 2
    sources = {p.relative_to(src).as_posix(): p.read_text(encoding="utf-8") for p in sorted(src.rglob("*.rs"))}
    graph = analyse(sources, crate_name_of(src.parent))
    return report_layers(graph, sys.stdout) if args.layers else report_cycles(graph, sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
