"""Unit tests for amlmove_action.checks: each check fires on a minimal inventory and stays silent on a clean one;
associated-resource selection; skip-checks; the registry the README table is generated from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from amlmove_action.checks import (
    CHECK_IDS,
    SKIPPABLE_CHECK_IDS,
    AssociatedResourceChoice,
    Finding,
    IncludeMode,
    Outcome,
    Selection,
    Severity,
    check_spec,
    describe_checks,
    run_checks,
    select_associated_resources,
)
from amlmove_action.inventory import (
    AssetCounts,
    AssociatedResource,
    AssociatedRole,
    BatchEndpoint,
    Compute,
    DatabricksWorkspace,
    Datastore,
    DestinationGroup,
    ErrorDetail,
    GroupResource,
    Inventory,
    Job,
    LabelingJob,
    Lock,
    LockLevel,
    OnlineDeployment,
    OnlineEndpoint,
    OutboundRule,
    PermissionSet,
    PrivateEndpointConnection,
    RoleAssignment,
    Schedule,
    ScopePermissions,
    ServerlessEndpoint,
    Subscription,
    ValidationResult,
    ValidationStatus,
    Workspace,
    WorkspaceEncryption,
    WorkspaceKind,
)

SRC_SUB = "11111111-1111-1111-1111-111111111111"
DST_SUB = "22222222-2222-2222-2222-222222222222"
TENANT = "33333333-3333-3333-3333-333333333333"
PRINCIPAL = "44444444-4444-4444-4444-444444444444"
SRC_GROUP = f"/subscriptions/{SRC_SUB}/resourceGroups/rg-ml"
OTHER_GROUP = f"/subscriptions/{SRC_SUB}/resourceGroups/rg-shared"
DST_GROUP = f"/subscriptions/{DST_SUB}/resourceGroups/rg-target"
WS_ID = f"{SRC_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
OTHER_WS_ID = f"{SRC_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws2"
STORAGE_ID = f"{SRC_GROUP}/providers/Microsoft.Storage/storageAccounts/stws1"
KEY_VAULT_ID = f"{SRC_GROUP}/providers/Microsoft.KeyVault/vaults/kv-ws1"
REGISTRY_ID = f"{SRC_GROUP}/providers/Microsoft.ContainerRegistry/registries/acrws1"
INSIGHTS_ID = f"{SRC_GROUP}/providers/Microsoft.Insights/components/ai-ws1"
LOG_ANALYTICS_ID = f"{SRC_GROUP}/providers/Microsoft.OperationalInsights/workspaces/la-ws1"
IDENTITY_ID = f"{SRC_GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-ws1"
NAMESPACES = frozenset(
    {
        "Microsoft.MachineLearningServices",
        "Microsoft.Storage",
        "Microsoft.KeyVault",
        "Microsoft.ContainerRegistry",
        "Microsoft.Insights",
        "Microsoft.Notebooks",  # Microsoft's move page lists it (issue 12)
        "Microsoft.OperationalInsights",
        "Microsoft.ManagedIdentity",
    }
)
WS_FLAGS = f"--workspace-name ws1 --resource-group rg-ml --subscription {SRC_SUB}"

ASSOCIATED = (
    (AssociatedRole.STORAGE_ACCOUNT, STORAGE_ID, "Microsoft.Storage/storageAccounts"),
    (AssociatedRole.KEY_VAULT, KEY_VAULT_ID, "Microsoft.KeyVault/vaults"),
    (AssociatedRole.CONTAINER_REGISTRY, REGISTRY_ID, "Microsoft.ContainerRegistry/registries"),
    (AssociatedRole.APPLICATION_INSIGHTS, INSIGHTS_ID, "Microsoft.Insights/components"),
)
CLEAN_WORKSPACE = Workspace(
    id=WS_ID,
    name="ws1",
    location="eastus",
    storage_account_id=STORAGE_ID,
    key_vault_id=KEY_VAULT_ID,
    container_registry_id=REGISTRY_ID,
    application_insights_id=INSIGHTS_ID,
)
FULL_ACCESS = (PermissionSet(("*",)),)


def make_inventory(**changes: object) -> Inventory:
    """A workspace that can move as it is: every check must stay silent on it."""
    clean = Inventory(
        workspace=CLEAN_WORKSPACE,
        source_subscription=Subscription(SRC_SUB, TENANT, "Enabled", "source", NAMESPACES),
        destination_subscription=Subscription(DST_SUB, TENANT, "Enabled", "destination", NAMESPACES),
        destination_group=DestinationGroup(DST_GROUP, exists=True, location="eastus", provisioning_state="Succeeded"),
        validation=ValidationResult(ValidationStatus.PASSED),
        signed_in_principal_id=PRINCIPAL,
        source_group_resources=(
            GroupResource(WS_ID, "Microsoft.MachineLearningServices/workspaces", "eastus", "Succeeded"),
            *(GroupResource(rid, kind, "eastus", "Succeeded") for _, rid, kind in ASSOCIATED),
            GroupResource(LOG_ANALYTICS_ID, "Microsoft.OperationalInsights/workspaces", "eastus", "Succeeded"),
            GroupResource(IDENTITY_ID, "Microsoft.ManagedIdentity/userAssignedIdentities", "eastus", "Succeeded"),
        ),
        associated_resources=tuple(
            AssociatedResource(
                rid, role, location="eastus", provisioning_state="Succeeded", used_by_workspace_ids=(WS_ID,)
            )
            for role, rid, _ in ASSOCIATED
        ),
        permissions=(
            ScopePermissions(SRC_GROUP, FULL_ACCESS),
            ScopePermissions(DST_GROUP, FULL_ACCESS),
            ScopePermissions(f"/subscriptions/{DST_SUB}", FULL_ACCESS),
        ),
        jobs=(Job(f"{WS_ID}/jobs/old", "old", "Completed", "Command"),),
        labeling_jobs=(LabelingJob(f"{WS_ID}/labelingJobs/lbl", "lbl", "Paused"),),
        schedules=(Schedule(f"{WS_ID}/schedules/nightly", "nightly", is_enabled=False),),
        datastores=(Datastore("workspaceblobstore", "AzureBlob", "None", SRC_SUB, "rg-ml", "otheraccount", True),),
        asset_counts=AssetCounts(models=3, datasets_v1=0),
    )
    return replace(clean, **changes)


def workspace_with(**changes: object) -> Inventory:
    return make_inventory(workspace=replace(CLEAN_WORKSPACE, **changes))


def select(inventory: Inventory, choice: AssociatedResourceChoice | None = None, create: bool = True) -> Selection:
    return select_associated_resources(inventory, choice or AssociatedResourceChoice(), create_destination_group=create)


# Checks that always report (a manual step amlmove cannot do for the reviewer): left out of `fired`.
MANUAL_CHECKS = frozenset({"v1-services"})


def fired(inventory: Inventory, selection: Selection | None = None, skip: tuple[str, ...] = ()) -> list[Finding]:
    return [f for f in fired_all(inventory, selection, skip) if f.id not in MANUAL_CHECKS]


def fired_all(inventory: Inventory, selection: Selection | None = None, skip: tuple[str, ...] = ()) -> list[Finding]:
    return run_checks(inventory, selection or select(inventory), skip)


def only(findings: list[Finding], check_id: str) -> Finding:
    matching = [f for f in findings if f.id == check_id]
    assert len(matching) == 1, findings
    return matching[0]


def listed(*ids: str) -> AssociatedResourceChoice:
    return AssociatedResourceChoice(IncludeMode.LISTED, ids)


# One scenario per check: the smallest change to the clean inventory that makes it fire.
Scenario = Callable[[], tuple[Inventory, Selection]]


def _with(inventory: Inventory, choice: AssociatedResourceChoice | None = None, create: bool = True):
    return lambda: (inventory, select(inventory, choice, create))


def _too_many() -> tuple[Inventory, Selection]:
    ids = [f"{SRC_GROUP}/providers/Microsoft.Storage/storageAccounts/st{i:04d}" for i in range(800)]
    inventory = make_inventory(
        source_group_resources=tuple(GroupResource(rid, "Microsoft.Storage/storageAccounts") for rid in ids)
    )
    return inventory, select(inventory, listed(*ids))  # 800 listed + the workspace = 801


SCENARIOS: dict[str, tuple[Scenario, Severity]] = {
    "running-jobs": (
        _with(make_inventory(jobs=(Job(f"{WS_ID}/jobs/train", "train", "Running", "Command"),))),
        Severity.BLOCKER,
    ),
    "computes-present": (
        _with(make_inventory(computes=(Compute(f"{WS_ID}/computes/ci-1", "ci-1", "ComputeInstance"),))),
        Severity.BLOCKER,
    ),
    "online-endpoints-present": (
        _with(
            make_inventory(
                online_endpoints=(
                    OnlineEndpoint(
                        f"{WS_ID}/onlineEndpoints/ep",
                        "ep",
                        deployments=(OnlineDeployment(f"{WS_ID}/onlineEndpoints/ep/deployments/blue", "blue"),),
                    ),
                )
            )
        ),
        Severity.BLOCKER,
    ),
    "batch-endpoints-present": (
        _with(make_inventory(batch_endpoints=(BatchEndpoint(f"{WS_ID}/batchEndpoints/be", "be"),))),
        Severity.BLOCKER,
    ),
    "serverless-endpoints-present": (
        _with(make_inventory(serverless_endpoints=(ServerlessEndpoint(f"{WS_ID}/serverlessEndpoints/se", "se"),))),
        Severity.BLOCKER,
    ),
    "v1-services": (_with(make_inventory()), Severity.WARNING),
    "customer-managed-key": (
        _with(workspace_with(encryption=WorkspaceEncryption("Enabled", KEY_VAULT_ID, "https://kv/keys/k/1"))),
        Severity.BLOCKER,
    ),
    "labeling-jobs-running": (
        _with(make_inventory(labeling_jobs=(LabelingJob(f"{WS_ID}/labelingJobs/lbl", "lbl", "Running"),))),
        Severity.BLOCKER,
    ),
    "databricks-linked": (
        _with(
            make_inventory(
                databricks_workspaces=(
                    DatabricksWorkspace(
                        f"/subscriptions/{SRC_SUB}/resourceGroups/rg-dbx/providers/Microsoft.Databricks/workspaces/dbx",
                        "dbx",
                        WS_ID.lower(),
                    ),
                )
            )
        ),
        Severity.BLOCKER,
    ),
    "region-mismatch": (
        _with(make_inventory(destination_group=DestinationGroup(DST_GROUP, True, "westeurope"))),
        Severity.BLOCKER,
    ),
    "tenant-mismatch": (
        _with(
            make_inventory(destination_subscription=Subscription(DST_SUB, "other-tenant", "Enabled", "d", NAMESPACES))
        ),
        Severity.BLOCKER,
    ),
    "subscription-not-enabled": (
        _with(make_inventory(destination_subscription=Subscription(DST_SUB, TENANT, "Disabled", "d", NAMESPACES))),
        Severity.BLOCKER,
    ),
    "provider-not-registered": (
        _with(
            make_inventory(
                destination_subscription=Subscription(
                    DST_SUB, TENANT, "Enabled", "d", NAMESPACES - {"Microsoft.Insights"}
                )
            )
        ),
        Severity.BLOCKER,
    ),
    "missing-permission": (
        _with(
            make_inventory(
                permissions=(
                    ScopePermissions(SRC_GROUP, (PermissionSet(("*/read",)),)),
                    ScopePermissions(DST_GROUP, FULL_ACCESS),
                )
            )
        ),
        Severity.BLOCKER,
    ),
    "resource-lock": (
        _with(
            make_inventory(
                locks=(Lock(f"{SRC_GROUP}/providers/Microsoft.Authorization/locks/ro", LockLevel.READ_ONLY),)
            )
        ),
        Severity.BLOCKER,
    ),
    "destination-group-missing": (
        _with(make_inventory(destination_group=DestinationGroup(DST_GROUP, exists=False))),
        Severity.INFO,
    ),
    "listed-resource-rejected": (
        _with(make_inventory(), listed(f"{SRC_GROUP}/providers/Microsoft.Storage/storageAccounts/gone")),
        Severity.BLOCKER,
    ),
    "associated-resource-elsewhere": (
        _with(workspace_with(storage_account_id=f"{OTHER_GROUP}/providers/Microsoft.Storage/storageAccounts/shared1")),
        Severity.WARNING,
    ),
    "associated-resource-shared": (
        _with(
            make_inventory(
                associated_resources=(
                    AssociatedResource(
                        STORAGE_ID, AssociatedRole.STORAGE_ACCOUNT, used_by_workspace_ids=(WS_ID, OTHER_WS_ID)
                    ),
                    *make_inventory().associated_resources[1:],
                )
            )
        ),
        Severity.WARNING,
    ),
    "too-many-resources": (_too_many, Severity.BLOCKER),
    "unmovable-type": (_with(make_inventory(), listed(IDENTITY_ID)), Severity.BLOCKER),
    "resource-not-succeeded": (_with(workspace_with(provisioning_state="Updating")), Severity.BLOCKER),
    "hub-workspace": (_with(workspace_with(kind=WorkspaceKind.HUB)), Severity.BLOCKER),
    "project-workspace": (
        _with(workspace_with(kind=WorkspaceKind.PROJECT, hub_resource_id=OTHER_WS_ID)),
        Severity.BLOCKER,
    ),
    "feature-store-workspace": (_with(workspace_with(kind=WorkspaceKind.FEATURE_STORE)), Severity.WARNING),
    "managed-network": (
        _with(
            workspace_with(
                managed_network_isolation_mode="AllowOnlyApprovedOutbound",
                outbound_rules=(OutboundRule("to-storage", "PrivateEndpoint", STORAGE_ID),),
            )
        ),
        Severity.WARNING,
    ),
    "private-endpoints": (
        _with(
            workspace_with(
                private_endpoint_connections=(
                    PrivateEndpointConnection(f"{WS_ID}/privateEndpointConnections/pe1", "pe1", None, "Approved"),
                )
            )
        ),
        Severity.WARNING,
    ),
    "schedules-enabled": (
        _with(make_inventory(schedules=(Schedule(f"{WS_ID}/schedules/nightly", "nightly", is_enabled=True),))),
        Severity.WARNING,
    ),
    "role-assignments-not-moved": (
        _with(
            make_inventory(
                role_assignments=(
                    RoleAssignment(
                        f"{WS_ID}/providers/Microsoft.Authorization/roleAssignments/ra1",
                        WS_ID,
                        "/providers/Microsoft.Authorization/roleDefinitions/ds",
                        PRINCIPAL,
                        "User",
                    ),
                )
            )
        ),
        Severity.INFO,
    ),
    "datastores-need-repair": (
        _with(make_inventory(datastores=(Datastore("blobs", "AzureBlob", "AccountKey", SRC_SUB, "rg-ml", "stws1"),))),
        Severity.INFO,
    ),
    "v1-datasets": (_with(make_inventory(asset_counts=AssetCounts(datasets_v1=2))), Severity.INFO),
    "validation-failed": (
        _with(
            make_inventory(
                validation=ValidationResult(
                    ValidationStatus.FAILED,
                    "ResourceMoveProviderValidationFailed",
                    "Resource move validation failed. Please see details.",
                    (ErrorDetail("MissingRegistrationsForTypes", "not registered for microsoft.insights/webtests"),),
                    correlation_id="corr-1",
                )
            )
        ),
        Severity.BLOCKER,
    ),
    "dependency-stays-behind": (_with(workspace_with(user_assigned_identity_ids=(IDENTITY_ID,))), Severity.WARNING),
    "validation-not-run": (
        _with(make_inventory(validation=ValidationResult(ValidationStatus.SKIPPED, message="group missing"))),
        Severity.WARNING,
    ),
}


def test_every_registered_check_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(CHECK_IDS)


def test_clean_inventory_has_no_findings() -> None:
    assert fired(make_inventory()) == []


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_each_check_fires_alone_on_its_scenario(check_id: str) -> None:
    build, severity = SCENARIOS[check_id]
    findings = (fired_all if check_id in MANUAL_CHECKS else fired)(*build())
    assert {f.id for f in findings} == {check_id}
    finding = findings[0]
    assert finding.severity is severity
    assert finding.title == check_spec(check_id).title
    assert finding.detail and finding.remediation
    assert "{" not in finding.remediation  # every template field was filled


def test_remediation_is_the_exact_command_with_real_names() -> None:
    computes = (
        Compute(f"{WS_ID}/computes/ci-1", "ci-1", "ComputeInstance"),
        Compute(f"{WS_ID}/computes/aks", "aks", "Kubernetes", is_attached=True),
    )
    finding = only(fired(make_inventory(computes=computes)), "computes-present")
    lines = finding.remediation.splitlines()
    assert lines[0] == f"az ml compute delete --name ci-1 {WS_FLAGS} --yes"
    assert lines[1] == f"az ml compute detach --name aks {WS_FLAGS} --yes"
    assert "remove-computes: true" in lines[2]
    assert finding.resource_ids == tuple(c.id for c in computes)
    assert "loses its nodes and local disks" in finding.detail  # what no way back brings back (issue 18)


def test_command_values_are_shell_quoted() -> None:
    job = Job(f"{WS_ID}/jobs/x", "x; rm -rf /", "Running", "Command")
    finding = only(fired(make_inventory(jobs=(job,))), "running-jobs")
    assert finding.remediation.splitlines()[0] == f"az ml job cancel --name 'x; rm -rf /' {WS_FLAGS}"


def test_long_lists_are_capped_but_resource_ids_are_complete() -> None:
    jobs = tuple(Job(f"{WS_ID}/jobs/j{i}", f"j{i}", "Queued", "Command") for i in range(15))
    finding = only(fired(make_inventory(jobs=jobs)), "running-jobs")
    assert len(finding.resource_ids) == 15
    assert "and 5 more" in finding.detail
    assert finding.remediation.count("az ml job cancel") == 10


@pytest.mark.parametrize(
    ("status", "blocks"),
    [
        ("Running", True),
        ("NotStarted", True),
        ("Queued", True),
        ("Finalizing", True),
        ("CancelRequested", True),
        ("NotResponding", True),  # terminal for azure-ai-ml, but not finished: conservative
        ("Paused", True),
        ("Unknown", True),
        ("Completed", False),
        ("failed", False),
        ("Canceled", False),
    ],
)
def test_running_jobs_blocks_on_anything_not_finished(status: str, blocks: bool) -> None:
    inventory = make_inventory(jobs=(Job(f"{WS_ID}/jobs/j", "j", status, "Command"),))
    assert any(f.id == "running-jobs" for f in fired(inventory)) is blocks


@pytest.mark.parametrize(("status", "blocks"), [("Running", True), ("NotResponding", True), ("Paused", False)])
def test_labeling_projects_are_stopped_by_pausing(status: str, blocks: bool) -> None:
    inventory = make_inventory(labeling_jobs=(LabelingJob(f"{WS_ID}/labelingJobs/l", "l", status),))
    assert any(f.id == "labeling-jobs-running" for f in fired(inventory)) is blocks


def test_v1_services_is_plainly_a_manual_check() -> None:
    """amlmove never asks the regional model-management API: the finding says so and gives the command."""
    manual = only(fired_all(make_inventory()), "v1-services")
    assert manual.severity is Severity.WARNING and manual.title.startswith("Manual check:")
    assert manual.detail.startswith("amlmove does not check this.")
    assert manual.remediation.startswith("az rest --method get --resource https://management.azure.com/ --url ")
    assert f"https://eastus.api.azureml.ms/modelmanagement/v1.0{WS_ID}/services" in manual.remediation


def test_destination_group_missing_blocks_when_apply_may_not_create_it() -> None:
    inventory = make_inventory(destination_group=DestinationGroup(DST_GROUP, exists=False))
    assert only(fired(inventory, select(inventory, create=False)), "destination-group-missing").is_blocker
    info = only(fired(inventory, select(inventory, create=True)), "destination-group-missing")
    assert info.severity is Severity.INFO
    assert info.remediation == f"az group create --name rg-target --location eastus --subscription {DST_SUB}"


def test_missing_destination_group_checks_permission_at_the_subscription() -> None:
    inventory = make_inventory(
        destination_group=DestinationGroup(DST_GROUP, exists=False),
        permissions=(
            ScopePermissions(SRC_GROUP, FULL_ACCESS),
            ScopePermissions(f"/subscriptions/{DST_SUB}", (PermissionSet(("*/read",)),)),
        ),
    )
    finding = only(fired(inventory), "missing-permission")
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in finding.detail
    assert finding.remediation.splitlines()[0] == (
        f"az role assignment create --assignee {PRINCIPAL} --role Contributor --scope /subscriptions/{DST_SUB}"
    )


def test_unreadable_permissions_are_a_warning() -> None:
    inventory = make_inventory(
        permissions=(ScopePermissions(SRC_GROUP, known=False), ScopePermissions(DST_GROUP, FULL_ACCESS))
    )
    finding = only(fired(inventory), "missing-permission")
    assert finding.severity is Severity.WARNING and SRC_GROUP in finding.detail


def test_validate_action_is_required_too() -> None:
    no_validate = PermissionSet(
        ("*",), ("Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action",)
    )
    inventory = make_inventory(
        permissions=(ScopePermissions(SRC_GROUP, (no_validate,)), ScopePermissions(DST_GROUP, FULL_ACCESS))
    )
    assert "validateMoveResources/action" in only(fired(inventory), "missing-permission").detail


@pytest.mark.parametrize(
    ("scope", "level", "severity"),
    [
        (f"/subscriptions/{SRC_SUB}", LockLevel.READ_ONLY, Severity.BLOCKER),
        (f"/subscriptions/{DST_SUB}", LockLevel.READ_ONLY, Severity.BLOCKER),
        (DST_GROUP, LockLevel.READ_ONLY, Severity.BLOCKER),
        (WS_ID, LockLevel.READ_ONLY, Severity.BLOCKER),
        (STORAGE_ID, LockLevel.CAN_NOT_DELETE, Severity.WARNING),  # moved with auto
        (f"{STORAGE_ID}/blobServices/default", LockLevel.READ_ONLY, Severity.BLOCKER),  # below a moved resource
        (SRC_GROUP, LockLevel.CAN_NOT_DELETE, Severity.WARNING),
    ],
)
def test_locks_that_cover_the_move(scope: str, level: LockLevel, severity: Severity) -> None:
    lock = Lock(f"{scope}/providers/Microsoft.Authorization/locks/l1", level)
    finding = only(fired(make_inventory(locks=(lock,))), "resource-lock")
    assert finding.severity is severity
    assert finding.remediation.splitlines()[0] == f"az lock delete --ids {lock.id}"


@pytest.mark.parametrize(
    "scope",
    [
        IDENTITY_ID,  # in the source group but not moved
        f"/subscriptions/{SRC_SUB}/resourceGroups/rg-ml2",  # a group whose name starts like the source group
        f"/subscriptions/{DST_SUB}/resourceGroups/elsewhere",
    ],
)
def test_locks_elsewhere_are_ignored(scope: str) -> None:
    lock = Lock(f"{scope}/providers/Microsoft.Authorization/locks/l1", LockLevel.READ_ONLY)
    assert fired(make_inventory(locks=(lock,))) == []


def test_validation_failure_is_quoted_verbatim_with_advice_for_the_nested_code() -> None:
    build, _ = SCENARIOS["validation-failed"]
    finding = only(fired(*build()), "validation-failed")
    assert (
        "ResourceMoveProviderValidationFailed: Resource move validation failed. Please see details." in finding.detail
    )
    assert "MissingRegistrationsForTypes: not registered for microsoft.insights/webtests" in finding.detail
    assert "correlation id corr-1" in finding.detail
    assert finding.remediation.startswith("Register the providers ARM names")
    assert WS_ID in finding.resource_ids


def test_provider_check_covers_every_moved_namespace() -> None:
    destination = Subscription(DST_SUB, TENANT, "Enabled", "d", NAMESPACES - {"Microsoft.OperationalInsights"})
    inventory = make_inventory(destination_subscription=destination)
    assert fired(inventory) == []  # nothing from that namespace moves
    finding = only(fired(inventory, select(inventory, listed(LOG_ANALYTICS_ID))), "provider-not-registered")
    assert finding.remediation.splitlines()[0] == (
        f"az provider register --namespace Microsoft.OperationalInsights --subscription {DST_SUB} --wait"
    )


def test_shared_resource_is_a_blocker_when_it_would_move() -> None:
    build, _ = SCENARIOS["associated-resource-shared"]
    inventory, _ = build()
    finding = only(
        fired(inventory, select(inventory, AssociatedResourceChoice(IncludeMode.ALL))), "associated-resource-shared"
    )
    assert finding.is_blocker and "ws2" in finding.detail


# --- Selection -------------------------------------------------------------------------------------------------------


def outcomes(selection: Selection) -> dict[str, Outcome]:
    return {d.resource_id: d.outcome for d in selection.decisions}


def test_auto_moves_the_four_associated_resources_of_a_private_group() -> None:
    selection = select(make_inventory())
    assert selection.moved_ids == (WS_ID, STORAGE_ID, KEY_VAULT_ID, REGISTRY_ID, INSIGHTS_ID)
    assert all(d.reason for d in selection.decisions)
    assert selection.destination_group_id == DST_GROUP


def test_auto_leaves_shared_elsewhere_missing_and_unread_resources_behind() -> None:
    elsewhere = f"{OTHER_GROUP}/providers/Microsoft.Storage/storageAccounts/shared1"
    inventory = make_inventory(
        workspace=replace(CLEAN_WORKSPACE, storage_account_id=elsewhere),
        associated_resources=(
            AssociatedResource(KEY_VAULT_ID, AssociatedRole.KEY_VAULT, used_by_workspace_ids=(WS_ID, OTHER_WS_ID)),
            AssociatedResource(REGISTRY_ID, AssociatedRole.CONTAINER_REGISTRY, exists=False),
        ),  # Application Insights could not be read at all
    )
    decisions = {d.resource_id: d for d in select(inventory).decisions}
    assert {rid: d.outcome for rid, d in decisions.items()} == {
        elsewhere: Outcome.STAY,
        KEY_VAULT_ID: Outcome.STAY,
        REGISTRY_ID: Outcome.STAY,
        INSIGHTS_ID: Outcome.STAY,
    }
    assert "rg-shared" in decisions[elsewhere].reason
    assert "ws2" in decisions[KEY_VAULT_ID].reason
    assert "does not exist" in decisions[REGISTRY_ID].reason
    assert "could not be read" in decisions[INSIGHTS_ID].reason


def test_none_moves_only_the_workspace() -> None:
    selection = select(make_inventory(), AssociatedResourceChoice(IncludeMode.NONE))
    assert selection.moved_ids == (WS_ID,)
    assert set(outcomes(selection).values()) == {Outcome.STAY}


def test_all_moves_shared_resources_in_the_group_but_not_those_elsewhere() -> None:
    elsewhere = f"{OTHER_GROUP}/providers/Microsoft.Insights/components/ai-shared"
    inventory = make_inventory(
        workspace=replace(CLEAN_WORKSPACE, application_insights_id=elsewhere),
        associated_resources=(
            AssociatedResource(STORAGE_ID, AssociatedRole.STORAGE_ACCOUNT, used_by_workspace_ids=(WS_ID, OTHER_WS_ID)),
            *make_inventory().associated_resources[1:3],
        ),
    )
    selection = select(inventory, AssociatedResourceChoice(IncludeMode.ALL))
    assert selection.moved_ids == (WS_ID, STORAGE_ID, KEY_VAULT_ID, REGISTRY_ID)
    assert outcomes(selection)[elsewhere] is Outcome.STAY


def test_listed_moves_exactly_the_listed_ids_and_rejects_the_rest() -> None:
    outside = f"{OTHER_GROUP}/providers/Microsoft.Storage/storageAccounts/shared1"
    unknown = f"{SRC_GROUP}/providers/Microsoft.Storage/storageAccounts/gone"
    choice = listed(KEY_VAULT_ID.upper(), LOG_ANALYTICS_ID, KEY_VAULT_ID, outside, unknown, WS_ID)
    selection = select(make_inventory(), choice)
    assert selection.moved_ids == (WS_ID, KEY_VAULT_ID, LOG_ANALYTICS_ID)
    result = outcomes(selection)
    assert (
        result[STORAGE_ID] is Outcome.STAY
        and result[outside] is Outcome.REJECTED
        and result[unknown] is Outcome.REJECTED
    )
    finding = only(fired(make_inventory(), selection), "listed-resource-rejected")
    assert set(finding.resource_ids) == {outside, unknown}


# --- Running and skipping --------------------------------------------------------------------------------------------


def test_skipped_blockers_become_warnings_and_say_so() -> None:
    inventory = make_inventory(
        computes=(Compute(f"{WS_ID}/computes/ci-1", "ci-1", "ComputeInstance"),),
        schedules=(Schedule(f"{WS_ID}/schedules/s", "s", is_enabled=True),),
    )
    findings = fired(inventory, skip=("computes-present", "SCHEDULES-ENABLED"))
    computes = only(findings, "computes-present")
    assert (computes.severity, computes.skipped, computes.downgraded_from) == (Severity.WARNING, True, Severity.BLOCKER)
    schedules = only(findings, "schedules-enabled")
    assert (schedules.severity, schedules.skipped, schedules.downgraded_from) == (Severity.WARNING, True, None)
    assert not any(f.is_blocker for f in findings)


def test_unskipped_findings_are_untouched_and_blockers_come_first() -> None:
    inventory = make_inventory(
        computes=(Compute(f"{WS_ID}/computes/ci-1", "ci-1", "ComputeInstance"),),
        asset_counts=AssetCounts(datasets_v1=None),
        schedules=(Schedule(f"{WS_ID}/schedules/s", "s", is_enabled=True),),
    )
    findings = fired(inventory)
    assert [f.severity for f in findings] == [Severity.BLOCKER, Severity.WARNING, Severity.INFO]
    assert not any(f.skipped for f in findings)


@pytest.mark.parametrize("skip", ["no-such-check", "validation-failed"])
def test_run_checks_refuses_unknown_or_unskippable_ids(skip: str) -> None:
    with pytest.raises(ValueError):
        fired(make_inventory(), skip=(skip,))


def test_registry_describes_every_check_for_the_readme() -> None:
    rows = list(describe_checks())
    assert [row[0] for row in rows] == list(CHECK_IDS)
    assert len(set(CHECK_IDS)) == len(CHECK_IDS)
    for check_id, severity, title, summary in rows:
        assert check_id == check_id.lower() and " " not in check_id
        assert isinstance(severity, Severity) and title and summary
        assert "{" not in summary and "\n" not in summary
    assert "validation-failed" not in SKIPPABLE_CHECK_IDS
    assert set(SKIPPABLE_CHECK_IDS) == set(CHECK_IDS) - {"validation-failed"}


def _with_insights_logs(inventory: Inventory) -> Inventory:
    """Application Insights backed by the Log Analytics workspace of the source group."""
    return replace(
        inventory,
        associated_resources=tuple(
            replace(r, log_analytics_workspace_id=LOG_ANALYTICS_ID) if r.id == INSIGHTS_ID else r
            for r in inventory.associated_resources
        ),
    )


def test_user_assigned_identity_and_log_analytics_are_named_with_what_they_mean() -> None:
    inventory = _with_insights_logs(workspace_with(user_assigned_identity_ids=(IDENTITY_ID,)))
    found = [f for f in fired(inventory) if f.id == "dependency-stays-behind"]
    assert len(found) == 2
    identity, logs = found
    assert "uai-ws1" in identity.detail and "source subscription" in identity.detail
    assert identity.resource_ids == (IDENTITY_ID,)
    assert "--primary-user-assigned-identity" in identity.remediation
    assert "la-ws1" in logs.detail and "Application Insights ai-ws1 (moves)" in logs.detail
    assert "telemetry keeps going there" in logs.detail and logs.resource_ids == (LOG_ANALYTICS_ID,)


def test_log_analytics_that_moves_too_is_not_reported() -> None:
    inventory = _with_insights_logs(make_inventory())
    listed = AssociatedResourceChoice(
        IncludeMode.LISTED, (STORAGE_ID, KEY_VAULT_ID, REGISTRY_ID, INSIGHTS_ID, LOG_ANALYTICS_ID)
    )
    selection = select(inventory, listed)
    assert not [f for f in fired(inventory, selection) if f.id == "dependency-stays-behind"]


def test_dependencies_already_in_the_destination_group_do_not_stay_behind() -> None:
    """The way back of a move (issue 18): the Log Analytics workspace and the identity left in the original group are
    where the workspace goes, so nothing stays behind."""
    there_logs = LOG_ANALYTICS_ID.replace(SRC_GROUP, DST_GROUP)
    there_identity = IDENTITY_ID.replace(SRC_GROUP, DST_GROUP)
    inventory = _with_insights_logs(workspace_with(user_assigned_identity_ids=(there_identity,)))
    inventory = replace(
        inventory,
        associated_resources=tuple(
            replace(r, log_analytics_workspace_id=there_logs) if r.id == INSIGHTS_ID else r
            for r in inventory.associated_resources
        ),
    )
    assert not [f for f in fired(inventory) if f.id == "dependency-stays-behind"]


def test_deferred_validation_is_a_note_that_says_how_validation_is_done() -> None:
    deferred = ValidationResult(
        ValidationStatus.DEFERRED,
        message="the plan identity may not run ARM's validation (AuthorizationFailed); validation deferred: the move "
        "identity validates before anything is written",
    )
    note = only(fired(make_inventory(validation=deferred)), "validation-not-run")
    assert note.severity is Severity.INFO
    assert "validation deferred: the move identity validates before anything is written" in note.detail


AUTHZ_MESSAGE = (
    "The client 'c0ffee00-0000-4000-8000-000000000001' with object id 'c0ffee00-0000-4000-8000-000000000001' does "
    "not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope "
    f"'{DST_GROUP}' or the scope is invalid. If access was recently granted, please refresh your credentials."
)


def test_authorization_failed_advice_names_the_identity_the_action_and_the_scope() -> None:
    failed = ValidationResult(ValidationStatus.FAILED, "AuthorizationFailed", AUTHZ_MESSAGE)
    finding = only(fired(make_inventory(validation=failed)), "validation-failed")
    assert "c0ffee00-0000-4000-8000-000000000001" in finding.remediation
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in finding.remediation
    assert DST_GROUP in finding.remediation and "apply-principal-id" in finding.remediation
    assert "Fix what ARM reports" not in finding.remediation


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceGroupMoveInProgress", "The resource group is locked by a move operation in progress."),
        ("Conflict", f"The resource group '{DST_GROUP}' is locked by a move operation in progress. Retry later."),
    ],
)
def test_move_in_progress_advice_says_wait_and_serialise(code: str, message: str) -> None:
    failed = ValidationResult(ValidationStatus.FAILED, code, message)
    finding = only(fired(make_inventory(validation=failed)), "validation-failed")
    assert "Wait until it finishes" in finding.remediation and "max-parallel: 1" in finding.remediation


def test_missing_permission_names_the_apply_identity_when_another_one_plans() -> None:
    mover = "d00d0000-0000-4000-8000-000000000002"
    inventory = make_inventory(
        apply_principal_id=mover,
        permissions=(
            ScopePermissions(SRC_GROUP, (PermissionSet(("*/read",)),)),
            ScopePermissions(DST_GROUP, FULL_ACCESS),
        ),
    )
    finding = only(fired(inventory), "missing-permission")
    assert f"The apply identity {mover}" in finding.detail and f"--assignee {mover}" in finding.remediation
    assert "moveResources/action" in finding.detail
