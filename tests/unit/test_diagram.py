"""amlmove_action.diagram: the picture of a plan and of a report — what it draws (groups, what moves, what is deleted
first, what stays behind and is still used, what is recreated), that it stays bounded for a large workspace, and that
no untrusted name can break it, leave its fence or reach a CI runner as a command (every label is checked with
tests/support/mermaid_flowchart.py; the hostile names are tests/support/hostile_text.py's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings

from amlmove_action import diagram, render
from amlmove_action.report import report_markdown
from amlmove_action.safetext import one_line
from tests.support import plans
from tests.support.hostile_text import HOSTILE, HOSTILE_MERMAID, nasty_text
from tests.support.mermaid_flowchart import Flowchart, check, decoded, inside, mermaid_blocks
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands

WS = plans.WORKSPACE
SRC, DST = plans.SOURCE_GROUP, plans.DESTINATION_GROUP
OTHER = "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-shared"
STORAGE = f"{SRC}/providers/Microsoft.Storage/storageAccounts/stml"
KEY_VAULT = f"{OTHER}/providers/Microsoft.KeyVault/vaults/kv-shared"
LOGS = f"{SRC}/providers/Microsoft.OperationalInsights/workspaces/log-ml"
IDENTITY = f"{OTHER}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-ml"


def compute(name: str) -> str:
    return f"{WS}/computes/{name}"


def export(kind: str, name: str, resource_id: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "resourceId": resource_id, "file": f"exports/{name}.yml", "sha256": "0" * 64}


def stays_finding(finding_id: str, *resource_ids: str) -> dict[str, Any]:
    return {**plans.finding(finding_id, "warning"), "resourceIds": list(resource_ids)}


def a_plan(computes: Sequence[str] = (), moving: Sequence[str] = (), recreate: bool = True, **changes: Any) -> Any:
    """A plan moving WS (and `moving`) that removes `computes` (exported) and recreates them unless not `recreate`."""
    base = plans.plan_json()
    document = plans.plan_json(
        resources=[WS, *moving],
        postMove={**base["postMove"], "computesToRemove": [compute(c) for c in computes]},
        options={**base["options"], "removeComputes": bool(computes), "recreateComputes": recreate and bool(computes)},
        exports=[export("compute", c, compute(c)) for c in computes],
        **changes,
    )
    return plans.typed(document)


def picture(lines: list[str]) -> Flowchart:
    """The flowchart, checked: it parses, and no runner reads a command in it."""
    text = "\n".join(lines) + "\n"
    chart = check(text)
    assert chart.problems == [], (chart.problems, text)
    assert parse_github_commands(text) == [] and parse_vso_commands(text) == [] and not find_formatting_markers(text)
    assert "::" not in text and "##" not in text and not any(line.lstrip().startswith("```") for line in lines)
    return chart


def edge(chart: Flowchart, start: str, end: str) -> str | None:
    return next((decoded(text or "") for a, b, text in chart.edges if (a, b) == (start, end)), None)


def plan_picture(plan: Any) -> Flowchart:
    return picture(diagram.plan_lines(plan, render.deleted_before_move(plan), render.staying_behind(plan)))


# --- what a plan's picture shows --------------------------------------------------------------------------------------


def test_a_plan_draws_both_groups_what_moves_is_deleted_recreated_and_stays_behind() -> None:
    plan = a_plan(
        ["cpu"],
        [STORAGE],
        associatedResources=[{"id": KEY_VAULT, "role": "keyVault", "decision": "stay", "reason": "other group"}],
        findings=[stays_finding("dependency-stays-behind", IDENTITY), stays_finding("dependency-stays-behind", LOGS)],
    )
    chart = plan_picture(plan)
    source = inside(chart, "Source group rg-ml (subscription 1111")
    destination = inside(chart, "Destination group rg-prod (subscription 2222")
    elsewhere = inside(chart, "Stays in other groups")
    assert set(source) == {
        "Azure ML workspace mlw",
        "Storage account stml",
        "Compute cpu (deleted before the move)",
        "Log Analytics workspace log-ml (stays)",
    }
    assert set(destination) == {
        "Azure ML workspace mlw",
        "Storage account stml",
        "Compute cpu (recreated after the move)",
    }
    assert set(elsewhere) == {
        "Key vault kv-shared (group rg-shared, subscription 99999999-9999-9999-9999-999999999999)",
        "User-assigned identity uai-ml (group rg-shared, subscription 99999999-9999-9999-9999-999999999999)",
    }
    moved = destination["Azure ML workspace mlw"]
    assert edge(chart, source["Azure ML workspace mlw"], moved) == "moves"
    assert edge(chart, source["Storage account stml"], destination["Storage account stml"]) == ""
    assert edge(
        chart, source["Compute cpu (deleted before the move)"], destination["Compute cpu (recreated after the move)"]
    ) == ("recreated after the move")
    still_used = {b for a, b, text in chart.edges if a == moved and decoded(text or "") == "still uses"}
    assert still_used == {source["Log Analytics workspace log-ml (stays)"], *elsewhere.values()}
    assert set(chart.classes) == {"moves", "deleted", "recreated", "stays"}


def test_an_attached_compute_is_drawn_as_detached_not_deleted() -> None:
    """Apply detaches attached computes (underlyingResourceAction=Detach: the AKS cluster or Databricks workspace
    stays); the picture says so instead of "deleted"."""
    base = plans.plan_json()
    plan = plans.typed(
        plans.plan_json(
            resources=[WS],
            postMove={**base["postMove"], "computesToRemove": [compute("cpu"), compute("k8s")]},
            options={**base["options"], "removeComputes": True},
            exports=[export("compute", "cpu", compute("cpu")), export("attached-compute", "k8s", compute("k8s"))],
        )
    )
    source = inside(plan_picture(plan), "Source group")
    assert {"Compute cpu (deleted before the move)", "Compute k8s (detached before the move)"} <= set(source)


def test_nothing_is_recreated_without_the_opt_in_and_a_new_group_says_so() -> None:
    document = plans.plan_json()
    document["destination"]["exists"] = False
    chart = plan_picture(
        a_plan(["cpu"], recreate=False, destination={**document["destination"]}),
    )
    assert "Compute cpu (deleted before the move)" in inside(chart, "Source group")
    assert set(inside(chart, "Destination group rg-prod (subscription 2222")) == {"Azure ML workspace mlw"}
    assert any(decoded(t).endswith(", created by apply)") for t in chart.subgraphs.values())
    assert "recreated" not in chart.classes


def test_another_recreated_kind_is_one_line_in_the_table(monkeypatch) -> None:
    """RECREATED is the one place a recreated kind is named: an entry for endpoints (here keyed on remove-endpoints,
    the field recreate-endpoints will add) draws them like computes, in the plan and in the report."""
    endpoint = f"{WS}/onlineEndpoints/scoring"
    line = diagram.Recreated("remove_endpoints", ("online-endpoint",), ("online-endpoint",), "Online endpoint")
    monkeypatch.setattr(diagram, "RECREATED", (*diagram.RECREATED, line))
    base = plans.plan_json()
    plan = plans.typed(
        plans.plan_json(
            postMove={**base["postMove"], "endpointsToRemove": [endpoint]},
            options={**base["options"], "removeEndpoints": True},
            exports=[export("online-endpoint", "scoring", endpoint)],
        )
    )
    chart = plan_picture(plan)
    deleted = inside(chart, "Source group")["Online endpoint scoring (deleted before the move)"]
    recreated = inside(chart, "Destination group")["Online endpoint scoring (recreated after the move)"]
    assert edge(chart, deleted, recreated) == "recreated after the move"


def test_a_large_workspace_stays_a_bounded_picture() -> None:
    many = [f"{SRC}/providers/Microsoft.Storage/storageAccounts/st{i:03}" for i in range(300)]
    logs = [f"{OTHER}/providers/Microsoft.OperationalInsights/workspaces/log{i}" for i in range(40)]
    plan = a_plan([f"c{i}" for i in range(50)], many, findings=[stays_finding("dependency-stays-behind", *logs)])
    chart = plan_picture(plan)
    limit = diagram.MAX_LISTED + 1
    for title in ("Source group", "Destination group", "Stays in other groups"):
        assert len(inside(chart, title)) <= 2 * limit
    assert len(chart.nodes) <= 5 * limit and len(chart.edges) <= 4 * limit
    labels = {decoded(t) for t in chart.nodes.values()}
    moving_rest = 301 - diagram.MAX_LISTED
    assert f"+ {moving_rest} more that move (plan.json)" in labels
    assert f"+ {50 - diagram.MAX_LISTED} more deleted first (plan.json)" in labels
    assert f"+ {50 - diagram.MAX_LISTED} more recreated (plan.json)" in labels
    assert f"+ {40 - diagram.MAX_LISTED} more that stay (plan.json)" in labels


def test_the_worst_names_keep_the_picture_under_mermaids_size_limits() -> None:
    """Mermaid (12.4.0's defaults, which GitHub keeps) refuses a diagram over 50,000 characters or 500 edges: with
    the longest names that escape worst (8 characters each), a full plan and a full report stay under both."""
    worst = "\U0001f600" * 300
    group = f"/subscriptions/{worst}/resourceGroups/{worst}"
    many = [f"{SRC}/providers/Microsoft.Storage/storageAccounts/{worst}{i}" for i in range(100)]
    elsewhere = [f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{worst}{i}" for i in range(50)]
    here = [f"{SRC}/providers/Microsoft.OperationalInsights/workspaces/{worst}{i}" for i in range(50)]
    plan = a_plan([f"{worst}{i}" for i in range(50)], many, findings=[stays_finding("x", *elsewhere, *here)])
    plan = plans.typed({**plan.to_json(), "associatedResources": [{"id": r, "decision": "stay"} for r in here]})
    lines = diagram.plan_lines(plan, render.deleted_before_move(plan), [*here, *elsewhere])
    picture(lines)
    assert len("\n".join(lines)) < 50_000 and len(check("\n".join(lines)).edges) < 500
    data = report_data(
        moved=[{"from": r, "to": r} for r in many],
        stayed=many,
        missing=many,
        followUps=[{"kind": "compute", "target": worst, "status": "failed"}] * 50,
        writes=[{"action": "deleted", "target": compute(worst), "kind": "compute"}] * 50,
    )
    lines = diagram.report_lines(data, [*here, *elsewhere])
    picture(lines)
    assert len("\n".join(lines)) < 50_000
    assert max(len(line) for line in lines) < 520  # a label of at most 480 characters, its id and quotes


# --- escaping ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE + HOSTILE_MERMAID)
def test_a_hostile_name_is_shown_as_it_is_and_breaks_nothing(name: str) -> None:
    shown = one_line(name)
    shown = shown if len(shown) <= diagram.NAME_CHARS else shown[: diagram.NAME_CHARS - 1] + "…"
    identity = f"{OTHER}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name.replace('/', '_')}"
    plan = a_plan([name.replace("/", "_")], findings=[stays_finding("dependency-stays-behind", identity)])
    chart = plan_picture(plan)
    labels = {decoded(t) for t in chart.nodes.values()}
    expected = shown.replace("/", "_")
    if expected:
        assert f"Compute {expected} (deleted before the move)" in labels
        assert any(label.startswith(f"User-assigned identity {expected} (group rg-shared") for label in labels)
    markdown = render.plan_markdown(plan)
    blocks, found = mermaid_blocks(markdown)
    assert found == [] and len(blocks) == 1 and check(blocks[0]).problems == []


@settings(max_examples=200, deadline=None)
@given(nasty_text)
def test_any_text_makes_a_label_mermaid_reads_back(text: str) -> None:
    label = diagram.label(text)
    chart = picture(["flowchart LR", f'  n1["{label}"]', "  classDef moves stroke:#1a7f37", "  class n1 moves"])
    expected = one_line(text)
    if len(expected) <= diagram.LABEL_CHARS:
        assert decoded(chart.nodes["n1"]) == expected


def test_labels_that_mermaid_would_misread_are_encoded() -> None:
    assert diagram.label('a"b') == "a#34;b"
    assert diagram.label("#quot;") == "#35;quot#59;"  # an entity code in a name stays literal text
    assert diagram.label("go direction LR now") == "go #100;irection LR now"  # flow.jison: a direction statement
    assert diagram.label("DIRECTION") == "#68;IRECTION"
    assert diagram.label("%%{init: {}}%%") == "#37;#37;#123;init#58; #123;#125;#125;#37;#37;"
    assert diagram.label("line\nclick n1 call x()") == "line click n1 call x()"
    assert diagram.label("x" * 300) == "x" * (diagram.LABEL_CHARS - 1) + "#8230;"
    assert diagram.label("\U0001f600" * 100) == "#128512;" * 59 + "#8230;"  # cut at ENCODED_CHARS once escaped


# --- a report's picture -----------------------------------------------------------------------------------------------


def report_data(**changes: Any) -> dict[str, Any]:
    moved_ws = WS.replace(SRC, DST)
    data: dict[str, Any] = {
        "status": "moved",
        "sourceWorkspaceId": WS,
        "destinationWorkspaceId": moved_ws,
        "moved": [{"from": WS, "to": moved_ws}, {"from": STORAGE, "to": STORAGE.replace(SRC, DST)}],
        "stayed": [],
        "missing": [],
        "phases": [],
        "followUps": [
            {"kind": "compute", "target": "cpu", "status": "done", "detail": "recreated"},
            {"kind": "compute", "target": "gpu", "status": "failed", "detail": "boom", "command": "az ml …"},
            {"kind": "datastore", "target": "datastores", "status": "done", "detail": "ok"},
        ],
        "exports": [],
        "checklist": [],
        "error": None,
        "drift": [],
        "writes": [
            {"action": "created", "target": DST, "kind": "resource-group", "exports": [], "command": "x"},
            {"action": "deleted", "target": compute("cpu"), "kind": "compute", "exports": [], "command": "x"},
            {"action": "deleted", "target": compute("gpu"), "kind": "compute", "exports": [], "command": "x"},
        ],
        "planDigest": "0" * 64,
        "tool": {"name": "amlmove", "version": "0.0.0"},
    }
    return data | changes


def test_a_report_draws_what_moved_was_removed_recreated_and_still_used() -> None:
    plan = a_plan(findings=[stays_finding("dependency-stays-behind", IDENTITY, LOGS)])
    chart = picture(diagram.report_lines(report_data(), render.staying_behind(plan)))
    source, destination = inside(chart, "Source group rg-ml"), inside(chart, "Destination group rg-prod")
    assert decoded(next(t for t in chart.subgraphs.values() if "rg-prod" in t)).endswith(", created by apply)")
    moved = destination["Azure ML workspace mlw"]
    assert edge(chart, source["Azure ML workspace mlw"], moved) == "moved"
    cpu, gpu = source["Compute cpu (deleted before the move)"], source["Compute gpu (deleted before the move)"]
    assert edge(chart, cpu, destination["Compute cpu (recreated)"]) == "recreated after the move"
    assert edge(chart, gpu, destination["Compute gpu (NOT recreated)"]) == "not recreated"
    assert destination["Compute gpu (NOT recreated)"] in chart.classes["problem"]
    assert edge(chart, moved, source["Log Analytics workspace log-ml (stays)"]) == "still uses"
    (identity,) = inside(chart, "Stays in other groups").values()
    assert edge(chart, moved, identity) == "still uses"


def test_a_recreated_object_is_joined_to_the_removed_one_of_its_own_kind() -> None:
    """A compute and an online endpoint may share a name: each recreated node joins the removal of its kind."""
    endpoint = f"{WS}/onlineEndpoints/cpu"
    data = report_data(
        followUps=[
            {"kind": "endpoint", "target": "cpu", "status": "done", "detail": "online endpoint: recreated"},
            {"kind": "compute", "target": "cpu", "status": "failed", "detail": "quota", "command": "az ml …"},
        ],
        writes=[
            {"action": "deleted", "target": endpoint, "kind": "online-endpoint", "exports": [], "command": "x"},
            {"action": "deleted", "target": compute("cpu"), "kind": "compute", "exports": [], "command": "x"},
        ],
    )
    chart = picture(diagram.report_lines(data, []))
    source, destination = inside(chart, "Source group rg-ml"), inside(chart, "Destination group rg-prod")
    removed_endpoint = source["Online endpoint cpu (deleted before the move)"]
    removed_compute = source["Compute cpu (deleted before the move)"]
    assert edge(chart, removed_endpoint, destination["Endpoint cpu (recreated)"]) == "recreated after the move"
    assert edge(chart, removed_compute, destination["Compute cpu (NOT recreated)"]) == "not recreated"
    assert edge(chart, removed_endpoint, destination["Compute cpu (NOT recreated)"]) is None


def test_a_failed_move_draws_what_did_not_move_and_no_dependency() -> None:
    data = report_data(status="failed", moved=[], stayed=[WS], missing=[STORAGE], followUps=[], writes=[])
    chart = picture(diagram.report_lines(data, [IDENTITY]))
    assert set(inside(chart, "Source group")) == {"Azure ML workspace mlw (did not move)"}
    assert set(inside(chart, "Not found in either group")) == {"Storage account stml"}
    assert chart.edges == []


def test_a_report_where_nothing_happened_has_no_picture() -> None:
    data = report_data(status="refused", moved=[], followUps=[], writes=[])
    assert diagram.report_lines(data) == []
    assert "```mermaid" not in report_markdown(data)
    assert report_markdown(report_data()).count("```mermaid") == 1


# --- the Markdown around it -------------------------------------------------------------------------------------------


def test_the_plan_summary_carries_the_picture_after_what_will_happen() -> None:
    markdown = render.plan_markdown(a_plan(["cpu"]))
    assert markdown.index("### What will happen") < markdown.index(diagram.HEADING) < markdown.index("### What moves")
    assert markdown.count("```mermaid") == 1


def test_a_summary_cut_inside_the_picture_leaves_no_fence_open() -> None:
    lines = diagram.plan_lines(a_plan(["cpu"], [STORAGE]), [], [])
    head = "## plan\n\n" + "x\n" * 50
    markdown = head + "\n".join(diagram.section(lines)) + "\nafter\n"
    limit = len(head.encode()) + 200 + 400  # the note takes about 120 bytes: the cut falls inside the block
    cut = render.truncate(markdown, "plan.json", limit=limit)
    assert len(cut.encode()) <= limit and "Summary truncated" in cut
    blocks, found = mermaid_blocks(cut)
    assert found == [] and blocks == []
