"""Issue 3 acceptance through real `entrypoint.py plan` subprocesses (tests/support/harness.py), the variants that
tests/e2e/test_plan_runner.py does not already drive: the permission finding from a narrow grant (Reader on the source
group only; a custom role that can do everything but moveResources/action), ReadOnly and CanNotDelete locks on a
moved resource rather than the group, the associated-resource selection explained for `none`, `all` and a list
(`auto` is in test_plan_runner.py), and a clean plan's step outputs in Azure DevOps. Each run is checked by the
harness for tracebacks and by `foreign_commands()` for any command amlmove did not mean to issue.
"""

from __future__ import annotations

from typing import Any

import pytest

from amlmove_emulator import catalog, samples
from tests.support.harness import Run, inputs, load

MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"
SOURCE_OWNER = "b0000000-0000-4000-8000-000000000001"  # the pipeline's Owner assignment on the source subscription
NO_MOVE_ROLE = "5e1f0c3a-7b2d-4c9e-8a61-0d3f2b4c6e88"


def drop_source_owner(s: samples.WorkspaceScenario) -> None:
    s.resources[:] = [r for r in s.resources if not r["id"].endswith(f"/roleAssignments/{SOURCE_OWNER}")]


def assert_blocked(run: Run, check_id: str) -> dict[str, Any]:
    assert run.code == 1, run.explain()
    assert run.outputs["status"] == "blocked" and run.plan["status"] == "blocked"
    assert len(run.stderr.strip().splitlines()) == 1 and check_id in run.last_line, run.stderr
    finding = run.finding(check_id)
    assert finding["severity"] == "blocker" and finding["remediation"].strip()
    assert f"`{check_id}`" in run.summary.split("### What moves", 1)[0]  # under Blockers, before what moves
    assert run.foreign_commands() == []
    return finding


# --- missing permission from a narrow grant ---------------------------------------------------------------------------


def _reader_on_the_source_group(s: samples.WorkspaceScenario) -> None:
    drop_source_owner(s)
    s.assign(
        s.source_rg, catalog.READER, samples.SP["objectId"], "ServicePrincipal", "b1000000-0000-4000-8000-0000000000a1"
    )


def _custom_role_without_move(s: samples.WorkspaceScenario) -> None:
    drop_source_owner(s)
    s.add(
        f"/subscriptions/{samples.SOURCE_SUB}/providers/Microsoft.Authorization/roleDefinitions/{NO_MOVE_ROLE}",
        {
            "properties": {
                "roleName": "ML operator (no moves)",
                "description": "Everything but moving resources",
                "type": "CustomRole",
                "permissions": [{"actions": ["*"], "notActions": [MOVE_ACTION], "dataActions": []}],
                "assignableScopes": [f"/subscriptions/{samples.SOURCE_SUB}"],
            }
        },
    )
    s.assign(
        f"/subscriptions/{samples.SOURCE_SUB}",
        NO_MOVE_ROLE,
        samples.SP["objectId"],
        "ServicePrincipal",
        "b1000000-0000-4000-8000-0000000000a2",
    )


@pytest.mark.parametrize(
    "grant", [_reader_on_the_source_group, _custom_role_without_move], ids=["reader-on-group", "custom-role"]
)
def test_a_grant_without_move_permission_is_a_blocker(emulator, runner, grant) -> None:
    s = samples.WorkspaceScenario()
    grant(s)
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    finding = assert_blocked(run, "missing-permission")
    assert MOVE_ACTION in finding["detail"] and s.source_rg in finding["resourceIds"]
    assert f"az role assignment create --assignee {samples.SP['objectId']}" in finding["remediation"]
    assert f"--scope {s.source_rg}" in finding["remediation"]
    if grant is _reader_on_the_source_group:  # ARM agrees, and the plan keeps its verdict verbatim
        validation = run.plan["validation"]
        assert validation["status"] == "failed" and validation["code"] == "AuthorizationFailed"
        assert (
            samples.SP["objectId"] in validation["message"] and "does not have authorization" in validation["message"]
        )
        assert "ARM validateMoveResources said" in run.summary and "AuthorizationFailed" in run.summary
    # (the custom role may validate — validateMoveResources/action is not denied — yet cannot move: only the
    # check catches that, before anyone approves a plan that would fail at apply)


def test_least_privilege_owner_of_both_groups_only_plans_ready(emulator, runner) -> None:
    """No role on either subscription: subscription-wide lists answer 403 and discovery reads the two groups
    instead (locks, workspaces, Databricks); nothing is missing for the move itself."""
    s = samples.WorkspaceScenario()
    s.resources[:] = [r for r in s.resources if "/roleAssignments/b0000000-" not in r["id"]]
    for i, group in enumerate((s.source_rg, s.dest_rg)):
        s.assign(
            group, catalog.OWNER, samples.SP["objectId"], "ServicePrincipal", f"b1000000-0000-4000-8000-0000000000b{i}"
        )
    s.lock(s.associated("keyVault"), "kv-freeze", "ReadOnly")  # still found, through the group's lock list
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert_blocked(run, "resource-lock")
    assert "missing-permission" not in run.ids()
    assert len(run.plan["resources"]) == 5


# --- locks on a moved resource ----------------------------------------------------------------------------------------


