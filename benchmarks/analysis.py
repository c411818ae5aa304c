"""What the benchmark computes from the emulator's request log (pure functions, no I/O).

Every figure is derived from log entries `{method, path, query, status, startedAt (epoch s), durationMs}`; durationMs
is measured by the emulator around the whole request, so it includes the injected latency and the server's own work.

Definitions (README.md repeats them):

- key of a request: method + lower-cased path + its query without `api-version` (keys lower-cased, `$skipToken`
  spelled one way); every page of a list is its own key.
- duplicate: a read whose key was already sent, with no write since then that could change its answer (a write to
  the same resource, one below it, or the collection it is listed in) and no move finished in between; a second
  token request; validateMoveResources again with no write at all in between. Status polls are not duplicates.
- needed requests: everything that is not a duplicate, with the status polls an ideal client needs: one per
  long-running operation (LRO) that finished within one Retry-After, else ceil(server duration / Retry-After).
- critical-path bound: the earliest a client could finish if it sent every needed request as soon as the requests
  it depends on had answered, each taking exactly the time the emulator measured for it (injected latency + server
  time). Dependencies: OIDC discovery → token → every ARM call; page n+1 of a list → page n; the associated
  resources → the workspace GET (their ids are in it); an endpoint's deployments → the endpoint list; permissions at
  the destination → the destination group GET (its existence picks the scope); validateMoveResources → the reads
  that select what moves (workspace, associated resources, group resources, the subscription's workspaces,
  destination group) and any earlier write; an LRO's final poll → its POST, and no earlier than the server finishes
  (POST answered + the shaped duration); the move POST → every earlier needed request; any other write → every
  earlier needed read; a read after a write to the same subtree (or after the move finished) → that write.
  Client CPU and process start are not in the bound: they are what the ratio wall / bound exposes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

AUTH_DISCOVERY = ("/.well-known/openid-configuration", "/metadata/endpoints", "/common/discovery/instance")
READ_ACTIONS = ("/listkeys", "/listsecrets")
ASSOCIATED_TYPES = (
    "/providers/microsoft.storage/storageaccounts/",
    "/providers/microsoft.keyvault/vaults/",
    "/providers/microsoft.containerregistry/registries/",
    "/providers/microsoft.insights/components/",
)


@dataclass
class Req:
    index: int
    method: str
    path: str
    low: str
    query: dict[str, str]
    status: int
    start: float
    duration: float  # seconds
    kind: str  # discovery | token | read | validate | move | poll | write
    key: str
    base: str  # key without the page token: pages of one list share it
    page: int
    epoch: int = 0
    duplicate: bool = False
    needed: bool = True
    lro: int | None = None  # index of the POST a poll belongs to
    final_poll: bool = False

    @property
    def end(self) -> float:
        return self.start + self.duration


def _query(raw: dict[str, str]) -> dict[str, str]:
    out = {}
    for k, v in raw.items():
        low = k.lower()
        if low == "api-version":
            continue
        out["$skiptoken" if low == "$skiptoken" else low] = v
    return dict(sorted(out.items()))


def kind_of(method: str, low: str) -> str:
    if any(low.endswith(s) for s in AUTH_DISCOVERY):
        return "discovery"
    if low.endswith("/oauth2/v2.0/token") or low.endswith("/oauth2/token"):
        return "token"
    if "/operationresults/" in low or "/operationstatuses/" in low:
        return "poll"
    if method == "POST" and low.endswith("/validatemoveresources"):
        return "validate"
    if method == "POST" and low.endswith("/moveresources"):
        return "move"
    if method in ("GET", "HEAD") or (method == "POST" and low.endswith(READ_ACTIONS)):
        return "read"
    return "write"


def parse(log: list[dict[str, Any]]) -> list[Req]:
    out = []
    for i, e in enumerate(sorted(log, key=lambda e: e["startedAt"])):
        method, path = e["method"].upper(), e["path"]
        low = path.lower().rstrip("/") or "/"
        q = _query(e.get("query") or {})
        base_q = {k: v for k, v in q.items() if k != "$skiptoken"}
        key = f"{method} {low}" + (f"?{urlencode(q)}" if q else "")
        base = f"{method} {low}" + (f"?{urlencode(base_q)}" if base_q else "")
        out.append(
            Req(
                i,
                method,
                path,
                low,
                q,
                int(e["status"]),
                float(e["startedAt"]),
                float(e["durationMs"]) / 1000,
                kind_of(method, low),
                key,
                base,
                0,
            )
        )
    return out


@dataclass
class Lro:
    post: Req
    polls: list[Req]
    server_seconds: float  # the shaped duration the emulator was told to take
    retry_after: float

    @property
    def server_done(self) -> float:
        return self.post.end + self.server_seconds

    @property
    def final(self) -> Req | None:
        return self.polls[-1] if self.polls else None

    def facts(self, exit_time: float | None = None) -> dict[str, Any]:
        final = self.final
        out: dict[str, Any] = {
            "operation": self.post.kind,
            "serverSeconds": self.server_seconds,
            "retryAfterSeconds": self.retry_after,
            "polls": len(self.polls),
            "neededPolls": needed_polls(self.server_seconds, self.retry_after),
        }
        if final is None:
            out["detectionDelaySeconds"] = None
            return out
        before = [self.post, *self.polls[:-1]]
        allowed = before[-1].end + self.retry_after  # when the last Retry-After the client was given elapsed
        out["detectionDelaySeconds"] = round(final.end - self.server_done, 3)
        out["afterRetryAfterSeconds"] = round(final.end - max(allowed, self.server_done), 3)
        out["finalPollStartVsRetryAfter"] = round(final.start - allowed, 3)
        if exit_time is not None:
            out["finalResponseToExitSeconds"] = round(exit_time - final.end, 3)
        return out


def needed_polls(server_seconds: float, retry_after: float) -> int:
    return max(1, math.ceil(server_seconds / retry_after)) if server_seconds > 0 else 1


def link_lros(reqs: list[Req], durations: dict[str, float], retry_after: float) -> list[Lro]:
    """Polls belong to the latest LRO POST answered 202 before them (the clients run one LRO at a time)."""
    lros: list[Lro] = []
    for r in reqs:
        if r.kind in ("validate", "move") and r.status == 202:
            lros.append(Lro(r, [], durations.get(r.kind, 0.0), retry_after))
        elif r.kind == "poll":
            owner = next((lro for lro in reversed(lros) if lro.post.end <= r.start + 1e-6), None)
            if owner is not None:
                owner.polls.append(r)
                r.lro = owner.post.index
    for lro in lros:
        for p in lro.polls:
            p.final_poll = p is lro.final
    return lros


def _touches(write: Req, read_path: str) -> bool:
    """A write to `write.low` can change what a read of `read_path` returns: the same resource, one below it, or
    a collection (or parent) it is listed in."""
    w = write.low
    return read_path == w or read_path.startswith(w + "/") or w.startswith(read_path + "/")


def mark(reqs: list[Req], lros: list[Lro]) -> None:
    """Epochs (moves finished so far), page numbers, duplicates and the needed set (in place)."""
    move_ends = sorted(lro.final.end for lro in lros if lro.post.kind == "move" and lro.final is not None)
    last_by_key: dict[str, Req] = {}
    last_by_base: dict[str, Req] = {}
    writes: list[Req] = []
    for r in reqs:
        r.epoch = sum(1 for end in move_ends if end <= r.start)
        if r.kind == "read":
            prev_page = last_by_base.get(r.base)
            r.page = prev_page.page + 1 if "$skiptoken" in r.query and prev_page is not None else 0
            last_by_base[r.base] = r
        if r.kind == "poll":
            continue
        prev = last_by_key.get(r.key)
        if prev is not None and prev.epoch == r.epoch:
            between = [w for w in writes if w.start > prev.start]
            if r.kind in ("validate", "move"):
                r.duplicate = not between
            elif r.kind in ("read", "discovery", "token"):
                r.duplicate = not any(_touches(w, r.low) for w in between)
        last_by_key[r.key] = r
        if r.kind in ("write", "move"):
            writes.append(r)
    dropped_posts = {r.index for r in reqs if r.duplicate and r.kind in ("validate", "move")}
    for lro in lros:
        keep = needed_polls(lro.server_seconds, lro.retry_after)
        for i, p in enumerate(lro.polls):
            p.needed = lro.post.index not in dropped_posts and i >= len(lro.polls) - keep
    for r in reqs:
        if r.kind != "poll":
            r.needed = not r.duplicate


@dataclass
class Context:
    workspace_id: str
    source_group_id: str
    destination_group_id: str

    def __post_init__(self) -> None:
        self.ws = self.workspace_id.lower()
        self.src = self.source_group_id.lower()
        self.dest = self.destination_group_id.lower()
        self.dest_sub = "/".join(self.dest.split("/")[:3])


@dataclass
class Bound:
    seconds: float
    chain: list[str] = field(default_factory=list)


def _is_selection_read(r: Req, ctx: Context) -> bool:
    low = r.low
    return r.kind == "read" and (
        low == ctx.ws
        or (low.startswith(ctx.src + "/providers/") and any(t in low for t in ASSOCIATED_TYPES) and low.count("/") == 8)
        or low == ctx.src + "/resources"
        or low.endswith("/providers/microsoft.machinelearningservices/workspaces")
        or low == ctx.dest
    )


def dependencies(r: Req, earlier: list[Req], ctx: Context) -> list[Req]:
    """The needed requests `r` must wait for (see the module docstring)."""
    if r.kind == "discovery":
        return []
    last = lambda pred: next((e for e in reversed(earlier) if pred(e)), None)  # noqa: E731
    deps: list[Req] = []
    if r.kind == "token":
        d = last(lambda e: e.kind == "discovery")
        return [d] if d else []
    tok = last(lambda e: e.kind == "token")
    if tok:
        deps.append(tok)
    if r.kind == "poll":
        post = next((e for e in earlier if e.index == r.lro), None)
        return deps + ([post] if post else [])
    move_done = last(lambda e: e.kind == "poll" and e.final_poll and _lro_kind(e, earlier) == "move")
    if r.kind == "move":
        return [e for e in earlier if e.end <= r.start + 1e-6]
    if r.kind == "write":
        deps += [e for e in earlier if e.kind in ("read", "poll", "token") and e.end <= r.start + 1e-6]
        return deps
    if r.kind == "validate":
        deps += [e for e in earlier if e.epoch == r.epoch and _is_selection_read(e, ctx) and _last_page(e, earlier)]
        deps += [e for e in earlier if e.kind in ("write", "move")]
        if move_done:
            deps.append(move_done)
        return deps
    # a read
    if move_done:
        deps.append(move_done)
    if r.page > 0:
        prev = last(lambda e: e.base == r.base and e.page == r.page - 1)
        if prev:
            deps.append(prev)
    low = r.low
    if any(t in low for t in ASSOCIATED_TYPES) and low.count("/") == 8:
        ws = last(lambda e: e.kind == "read" and e.low == ctx.ws)
        if ws:
            deps.append(ws)
    if "/onlineendpoints/" in low and low.endswith("/deployments"):
        eps = last(lambda e: e.kind == "read" and e.low.endswith("/onlineendpoints"))
        if eps:
            deps.append(eps)
    if low.endswith("/providers/microsoft.authorization/permissions") and low.startswith(ctx.dest_sub):
        if not low.startswith(ctx.src):
            grp = last(lambda e: e.kind == "read" and e.low == ctx.dest)
            if grp:
                deps.append(grp)
    for w in earlier:  # reading back what was written (not a collection a member of it was written to)
        if w.kind == "write" and (low == w.low or low.startswith(w.low + "/")):
            deps.append(w)
    return deps


def _lro_kind(poll: Req, earlier: list[Req]) -> str | None:
    post = next((e for e in earlier if e.index == poll.lro), None)
    return post.kind if post else None


def _last_page(r: Req, earlier: list[Req]) -> bool:
    return not any(e.base == r.base and e.start > r.start and e.page == r.page + 1 for e in earlier)


def critical_path(reqs: list[Req], lros: list[Lro], ctx: Context) -> Bound:
    needed = [r for r in reqs if r.needed]
    finish: dict[int, float] = {}
    via: dict[int, int | None] = {}
    server = {lro.post.index: lro.server_seconds for lro in lros}
    for i, r in enumerate(needed):
        deps = dependencies(r, needed[:i], ctx)
        start, parent = 0.0, None
        for d in deps:
            if finish[d.index] > start:
                start, parent = finish[d.index], d.index
        if r.kind == "poll" and r.lro in finish:
            server_done = finish[r.lro] + server.get(r.lro, 0.0)
            if server_done > start:
                start, parent = server_done, r.lro
        finish[r.index], via[r.index] = start + r.duration, parent
    if not finish:
        return Bound(0.0)
    end = max(finish, key=lambda k: finish[k])
    chain, cur = [], end
    by_index = {r.index: r for r in needed}
    while cur is not None:
        r = by_index[cur]
        chain.append(f"{r.method} {_short(r)} ({r.duration * 1000:.0f} ms)")
        cur = via[cur]
    return Bound(finish[end], list(reversed(chain)))


def _short(r: Req) -> str:
    parts = r.path.split("/")
    tail = "/".join(parts[-3:]) if len(parts) > 4 else r.path
    page = f" page {r.page + 1}" if r.page else ""
    return f".../{tail}{page}" if len(parts) > 4 else tail + page


def summarize(
    log: list[dict[str, Any]],
    ctx: Context,
    spawn: float,
    exit_time: float,
    lro_seconds: dict[str, float],
    retry_after: float,
) -> dict[str, Any]:
    """The per-phase figures for one process run (`spawn` and `exit_time` are epoch seconds)."""
    reqs = parse(log)
    lros = link_lros(reqs, lro_seconds, retry_after)
    mark(reqs, lros)
    bound = critical_path(reqs, lros, ctx)
    wall = exit_time - spawn
    arm = [r for r in reqs if r.kind not in ("discovery", "token")]
    first_arm = arm[0].start - spawn if arm else None
    span = (max(r.end for r in reqs) - reqs[0].start) if reqs else 0.0
    duplicates: dict[str, int] = {}
    for r in reqs:
        if r.duplicate:
            duplicates[r.key] = duplicates.get(r.key, 0) + 1
    needed = sum(r.needed for r in reqs)
    return {
        "wallSeconds": round(wall, 3),
        "requests": len(reqs),
        "distinctReadsNeeded": needed,
        "duplicates": sum(duplicates.values()),
        "duplicateKeys": dict(sorted(duplicates.items(), key=lambda kv: -kv[1])[:10]),
        "extraPolls": sum(1 for r in reqs if r.kind == "poll" and not r.needed),
        "boundSeconds": round(bound.seconds, 3),
        "ratio": round(wall / bound.seconds, 2) if bound.seconds else None,
        "networkSpanSeconds": round(span, 3),
        "spanRatio": round(span / bound.seconds, 2) if bound.seconds else None,
        "firstRequestSeconds": round(reqs[0].start - spawn, 3) if reqs else None,
        "firstArmRequestSeconds": round(first_arm, 3) if first_arm is not None else None,
        "lastResponseToExitSeconds": round(exit_time - max(r.end for r in reqs), 3) if reqs else None,
        "serverSeconds": round(sum(r.duration for r in reqs), 3),
        "lros": [lro.facts(exit_time) for lro in lros],
        "criticalPath": _compress(bound.chain),
    }


def _compress(chain: list[str]) -> list[str]:
    """Consecutive pages of one list collapse to one line."""
    out: list[tuple[str, int, str]] = []  # (stem, count, first item)
    for item in chain:
        stem = item.split(" page ")[0].split(" (")[0]
        if out and out[-1][0] == stem:
            out[-1] = (stem, out[-1][1] + 1, out[-1][2])
        else:
            out.append((stem, 1, item))
    return [first if n == 1 else f"{stem} ×{n} pages" for stem, n, first in out]
