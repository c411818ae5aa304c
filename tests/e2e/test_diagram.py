"""The picture of the move (issue 18, acceptance 3), from a real plan and apply on the emulator: plan.md, report.md and
the job summary each carry one ```mermaid block that parses (tests/support/mermaid_flowchart.py: the subset
amlmove_action/diagram.py draws, after Mermaid's own grammar) and shows what moves, what is deleted first, what is
recreated and what stays behind while the moved workspace still uses it — with a hostile name (a user-assigned
identity) and a hostile description on the workspace escaped."""

from __future__ import annotations

from amlmove_action.safetext import one_line
from amlmove_emulator import samples
from tests.support import mermaid_official
from tests.support.harness import Runner, inputs, load
from tests.support.mermaid_flowchart import Flowchart, check, decoded, inside, mermaid_blocks
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands

HOSTILE_NAME = 'u"::set-output name=s::m ##vso[task.complete]``` direction LR%%{'  # 64 characters
HOSTILE_DESCRIPTION = "```\nflowchart LR\n  end\n::error::forged\n##vso[task.complete result=Succeeded;]x"
IDENTITY_GROUP = "rg-identities"
OPT_INS = {"remove-computes": "true", "recreate-computes": "true"}


def scenario() -> tuple[samples.WorkspaceScenario, str]:
    """The sample workspace with a compute (removed and recreated) and a user-assigned identity in another group whose
    name is hostile; the workspace's description is hostile too."""
    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    identity = (
        f"/subscriptions/{samples.SOURCE_SUB}/resourceGroups/{IDENTITY_GROUP}/providers/Microsoft.ManagedIdentity/"
        f"userAssignedIdentities/{HOSTILE_NAME}"
    )
    workspace = next(r for r in s.resources if r["id"].lower() == s.workspace_id.lower())["body"]
    workspace["identity"] = {
        # both specs accept this spelling (ARM's list says "SystemAssigned, UserAssigned", Azure ML's has no space)
        "type": "UserAssigned",
        "principalId": workspace["identity"]["principalId"],
        "tenantId": workspace["identity"]["tenantId"],
        "userAssignedIdentities": {
            identity: {"principalId": "5f4e3d2c-1b0a-4998-8877-665544332211", "clientId": "c1d2e3f4-0000-4000-8000-1"}
        },
    }
    workspace["properties"]["description"] = HOSTILE_DESCRIPTION
    return s, identity


def the_picture(markdown: str) -> Flowchart:
    """The one ```mermaid block of `markdown`, checked: it parses, and no runner reads a command in it."""
    blocks, problems = mermaid_blocks(markdown)
    assert problems == [] and len(blocks) == 1, (problems, len(blocks))
    chart = check(blocks[0])
    assert chart.problems == [], chart.problems
    if mermaid_official.available():  # opt-in: Mermaid's own parser reads the same nodes
        (read,) = mermaid_official.read(blocks)
        assert read["ok"] and read["nodes"] == {node: decoded(text) for node, text in chart.nodes.items()}, read
    assert parse_github_commands(blocks[0]) == [] and parse_vso_commands(blocks[0]) == []
    assert find_formatting_markers(blocks[0]) == []
    return chart


def shown(chart: Flowchart) -> dict[str, str]:
    """Each node's label as Mermaid shows it → its id."""
    return {decoded(text): node for node, text in chart.nodes.items()}


def edge(chart: Flowchart, start: str, end: str) -> str | None:
    return next((decoded(text or "") for a, b, text in chart.edges if (a, b) == (start, end)), None)


def assert_stays_behind(chart: Flowchart, nodes: dict[str, str], workspace: str, identity: str) -> None:
    """The hostile identity (in another group) and the Log Analytics workspace (in the source group) stay behind and
    the moved workspace still uses them; the identity's name is shown exactly as it is, escaped."""
    name = one_line(identity.rsplit("/", 1)[-1])
    held = next(label for label in nodes if name in label)
    assert held.startswith(f"User-assigned identity {name} (group {IDENTITY_GROUP}")
    assert edge(chart, workspace, nodes[held]) == "still uses"
    logs = next(label for label in nodes if label.startswith("Log Analytics workspace"))
    assert edge(chart, workspace, nodes[logs]) == "still uses"


def test_plan_and_report_draw_the_move_and_the_picture_parses(emulator, runner: Runner) -> None:
    s, identity = scenario()
    load(emulator, s)
    plan_run = runner.run("plan", inputs(s, **OPT_INS), name="job")
    assert plan_run.code == 0, plan_run.explain()
    assert any(f["id"] == "dependency-stays-behind" for f in plan_run.plan["findings"])

    chart = the_picture(plan_run.plan_md)
    assert plan_run.summary.count("```mermaid") == 1 and the_picture(plan_run.summary).nodes == chart.nodes
    assert len(chart.subgraphs) == 3  # source, destination, other groups
    source, destination = inside(chart, "Source group rg-ml-test"), inside(chart, "Destination group rg-ml-prod")
    workspace, moved_workspace = source["Azure ML workspace mlw-churn"], destination["Azure ML workspace mlw-churn"]
    assert edge(chart, workspace, moved_workspace) == "moves"
    assert edge(chart, source["Storage account stchurn01"], destination["Storage account stchurn01"]) == ""
    deleted = source["Compute cpu-cluster (deleted before the move)"]
    recreated = destination["Compute cpu-cluster (recreated after the move)"]
    assert edge(chart, deleted, recreated) == "recreated after the move"
    assert deleted in chart.classes["deleted"] and recreated in chart.classes["recreated"]
    assert_stays_behind(chart, shown(chart), moved_workspace, identity)
    assert "flowchart" not in plan_run.plan_md.split("```mermaid", 1)[0]  # the description never reaches the page

    apply_run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert apply_run.code == 0, apply_run.explain()
    report_md = (apply_run.out_dir / "report.md").read_text(encoding="utf-8")
    chart = the_picture(report_md)
    assert the_picture(apply_run.summary).nodes == chart.nodes
    source, destination = inside(chart, "Source group rg-ml-test"), inside(chart, "Destination group rg-ml-prod")
    moved_workspace = destination["Azure ML workspace mlw-churn"]
    assert edge(chart, source["Azure ML workspace mlw-churn"], moved_workspace) == "moved"
    deleted = source["Compute cpu-cluster (deleted before the move)"]
    assert edge(chart, deleted, destination["Compute cpu-cluster (recreated)"]) == "recreated after the move"
    assert_stays_behind(chart, shown(chart), moved_workspace, identity)


def test_the_picture_in_azure_devops_is_the_same_fenced_block(emulator, runner: Runner) -> None:
    """Azure DevOps documents Mermaid only for wikis (`::: mermaid`), not for the summary a pipeline uploads: that
    summary keeps the same fenced block (shown as text there), which parses the same way."""
    s, _ = scenario()
    load(emulator, s)
    run = runner.run("plan", inputs(s, **OPT_INS), name="job", mode="azure-devops")
    assert run.code == 0, run.explain()
    assert "::: mermaid" not in run.summary
    assert the_picture(run.summary).nodes == the_picture(run.plan_md).nodes
