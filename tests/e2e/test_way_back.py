"""Issue 18, acceptance 5 — the way back: the reverse inputs a report carries, used as plan inputs against the moved
state, give a ready plan that names exactly what moved; applied, they bring every moved resource back to the
original group (read through ARM, the emulator's state). Run as a runner runs the action (tests/support/harness.py),
against the emulator, nothing in the product mocked.

1. plan → apply → report.json's wayBack → `plan` with exactly those inputs (the command line as report.json gives
   it, through shlex.split): ready, the same resources at their moved IDs, the same opt-ins; apply it: everything is
   back where it was, and the reverse report's way back is the forward move again;
2. the way back from an Azure DevOps run, as the template parameters report.md gives, when only the workspace moved;
3. a refused apply (nothing moved) carries no way back; report.json validates against the report schema;
4. a partial move's way back names exactly what moved, and plans ready;
5. an original group deleted meanwhile is created again by the way back;
6. a hostile resource name round-trips through the command line and the with: block and renders inert.
"""

from __future__ import annotations

import html
import json
import re
import shlex

import jsonschema
import yaml

from amlmove_action.ids import moved_id
from amlmove_action.plan import OPT_INS
from amlmove_emulator import samples
from tests.conftest import ROOT
from tests.support.harness import Run, Runner, inputs, load, resources, writes

