"""What discovery learns about a workspace, its subscriptions and its groups: one frozen `Inventory`, no Azure calls.

Discovery fills these from ARM / Azure ML REST responses; checks read them. Field comments name the REST property each
value comes from (paths relative to the resource body, api-versions in `api_versions.py`). ARM ids and namespaces
compare case-insensitively, so use `ids.same_id` / `ids.ResourceId.parse` rather than `==` on raw strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from .ids import ResourceId, id_key, normalise_id, same_id

# --- Job statuses ---------------------------------------------------------------------------------------------------
# azure-ai-ml `RunHistoryConstants.TERMINAL_STATUSES`: the SDK stops streaming a job in any of these.
TERMINAL_JOB_STATUSES = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})
# The AML move doc's simpler rule: a job is finished only when Completed, Failed or Canceled. The `running-jobs` check
# uses this narrower set (anything else blocks, including NotResponding, Paused, Unknown and statuses added later):
# a Paused job can be resumed and a NotResponding one may still hold compute, and the cost of a false block is one
# `skip-checks: running-jobs`, while a job writing into a workspace mid-move has no undo.
FINISHED_JOB_STATUSES = frozenset({"Completed", "Failed", "Canceled"})
# Labeling projects are stopped with "Pause" in studio (there is no cancel), so a Paused labeling job counts as stopped.
STOPPED_LABELING_STATUSES = FINISHED_JOB_STATUSES | {"Paused"}


def same_location(a: str | None, b: str | None) -> bool:
    """ARM accepts both `East US` and `eastus`."""
    if a is None or b is None:
        return False
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


# --- Subscriptions and groups ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """`GET /subscriptions/{id}` plus the provider list (`GET /subscriptions/{id}/providers`)."""

    subscription_id: str  # subscriptionId (a GUID)
    tenant_id: str  # tenantId
    state: str  # state: Enabled, Warned, PastDue, Disabled, Deleted
    display_name: str  # displayName
    registered_namespaces: frozenset[str] = frozenset()  # namespaces whose registrationState == "Registered"

    def is_registered(self, namespace: str) -> bool:
        return namespace.lower() in {registered.lower() for registered in self.registered_namespaces}


@dataclass(frozen=True)
class DestinationGroup:
    """`GET /subscriptions/{s}/resourcegroups/{g}`; a 404 gives `exists=False` (apply may create it)."""

    id: str
    exists: bool
    location: str | None = None  # location
    provisioning_state: str | None = None  # properties.provisioningState
    managed_by: str | None = None  # managedBy: set when another service owns the group

    @property
    def subscription_id(self) -> str:
        return ResourceId.parse(self.id).subscription_id

    @property
    def name(self) -> str:
        return ResourceId.parse(self.id).name


@dataclass(frozen=True)
class GroupResource:
    """One top-level resource in the source group (`GET .../resourceGroups/{g}/resources?$expand=provisioningState`)."""

    id: str
    type: str  # type, as ARM spells it
    location: str | None = None
    provisioning_state: str | None = None

    @property
    def name(self) -> str:
        return ResourceId.parse(self.id).name


# --- The workspace and what hangs off it -----------------------------------------------------------------------------


class WorkspaceKind(StrEnum):
    """`kind` of a workspace. Plain workspaces may also report no kind at all: discovery maps that to DEFAULT."""

    DEFAULT = "Default"
    HUB = "Hub"
    PROJECT = "Project"
    FEATURE_STORE = "FeatureStore"


@dataclass(frozen=True)
class WorkspaceEncryption:
    """`properties.encryption`; absent means Microsoft-managed keys (`status="Disabled"`)."""

    status: str = "Disabled"  # status: Enabled / Disabled
    key_vault_id: str | None = None  # keyVaultProperties.keyVaultArmId
    key_identifier: str | None = None  # keyVaultProperties.keyIdentifier
    user_assigned_identity_id: str | None = None  # identity.userAssignedIdentity

    @property
    def customer_managed(self) -> bool:
        return self.status.lower() == "enabled"


@dataclass(frozen=True)
class PrivateEndpointConnection:
    """One of `properties.privateEndpointConnections[]`."""

    id: str
    name: str
    private_endpoint_id: str | None  # properties.privateEndpoint.id
    status: str  # properties.privateLinkServiceConnectionState.status: Approved, Pending, Rejected, Disconnected
    provisioning_state: str = "Succeeded"  # properties.provisioningState
    resource_id: str | None = None  # the private link resource it belongs to (workspace, storage, key vault, registry)


@dataclass(frozen=True)
class OutboundRule:
    """One of `properties.managedNetwork.outboundRules{name: rule}`."""

    name: str
    rule_type: str  # type: FQDN, PrivateEndpoint, ServiceTag
    destination: str  # destination (a string for FQDN, destination.serviceResourceId for PrivateEndpoint)
    status: str | None = None


class AssociatedRole(StrEnum):
    """The four resources a workspace names in its properties, by property name."""

    STORAGE_ACCOUNT = "storageAccount"
    KEY_VAULT = "keyVault"
    CONTAINER_REGISTRY = "containerRegistry"
    APPLICATION_INSIGHTS = "applicationInsights"


@dataclass(frozen=True)
class Workspace:
    """`GET .../Microsoft.MachineLearningServices/workspaces/{name}`."""

    id: str
    name: str
    location: str
    kind: WorkspaceKind = WorkspaceKind.DEFAULT
    provisioning_state: str = "Succeeded"  # properties.provisioningState
    identity_type: str = "SystemAssigned"  # identity.type, e.g. "SystemAssigned,UserAssigned" or "None"
    user_assigned_identity_ids: tuple[str, ...] = ()  # keys of identity.userAssignedIdentities
    encryption: WorkspaceEncryption = WorkspaceEncryption()
    managed_network_isolation_mode: str = "Disabled"  # properties.managedNetwork.isolationMode
    outbound_rules: tuple[OutboundRule, ...] = ()
    hub_resource_id: str | None = None  # properties.hubResourceId (projects only)
    storage_account_id: str | None = None  # properties.storageAccount
    key_vault_id: str | None = None  # properties.keyVault
    container_registry_id: str | None = None  # properties.containerRegistry (optional in Azure)
    application_insights_id: str | None = None  # properties.applicationInsights (optional in Azure)
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()
    public_network_access: str | None = None  # properties.publicNetworkAccess
    discovery_url: str | None = None  # properties.discoveryUrl: the regional host of the v1 (non-ARM) APIs

    @property
    def resource_id(self) -> ResourceId:
        return ResourceId.parse(self.id)

    @property
    def associated_ids(self) -> tuple[tuple[AssociatedRole, str], ...]:
        """(role, id) for each associated resource the workspace names, in a fixed order."""
        named = (
            (AssociatedRole.STORAGE_ACCOUNT, self.storage_account_id),
            (AssociatedRole.KEY_VAULT, self.key_vault_id),
            (AssociatedRole.CONTAINER_REGISTRY, self.container_registry_id),
            (AssociatedRole.APPLICATION_INSIGHTS, self.application_insights_id),
        )
        return tuple((role, rid) for role, rid in named if rid)


@dataclass(frozen=True)
class AssociatedResource:
    """A resource the workspace names in its properties, with what discovery saw of it.

    Whether it moves is decided later (`checks.select_associated_resources`), not stored here: the inventory holds
    facts, the selection holds decisions.
    """

    id: str
    role: AssociatedRole
    exists: bool = True  # False when GET returns 404 (a dangling reference)
    location: str | None = None
    provisioning_state: str | None = None
    # Every workspace the caller can see that names this resource (including the one being moved). Discovery lists
    # workspaces in the source subscription; a workspace in a subscription the caller cannot read stays invisible.
    used_by_workspace_ids: tuple[str, ...] = ()
    # Application Insights only: the Log Analytics workspace it stores its data in (properties.WorkspaceResourceId).
    log_analytics_workspace_id: str | None = None
    # properties.privateEndpointConnections of its GET body (storage, key vault and registry carry them)
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] = ()

    @property
    def type(self) -> str:
        return ResourceId.parse(self.id).type

    @property
    def name(self) -> str:
        return ResourceId.parse(self.id).name

    @property
    def resource_group_id(self) -> str | None:
        return ResourceId.parse(self.id).group_id


@dataclass(frozen=True)
class Compute:
    """One of `GET {ws}/computes`."""

    id: str
    name: str
    compute_type: str  # properties.computeType: ComputeInstance, AmlCompute, Kubernetes, AKS, Databricks, …
    provisioning_state: str = "Succeeded"  # properties.provisioningState
    is_attached: bool = False  # properties.isAttachedCompute: detach instead of delete
    attached_resource_id: str | None = None  # properties.resourceId (the underlying AKS, Databricks, VM …)
    # The GET body as canonical JSON, so apply can snapshot and (with recreate-computes) recreate it after the move.
    definition_json: str = ""


@dataclass(frozen=True)
class OnlineDeployment:
    """One of `GET {ws}/onlineEndpoints/{e}/deployments`."""

    id: str
    name: str
    provisioning_state: str = "Succeeded"


@dataclass(frozen=True)
class OnlineEndpoint:
    """One of `GET {ws}/onlineEndpoints`."""

    id: str
    name: str
    provisioning_state: str = "Succeeded"
    deployments: tuple[OnlineDeployment, ...] = ()


@dataclass(frozen=True)
class BatchEndpoint:
    """One of `GET {ws}/batchEndpoints`."""

    id: str
    name: str
    provisioning_state: str = "Succeeded"
    deployment_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerlessEndpoint:
    """One of `GET {ws}/serverlessEndpoints`."""

    id: str
    name: str
    provisioning_state: str = "Succeeded"


@dataclass(frozen=True)
class Job:
    """One of `GET {ws}/jobs` (listViewType=ActiveOnly)."""

    id: str
    name: str
    status: str  # properties.status (JobStatus)
    job_type: str  # properties.jobType: Command, Pipeline, Sweep, AutoML, Spark
    display_name: str | None = None


@dataclass(frozen=True)
class LabelingJob:
    """One of `GET {ws}/labelingJobs` (preview api)."""

    id: str
    name: str
    status: str  # properties.status (JobStatus)


@dataclass(frozen=True)
class Schedule:
    """One of `GET {ws}/schedules`."""

    id: str
    name: str
    is_enabled: bool  # properties.isEnabled


@dataclass(frozen=True)
class Datastore:
    """One of `GET {ws}/datastores`. Secrets are never read."""

    name: str
    datastore_type: str  # properties.datastoreType: AzureBlob, AzureFile, AzureDataLakeGen1/2, OneLake
    credentials_type: str  # properties.credentials.credentialsType: AccountKey, Sas, ServicePrincipal, None, …
    subscription_id: str | None = None  # properties.subscriptionId
    resource_group: str | None = None  # properties.resourceGroup
    account_name: str | None = None  # properties.accountName (storeName for Gen1)
    is_default: bool = False  # properties.isDefault

    @property
    def identity_based(self) -> bool:
        """credentialsType None means the datastore uses the caller's or the workspace's identity."""
        return self.credentials_type.lower() == "none"


@dataclass(frozen=True)
class DatabricksWorkspace:
    """A Databricks workspace the caller can see, with the AML workspace it links (parameters.amlWorkspaceId.value)."""

    id: str
    name: str
    linked_aml_workspace_id: str | None = None


@dataclass(frozen=True)
class RoleAssignment:
    """One of `GET {scope}/providers/Microsoft.Authorization/roleAssignments` (no filter: at, above and below the
    scope), made at the scope or below it: not moved by ARM. Everything a restore needs to reproduce it exactly."""

    id: str
    scope: str  # properties.scope
    role_definition_id: str  # properties.roleDefinitionId
    principal_id: str  # properties.principalId
    principal_type: str  # properties.principalType: User, Group, ServicePrincipal, …
    role_name: str | None = None  # roleName of the definition, when discovery resolved it
    condition: str | None = None  # properties.condition (ABAC), e.g. limited to one blob container
    condition_version: str | None = None  # properties.conditionVersion ("2.0")
    description: str | None = None  # properties.description
    delegated_managed_identity_resource_id: str | None = None  # properties.delegatedManagedIdentityResourceId


@dataclass(frozen=True)
class AssetCounts:
    """How many workspace assets exist; None means discovery did not (or could not) count that kind."""

    models: int | None = None
    environments: int | None = None
    data_assets: int | None = None  # v2 data assets (`{ws}/data`)
    components: int | None = None
    datasets_v1: int | None = None  # SDK v1 datasets: not on ARM, so usually None


# --- Access control ------------------------------------------------------------------------------------------------


class LockLevel(StrEnum):
    READ_ONLY = "ReadOnly"
    CAN_NOT_DELETE = "CanNotDelete"
    NOT_SPECIFIED = "NotSpecified"


_LOCK_SUFFIX = re.compile(r"/providers/Microsoft\.Authorization/locks/[^/]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Lock:
    """A management lock (`.../providers/Microsoft.Authorization/locks/{name}`)."""

    id: str
    level: LockLevel  # properties.level
    notes: str | None = None  # properties.notes

    @property
    def name(self) -> str:
        return normalise_id(self.id).rsplit("/", 1)[-1]

    @property
    def scope(self) -> str:
        """What the lock is attached to: a subscription, a group or a resource (its id minus the lock suffix)."""
        return _LOCK_SUFFIX.sub("", normalise_id(self.id)) or "/"


@dataclass(frozen=True)
class PermissionSet:
    """One `Permission` of `GET {scope}/providers/Microsoft.Authorization/permissions` (one per role the caller has)."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopePermissions:
    """The caller's effective permissions at one scope; `known=False` when listing them failed."""

    scope: str
    permission_sets: tuple[PermissionSet, ...] = ()
    known: bool = True


