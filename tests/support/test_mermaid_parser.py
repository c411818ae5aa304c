"""Opt-in: Mermaid's own parser agrees with tests/support/mermaid_flowchart.py. Mermaid 12.4.0 (with jsdom for the
window DOMPurify wants), pinned in tests/support/mermaid/package-lock.json, reads every picture amlmove draws — a
plan's, a large plan's, a report's, and one per hostile name of tests/support/hostile_text.py — and finds exactly
the nodes, texts, subgraphs and edges the grammar-level check finds; and what that check rejects, Mermaid rejects or
misreads too (so the check is not stricter than it needs to be by accident, nor looser).

Skipped unless `node` is installed and the pinned packages are: `make test` installs them wherever npm is (`npm ci
--ignore-scripts --prefix tests/support/mermaid`, about 240 MB from the npm registry)."""

from __future__ import annotations

from typing import Any

import pytest

from amlmove_action import diagram, render
from tests.support import mermaid_official, plans
from tests.support.hostile_text import HOSTILE, HOSTILE_MERMAID
from tests.support.mermaid_flowchart import check, decoded

pytestmark = pytest.mark.skipif(not mermaid_official.available(), reason=mermaid_official.HOW)
official = mermaid_official.read
SRC, OTHER = plans.SOURCE_GROUP, "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-x"


def a_plan(computes: list[str], moving: list[str], staying: list[str]) -> Any:
    base = plans.plan_json()
    workspace = plans.WORKSPACE
    return plans.typed(
        plans.plan_json(
            resources=[workspace, *moving],
            postMove={**base["postMove"], "computesToRemove": [f"{workspace}/computes/{c}" for c in computes]},
            options={**base["options"], "removeComputes": True, "recreateComputes": True},
            exports=[
                {"kind": "compute", "name": c, "resourceId": f"{workspace}/computes/{c}", "file": "f", "sha256": "0"}
                for c in computes
            ],
            findings=[{**plans.finding("dependency-stays-behind", "warning"), "resourceIds": staying}],
        )
    )


def pictures() -> list[str]:
    identity = f"{OTHER}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
    storage = f"{SRC}/providers/Microsoft.Storage/storageAccounts/st"
    plan_list = [
        a_plan(["cpu"], [f"{storage}1"], [f"{identity}uai"]),
        a_plan(
            [f"c{i}" for i in range(30)], [f"{storage}{i}" for i in range(100)], [f"{identity}u{i}" for i in range(20)]
        ),
        *(a_plan([n.replace("/", "_")], [], [identity + n.replace("/", "_")]) for n in HOSTILE + HOSTILE_MERMAID),
    ]
    texts = [diagram.plan_lines(p, render.deleted_before_move(p), render.staying_behind(p)) for p in plan_list]
    moved = plans.WORKSPACE.replace(SRC, plans.DESTINATION_GROUP)
    report = {
        "sourceWorkspaceId": plans.WORKSPACE,
        "destinationWorkspaceId": moved,
        "moved": [{"from": plans.WORKSPACE, "to": moved}],
        "stayed": [f"{storage}1"],
        "missing": [f"{storage}2"],
        "followUps": [{"kind": "compute", "target": HOSTILE[0], "status": "failed"}],
        "writes": [{"action": "deleted", "target": f"{plans.WORKSPACE}/computes/{HOSTILE[0]}", "kind": "compute"}],
    }
    texts.append(diagram.report_lines(report, [f"{identity}{HOSTILE[4]}"]))
    return ["\n".join(lines) + "\n" for lines in texts]


def test_mermaid_reads_every_picture_as_the_check_does() -> None:
    texts = pictures()
    for text, read in zip(texts, official(texts), strict=True):
        chart = check(text)
        assert chart.problems == [], chart.problems
        assert read["ok"], (read, text)
        assert (read["type"], read["direction"]) == ("flowchart-v2", "LR")
        assert read["nodes"] == {node: decoded(label) for node, label in chart.nodes.items()}
        assert {s["id"]: s["title"] for s in read["subgraphs"]} == {g: decoded(t) for g, t in chart.subgraphs.items()}
        members = {node: s["id"] for s in read["subgraphs"] for node in s["nodes"]}
        assert members == {node: group for node, group in chart.parents.items() if group and node in chart.nodes}
        assert [tuple(e) for e in read["edges"]] == [(a, b, decoded(t or "")) for a, b, t in chart.edges]


BROKEN = {
    "a raw quote ends the label": 'flowchart LR\n  n1["a "b" c"]\n',
    "a subgraph never ended": 'flowchart LR\n  subgraph n1["s"]\n    n2["a"]\n',
    "an end too many": 'flowchart LR\n  n2["a"]\n  end\n',
    "a Markdown string opened by a backtick": 'flowchart LR\n  n1["`a"]\n',
}


def test_what_the_check_rejects_mermaid_rejects_or_misreads() -> None:
    texts = list(BROKEN.values())
    for (what, text), read in zip(BROKEN.items(), official(texts), strict=True):
        assert check(text).problems, what
        assert not read["ok"], what
    # `direction LR` in a label: Mermaid reads the line as a direction statement and the node is gone
    text = 'flowchart TB\n  n1["go direction LR"]\n  n2["b"]\n'
    (read,) = official([text])
    assert check(text).problems and read["ok"] and set(read["nodes"]) == {"n2"}
    # … which the picture's own label never holds
    escaped = f'flowchart TB\n  n1["{diagram.label("go direction LR")}"]\n  n2["b"]\n'
    assert check(escaped).problems == [] and official([escaped])[0]["nodes"] == {"n1": "go direction LR", "n2": "b"}
