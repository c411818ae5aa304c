"""The two-identity setup of docs/delivery.md §3, built in the emulator exactly as documented: a planner that reads
and may validate, a mover with the move rights; federated credentials per environment. The plan made by the
planner must be approvable, apply with the mover must move it, and the planner's token must never move anything."""

from __future__ import annotations

import pytest

from amlmove_emulator import catalog, samples
from tests.support.harness import load

PLANNER_ROLE = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"  # the custom role's GUID (any GUID: az assigns one)
PLANNER = {
    "clientId": "11111111-aaaa-4bbb-8ccc-000000000001",
    "objectId": "11111111-aaaa-4bbb-8ccc-0000000000a1",
    "tenantId": samples.TENANT,
    "displayName": "id-amlmove-planner",
    "federatedCredentials": [
        {
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:ORG/REPO:environment:aml-plan",
            "audiences": ["api://AzureADTokenExchange"],
        }
    ],
}
MOVER = {
    "clientId": "22222222-aaaa-4bbb-8ccc-000000000002",
    "objectId": "22222222-aaaa-4bbb-8ccc-0000000000a2",
    "tenantId": samples.TENANT,
    "displayName": "id-amlmove-mover",
    "federatedCredentials": [
        {
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:ORG/REPO:environment:aml-move",
            "audiences": ["api://AzureADTokenExchange"],
        }
    ],
}
PLAN_SUBJECT = "repo:ORG/REPO:environment:aml-plan"
MOVE_SUBJECT = "repo:ORG/REPO:environment:aml-move"
VALIDATE = "Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action"


def documented_setup(dest_exists: bool) -> samples.WorkspaceScenario:
    """docs/delivery.md §3 step by step: the planner's custom role (its JSON), the planner's role assignments
    (custom role on the source group; Reader on the destination group, or on the destination subscription while
    the group does not exist), the mover's (Contributor on the source group and on the destination group or
    subscription, Role Based Access Control Administrator on the destination for restore-role-assignments)."""
    s = samples.WorkspaceScenario(dest_location="eastus" if dest_exists else None)
    s.resources = [r for r in s.resources if samples.SP["objectId"] not in str(r["body"])]  # no all-powerful SP
    s.principals = [dict(PLANNER), dict(MOVER), dict(samples.DATA_SCIENTIST), dict(samples.ML_READERS)]
    s.add(
        f"/subscriptions/{samples.SOURCE_SUB}/providers/Microsoft.Authorization/roleDefinitions/{PLANNER_ROLE}",
        {
            "properties": {
                "roleName": "amlmove planner",
                "description": "Read everything and validate a resource move; cannot move or change anything.",
                "type": "CustomRole",
                "assignableScopes": [f"/subscriptions/{samples.SOURCE_SUB}"],
                "permissions": [{"actions": ["*/read", VALIDATE], "notActions": []}],
            }
        },
    )
    destination = s.dest_rg if dest_exists else f"/subscriptions/{samples.DEST_SUB}"
    s.assign(s.source_rg, PLANNER_ROLE, PLANNER["objectId"], "ServicePrincipal", "d0000000-0000-4000-8000-000000000001")
    s.assign(
        destination, catalog.READER, PLANNER["objectId"], "ServicePrincipal", "d0000000-0000-4000-8000-000000000002"
    )
    s.assign(
        s.source_rg, catalog.CONTRIBUTOR, MOVER["objectId"], "ServicePrincipal", "d0000000-0000-4000-8000-000000000003"
    )
    s.assign(
        destination, catalog.CONTRIBUTOR, MOVER["objectId"], "ServicePrincipal", "d0000000-0000-4000-8000-000000000004"
    )
    s.assign(
        destination,
        catalog.RBAC_ADMINISTRATOR,
        MOVER["objectId"],
        "ServicePrincipal",
        "d0000000-0000-4000-8000-000000000005",
    )
    return s


