"""Issue 18, acceptance 4: after a real apply on the emulator, report.md and report.json list every file:line of the
checked-out repository that still points at the old workspace — here in five kinds of file — and nothing else: not
a file that only names the workspace, not a file reached through a symbolic link out of the tree, not amlmove's own
output (the plan names the old workspace too). plan.md shows the same lines to the reviewer before the move.

The repository is built in the runner workspace inside the test (a checked-in fixture would itself be found by any
scan of this repository)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema

from amlmove_action.ids import moved_id
from amlmove_emulator import samples
from tests.conftest import ROOT
from tests.support.harness import inputs, load

HOSTILE = "scripts/`x` ::error::pwned ##vso[task.setvariable variable=moved]false <b>.sh"
SCHEMA = json.loads((ROOT / "amlmove_action" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def repository(workspace: Path, s: samples.WorkspaceScenario, outside: Path) -> set[tuple[str, int, str]]:
    """The old workspace referenced in five kinds of file, plus decoys; (path, line, what) of every line to edit."""
    sub, group, name = s.workspace_id.split("/")[2], s.workspace_id.split("/")[4], s.workspace_id.split("/")[-1]
    files = {
        ".azureml/config.json": (
            f'{{\n  "subscription_id": "{sub}",\n  "resource_group": "{group}",\n  "workspace_name": "{name}"\n}}\n'
        ),
        "src/train.py": (
            "from azure.ai.ml import MLClient\nfrom azure.identity import DefaultAzureCredential\n\n"
            f'ml_client = MLClient(DefaultAzureCredential(), "{sub}", "{group}", "{name}")\n'
        ),
        "scripts/deploy.sh": (
            "#!/bin/sh\nset -e\naz ml online-endpoint create --file endpoint.yml \\\n"
            f"  --workspace-name {name} \\\n  --resource-group {group}\n"
        ),
        "infra/main.bicep": (
            "resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {\n"
            f"  name: '{name}'\n  scope: resourceGroup('{sub}', '{group}')\n}}\n"
        ),
        "infra/main.tf": (
            'resource "azurerm_role_assignment" "ml" {\n'
            f'  scope                = "{s.workspace_id}"\n'
            '  role_definition_name = "AzureML Data Scientist"\n}\n'
        ),
        # a hostile file name (untrusted text): listed, inert in Markdown, never a workflow command
        HOSTILE: f"az ml job list -g {group} -w {name}\n",
        # decoys: the name alone; another workspace in the same group
        "docs/notes.md": f"The {name} workspace trains the churn model.\n",
        "infra/other.tf": f'workspace_id = "{s.workspace_id}-v2"\n',
        # amlmove's own output dir is under the workspace too and already holds plan.json (it names the old id)
    }
    for path, text in files.items():
        target = workspace / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # links out of the tree, to a file and to a folder that both hold the workspace's id: never read
    outside.mkdir()
    (outside / "secret-config.json").write_text(files[".azureml/config.json"], encoding="utf-8")
    os.symlink(outside / "secret-config.json", workspace / "linked-config.json")
    os.symlink(outside, workspace / "linked-folder")
    return {
        (".azureml/config.json", 2, "subscription"),
        (".azureml/config.json", 3, "resource-group"),
        ("src/train.py", 4, "subscription"),
        ("src/train.py", 4, "resource-group"),
        ("scripts/deploy.sh", 5, "resource-group"),
        ("infra/main.bicep", 3, "subscription"),
        ("infra/main.bicep", 3, "resource-group"),
        ("infra/main.tf", 2, "workspace-id"),
        (HOSTILE, 1, "resource-group"),
    }


def test_apply_lists_every_line_that_still_points_at_the_old_workspace(emulator, runner, tmp_path) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    expected = repository(runner.tmp / "job" / "workspace", s, tmp_path / "outside")
    plan = runner.run("plan", inputs(s), name="job")
    assert plan.code == 0, plan.explain()
    # the reviewer sees the same lines before approving (plan.md only: plan.json, what is approved, is unchanged)
    editing = plan.plan_md.split("### What will need editing after the move", 1)[1]
    for path, line, _ in expected - {(HOSTILE, 1, "resource-group")}:
        assert f"`{path}:{line}`" in editing, (path, line)
    assert plan.summary == plan.plan_md and "notes.md" not in editing and "secret-config" not in editing
    assert "main.tf" not in json.dumps(plan.plan)

    run = runner.run("apply", inputs(s), name="job")  # GITHUB_WORKSPACE is the runner workspace: scan-path auto

    assert run.code == 0, run.explain()
    report = run.report
    jsonschema.validate(report, SCHEMA)
    found = {(r["path"], r["line"], r["what"]) for r in report["references"]}
    assert found == expected
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    new_sub, new_group = s.dest_rg.split("/")[2], s.dest_rg.split("/")[4]
    values = {(r["path"], r["line"], r["what"]): r["newValue"] for r in report["references"]}
    assert values[("infra/main.tf", 2, "workspace-id")] == new_ws
    assert values[(".azureml/config.json", 2, "subscription")] == new_sub
    assert values[("scripts/deploy.sh", 5, "resource-group")] == new_group
    forms = {r["path"]: r["form"] for r in report["references"]}
    assert forms == {
        ".azureml/config.json": "workspace-config",
        "src/train.py": "python",
        "scripts/deploy.sh": "az-cli",
        "infra/main.bicep": "bicep",
        "infra/main.tf": "terraform",
        HOSTILE: "az-cli",
    }
    scan = report["referenceScan"]
    assert scan["root"] == str(run.workspace) and not scan["truncated"]
    assert scan["skipped"]["symlinks"] == 2 and scan["references"] == len(expected)

    # report.md (and the job summary) list each file:line under "Left for people"; the links' targets never appear
    report_md = (run.out_dir / "report.md").read_text(encoding="utf-8")
    left = report_md.split("### Left for people", 1)[1]
    for path, line, _ in expected - {(HOSTILE, 1, "resource-group")}:
        assert f"`{path}:{line}`" in left, (path, line)
    assert "`scripts/ˋxˋ : :error: :pwned # #vso[task.setvariable variable=moved]false <b>.sh:1` (az-cli)" in left
    assert "::error::" not in report_md and "##vso" not in report_md
    assert run.summary == report_md
    for text in (report_md, json.dumps(report), run.stdout, run.stderr):
        assert "secret-config" not in text and "linked-" not in text and "notes.md" not in text
        assert "other.tf" not in text and "plan.json:" not in text
    assert "1 line(s)" not in run.stdout and f"{len(expected)} line(s) in {run.workspace}" in run.stdout
    assert run.foreign_commands() == []


def test_scan_path_none_scans_nothing_and_keeps_the_general_reminder(emulator, runner, tmp_path) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert runner.run("plan", inputs(s), name="job").code == 0
    repository(runner.tmp / "job" / "workspace", s, tmp_path / "outside")

    run = runner.run("apply", inputs(s, **{"scan-path": "none"}), name="job")

    assert run.code == 0, run.explain()
    assert run.report["references"] == [] and run.report["referenceScan"] is None
    assert any("hard-code the old workspace ID" in c for c in run.report["checklist"])