SCHEMA = json.loads((ROOT / "amlmove_action" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
SIGN_IN = ("client-id", "tenant-id")  # the caller's, never part of the way back


def moved_there(runner: Runner, s: samples.WorkspaceScenario, name: str, **more: str) -> Run:
    plan = runner.run("plan", inputs(s, **more), name=name)
    assert plan.code == 0 and plan.plan["status"] == "ready", plan.explain()
    run = runner.run("apply", inputs(s, **more), name=name)
    assert run.code == 0, run.explain()
    assert run.report["status"] == "moved"
    return run


def argv_of(command: str, runner: Runner) -> list[str]:
    """report.json's command line, split as a shell splits it, without the program: plus the caller's sign-in."""
    words = shlex.split(command)
    assert words[:3] == ["python", "entrypoint.py", "plan"], words
    connection = runner.connection()
    return [*words[2:], *(arg for key in SIGN_IN for arg in (f"--{key}", connection[key]))]


def run_command_line(runner: Runner, argv: list[str], name: str) -> Run:
    """`python entrypoint.py <argv> --output-dir back-out` in a terminal (client secret in the environment)."""
    return runner.run(argv[0], {"output-dir": "back-out"}, mode="local", name=name, connect=False, argv=argv[1:])


def flags(argv: list[str]) -> dict[str, str]:
    """`--name value` pairs of a command line (after the command)."""
    pairs = argv[1:]
    assert all(word.startswith("--") for word in pairs[::2]), pairs
    return {pairs[i][2:]: pairs[i + 1] for i in range(0, len(pairs), 2)}


def pre_blocks(markdown: str) -> list[str]:
    return [html.unescape(b) for b in re.findall(r"<pre>(.*?)</pre>", markdown, flags=re.S)]


def test_the_way_back_plans_ready_and_moves_everything_back(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    before = set(resources(emulator))
    forward = moved_there(runner, s, "forward", **{"approve-private-endpoints": "true"})
    report = forward.report
    jsonschema.validate(report, SCHEMA)
    back = report["wayBack"]
    assert back is not None, "a report of a move carries the way back"
    moved = {m["from"]: m["to"] for m in report["moved"]}
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    expected = {
        "source-workspace-id": new_ws,
        "destination-resource-group-id": s.source_rg,
        "include-associated-resources": ",".join(to for old, to in moved.items() if old != s.workspace_id),
        "create-destination-resource-group": "true",
        **{name: "true" if forward.plan["options"][key] else "false" for _, key, name in OPT_INS},
        **{k: v for k, v in runner.connection().items() if k not in SIGN_IN},
    }
    assert back["inputs"] == expected
    assert back["inputs"]["approve-private-endpoints"] == "true"  # the same opt-ins as the move
    assert not set(back["inputs"]) & set(SIGN_IN)
    assert back["cannotComeBack"], "what cannot come back is said"

    # The command line round-trips through a shell's splitting to exactly the inputs.
    argv = argv_of(back["command"], runner)
    assert {k: v for k, v in flags(argv).items() if k not in SIGN_IN} == back["inputs"]

    # report.md gives the same inputs as the GitHub step's with: block and the command line.
    report_md = (forward.out_dir / "report.md").read_text(encoding="utf-8")
    assert "### The way back" in report_md
    blocks = pre_blocks(report_md)
    with_block = next(b for b in blocks if b.startswith("with:"))
    assert yaml.safe_load(with_block)["with"] == {"command": "plan", **back["inputs"]}
    assert back["command"] in blocks

    # The reverse plan, with exactly those inputs, against the moved state: ready, the same resources (moved IDs).
    reverse = run_command_line(runner, argv, "reverse")
    assert reverse.code == 0, reverse.explain()
    plan = reverse.plan
    assert plan["status"] == "ready" and plan["validation"]["status"] == "passed"
    assert sorted(r.lower() for r in plan["resources"]) == sorted(to.lower() for to in moved.values())
    assert plan["destination"]["resourceGroupId"] == s.source_rg
    assert {name: plan["options"][key] for _, key, name in OPT_INS} == {
        name: forward.plan["options"][key] for _, key, name in OPT_INS
    }
    assert not [f for f in plan["findings"] if f["severity"] == "blocker"]
    # The Log Analytics workspace left in the original group is where the way back goes: nothing stays behind.
    assert "dependency-stays-behind" not in {f["id"] for f in plan["findings"]}

    # Applied, it brings everything back to the original group, as ARM now lists it.
    back_run = run_command_line(runner, ["apply", *argv[1:]], "reverse")
    assert back_run.code == 0, back_run.explain()
    assert back_run.report["status"] == "moved"
    state = resources(emulator)
    for old, new in moved.items():
        assert old.lower() in state, f"{old} is not back"
        assert new.lower() not in state, f"{new} is still at the destination"
    top_level = {r for r in before if r.count("/providers/") == 1}
    assert {r for r in state if r.count("/providers/") == 1} == top_level
    # The way back of the way back is the original move again.
    again = back_run.report["wayBack"]["inputs"]
    assert (again["source-workspace-id"], again["destination-resource-group-id"]) == (s.workspace_id, s.dest_rg)


def test_the_way_back_of_an_azure_devops_run_with_nothing_else_moved(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert runner.run("plan", inputs(s, **{"include-associated-resources": "none"}), name="ado").code == 0
    run = runner.run("apply", inputs(s, **{"include-associated-resources": "none"}), name="ado", mode="azure-devops")
    assert run.code == 0, run.explain()
    back = run.report["wayBack"]
    assert back["inputs"]["include-associated-resources"] == "none"
    blocks = pre_blocks(run.summary)
    parameters = yaml.safe_load(next(b for b in blocks if b.startswith("- template:")))[0]["parameters"]
    assert parameters["sourceWorkspaceId"] == moved_id(s.workspace_id, s.dest_rg)
    assert parameters["destinationResourceGroupId"] == s.source_rg
    assert parameters["includeAssociatedResources"] == "none"
    assert parameters["restoreRoleAssignments"] is True and parameters["removeComputes"] is False
    reverse = run_command_line(runner, argv_of(back["command"], runner), "ado-back")
    assert reverse.code == 0, reverse.explain()
    assert reverse.plan["status"] == "ready"
    assert reverse.plan["resources"] == [moved_id(s.workspace_id, s.dest_rg)]


def test_a_refused_apply_has_no_way_back(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert runner.run("plan", inputs(s), name="job").code == 0
    s.compute("late-cluster")
    load(emulator, s)
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 1, run.explain()
    assert writes(emulator.requests()) == []
    jsonschema.validate(run.report, SCHEMA)
    assert run.report["wayBack"] is None
    assert "The way back" not in (run.out_dir / "report.md").read_text(encoding="utf-8")


def test_a_partial_move_has_the_way_back_of_exactly_what_moved(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert runner.run("plan", inputs(s), name="job").code == 0
    partial = [s.workspace_id, s.associated("storage")]
    emulator.shape_lro(durationSeconds=0.5, outcome="failed", partial=partial)
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 3, run.explain()
    assert run.report["status"] == "failed"
    jsonschema.validate(run.report, SCHEMA)
    back = run.report["wayBack"]
    assert back["inputs"]["include-associated-resources"] == moved_id(s.associated("storage"), s.dest_rg)
    emulator.shape_lro()  # ARM moves normally again
    reverse = run_command_line(runner, argv_of(back["command"], runner), "back")
    assert reverse.code == 0, reverse.explain()
    assert reverse.plan["status"] == "ready"
    assert sorted(reverse.plan["resources"]) == sorted(moved_id(r, s.dest_rg) for r in partial)


def test_the_way_back_to_an_original_group_deleted_meanwhile_creates_it_again(emulator, runner) -> None:
    from tests.conftest import SdkClients

    s = samples.WorkspaceScenario()
    load(emulator, s)
    forward = moved_there(runner, s, "forward")
    SdkClients(emulator).resources(samples.SOURCE_SUB).resource_groups.begin_delete(s.source_group).result()
    assert s.source_rg.lower() not in resources(emulator)
    back = forward.report["wayBack"]
    reverse = run_command_line(runner, argv_of(back["command"], runner), "back")
    assert reverse.code == 0, reverse.explain()
    plan = reverse.plan
    assert plan["status"] == "ready" and plan["destination"]["exists"] is False
    assert plan["options"]["createDestinationResourceGroup"] is True
    applied = run_command_line(runner, ["apply", *argv_of(back["command"], runner)[1:]], "back")
    assert applied.code == 0, applied.explain()
    state = resources(emulator)
    assert s.source_rg.lower() in state and s.workspace_id.lower() in state


# A name an ARM id can carry and include-associated-resources takes (no `/`, `?`, `#`, `%`): shell, Markdown, HTML
# and runner syntax.
HOSTILE_NAME = "appi x'\"$(id) `<img src=x onerror=alert(1)>` ::warning::w [x](javascript:y) | <details open>"


def test_a_hostile_resource_name_round_trips_through_every_form_of_the_way_back(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    hostile = s.add(f"{s.source_rg}/providers/Microsoft.Insights/components/{HOSTILE_NAME}", {"location": s.location})
    load(emulator, s)
    listed = ",".join([*(s.associated(k) for k in ("storage", "keyVault", "containerRegistry")), hostile])
    forward = moved_there(runner, s, "forward", **{"include-associated-resources": listed})
    back = forward.report["wayBack"]
    assert moved_id(hostile, s.dest_rg) in back["inputs"]["include-associated-resources"].split(",")
    argv = argv_of(back["command"], runner)
    assert {k: v for k, v in flags(argv).items() if k not in SIGN_IN} == back["inputs"]
    report_md = (forward.out_dir / "report.md").read_text(encoding="utf-8")
    section = report_md[report_md.index("### The way back") :]
    assert HOSTILE_NAME not in section and "<img" not in section and "<details open>" not in section
    blocks = pre_blocks(section)
    assert yaml.safe_load(blocks[0])["with"] == {"command": "plan", **back["inputs"]}
    assert shlex.split(blocks[1]) == shlex.split(back["command"])
    assert "includeAssociatedResources" not in blocks[2]  # $( would be expanded by Azure Pipelines: left out, named
    assert "`include-associated-resources`" in section
    reverse = run_command_line(runner, argv, "back")
    assert reverse.code == 0, reverse.explain()
    assert reverse.plan["status"] == "ready"
    assert moved_id(hostile, s.dest_rg) in reverse.plan["resources"]