def _wildcard_matches(pattern: str, action: str) -> bool:
    # ARM wildcards: `*` matches any run of characters, `/` included; nothing else is special; case-insensitive.
    regex = ".*".join(re.escape(piece) for piece in pattern.lower().split("*"))
    return re.fullmatch(regex, action.lower(), flags=re.DOTALL) is not None


def allows(permissions: Iterable[PermissionSet], action: str) -> bool:
    """Whether any one permission set grants `action`: one of its actions matches and none of its notActions does.

    NotActions subtract only within their own set (role), as in ARM: another role that grants the action still
    grants it. Deny assignments are not modelled.
    """
    return any(
        any(_wildcard_matches(granted, action) for granted in permission.actions)
        and not any(_wildcard_matches(excluded, action) for excluded in permission.not_actions)
        for permission in permissions
    )


# --- The ARM dry run -----------------------------------------------------------------------------------------------


class ValidationStatus(StrEnum):
    PASSED = "passed"  # validateMoveResources ended 204
    FAILED = "failed"  # ended with an error body (usually 409)
    SKIPPED = "skipped"  # not run and not possible (e.g. the destination is in another tenant); `message` says why
    # Left to apply, which validates with the move identity before it writes anything: the destination group does
    # not exist yet, or the plan identity may not run ARM's validation (least privilege); `message` says which.
    DEFERRED = "deferred"


