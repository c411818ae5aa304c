"""validateMoveResources and moveResources through the real ResourceManagementClient: LROs that complete, ARM's
front-door rules, the Azure ML provider's blockers (each one a `details[]` entry), a completed move's effects (ids
rewritten with their children, orphaned role assignments, Pending private endpoint connections, stale datastores),
groups locked while a move runs, and the LRO hook's failed/timeout outcomes with a partial move."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from amlmove_emulator import catalog, samples
from tests.conftest import SdkClients

SUB, DEST = samples.SOURCE_SUB, samples.DEST_SUB
ML = "Microsoft.MachineLearningServices"
FAST = {"retryAfterSeconds": 0.05}  # the LRO polls' Retry-After: the SDK waits what ARM says


def movable(s: samples.WorkspaceScenario) -> list[str]:
    """The workspace and its associated resources (everything top-level in the source group but the log workspace)."""
    return [
        s.workspace_id,
        *(s.associated(k) for k in ("storage", "keyVault", "containerRegistry", "applicationInsights")),
    ]


def new_id(resource_id: str, group: str = "rg-ml-prod", sub: str = DEST) -> str:
    """Where a resource of the source group lives after a move to `sub`/`group`."""
    _, rest = resource_id.split("/providers/", 1)
    return f"{samples.group_id(sub, group)}/providers/{rest}"


def load(emulator, s: samples.WorkspaceScenario) -> SdkClients:
    s.settings = {**FAST, **s.settings}
    emulator.load_scenario(s.build())
    return SdkClients(emulator)


def stored_ids(emulator) -> set[str]:
    return {r["id"].lower() for r in emulator.state()["resources"]}


def stored(emulator, resource_id: str) -> dict[str, Any]:
    return next(r["body"] for r in emulator.state()["resources"] if r["id"].lower() == resource_id.lower())


def validate(azure: SdkClients, s: samples.WorkspaceScenario, resources: list[str] | None = None, target=None):
    info = {"resources": resources or movable(s), "targetResourceGroup": target or s.dest_rg}
    return azure.resources(SUB).resources.begin_validate_move_resources(s.source_group, info).result()


def move(azure: SdkClients, s: samples.WorkspaceScenario, resources: list[str] | None = None, target=None):
    info = {"resources": resources or movable(s), "targetResourceGroup": target or s.dest_rg}
    return azure.resources(SUB).resources.begin_move_resources(s.source_group, info).result()


# ---- validation and a completed move ----------------------------------------------------------------------------


def test_validation_of_a_clean_workspace_completes_and_moves_nothing(emulator) -> None:
    s = samples.WorkspaceScenario()
    azure = load(emulator, s)
    before = stored_ids(emulator)
    assert validate(azure, s) is None
    assert stored_ids(emulator) == before
    wire = [(r["method"], r["status"]) for r in emulator.requests() if r["path"].startswith("/subscriptions/")]
    assert wire[0] == ("POST", 202) and wire[-1] == ("GET", 204)
    (operation,) = emulator.state()["operations"]
    assert (operation["kind"], operation["status"]) == ("validate", 204)


def test_a_completed_move_rewrites_ids_orphans_role_assignments_and_leaves_pe_and_datastores_to_fix(emulator) -> None:
    s = samples.WorkspaceScenario()
    pec = s.private_endpoint("pe-mlw-churn")
    azure = load(emulator, s)
    assert move(azure, s) is None

    ids_now = stored_ids(emulator)
    for rid in movable(s):
        assert rid.lower() not in ids_now and new_id(rid).lower() in ids_now
    ws = new_id(s.workspace_id)
    for child in ("jobs/quiet_river_1", "datastores/workspaceblobstore", "privateEndpointConnections/"):
        assert any(i.startswith(f"{ws}/{child}".lower()) for i in ids_now), child
    assert not any(i.startswith(f"{s.workspace_id}/".lower()) and "/providers/microsoft.authorization/" not in i
                   for i in ids_now)  # fmt: skip

    rc = azure.resources(DEST)
    body = rc.resources.get_by_id(ws, api_version="2025-12-01")
    assert body.id == ws and body.properties["storageAccount"] == new_id(s.associated("storage"))
    # Role assignments stay at the old scope (orphans); none apply at the new workspace below the subscription.
    orphan = f"{s.workspace_id}/providers/Microsoft.Authorization/roleAssignments/c0000000-0000-4000-8000-000000000001"
    assert orphan.lower() in ids_now
    at_new = azure.authorization(DEST).role_assignments.list_for_scope(ws, filter="atScope()")
    assert all(a.scope == f"/subscriptions/{DEST}" for a in at_new)
    # The private endpoint stayed; its connection on the moved workspace waits for approval again.
    conn = rc.resources.get_by_id(new_id(pec), api_version="2025-12-01")
    assert conn.properties["privateLinkServiceConnectionState"]["status"] == "Pending"
    assert body.properties["privateEndpointConnections"][0]["id"] == new_id(pec)
    # Datastores still name the old subscription and group.
    blob = stored(emulator, f"{ws}/datastores/workspaceblobstore")["properties"]
    assert (blob["subscriptionId"], blob["resourceGroup"]) == (SUB, s.source_group)
    (operation,) = emulator.state()["operations"]
    assert (operation["kind"], operation["status"]) == ("move", 204)
    assert operation["targetResourceGroup"] == s.dest_rg


# ---- ARM's front door -------------------------------------------------------------------------------------------


def no_permission_on_the_target(s: samples.WorkspaceScenario) -> dict[str, Any]:
    """A principal that is Contributor on the source group but only Reader on the destination subscription."""
    p = {
        "clientId": str(uuid.uuid4()),
        "clientSecret": "contributor-secret",
        "objectId": str(uuid.uuid4()),
        "tenantId": samples.TENANT,
    }
    s.principals.append(p)
    s.assign(s.source_rg, catalog.CONTRIBUTOR, p["objectId"], "ServicePrincipal", str(uuid.uuid4()))
    s.assign(f"/subscriptions/{DEST}", catalog.READER, p["objectId"], "ServicePrincipal", str(uuid.uuid4()))
    return p


FRONT_DOOR: dict[str, tuple[Callable[[samples.WorkspaceScenario], Any], int, str, str]] = {
    # rule: (scenario change -> move arguments or principal, status, code, text in the message)
    "target is the source": (lambda s: {"target": s.source_rg}, 400, "InvalidTargetResourceGroup", "same"),
    "cross-tenant": (
        lambda s: setattr(s, "dest_tenant", "0b9f6a2e-1111-4222-8333-444455556666"),
        403,
        "LinkedAuthorizationFailed",
        "not authorized to access linked subscription",
    ),
    "unregistered provider": (
        lambda s: s.dest_providers.remove(ML),
        400,
        "MissingRegistrationsForTypes",
        "microsoft.machinelearningservices/workspaces",
    ),
    "read-only lock": (
        lambda s: s.lock(s.source_rg, "frozen", "ReadOnly") and None,
        409,
        "ScopeLocked",
        "locks/frozen",
    ),
    "missing permission": (
        lambda s: {"principal": no_permission_on_the_target(s)},
        403,
        "AuthorizationFailed",
        "Microsoft.Resources/subscriptions/resourceGroups/write",
    ),
    "child resource": (
        lambda s: {"resources": [f"{s.workspace_id}/jobs/quiet_river_1"]},
        400,
        "CannotMoveChildResource",
        "child resource",
    ),
    "resource elsewhere": (
        lambda s: {"resources": [new_id(s.workspace_id, "rg-other", SUB)]},
        400,
        "ResourceNotInSourceResourceGroup",
        "not in the source resource group",
    ),
    "missing resource": (
        lambda s: {"resources": [f"{s.source_rg}/providers/{ML}/workspaces/nope"]},
        404,
        "ResourceNotFound",
        "workspaces/nope",
    ),
    "missing target group": (
        lambda s: {"target": samples.group_id(DEST, "rg-missing")},
        400,
        "ResourceGroupNotFound",
        "rg-missing",
    ),
}


@pytest.mark.parametrize("rule", list(FRONT_DOOR))
@pytest.mark.parametrize("operation", ["validate", "move"])
def test_front_door_rules_answer_the_post_and_move_nothing(emulator, rule: str, operation: str) -> None:
    change, status, code, text = FRONT_DOOR[rule]
    s = samples.WorkspaceScenario()
    args = change(s) or {}
    azure = load(emulator, s)
    if "principal" in args:
        azure = SdkClients(emulator, principal=args["principal"])
    before = stored_ids(emulator)
    with pytest.raises(HttpResponseError) as refused:
        (validate if operation == "validate" else move)(azure, s, args.get("resources"), args.get("target"))
    assert (refused.value.status_code, refused.value.error.code) == (status, code)
    assert text.lower() in refused.value.error.message.lower()
    assert stored_ids(emulator) == before
    assert emulator.state()["operations"] == []  # refused on the POST: no operation to poll


# ---- the Azure ML provider's blockers -------------------------------------------------------------------------


def set_workspace(s: samples.WorkspaceScenario, **properties: Any) -> str:
    entry = next(r for r in s.resources if r["id"] == s.workspace_id)
    entry["body"]["properties"].update(properties)
    return s.workspace_id


def labeling_job(s: samples.WorkspaceScenario, status: str) -> str:
    return s.add(
        f"{s.workspace_id}/labelingJobs/label-churn",
        {
            "properties": {
                "jobType": "Labeling",
                "status": status,
                "jobInstructions": {"uri": "https://contoso.example/instructions"},
                "labelingJobMediaProperties": {"mediaType": "Image"},
            }
        },
    )


def endpoint(kind: str) -> Callable[[samples.WorkspaceScenario], str]:
    def add(s: samples.WorkspaceScenario) -> str:
        return s.add(f"{s.workspace_id}/{kind}/ep-churn", {"location": s.location, "properties": {}})

    return add


def databricks_link(s: samples.WorkspaceScenario) -> str:
    s.add(
        f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/dbw-churn",
        {
            "location": s.location,
            "sku": {"name": "premium"},
            "properties": {
                "managedResourceGroupId": samples.group_id(SUB, "rg-dbw-managed"),
                "parameters": {"amlWorkspaceId": {"type": "String", "value": s.workspace_id}},
            },
        },
    )
    return s.workspace_id


CMK = {
    "status": "Enabled",
    "keyVaultProperties": {
        "keyVaultArmId": f"/subscriptions/{SUB}/resourceGroups/rg-ml-test/providers/Microsoft.KeyVault/vaults/kv-cmk",
        "keyIdentifier": "https://kv-cmk.vault.azure.net/keys/cmk/0123456789abcdef",
    },
}
BLOCKERS: dict[str, tuple[Callable[[samples.WorkspaceScenario], str], str, str]] = {
    # blocker: (add it, returning the id details[].target names; details[].code; text in details[].message)
    "compute": (lambda s: s.compute("cpu-cluster"), "WorkspaceMoveComputeExists", "cpu-cluster"),
    "compute being created": (
        lambda s: s.compute("ci-dana", "ComputeInstance", state="Creating"),
        "WorkspaceMoveComputeExists",
        "'Creating'",
    ),
    "online endpoint": (lambda s: s.online_endpoint("churn-endpoint"), "WorkspaceMoveEndpointExists", "online"),
    "batch endpoint": (endpoint("batchEndpoints"), "WorkspaceMoveEndpointExists", "batch endpoint"),
    "serverless endpoint": (endpoint("serverlessEndpoints"), "WorkspaceMoveEndpointExists", "serverless"),
    "customer-managed key": (
        lambda s: set_workspace(s, encryption=CMK),
        "WorkspaceMoveCustomerManagedKeyNotSupported",
        "customer-managed key",
    ),
    "running labeling job": (lambda s: labeling_job(s, "Running"), "WorkspaceMoveLabelingJobRunning", "label-churn"),
    "Databricks link": (databricks_link, "WorkspaceMoveDatabricksLinked", "dbw-churn"),
    "non-terminal job": (lambda s: s.job("eager_fox_3", "Queued"), "WorkspaceMoveJobRunning", "'Queued'"),
}


@pytest.mark.parametrize("blocker", list(BLOCKERS))
def test_each_aml_blocker_fails_validation_with_a_details_entry(emulator, blocker: str) -> None:
    add, code, text = BLOCKERS[blocker]
    s = samples.WorkspaceScenario()
    target = add(s)
    azure = load(emulator, s)
    with pytest.raises(HttpResponseError) as refused:
        validate(azure, s)
    error = refused.value.error
    # real ARM's shape: the batch verdict, one provider verdict per refused resource (target: its id), and the
    # provider's reasons nested below, naming a resource TYPE as target and the object in the message
    assert (refused.value.status_code, error.code) == (409, "ResourceMoveValidationFailed")
    (per_resource,) = error.details
    assert (per_resource.code, per_resource.target) == ("ResourceMoveProviderValidationFailed", s.workspace_id)
    expected_target = target if target == s.workspace_id else f"{ML}/workspaces/{target.split('/')[-2]}"
    assert [(d.code, d.target) for d in per_resource.details] == [(code, expected_target)]
    assert text in per_resource.details[0].message
    (operation,) = emulator.state()["operations"]
    assert (operation["kind"], operation["status"]) == ("validate", 409)


def test_finished_jobs_and_a_completed_labeling_job_do_not_block(emulator) -> None:
    s = samples.WorkspaceScenario()
    for status in ("Completed", "Failed", "Canceled", "NotResponding", "Paused"):
        s.job(f"job_{status.lower()}", status)
    labeling_job(s, "Completed")
    assert validate(load(emulator, s), s) is None


def test_a_blocked_move_moves_nothing_and_names_every_blocker(emulator) -> None:
    s = samples.WorkspaceScenario()
    compute = s.compute("cpu-cluster")
    ep = s.online_endpoint("churn-endpoint")
    azure = load(emulator, s)
    before = stored_ids(emulator)
    with pytest.raises(HttpResponseError) as refused:
        move(azure, s)
    assert refused.value.error.code == "ResourceMoveValidationFailed"
    (per_resource,) = refused.value.error.details
    named = {(d.target, d.message.split("'")[1]) for d in per_resource.details}
    assert named == {
        (f"{ML}/workspaces/computes", compute.rsplit("/", 1)[-1]),
        (f"{ML}/workspaces/onlineEndpoints", ep.rsplit("/", 1)[-1]),
    }
    assert stored_ids(emulator) == before


def test_an_unmovable_type_is_refused_by_its_provider(emulator) -> None:
    s = samples.WorkspaceScenario()
    s.private_endpoint("pe-mlw-churn")
    pe = f"{s.source_rg}/providers/Microsoft.Network/privateEndpoints/pe-mlw-churn"
    with pytest.raises(HttpResponseError) as refused:
        validate(load(emulator, s), s, [*movable(s), pe])
    assert [(d.code, d.target) for d in refused.value.error.details] == [("ResourceMoveNotSupported", pe)]


# ---- while a move runs -------------------------------------------------------------------------------------------


def test_groups_refuse_writes_while_a_move_runs_and_reads_go_on(emulator) -> None:
    s = samples.WorkspaceScenario()
    azure = load(emulator, s)
    emulator.shape_lro(operation="move", durationSeconds=3600)
    rc = azure.resources(SUB)
    poller = rc.resources.begin_move_resources(
        s.source_group, {"resources": movable(s), "targetResourceGroup": s.dest_rg}
    )
    assert not poller.done()
    vault, api = s.associated("keyVault"), "2024-11-01"
    body = rc.resources.get_by_id(vault, api_version=api).as_dict()  # reads go on
    for group_write in (
        lambda: rc.resources.begin_create_or_update_by_id(vault, api_version=api, parameters=body).result(),
        lambda: azure.resources(DEST).resource_groups.create_or_update("rg-ml-prod", {"location": "eastus"}),
        lambda: azure.locks(SUB).management_locks.create_or_update_at_resource_group_level(
            s.source_group, "late", {"level": "CanNotDelete"}
        ),
        lambda: move(azure, s),  # a second move from the same group
    ):
        with pytest.raises(HttpResponseError) as refused:
            group_write()
        assert (refused.value.status_code, refused.value.error.code) == (409, "ResourceGroupMoveInProgress")
    emulator.settings(clockSpeed=100_000)  # the hour passes in a moment; the poller then sees 204
    assert poller.result() is None
    assert new_id(s.workspace_id).lower() in stored_ids(emulator)
    assert azure.resources(DEST).resource_groups.create_or_update("rg-ml-prod", {"location": "eastus"}).name


def test_both_groups_show_moving_resources_while_a_move_holds_them_and_succeeded_after(emulator) -> None:
    """What real ARM reports on the groups during a move (source and target: provisioningState MovingResources, per
    the ARM engineer in Azure/azure-cli issue 11942 and the ResourceMoveTimedOut message "Provisioning state of the
    resource groups will be rolled back"); a group the move does not touch stays Succeeded, and both are Succeeded
    again once it ends."""
    s = samples.WorkspaceScenario()
    azure = load(emulator, s)
    emulator.shape_lro(operation="move", durationSeconds=3600)
    source, target = azure.resources(SUB).resource_groups, azure.resources(DEST).resource_groups
    assert source.get(s.source_group).properties.provisioning_state == "Succeeded"
    poller = azure.resources(SUB).resources.begin_move_resources(
        s.source_group, {"resources": movable(s), "targetResourceGroup": s.dest_rg}
    )
    assert source.get(s.source_group).properties.provisioning_state == "MovingResources"
    assert target.get("rg-ml-prod").properties.provisioning_state == "MovingResources"
    listed = {g.name: g.properties.provisioning_state for g in source.list()}
    assert listed[s.source_group] == "MovingResources"
    assert {state for name, state in listed.items() if name != s.source_group} <= {"Succeeded"}
    emulator.settings(clockSpeed=100_000)
    assert poller.result() is None
    assert source.get(s.source_group).properties.provisioning_state == "Succeeded"
    assert target.get("rg-ml-prod").properties.provisioning_state == "Succeeded"


# ---- the LRO hook: a move that fails or times out part-way -----------------------------------------------------------


@pytest.mark.parametrize(("outcome", "code"), [("failed", "ResourceMoveFailed"), ("timeout", "ResourceMoveTimedOut")])
def test_a_move_that_fails_part_way_leaves_the_partial_set_moved(emulator, outcome: str, code: str) -> None:
    s = samples.WorkspaceScenario()
    azure = load(emulator, s)
    storage, vault = s.associated("storage"), s.associated("keyVault")
    emulator.shape_lro(operation="move", outcome=outcome, partial=[storage, vault], count=1)
    with pytest.raises(HttpResponseError) as failed:
        move(azure, s)
    assert failed.value.error.code == code
    ids_now = stored_ids(emulator)
    for rid in (storage, vault):
        assert new_id(rid).lower() in ids_now and rid.lower() not in ids_now  # moved
    for rid in (s.workspace_id, s.associated("containerRegistry"), s.associated("applicationInsights")):
        assert rid.lower() in ids_now and new_id(rid).lower() not in ids_now  # stayed
    if outcome == "failed":
        assert {d.target for d in failed.value.error.details} == {
            s.workspace_id,
            s.associated("containerRegistry"),
            s.associated("applicationInsights"),
        }
    (operation,) = emulator.state()["operations"]
    assert operation["status"] == 409
    # The hook shaped one operation: the next move of the rest succeeds.
    rest = [s.workspace_id, s.associated("containerRegistry"), s.associated("applicationInsights")]
    assert move(azure, s, rest) is None