def as_identity(emulator, identity: dict, subject: str) -> dict[str, str]:
    """The GitHub job of one environment: its AZURE_CLIENT_ID variable, and the token subject GitHub gives it."""
    emulator.settings(githubSubject=subject)
    return {"client-id": identity["clientId"]}


@pytest.mark.parametrize("dest_exists", [True, False], ids=["destination-exists", "destination-absent"])
def test_documented_planner_and_mover_plan_ready_and_move(emulator, runner, dest_exists) -> None:
    s = documented_setup(dest_exists)
    load(emulator, s)
    target = {"source-workspace-id": s.workspace_id, "destination-resource-group-id": s.dest_rg}
    plan_inputs = {**target, **as_identity(emulator, PLANNER, PLAN_SUBJECT), "apply-principal-id": MOVER["objectId"]}
    plan = runner.run("plan", plan_inputs, name="plan")
    assert plan.code == 0, plan.explain()
    assert plan.plan["status"] == "ready", plan.plan["findings"]
    assert plan.ids("blocker") == set()
    assert plan.plan["validation"]["status"] == "deferred"
    assert "validation deferred: the move identity validates before anything is written" in plan.summary
    headline = plan.summary.splitlines()[0]
    assert "Ready" in headline and "ARM validation at apply" in headline

    move_inputs = {**target, **as_identity(emulator, MOVER, MOVE_SUBJECT), "plan-file": str(plan.out_dir / "plan.json")}
    applied = runner.run("apply", move_inputs, name="apply")
    assert applied.code == 0, applied.explain()
    state = emulator.state()
    moved = f"{s.dest_rg}/providers/Microsoft.MachineLearningServices/workspaces/{s.workspace}".lower()
    assert any(r["id"].lower() == moved for r in state["resources"]), "the workspace is not in the destination"


def test_planner_token_is_refused_by_move_resources(emulator, runner) -> None:
    """The planner can plan, but its token never moves anything: ARM's moveResources answers AuthorizationFailed
    (the real SDK call, with the planner signed in), and an apply that signs in as the planner stops before any
    write. The credential type does not change what the identity may do, so the SDK signs in with a secret here."""
    from azure.core.exceptions import HttpResponseError

    from tests.conftest import SdkClients

    s = documented_setup(dest_exists=True)
    load(emulator, s)
    target = {"source-workspace-id": s.workspace_id, "destination-resource-group-id": s.dest_rg}
    plan = runner.run(
        "plan", {**target, **as_identity(emulator, PLANNER, PLAN_SUBJECT), "apply-principal-id": MOVER["objectId"]}
    )
    assert plan.code == 0, plan.explain()
    secret = "planner-secret-for-this-test-only"
    emulator.load_scenario({**s.build(), "principals": [{**PLANNER, "clientSecret": secret}, MOVER]})
    planner = SdkClients(emulator, principal={**PLANNER, "clientSecret": secret})
    client = planner.resources(samples.SOURCE_SUB)
    with pytest.raises(HttpResponseError) as refused:
        client.resources.begin_move_resources(
            s.source_group, {"resources": plan.plan["resources"], "targetResourceGroup": s.dest_rg}
        ).result()
    assert refused.value.status_code == 403 and refused.value.error.code == "AuthorizationFailed"
    assert "moveResources/action" in refused.value.error.message
    # ARM's validation asks the same of the destination as the move (docs/delivery.md): the planner may not run it
    with pytest.raises(HttpResponseError) as not_validated:
        client.resources.begin_validate_move_resources(
            s.source_group, {"resources": plan.plan["resources"], "targetResourceGroup": s.dest_rg}
        ).result()
    assert not_validated.value.error.code == "AuthorizationFailed"
    assert f"'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '{s.dest_rg}'" in (
        not_validated.value.error.message
    )

    applied = runner.run(
        "apply",
        {**target, **as_identity(emulator, PLANNER, PLAN_SUBJECT), "plan-file": str(plan.out_dir / "plan.json")},
    )
    assert applied.code != 0
    ids = {r["id"].lower() for r in emulator.state()["resources"]}
    assert s.workspace_id.lower() in ids, "the workspace left the source group"
