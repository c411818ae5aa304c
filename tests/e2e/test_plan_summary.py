"""What the approver reads: the summary's first table and its counts are what apply then does (on the sample, and
with a shared storage account that stays while role assignments sit on it and on one of its containers); the
dependencies that stay behind are named with what they mean; the headline never says "Ready" alone when ARM did not
validate."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from amlmove_action import render
from amlmove_emulator import catalog, samples
from tests.support.harness import inputs, load

ML = "Microsoft.MachineLearningServices"


def workspace_body(s: samples.WorkspaceScenario) -> dict[str, Any]:
    return next(r for r in s.resources if r["id"] == s.workspace_id)["body"]


def table_count(summary: str, row: str) -> int:
    """The bold count in the "What will happen" row that starts with `row`."""
    table = summary.split("### What will happen\n\n", 1)[1].split("\n\n", 1)[0]
    line = next(line for line in table.splitlines() if line.startswith(f"| {row}"))
    return int(re.search(r"\*\*(\d+)\*\*", line).group(1))


def applied_counts(report: dict[str, Any]) -> dict[str, int]:
    done = [f for f in report["followUps"] if f["status"] in ("done", "already-done")]
    return {kind: sum(f["kind"] == kind for f in done) for kind in ("role-assignment", "datastore")}


def plan_then_apply(runner, s, **opt_ins: str):
    plan = runner.run("plan", inputs(s, **opt_ins), name="plan")
    assert plan.code == 0, plan.explain()
    applied = runner.run("apply", inputs(s, **opt_ins, **{"plan-file": str(plan.out_dir / "plan.json")}), name="apply")
    assert applied.code == 0, applied.explain()
    return plan, applied


def with_container_assignment(s: samples.WorkspaceScenario) -> None:
    """A role assignment below the storage account, on a blob container (restored only when the account moves)."""
    s.assign(
        s.container_scope("training"),
        catalog.STORAGE_BLOB_DATA_READER,
        samples.DATA_SCIENTIST["objectId"],
        "User",
        "c0000000-0000-4000-8000-000000000205",
        description="Dana reads training blobs",
    )


def test_counts_on_the_sample_are_what_apply_does(emulator, runner) -> None:
    """The sample: three role assignments on moved scopes (two at the workspace, one at its storage account) and
    two key-based datastores plus one identity-based on the moved account; a compute and an endpoint deleted first."""
    s = samples.WorkspaceScenario(dest_location=None)
    s.compute("cpu-cluster")
    s.online_endpoint("churn-endpoint")
    with_container_assignment(s)
    load(emulator, s)
    plan, applied = plan_then_apply(runner, s, **{"remove-computes": "true", "remove-endpoints": "true"})
    post, summary = plan.plan["postMove"], plan.summary
    did = applied_counts(applied.report)
    assert len(post["roleAssignments"]) == did["role-assignment"] == 4  # the container's one included
    assert len(post["datastores"]) == did["datastore"] == 3
    assert table_count(summary, "Role assignments to recreate") == 4
    assert table_count(summary, "Datastores to point at the moved storage account") == 3
    deleted = next(line for line in summary.splitlines() if line.startswith("| Deleted right before the move"))
    assert "**2**" in deleted and "cpu-cluster" in deleted and "churn-endpoint" in deleted
    opt_ins = next(line for line in summary.splitlines() if line.startswith("| Opt-ins"))
    assert "`remove-computes`: on" in opt_ins and "`remove-endpoints`: on" in opt_ins
    # role names and principal types, not bare GUIDs
    roles = next(line for line in summary.splitlines() if line.startswith("| Role assignments to recreate"))
    assert "AzureML Data Scientist for User" in roles and "Reader for Group" in roles
    assert "Storage Blob Data Reader for User" in roles
    assert "<details>" not in summary.split("### What will happen\n\n", 1)[1].split("\n\n", 1)[0]
    restored = [f["target"] for f in applied.report["followUps"] if f["kind"] == "role-assignment"]
    assert any("as Storage Blob Data Reader (" in t for t in restored), restored  # a name, not only a GUID


def test_counts_with_a_shared_storage_account_that_stays(emulator, runner) -> None:
    """The storage account is shared with a sibling workspace, so it stays: its datastores need no repair (the old
    plan said 3) and the role assignment on it is not orphaned; the sibling is write-locked during the move."""
    s = samples.WorkspaceScenario()
    sibling = copy.deepcopy(workspace_body(s))
    sibling["properties"].update(
        friendlyName="mlw-sibling", containerRegistry=None, applicationInsights=None, keyVault=None
    )
    sibling_id = s.add(f"{s.source_rg}/providers/{ML}/workspaces/mlw-sibling", sibling)
    storage = s.associated("storage")  # the sample already has a role assignment on it (Storage Blob Data Reader)
    with_container_assignment(s)  # and one below it, on a blob container: neither moves
    load(emulator, s)
    plan, applied = plan_then_apply(runner, s)
    assert storage.lower() not in {r.lower() for r in plan.plan["resources"]}
    post, summary = plan.plan["postMove"], plan.summary
    did = applied_counts(applied.report)
    assert len(post["datastores"]) == did["datastore"] == 0
    assert len(post["roleAssignments"]) == did["role-assignment"] == 2  # the workspace's two; none on storage/container
    assert table_count(summary, "Datastores to point at the moved storage account") == 0
    assert table_count(summary, "Role assignments to recreate") == 2
    lock = next(line for line in summary.splitlines() if line.startswith("| Write lock"))
    assert "up to 4 hours" in lock and "rg-ml-test" in lock and "rg-ml-prod" in lock and "mlw-sibling" in lock
    assert sibling_id in plan.plan["writeLock"]["otherResources"]


def test_user_assigned_identity_and_log_analytics_are_named(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    uai = s.add(
        f"{s.source_rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mlw-churn",
        {"location": s.location},
    )
    workspace_body(s)["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {uai: {}}}
    load(emulator, s)
    plan = runner.run("plan", inputs(s))
    assert plan.code == 0, plan.explain()
    stays = [f for f in plan.plan["findings"] if f["id"] == "dependency-stays-behind"]
    assert {r for f in stays for r in f["resourceIds"]} == {
        uai,
        f"{s.source_rg}/providers/Microsoft.OperationalInsights/workspaces/log-mlw-churn",
    }
    identity = next(f for f in stays if uai in f["resourceIds"])
    assert "id-mlw-churn" in identity["detail"] and "source subscription" in identity["detail"]
    logs = next(f for f in stays if uai not in f["resourceIds"])
    assert "log-mlw-churn" in logs["detail"] and "telemetry keeps going there" in logs["detail"]
    row = next(line for line in plan.summary.splitlines() if line.startswith("| Dependencies that stay behind"))
    assert "id\\-mlw\\-churn" in row or "id-mlw-churn" in row
    assert "log\\-mlw\\-churn" in row or "log-mlw-churn" in row


@pytest.mark.parametrize(
    ("status", "ready", "expected"),
    [
        ("passed", True, "✅ Ready — validated by ARM"),
        ("deferred", True, "✅ Ready — ARM validation at apply"),
        ("skipped", True, "⚠️ Ready — ARM validation skipped"),
        ("failed", True, "⚠️ Ready — ARM validation failed"),
        ("failed", False, "⛔ Blocked — ARM validation failed"),
    ],
)
def test_headline_states_verdict_and_validation(status: str, ready: bool, expected: str) -> None:
    line = render.verdict("ready" if ready else "blocked", status)
    assert line.startswith(expected)
    if status != "passed" and status != "deferred":
        assert not line.startswith("✅")
