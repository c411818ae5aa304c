"""A picture of the move: a Mermaid flowchart for plan.md / report.md and the job summary — the source group and the
destination group, what moves, what is deleted first, what stays behind while the moved workspace still uses it, and
what apply recreates after the move.

Pure: it draws from lists the caller gives (render.py and report.py compute them) and from the typed plan or the
report's JSON. Everything in a label is untrusted (resource names come from Azure), so:
- node ids are generated (n1, n2, …), never derived from a name;
- every label is double-quoted and holds only ASCII letters, digits, space and `-_./,()+=@`; any other character
  (quote, `#`, `;`, `:`, backtick, `<`, `>`, `%`, `{`, `}`, `|`, `[`, `]`, non-ASCII) becomes Mermaid's entity code
  `#<decimal>;`, which Mermaid shows as that character. So a label can neither end its string, open a Markdown
  string (`"` + backtick), start a comment or a `%%{init}%%` directive, trip Mermaid's entity pre-pass
  (`style…:…#…;`), nor hold the `::` / `##` a CI runner reads as a command; line breaks and invisible characters
  become spaces (safetext.one_line), so nothing can start a line of its own (`click`, `end`, a closing fence);
- the `d` of `direction` is also written as `#100;`: flow.jison's lexer matches `.*direction\\s+(TB|BT|LR|RL)` over the
  whole line before it looks at strings, so a label holding "direction LR" would otherwise turn its line into a
  direction statement (the node vanishes; checked with mermaid 12.4.0's own parser).
The picture stays readable for large workspaces: each list shows at most MAX_LISTED nodes, the rest is one
"+ N more" node."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import ids
from .safetext import one_line

if TYPE_CHECKING:
    from .plan import Plan

HEADING = "### The move at a glance"
MAX_LISTED = 8  # nodes per list (what moves, what is deleted, what stays, what is recreated); the rest is one node
NAME_CHARS = 64  # a name longer than this is cut (with …) before it is escaped
LABEL_CHARS = 200  # a whole label (a name with its kind, group and subscription), likewise
# … and at most this long once escaped (a name of emoji is 8 characters each): with at most ~70 nodes, a picture stays
# under Mermaid's default maxTextSize (50,000 characters), beyond which GitHub shows an error instead of the picture.
ENCODED_CHARS = 480
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./,()+=@")
_DIRECTION = re.compile(r"(?i)d(?=irection)")
_ELLIPSIS = "#8230;"


@dataclass(frozen=True)
class Recreated:
    """One kind of object apply recreates after the move: the PlanOptions field that turns it on, the plan's export
    kinds it recreates from, the report's follow-up kinds that say how it went, and what to call it."""

    option: str
    export_kinds: tuple[str, ...]
    follow_up_kinds: tuple[str, ...]
    what: str


# What apply recreates after the move (each kind one line).
RECREATED = (
    Recreated("recreate_computes", ("compute",), ("compute",), "Compute"),
    Recreated("recreate_endpoints", ("online-endpoint", "batch-endpoint"), ("endpoint",), "Endpoint"),
)

# Words for the resource types a picture names (lower-case ARM type → what people call it).
KINDS = {
    "microsoft.machinelearningservices/workspaces": "Azure ML workspace",
    "microsoft.machinelearningservices/workspaces/computes": "Compute",
    "microsoft.machinelearningservices/workspaces/onlineendpoints": "Online endpoint",
    "microsoft.machinelearningservices/workspaces/batchendpoints": "Batch endpoint",
    "microsoft.machinelearningservices/workspaces/serverlessendpoints": "Serverless endpoint",
    "microsoft.storage/storageaccounts": "Storage account",
    "microsoft.keyvault/vaults": "Key vault",
    "microsoft.containerregistry/registries": "Container registry",
    "microsoft.insights/components": "Application Insights",
    "microsoft.managedidentity/userassignedidentities": "User-assigned identity",
    "microsoft.operationalinsights/workspaces": "Log Analytics workspace",
}

