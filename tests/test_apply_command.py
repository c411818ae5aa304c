"""Issue 4 acceptance through the real CLI (in-process `cli.main`, GitHub mode) against the emulator: a clean move
with its repairs, drift refused with no write, and the opt-in compute removal and recreation. (Resume after a kill,
partial failures, timeouts and re-runs are in test_faults.py.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml

from amlmove_action import cli
from amlmove_action.emulator import samples
from amlmove_action.plan import digest_of
from tests.runner_rules import parse_github_file_commands

WRITES = ("PUT", "PATCH", "DELETE")


def run(emulator, tmp_path: Path, monkeypatch, command: str, *extra: str, out: Path | None = None, dest=None):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
    out = out or tmp_path / "out"
    output_file, summary = tmp_path / f"{command}_output", tmp_path / f"{command}_summary.md"
    output_file.write_text("")
    summary.write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "AZURE_CLIENT_SECRET": emulator.info["clientSecret"],
    }
    s = samples.WorkspaceScenario()
    argv = [
        command,
        "--source-workspace-id",
        s.workspace_id,
        "--destination-resource-group-id",
        dest or s.dest_rg,
        "--cloud",
        "custom",
        "--arm-endpoint",
        emulator.url,
        "--authority-host",
        emulator.url,
        "--client-id",
        emulator.info["clientId"],
        "--tenant-id",
        emulator.info["tenantId"],
        "--output-dir",
        str(out),
        *extra,
    ]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.main(argv, env, stdout=stdout, stderr=stderr)
    assert "Traceback" not in stdout.getvalue() + stderr.getvalue()
    return code, parse_github_file_commands(output_file.read_text()), stderr.getvalue()


def load(emulator, s: samples.WorkspaceScenario) -> None:
    s.settings = {"retryAfterSeconds": 0.1}
    emulator.load_scenario(s.build())


def resources(emulator) -> dict[str, dict]:
    return {r["id"].lower(): r["body"] for r in emulator.state()["resources"]}


def writes_after(emulator, mark: int) -> list[dict]:
    log = emulator.requests()[mark:]
    return [
        r
        for r in log
        if r["method"] in WRITES
        or (r["method"] == "POST" and not r["path"].lower().endswith(("/validatemoveresources", "/token")))
    ]


def test_clean_plan_then_apply_moves_and_repairs(emulator, tmp_path, monkeypatch):
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert run(emulator, tmp_path, monkeypatch, "plan")[0] == 0
    code, outputs, stderr = run(emulator, tmp_path, monkeypatch, "apply")
    assert code == 0, stderr
    assert outputs["moved"] == "true" and outputs["status"] == "moved"
    state = resources(emulator)
    new_ws = outputs["destination-workspace-id"].lower()
    assert new_ws in state and s.workspace_id.lower() not in state
    for kind in ("storage", "keyVault", "containerRegistry", "applicationInsights"):
        old = s.associated(kind)
        assert old.lower().replace(s.source_rg.lower(), s.dest_rg.lower()) in state
    restored = [
        b["properties"]
        for k, b in state.items()
        if k.startswith(new_ws + "/providers/microsoft.authorization/roleassignments/")
    ]
    assert {r["principalId"] for r in restored} == {samples.DATA_SCIENTIST["objectId"], samples.ML_READERS["objectId"]}
    datastores = [b["properties"] for k, b in state.items() if k.startswith(new_ws + "/datastores/")]
    assert datastores and all(
        d["subscriptionId"] == samples.DEST_SUB and d["resourceGroup"] == s.dest_group for d in datastores
    )
    report = json.loads(Path(outputs["report-file"]).read_text())
    assert report["status"] == "moved" and len(report["moved"]) == 5


def test_compute_created_after_plan_is_refused_without_any_write(emulator, tmp_path, monkeypatch):
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert run(emulator, tmp_path, monkeypatch, "plan")[0] == 0
    s.compute("late-cluster")
    load(emulator, s)
    mark = len(emulator.requests())
    code, _, stderr = run(emulator, tmp_path, monkeypatch, "apply")
    assert code == 1 and "Azure changed since the plan was approved" in stderr
    assert writes_after(emulator, mark) == []
    assert s.workspace_id.lower() in resources(emulator)


def test_other_destination_and_edited_or_stale_plans_are_refused(emulator, tmp_path, monkeypatch):
    s = samples.WorkspaceScenario()
    load(emulator, s)
    assert run(emulator, tmp_path, monkeypatch, "plan")[0] == 0
    plan_file = tmp_path / "out" / "plan.json"
    mark = len(emulator.requests())
    other = samples.group_id(samples.DEST_SUB, "rg-elsewhere")
    code, _, stderr = run(emulator, tmp_path, monkeypatch, "apply", "--plan-file", str(plan_file), dest=other)
    assert code == 1 and "rg-elsewhere" in stderr
    plan = json.loads(plan_file.read_text())
    plan["resources"].append(s.associated("storage").replace("stchurn01", "stother01"))
    plan_file.write_text(json.dumps(plan))
    code, _, stderr = run(emulator, tmp_path, monkeypatch, "apply")
    assert code == 1 and "digest" in stderr
    plan["resources"].pop()
    plan["createdAt"] = "2020-01-01T00:00:00Z"
    plan["digest"] = digest_of(plan)
    plan_file.write_text(json.dumps(plan))
    code, _, stderr = run(emulator, tmp_path, monkeypatch, "apply")
    assert code == 1 and "max-plan-age" in stderr
    assert writes_after(emulator, mark) == []


def test_remove_then_recreate_computes(emulator, tmp_path, monkeypatch):
    from azure.ai.ml import load_compute

    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    load(emulator, s)
    opts = ("--remove-computes", "--recreate-computes")
    assert run(emulator, tmp_path, monkeypatch, "plan", *opts)[0] == 0
    code, outputs, stderr = run(emulator, tmp_path, monkeypatch, "apply", *opts)
    assert code == 0, stderr
    export = tmp_path / "out" / "exports" / "compute-cpu-cluster.yml"
    exported = load_compute(export)
    assert exported.size.lower() == "standard_ds3_v2" and exported.max_instances == 4
    assert yaml.safe_load(export.read_text())["type"] == "amlcompute"
    state = resources(emulator)
    assert (s.workspace_id + "/computes/cpu-cluster").lower() not in state
    recreated = state[(outputs["destination-workspace-id"] + "/computes/cpu-cluster").lower()]["properties"]
    assert recreated["properties"]["vmSize"].lower() == "standard_ds3_v2"
    assert recreated["properties"]["scaleSettings"]["maxNodeCount"] == 4
