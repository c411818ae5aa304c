"""A grammar-level check of the Mermaid flowchart subset amlmove draws (amlmove_action/diagram.py), after Mermaid's
own lexer and grammar (packages/mermaid/src/diagrams/flowchart/parser/flow.jison) and its entity pre-pass
(`encodeEntities`: `#name;` / `#123;` codes). Strict on purpose: anything outside the subset is a problem, so a
label that escaped its quotes, a line a hostile name started, or an unbalanced subgraph cannot pass.

The subset, one statement per line (leading spaces allowed):
    flowchart LR|RL|TB|TD|BT          first line
    subgraph nK["LABEL"]  …  end      balanced, ids unique
    nK["LABEL"]                       a node, declared once
    nA --> nB / nA -.-> nB            optionally with |"LABEL"| after the arrow; both ends declared
    classDef NAME prop:value,…        a style (no `;`: Mermaid's entity pre-pass edits such lines)
    class nA,nB NAME                  NAME defined by a classDef, ids declared
LABEL holds only ASCII letters, digits, space, `-_./,()+=@` and entity codes (`#35;`, `#quot;`); the word
`direction` never appears in a line (flow.jison reads `.*direction\\s+LR` anywhere in a line as a statement).

`mermaid_blocks(markdown)` finds the ```mermaid blocks of a Markdown text (an unclosed block is a problem too)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

ID = r"n\d+"
LABEL = r"(?:[A-Za-z0-9 \-_./,()+=@]|#\d{1,7};|#[A-Za-z]{2,8};)*"
_HEADER = re.compile(r"flowchart (?:LR|RL|TB|TD|BT)")
_SUBGRAPH = re.compile(rf'subgraph ({ID})\["({LABEL})"\]')
_NODE = re.compile(rf'({ID})\["({LABEL})"\]')
_EDGE = re.compile(rf'({ID}) (?:-->|-\.->)(?:\|"({LABEL})"\|)? ({ID})')
_CLASSDEF = re.compile(r"classDef ([a-z][a-z0-9]*) ([a-z-]+:[#a-z0-9 .%-]+(?:,[a-z-]+:[#a-z0-9 .%-]+)*)")
_CLASS = re.compile(rf"class ({ID}(?:,{ID})*) ([a-z][a-z0-9]*)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(\S*)")


@dataclass
class Flowchart:
    """What a checked flowchart declares (for tests that look past "it parses")."""

    nodes: dict[str, str] = field(default_factory=dict)  # id → label as written (entity codes kept)
    subgraphs: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, str | None]] = field(default_factory=list)
    classes: dict[str, list[str]] = field(default_factory=dict)  # class name → node ids
    parents: dict[str, str | None] = field(default_factory=dict)  # node or subgraph id → the subgraph it is in
    problems: list[str] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)  # subgraphs not ended yet
    _styles: set[str] = field(default_factory=set)
    _pending: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (line, what, ids) checked at the end


def check(text: str) -> Flowchart:
    """The flowchart in `text`, with every way it leaves the subset in `.problems` (empty: it parses)."""
    chart = Flowchart()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not _HEADER.fullmatch(lines[0]):
        chart.problems.append("line 1: not a `flowchart <direction>` header")
    for number, raw in enumerate(lines[1:], 2):
        if re.search(r"(?i)direction", raw):
            chart.problems.append(f"line {number}: holds `direction` (read as a direction statement)")
        if raw != raw.rstrip() or "\t" in raw or "\r" in raw:
            chart.problems.append(f"line {number}: trailing space, tab or CR")
        _statement(chart, number, raw.strip())
    if chart._open:
        chart.problems.append(f"{len(chart._open)} subgraph(s) never ended")
    for number, what, node_ids in chart._pending:
        chart.problems += [f"line {number}: {what} names undeclared {i}" for i in node_ids if i not in chart.nodes]
    chart.problems += [f"class {name} has no classDef" for name in chart.classes if name not in chart._styles]
    if not chart.nodes:
        chart.problems.append("no node")
    return chart


def _statement(chart: Flowchart, number: int, line: str) -> None:
    if m := _SUBGRAPH.fullmatch(line):
        _declare(chart, number, m.group(1))
        chart.subgraphs[m.group(1)] = m.group(2)
        chart.parents[m.group(1)] = chart._open[-1] if chart._open else None
        chart._open.append(m.group(1))
    elif line == "end":
        if chart._open:
            chart._open.pop()
        else:
            chart.problems.append(f"line {number}: `end` without a subgraph")
    elif m := _NODE.fullmatch(line):
        _declare(chart, number, m.group(1))
        chart.nodes[m.group(1)] = m.group(2)
        chart.parents[m.group(1)] = chart._open[-1] if chart._open else None
    elif m := _EDGE.fullmatch(line):
        chart.edges.append((m.group(1), m.group(3), m.group(2)))
        chart._pending.append((number, "edge", [m.group(1), m.group(3)]))
    elif m := _CLASSDEF.fullmatch(line):
        chart._styles.add(m.group(1))
    elif m := _CLASS.fullmatch(line):
        chart.classes.setdefault(m.group(2), []).extend(m.group(1).split(","))
        chart._pending.append((number, f"class {m.group(2)}", m.group(1).split(",")))
    else:
        chart.problems.append(f"line {number}: not in the flowchart subset: {line[:80]!r}")


def _declare(chart: Flowchart, number: int, node_id: str) -> None:
    if node_id in chart.nodes or node_id in chart.subgraphs:
        chart.problems.append(f"line {number}: {node_id} declared twice")


def problems(text: str) -> list[str]:
    return check(text).problems


def mermaid_blocks(markdown: str) -> tuple[list[str], list[str]]:
    """(the text of every ```mermaid block, problems): a fence closes only with the same character, at least as long,
    and nothing after it (CommonMark); a block left open is a problem."""
    blocks: list[str] = []
    found: list[str] = []
    opened: tuple[str, str, list[str]] | None = None  # (fence, info, lines)
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if opened is None:
            if m:
                opened = (m.group(1), m.group(2), [])
            continue
        fence, info, body = opened
        if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
            if info == "mermaid":
                blocks.append("\n".join(body) + "\n")
            opened = None
        else:
            body.append(line)
    if opened is not None:
        found.append(f"a ```{opened[1]} block is never closed")
    return blocks, found


def inside(chart: Flowchart, title_start: str) -> dict[str, str]:
    """The nodes of the subgraph whose title (as shown) starts with `title_start`: label as shown → id."""
    group = next(g for g, title in chart.subgraphs.items() if decoded(title).startswith(title_start))
    return {decoded(text): node for node, text in chart.nodes.items() if chart.parents[node] == group}


def decoded(label: str) -> str:
    """A label as Mermaid shows it: its entity codes decoded (`#35;` → `#`, `#quot;` → `"`), as Mermaid turns them
    into HTML entities (`decodeEntities`)."""
    return html.unescape(
        re.sub(r"#(\d+|[A-Za-z]+);", lambda m: f"&{'#' if m.group(1).isdigit() else ''}{m.group(1)};", label)
    )