# One style per role, stroke only (readable in light and dark themes).
STYLES = {
    "moves": "stroke:#1a7f37,stroke-width:2px",
    "deleted": "stroke:#cf222e,stroke-dasharray:5 5",
    "stays": "stroke:#9a6700,stroke-width:2px",
    "recreated": "stroke:#0969da,stroke-width:2px",
    "problem": "stroke:#cf222e,stroke-width:3px",
}


def label(value: object, limit: int = LABEL_CHARS) -> str:
    """Untrusted text as the inside of a double-quoted Mermaid label (see the module docstring), at most
    ENCODED_CHARS long once escaped (cut with …)."""
    text = one_line(value)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    direction = {m.start() for m in _DIRECTION.finditer(text)}
    out: list[str] = []
    size = 0
    for i, ch in enumerate(text):
        piece = ch if ch in _SAFE and i not in direction else f"#{ord(ch)};"
        if size + len(piece) > ENCODED_CHARS - len(_ELLIPSIS):
            return "".join(out) + _ELLIPSIS
        out.append(piece)
        size += len(piece)
    return "".join(out)


def _cut(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def describe(resource_id: str) -> str:
    """`Key vault kv-shared` for a resource id (the last segment of anything unparsable)."""
    try:
        parsed = ids.ResourceId.parse(resource_id)
    except ValueError:
        return resource_id.rstrip("/").rsplit("/", 1)[-1]
    kind = KINDS.get(parsed.type.lower(), parsed.type.rsplit("/", 1)[-1])
    return f"{kind} {_cut(parsed.name)}"


def where(resource_id: str) -> str:
    """` (group g, subscription s…)` for a resource outside the groups the picture draws."""
    try:
        parsed = ids.ResourceId.parse(resource_id)
    except ValueError:
        return ""
    return f" (group {_cut(parsed.resource_group or '-')}, subscription {_cut(parsed.subscription_id)})"


@dataclass
class Flowchart:
    """A Mermaid flowchart built from generated ids: nodes are declared inside their subgraph, edges and classes
    come after every subgraph has ended."""

    more_hint: str  # where the full lists are, for the "+ N more" nodes
    body: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    classes: dict[str, list[str]] = field(default_factory=dict)
    _count: int = 0
    _depth: int = 1

    def _next_id(self) -> str:
        self._count += 1
        return f"n{self._count}"

    @contextmanager
    def subgraph(self, title: str) -> Iterator[None]:
        self.body.append(f'{"  " * self._depth}subgraph {self._next_id()}["{label(title)}"]')
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.body.append(f"{'  ' * self._depth}end")

    def node(self, text: str, style: str | None = None) -> str:
        node_id = self._next_id()
        self.body.append(f'{"  " * self._depth}{node_id}["{label(text)}"]')
        if style:
            self.classes.setdefault(style, []).append(node_id)
        return node_id

    def listed(self, texts: Sequence[str], style: str, what: str, styles: Sequence[str] = ()) -> list[str]:
        """A node per text, at most MAX_LISTED; the rest as one "+ N more" node (last in the list returned).
        `styles`, when given, is each text's own style."""
        shown = [self.node(t, styles[i] if styles else style) for i, t in enumerate(texts[:MAX_LISTED])]
        if len(texts) > MAX_LISTED:
            shown.append(self.node(f"+ {len(texts) - MAX_LISTED} more {what} ({self.more_hint})", style))
        return shown

    def edge(self, start: str, end: str, text: str | None = None, dotted: bool = False) -> None:
        arrow = "-.->" if dotted else "-->"
        words = f'|"{label(text, 60)}"|' if text else ""
        self.edges.append(f"  {start} {arrow}{words} {end}")

    def lines(self) -> list[str]:
        """The flowchart's text; none when it has no node (nothing to draw)."""
        if not any(self.classes.values()):
            return []
        styles = [f"  classDef {name} {STYLES[name]}" for name in self.classes]
        members = [f"  class {','.join(node_ids)} {name}" for name, node_ids in self.classes.items()]
        return ["flowchart LR", *self.body, *self.edges, *styles, *members]


def section(lines: Sequence[str]) -> list[str]:
    """The picture as Markdown: a short heading and a ```mermaid block (GitHub draws it; elsewhere it stays text);
    nothing for no picture."""
    if not lines:
        return []
    return [HEADING, "", "```mermaid", *lines, "```", ""]


def _group_title(side: str, group_id: str, note: str = "") -> str:
    try:
        parsed = ids.ResourceId.parse(group_id)
    except ValueError:
        return f"{side} group {group_id}{note}"
    return f"{side} group {_cut(parsed.resource_group or '-')} (subscription {_cut(parsed.subscription_id)}{note})"


def recreated_from_plan(plan: Plan) -> list[tuple[str, str]]:
    """(resource id it had, what to call it) for each object apply will recreate after the move (its opt-in on)."""
    out = []
    for kind in RECREATED:
        if getattr(plan.options, kind.option, False):
            out += [
                (str(e["resourceId"]), f"{kind.what} {e['name']}")
                for e in plan.exports
                if e["kind"] in kind.export_kinds
            ]
    return out


def plan_lines(plan: Plan, removed: Sequence[str], staying: Sequence[str]) -> list[str]:
    """The flowchart of a plan: `removed` are the ids deleted right before the move (render.deleted_before_move),
    `staying` the ids the moved workspace still uses that stay where they are (render.staying_behind)."""
    chart = Flowchart("plan.json")
    src, dst = plan.source, plan.destination
    moving = list(plan.resources)
    here = [r for r in staying if ids.is_within(r, src.resource_group_id)]
    elsewhere = [r for r in staying if not ids.is_within(r, src.resource_group_id)]
    recreated = recreated_from_plan(plan)
    with chart.subgraph(_group_title("Source", src.resource_group_id)):
        from_nodes = chart.listed([describe(r) for r in moving], "moves", "that move")
        detached = {str(e["resourceId"]).lower() for e in plan.exports if e["kind"] == "attached-compute"}
        removed_nodes = chart.listed(
            [f"{describe(r)} ({'detached' if r.lower() in detached else 'deleted'} before the move)" for r in removed],
            "deleted",
            "deleted first",
        )
        stay_nodes = chart.listed([f"{describe(r)} (stays)" for r in here], "stays", "that stay")
    note = "" if dst.exists else ", created by apply"
    with chart.subgraph(_group_title("Destination", dst.resource_group_id, note)):
        to_nodes = chart.listed([describe(r) for r in moving], "moves", "that move")
        recreated_nodes = chart.listed(
            [f"{what} (recreated after the move)" for _, what in recreated], "recreated", "recreated"
        )
    if elsewhere:
        with chart.subgraph("Stays in other groups"):
            stay_nodes += chart.listed([describe(r) + where(r) for r in elsewhere], "stays", "that stay")
    for number, (start, end) in enumerate(zip(from_nodes, to_nodes, strict=True)):
        chart.edge(start, end, "moves" if number == 0 else None)
    position = {ids.normalise_id(r).lower(): i for i, r in enumerate(removed[:MAX_LISTED])}
    for (old_id, _), node in zip(recreated[:MAX_LISTED], recreated_nodes, strict=False):
        index = position.get(ids.normalise_id(old_id).lower())
        if index is not None:
            chart.edge(removed_nodes[index], node, "recreated after the move", dotted=True)
    for node in stay_nodes:
        chart.edge(to_nodes[0], node, "still uses", dotted=True)
    return chart.lines()


def report_lines(data: dict[str, Any], staying: Sequence[str] = ()) -> list[str]:
    """The flowchart of an apply report (report.json's `data`): what moved, what stayed or is missing, what apply
    deleted or detached first, what it recreated; `staying` (render.staying_behind of the approved plan) is drawn
    when the workspace moved."""
    chart = Flowchart("report.json")
    source_id, destination_id = data["sourceWorkspaceId"], data["destinationWorkspaceId"]
    moved = [(m["from"], m["to"]) for m in data["moved"]]
    writes = data.get("writes") or []
    removed = [w for w in writes if w["action"] in ("deleted", "detached")]
    created = any(w["kind"] == "resource-group" and w["action"] == "created" for w in writes)
    follow_ups = [(f, kind) for f in data["followUps"] for kind in RECREATED if f["kind"] in kind.follow_up_kinds]
    workspace_moved = any(ids.same_id(a, source_id) for a, _ in moved)
    here = [r for r in staying if ids.is_within(r, _group_of(source_id))] if workspace_moved else []
    elsewhere = [r for r in staying if not ids.is_within(r, _group_of(source_id))] if workspace_moved else []
    with chart.subgraph(_group_title("Source", _group_of(source_id))):
        from_nodes = chart.listed([describe(a) for a, _ in moved], "moves", "moved")
        removed_nodes = chart.listed(
            [f"{describe(w['target'])} ({w['action']} before the move)" for w in removed], "deleted", "removed"
        )
        chart.listed([f"{describe(r)} (did not move)" for r in data["stayed"]], "problem", "that did not move")
        stay_nodes = chart.listed([f"{describe(r)} (stays)" for r in here], "stays", "that stay")
    note = ", created by apply" if created else ""
    with chart.subgraph(_group_title("Destination", _group_of(destination_id), note)):
        to_nodes = chart.listed([describe(b) for _, b in moved], "moves", "moved")
        done = [f["status"] in ("done", "already-done") for f, _ in follow_ups]
        recreated_nodes = chart.listed(
            [
                f"{kind.what} {f['target']} ({'recreated' if ok else 'NOT recreated'})"
                for (f, kind), ok in zip(follow_ups, done, strict=True)
            ],
            "recreated",
            "recreated",
            ["recreated" if ok else "problem" for ok in done],
        )
    if data["missing"]:
        with chart.subgraph("Not found in either group"):
            chart.listed([describe(r) for r in data["missing"]], "problem", "missing")
    if elsewhere:
        with chart.subgraph("Stays in other groups"):
            stay_nodes += chart.listed([describe(r) + where(r) for r in elsewhere], "stays", "that stay")
    for number, (start, end) in enumerate(zip(from_nodes, to_nodes, strict=True)):
        chart.edge(start, end, "moved" if number == 0 else None)
    # (kind, name) of each removal: a compute and an endpoint may share a name
    names = {
        (str(w["kind"]), ids.normalise_id(w["target"]).rsplit("/", 1)[-1].lower()): i
        for i, w in enumerate(removed[:MAX_LISTED])
    }
    for (f, kind), ok, node in zip(follow_ups[:MAX_LISTED], done, recreated_nodes, strict=False):
        index = next(
            (names[(k, str(f["target"]).lower())] for k in kind.export_kinds if (k, str(f["target"]).lower()) in names),
            None,
        )
        if index is not None:
            chart.edge(removed_nodes[index], node, "recreated after the move" if ok else "not recreated", dotted=True)
    workspace_node = next(
        (to_nodes[i] for i, (a, _) in enumerate(moved[:MAX_LISTED]) if ids.same_id(a, source_id)), None
    )
    for node in stay_nodes if workspace_node else []:
        chart.edge(workspace_node or "", node, "still uses", dotted=True)
    return chart.lines()


def _group_of(resource_id: str) -> str:
    try:
        return ids.ResourceId.parse(resource_id).group_id or resource_id
    except ValueError:
        return resource_id
