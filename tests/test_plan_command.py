"""Issue 3 acceptance through the real CLI (in-process `cli.main`, GitHub mode) against the emulator: every
unsupported scenario of the seed document gives its check ID and remediation; the `auto` selection is explained."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from amlmove_action import cli
from amlmove_action.emulator import catalog, samples
from tests.runner_rules import parse_github_commands, parse_github_file_commands

ML = "Microsoft.MachineLearningServices"


def run_plan(emulator, tmp_path: Path, scenario: samples.WorkspaceScenario, monkeypatch, *extra: str):
    emulator.load_scenario(scenario if isinstance(scenario, dict) else scenario.build())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
    out = tmp_path / "out"
    output_file, summary = tmp_path / "github_output", tmp_path / "summary.md"
    output_file.write_text("")
    summary.write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "AZURE_CLIENT_SECRET": emulator.info["clientSecret"],
    }
    ws = samples.WorkspaceScenario().workspace_id
    argv = [
        "plan",
        "--source-workspace-id",
        ws,
        "--destination-resource-group-id",
        samples.group_id(samples.DEST_SUB, "rg-ml-prod"),
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
    plan = json.loads((out / "plan.json").read_text()) if (out / "plan.json").exists() else None
    return (
        code,
        plan,
        parse_github_file_commands(output_file.read_text()),
        summary.read_text(),
        stdout.getvalue(),
        stderr.getvalue(),
    )


def ids_of(plan, severity: str = "blocker") -> set[str]:
    return {f["id"] for f in plan["findings"] if f["severity"] == severity}


def scenario(**kwargs) -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario(**kwargs)
    s.settings = {"retryAfterSeconds": 0.1}
    return s


def workspace_entry(s: samples.WorkspaceScenario) -> dict:
    return next(r for r in s.resources if r["id"] == s.workspace_id)


def test_clean_workspace_is_ready(emulator, tmp_path, monkeypatch):
    code, plan, outputs, summary, stdout, _ = run_plan(emulator, tmp_path, scenario(), monkeypatch)
    assert code == 0
    assert plan["status"] == "ready" and plan["validation"]["status"] == "passed"
    assert outputs["status"] == "ready" and outputs["blockers"] == "0" and outputs["plan-digest"] == plan["digest"]
    assert summary.startswith("## amlmove plan: ✅ Ready to move")
    decisions = {Path(a["id"]).name: (a["decision"], a["reason"]) for a in plan["associatedResources"]}
    assert decisions["stchurn01"] == ("move", "in the workspace's group and used by no other workspace")
    assert all(c.name in ("warning", "notice", "add-mask", "debug") for c in parse_github_commands(stdout))


def _compute_creating(s):
    s.compute("gpu-cluster", state="Creating")


def _online_endpoint(s):
    s.online_endpoint("churn-endpoint")


def _cmk(s):
    workspace_entry(s)["body"]["properties"]["encryption"] = {
        "status": "Enabled",
        "keyVaultProperties": {"keyVaultArmId": s.associated("keyVault"), "keyIdentifier": "https://kv/keys/cmk/1"},
    }


def _labeling(s):
    s.add(f"{s.workspace_id}/labelingJobs/label-churn", {"properties": {"jobType": "Labeling", "status": "Running"}})


def _databricks(s):
    s.add(
        f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/dbw-churn",
        {
            "location": "eastus",
            "sku": {"name": "premium"},
            "properties": {
                "managedResourceGroupId": f"/subscriptions/{samples.SOURCE_SUB}/resourceGroups/dbw-managed",
                "parameters": {"amlWorkspaceId": {"type": "String", "value": s.workspace_id}},
            },
        },
    )


def _running_job(s):
    s.job("busy_train_7", "Running")


@pytest.mark.parametrize(
    ("mutate", "check_id"),
    [
        (_compute_creating, "computes-present"),
        (_online_endpoint, "online-endpoints-present"),
        (_cmk, "customer-managed-key"),
        (_labeling, "labeling-jobs-running"),
        (_databricks, "databricks-linked"),
        (_running_job, "running-jobs"),
    ],
)
def test_unsupported_scenarios_block_with_their_check(emulator, tmp_path, monkeypatch, mutate, check_id):
    s = scenario()
    mutate(s)
    built = s.build()
    built["subscriptions"][0]["registeredProviders"].append("Microsoft.Databricks")
    code, plan, outputs, summary, _, stderr = run_plan(emulator, tmp_path, built, monkeypatch)
    assert code == 1, stderr
    assert plan["status"] == "blocked" and outputs["status"] == "blocked"
    finding = next(f for f in plan["findings"] if f["id"] == check_id)
    assert finding["severity"] == "blocker" and finding["remediation"].strip()
    assert check_id in stderr.strip().splitlines()[-1]
    assert f"`{check_id}`" in summary


def test_cross_region_destination_blocks(emulator, tmp_path, monkeypatch):
    code, plan, *_ = run_plan(emulator, tmp_path, scenario(dest_location="westeurope"), monkeypatch)
    assert code == 1 and "region-mismatch" in ids_of(plan)


def test_cross_tenant_destination_fails_clearly(emulator, tmp_path, monkeypatch):
    code, plan, _, _, _, stderr = run_plan(emulator, tmp_path, scenario(dest_tenant=str(catalog.OWNER)), monkeypatch)
    assert code in (1, 3)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "tenant" in lines[0].lower()
    if plan is not None:
        assert "tenant-mismatch" in ids_of(plan)


def test_missing_destination_provider_registration(emulator, tmp_path, monkeypatch):
    s = scenario(dest_providers=[p for p in samples.PROVIDERS if p != "Microsoft.KeyVault"])
    code, plan, *_ = run_plan(emulator, tmp_path, s, monkeypatch)
    assert code == 1 and "provider-not-registered" in ids_of(plan)


def test_missing_permission(emulator, tmp_path, monkeypatch):
    s = scenario()
    owner = next(r for r in s.resources if r["id"].endswith("roleAssignments/b0000000-0000-4000-8000-000000000001"))
    owner["body"]["properties"]["roleDefinitionId"] = owner["body"]["properties"]["roleDefinitionId"].replace(
        catalog.OWNER, catalog.READER
    )
    code, plan, *_ = run_plan(emulator, tmp_path, s, monkeypatch)
    assert code == 1 and "missing-permission" in ids_of(plan)
    assert plan["validation"]["status"] == "failed"


def test_read_only_lock(emulator, tmp_path, monkeypatch):
    s = scenario()
    s.lock(s.source_rg, "freeze")
    code, plan, *_ = run_plan(emulator, tmp_path, s, monkeypatch)
    assert code == 1 and "resource-lock" in ids_of(plan)


def test_associated_resource_elsewhere_and_shared(emulator, tmp_path, monkeypatch):
    s = scenario()
    other_rg = samples.group_id(samples.SOURCE_SUB, "rg-shared-monitoring")
    s.add(other_rg, {"location": "eastus"})
    appi = s.add(
        f"{other_rg}/providers/Microsoft.Insights/components/appi-shared",
        {"location": "eastus", "kind": "web", "properties": {"Application_Type": "web"}},
    )
    workspace_entry(s)["body"]["properties"]["applicationInsights"] = appi
    s.add(
        f"{s.source_rg}/providers/{ML}/workspaces/mlw-sibling",
        {
            "location": "eastus",
            "kind": "Default",
            "identity": {"type": "SystemAssigned"},
            "properties": {"storageAccount": s.associated("storage"), "keyVault": s.associated("keyVault")},
        },
    )
    _, plan, _, summary, *_ = run_plan(emulator, tmp_path, s, monkeypatch)
    warnings = ids_of(plan, "warning")
    assert "associated-resource-elsewhere" in warnings and "associated-resource-shared" in warnings
    decisions = {Path(a["id"]).name: a for a in plan["associatedResources"]}
    assert decisions["appi-shared"]["decision"] == "stay"
    assert decisions["stchurn01"]["decision"] == "stay" and "mlw-sibling" in decisions["stchurn01"]["reason"]
    assert decisions["crchurn01"]["decision"] == "move"
    assert "What stays" in summary
    assert "shared with" in summary and "sibling" in summary