def test_a_read_only_lock_on_a_moved_resource_blocks_and_can_not_delete_warns(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    read_only = s.lock(s.associated("keyVault"), "kv-freeze", "ReadOnly")
    no_delete = s.lock(s.associated("storage"), "st-keep", "CanNotDelete")
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert_blocked(run, "resource-lock")
    locks = [f for f in run.plan["findings"] if f["id"] == "resource-lock"]
    by_severity = {f["severity"]: f for f in locks}
    assert by_severity["blocker"]["resourceIds"] == [read_only]
    assert "kv-freeze" in by_severity["blocker"]["detail"]
    assert f"az lock delete --ids {read_only}" in by_severity["blocker"]["remediation"]
    assert by_severity["warning"]["resourceIds"] == [no_delete]
    assert run.plan["validation"]["status"] == "failed"  # ARM refuses a locked resource too (ScopeLocked)


# --- associated resources: each mode shown and explained ------------------------------------------------------------


KINDS = ("storage", "keyVault", "containerRegistry", "applicationInsights")


@pytest.mark.parametrize(
    ("choice", "moving", "reason_moving", "reason_staying"),
    [
        ("none", (), None, "include-associated-resources is none"),
        ("all", KINDS, "include-associated-resources is all", None),
        ("list", ("storage", "keyVault"), "listed in include-associated-resources", "not listed in"),
    ],
)
def test_the_associated_selection_is_shown_and_explained(
    emulator, runner, choice, moving, reason_moving, reason_staying
) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    value = "\n".join(s.associated(k) for k in moving) if choice == "list" else choice
    run = runner.run("plan", inputs(s, **{"include-associated-resources": value}))
    assert run.code == 0, run.explain()
    plan = run.plan
    assert sorted(plan["resources"]) == sorted([s.workspace_id, *(s.associated(k) for k in moving)])
    decisions = {a["id"]: a for a in plan["associatedResources"]}
    assert set(decisions) == {s.associated(k) for k in KINDS}
    moves_md = run.plan_md.split("### What moves", 1)[1].split("###", 1)[0]
    stays_md = run.plan_md.split("### What stays", 1)[1].split("###", 1)[0] if "### What stays" in run.plan_md else ""
    for kind in KINDS:
        rid, name = s.associated(kind), s.associated(kind).rsplit("/", 1)[-1]
        d = decisions[rid]
        if kind in moving:
            assert d["decision"] == "move" and reason_moving in d["reason"], d
            assert name in moves_md and name not in stays_md
        else:
            assert d["decision"] == "stay" and reason_staying in d["reason"], d
            assert name in stays_md and reason_staying in stays_md
    assert run.summary == run.plan_md


def test_a_listed_resource_outside_the_workspace_group_is_an_input_error(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    remote = f"{samples.group_id(samples.SOURCE_SUB, 'rg-elsewhere')}/providers/Microsoft.Storage/storageAccounts/st2"
    before = len(emulator.requests())
    run = runner.run("plan", inputs(s, **{"include-associated-resources": f"{s.associated('storage')}\n{remote}"}))
    assert run.code == 2, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and "include-associated-resources" in run.last_line
    assert "outside the workspace's group" in run.last_line
    assert len(emulator.requests()) == before  # found before any request to Azure
    assert run.foreign_commands() == []


def test_listed_resources_move_and_a_missing_one_is_rejected_with_its_reason(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    logs = f"{s.source_rg}/providers/Microsoft.OperationalInsights/workspaces/log-{s.workspace}"  # not associated
    ghost = f"{s.source_rg}/providers/Microsoft.Storage/storageAccounts/stghost01"
    listed = "\n".join([s.associated("storage"), logs, ghost])
    run = runner.run("plan", inputs(s, **{"include-associated-resources": listed}))
    decisions = {a["id"]: a for a in run.plan["associatedResources"]}
    assert (
        decisions[logs]["decision"] == "move" and decisions[logs]["reason"] == "listed in include-associated-resources"
    )
    assert (
        decisions[ghost]["decision"] == "rejected"
        and "not found in the workspace's group" in decisions[ghost]["reason"]
    )
    assert logs in run.plan["resources"] and ghost not in run.plan["resources"]
    assert "stghost01" in run.summary and "not found in the workspace" in run.summary
    assert run.foreign_commands() == []
    finding = assert_blocked(run, "listed-resource-rejected")  # a listed ID that is not there: fix the list first
    assert ghost in finding["resourceIds"]


# --- Azure DevOps: a clean plan's output variables ------------------------------------------------------------------


def test_clean_plan_in_azure_devops_sets_output_variables_and_uploads_the_summary(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    run = runner.run("plan", inputs(s), mode="azure-devops")
    assert run.code == 0, run.explain()
    assert run.outputs == {
        "status": "ready",
        "blockers": "0",
        "warnings": str(len(run.ids("warning"))),
        "planFile": "amlmove-output/plan.json",
        "planDigest": run.plan["digest"],
    }
    assert run.summary == run.plan_md and run.summary.startswith("## amlmove plan: ✅ Ready — validated by ARM")
    completes = [c for c in run.stdout_commands if c.name.lower() == "task.complete"]
    assert [c.properties.get("result") for c in completes] == ["Succeeded"]
    assert run.foreign_commands() == []