@dataclass(frozen=True)
class ErrorDetail:
    """ARM's CloudError `error` object, kept verbatim and recursively (`details[]`)."""

    code: str
    message: str
    target: str | None = None
    details: tuple[ErrorDetail, ...] = ()

    def flatten(self) -> tuple[ErrorDetail, ...]:
        """Every nested detail, depth first, without their own children (for a table)."""
        flat: list[ErrorDetail] = []
        for detail in self.details:
            flat.append(ErrorDetail(detail.code, detail.message, detail.target))
            flat.extend(detail.flatten())
        return tuple(flat)


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of `POST {source group}/validateMoveResources` for the selected move set."""

    status: ValidationStatus
    code: str | None = None  # error.code
    message: str | None = None  # error.message, or why the dry run was skipped
    details: tuple[ErrorDetail, ...] = ()  # error.details[]
    correlation_id: str | None = None  # x-ms-correlation-request-id
    request_id: str | None = None  # x-ms-request-id


# --- Everything together -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inventory:
    """Everything discovery gathered for one planned move. Child collections default to empty (nothing found)."""

    workspace: Workspace
    source_subscription: Subscription
    destination_subscription: Subscription
    destination_group: DestinationGroup
    validation: ValidationResult
    signed_in_principal_id: str | None = None  # the caller's object id (token `oid`), for remediation commands
    # The object id of the identity that will apply (apply-principal-id) when it is not the signed-in one: then
    # `permissions` are that identity's, read from its role assignments and their role definitions.
    apply_principal_id: str | None = None
    source_group_resources: tuple[GroupResource, ...] = ()
    associated_resources: tuple[AssociatedResource, ...] = ()
    locks: tuple[Lock, ...] = ()  # at both subscriptions, both groups and the resources in the source group
    permissions: tuple[ScopePermissions, ...] = ()  # at least the source group and destination group/subscription
    destination_group_resources: tuple[GroupResource, ...] = ()  # what else ARM's move locks in the destination
    computes: tuple[Compute, ...] = ()
    online_endpoints: tuple[OnlineEndpoint, ...] = ()
    batch_endpoints: tuple[BatchEndpoint, ...] = ()
    serverless_endpoints: tuple[ServerlessEndpoint, ...] = ()
    jobs: tuple[Job, ...] = ()
    labeling_jobs: tuple[LabelingJob, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    datastores: tuple[Datastore, ...] = ()
    databricks_workspaces: tuple[DatabricksWorkspace, ...] = ()
    role_assignments: tuple[RoleAssignment, ...] = ()  # at the workspace's scope
    # (scope, assignments made at it) for every scope that moves, the workspace's included; filled by plan once the
    # move set is known. Apply snapshots and restores exactly these, so the plan's count is apply's.
    moved_scope_role_assignments: tuple[tuple[str, tuple[RoleAssignment, ...]], ...] = ()
    asset_counts: AssetCounts = AssetCounts()

    @property
    def source_group_id(self) -> str:
        group_id = self.workspace.resource_id.group_id
        if group_id is None:
            raise ValueError(f"workspace id {self.workspace.id} names no resource group")
        return group_id

    def associated(self, resource_id: str) -> AssociatedResource | None:
        return next((res for res in self.associated_resources if same_id(res.id, resource_id)), None)

    def group_resource(self, resource_id: str) -> GroupResource | None:
        return self._group_resources_by_key.get(id_key(resource_id))

    @cached_property
    def _group_resources_by_key(self) -> dict[str, GroupResource]:
        # A source group can hold hundreds of resources; cached_property writes to __dict__, which frozen allows.
        return {id_key(res.id): res for res in self.source_group_resources}

    def permissions_at(self, scope: str) -> ScopePermissions | None:
        return next((perm for perm in self.permissions if same_id(perm.scope, scope)), None)
