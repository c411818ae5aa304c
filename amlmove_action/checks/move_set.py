"""Prechecks as data: pure functions from (Inventory, Selection) to findings, listed in one registry.

Each check has a stable ID, a default severity, a title and a remediation template (the exact `az` command or portal
step, filled with the real names). `select_associated_resources` decides what moves with the workspace; `run_checks`
runs every check and turns skipped blockers into warnings. The README's check table comes from `describe_checks()`.
Adding a check touches this file and tests/unit/test_checks.py only.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit

from ..ids import ResourceId, id_key, is_within, same_id
from ..inventory import (
    FINISHED_JOB_STATUSES,
    STOPPED_LABELING_STATUSES,
    AssociatedRole,
    BatchEndpoint,
    Inventory,
    LockLevel,
    OnlineEndpoint,
    ServerlessEndpoint,
    ValidationStatus,
    WorkspaceKind,
    allows,
    same_location,
)
from ..selection import AssociatedResourceChoice, IncludeMode

MAX_RESOURCES_PER_MOVE = 800  # ARM's limit per moveResources request
MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"
VALIDATE_MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action"
GROUP_WRITE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/write"
# The workspace needs these in the destination even when only the workspace moves: Microsoft's move page
# (learn.microsoft.com/azure/machine-learning/how-to-move-workspace) lists MachineLearningServices, Storage, KeyVault,
# ContainerRegistry, Insights and Notebooks (NotebookProxies). The one list: the provider-not-registered check
# requires it and apply's register-providers registers it (`required_namespaces`).
ALWAYS_REQUIRED_NAMESPACES = (
    "Microsoft.MachineLearningServices",
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.ContainerRegistry",
    "Microsoft.Insights",
    "Microsoft.Notebooks",
)


def required_namespaces(moved_ids: Iterable[str]) -> list[str]:
    """The namespaces the destination subscription must have registered: the workspace's list, then those of every
    moved resource (each once, in that order)."""
    needed: list[str] = list(ALWAYS_REQUIRED_NAMESPACES)
    for rid in moved_ids:
        namespace = _namespace_of(rid)
        if namespace and namespace.lower() not in {known.lower() for known in needed}:
            needed.append(namespace)
    return needed


# Types ARM refuses to move across subscriptions (Microsoft's table: learn.microsoft.com/azure/azure-resource-manager/
# management/move-support-resources). Private endpoints are movable only for a few private-link services, none of
# which an AML workspace uses.
UNMOVABLE_TYPES = frozenset(
    {
        "microsoft.managedidentity/userassignedidentities",
        "microsoft.network/privateendpoints",
        "microsoft.databricks/workspaces",
        "microsoft.databricks/accessconnectors",
        "microsoft.insights/metricalerts",
        "microsoft.insights/activitylogalerts",
    }
)
_MAX_LISTED = 10  # names in a detail line and commands in a remediation; the resource IDs carry the full list
_WS = "--workspace-name {workspace} --resource-group {group} --subscription {subscription}"


class Severity(StrEnum):
    BLOCKER = "blocker"  # the move must not start (exit 1 when fail-on-blockers is true)
    WARNING = "warning"  # the move can start; a human should read this before approving
    INFO = "info"  # something apply or the user will handle after the move


_SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One result of one check. `skipped` and `downgraded_from` record a skip-checks entry."""

    id: str
    severity: Severity
    title: str
    detail: str
    remediation: str  # one command or step per line
    resource_ids: tuple[str, ...] = ()
    skipped: bool = False
    downgraded_from: Severity | None = None

    @property
    def is_blocker(self) -> bool:
        return self.severity is Severity.BLOCKER


# --- What moves ------------------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    MOVE = "move"
    STAY = "stay"
    REJECTED = "rejected"  # the user asked for it, but it cannot move (reported by `listed-resource-rejected`)


@dataclass(frozen=True)
class AssociatedDecision:
    """Whether one resource moves with the workspace, and why, in words for the plan summary."""

    resource_id: str
    role: AssociatedRole | None  # None for a listed resource the workspace does not name (e.g. a Log Analytics ws)
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Selection:
    """Everything the move will touch: the move set, the destination, and whether apply creates the group."""

    workspace_id: str
    destination_group_id: str
    choice: AssociatedResourceChoice
    decisions: tuple[AssociatedDecision, ...] = ()
    create_destination_group: bool = True

    @property
    def moved_ids(self) -> tuple[str, ...]:
        """The `resources` of the moveResources request: the workspace first, then what moves with it."""
        return (self.workspace_id, *(d.resource_id for d in self.decisions if d.outcome is Outcome.MOVE))

    def moves(self, resource_id: str) -> bool:
        return any(same_id(resource_id, moved) for moved in self.moved_ids)


def select_associated_resources(
    inventory: Inventory, choice: AssociatedResourceChoice, *, create_destination_group: bool = True
) -> Selection:
    """Decide, for each associated (or listed) resource, whether it moves with the workspace and why."""
    source_group = inventory.source_group_id
    workspace_id = inventory.workspace.id
    decisions: list[AssociatedDecision] = []
    listed = [rid for rid in _dedupe(choice.listed_ids) if not same_id(rid, workspace_id)]
    listed_keys = {id_key(rid) for rid in listed}

    for role, rid in inventory.workspace.associated_ids:
        known = inventory.associated(rid)
        others = _other_users(known.used_by_workspace_ids if known else (), workspace_id)
        if choice.mode is IncludeMode.NONE:
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, "include-associated-resources is none"))
        elif choice.mode is IncludeMode.LISTED and id_key(rid) not in listed_keys:
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, "not listed in include-associated-resources"))
        elif not is_within(rid, source_group):
            outcome = Outcome.REJECTED if choice.mode is IncludeMode.LISTED else Outcome.STAY
            reason = f"it is in group {_group_of(rid)}, not the workspace's: one move request takes one source group"
            decisions.append(AssociatedDecision(rid, role, outcome, reason))
        elif known is None or not known.exists:
            outcome = Outcome.REJECTED if choice.mode is IncludeMode.LISTED else Outcome.STAY
            reason = (
                "it could not be read"
                if known is None
                else "it does not exist (the workspace names a deleted resource)"
            )
            decisions.append(AssociatedDecision(rid, role, outcome, reason))
        elif choice.mode is IncludeMode.AUTO and others:
            reason = f"shared with {_listing(others)}: moving it would change the ID they use"
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, reason))
        else:
            reason = {
                IncludeMode.AUTO: "in the workspace's group and used by no other workspace",
                IncludeMode.ALL: "include-associated-resources is all",
                IncludeMode.LISTED: "listed in include-associated-resources",
            }[choice.mode]
            if others:
                reason += f" (also used by {_listing(others)})"
            decisions.append(AssociatedDecision(rid, role, Outcome.MOVE, reason))

    named = {id_key(rid) for _, rid in inventory.workspace.associated_ids}
    for rid in listed:
        if id_key(rid) in named:
            continue
        if not is_within(rid, source_group):
            decisions.append(AssociatedDecision(rid, None, Outcome.REJECTED, "it is not in the workspace's group"))
        elif inventory.group_resource(rid) is None:
            decisions.append(
                AssociatedDecision(rid, None, Outcome.REJECTED, "it was not found in the workspace's group")
            )
        else:
            decisions.append(AssociatedDecision(rid, None, Outcome.MOVE, "listed in include-associated-resources"))

    return Selection(
        workspace_id=workspace_id,
        destination_group_id=inventory.destination_group.id,
        choice=choice,
        decisions=tuple(decisions),
        create_destination_group=create_destination_group,
    )


# --- The registry ----------------------------------------------------------------------------------------------------

CheckFunction = Callable[[Inventory, Selection], list[Finding]]


@dataclass(frozen=True)
class CheckSpec:
    """A check's identity. `remediation` is a template: `{name}`-style fields, filled with shell-quoted values."""

    id: str
    severity: Severity
    title: str
    remediation: str
    hint: str = ""  # one sentence added once after the filled commands (e.g. the apply input that does it for you)
    skippable: bool = True
    prose: bool = False  # the template is a portal step or advice, not a shell command: insert values unquoted
    summary: str = ""  # README text when the template alone says too little

    def fill(self, **values: str) -> str:
        if self.prose:
            return self.remediation.format(**values)
        return self.remediation.format(**{key: shlex.quote(value) for key, value in values.items()})

    def finding(
        self,
        detail: str,
        remediation: Sequence[str],
        resource_ids: Iterable[str] = (),
        *,
        severity: Severity | None = None,
    ) -> Finding:
        lines = list(remediation[:_MAX_LISTED])
        if len(remediation) > _MAX_LISTED:
            lines.append(f"… and {len(remediation) - _MAX_LISTED} more like these (see the resource IDs)")
        if self.hint:
            lines.append(self.hint)
        return Finding(
            id=self.id,
            severity=severity or self.severity,
            title=self.title,
            detail=detail,
            remediation="\n".join(lines),
            resource_ids=tuple(resource_ids),
        )

    @property
    def remediation_summary(self) -> str:
        """The template with `<field>` placeholders, for the README table."""
        if self.summary:
            return self.summary
        template = re.sub(r"\{(\w+)\}", r"<\1>", self.remediation)
        return f"{template} — {self.hint}" if self.hint else template


_REGISTRY: list[tuple[CheckSpec, CheckFunction]] = []


def _registered(spec: CheckSpec) -> Callable[[CheckFunction], CheckFunction]:
    def register(run: CheckFunction) -> CheckFunction:
        if any(known.id == spec.id for known, _ in _REGISTRY):
            raise ValueError(f"duplicate check id {spec.id}")
        _REGISTRY.append((spec, run))
        return run

    return register


# --- Small helpers ---------------------------------------------------------------------------------------------------


def _dedupe(ids: Iterable[str]) -> list[str]:
    """First spelling of each id, in order, compared as ARM does (case-insensitively)."""
    seen: set[str] = set()
    unique: list[str] = []
    for rid in ids:
        if id_key(rid) not in seen:
            seen.add(id_key(rid))
            unique.append(rid)
    return unique


def _other_users(workspace_ids: Iterable[str], workspace_id: str) -> list[str]:
    return [_name_of(other) for other in _dedupe(workspace_ids) if not same_id(other, workspace_id)]


def _listing(names: Iterable[str]) -> str:
    items = list(names)
    shown = ", ".join(items[:_MAX_LISTED])
    return shown if len(items) <= _MAX_LISTED else f"{shown} and {len(items) - _MAX_LISTED} more"


def _status_in(status: str, statuses: Iterable[str]) -> bool:
    return status.lower() in {known.lower() for known in statuses}


def _workspace_fields(inventory: Inventory) -> dict[str, str]:
    rid = inventory.workspace.resource_id
    return {"workspace": rid.name, "group": rid.resource_group or "", "subscription": rid.subscription_id}


def _destination_fields(inventory: Inventory) -> dict[str, str]:
    group = inventory.destination_group
    return {"destination_group": group.name, "destination_subscription": group.subscription_id}


def _name_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).name
    except ValueError:
        return resource_id


def _group_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).resource_group or "(none)"
    except ValueError:
        return "(unparsable id)"


def _type_of(resource_id: str) -> str:
    """Lower-cased full type, or "" for an id that does not parse."""
    try:
        return ResourceId.parse(resource_id).type.lower()
    except ValueError:
        return ""


def _namespace_of(resource_id: str) -> str | None:
    try:
        return ResourceId.parse(resource_id).provider_namespace
    except ValueError:
        return None


def _moved_workspace_id(inventory: Inventory) -> str:
    """The workspace's id after the move: same name, destination group."""
    workspace = inventory.workspace.name
    return f"{inventory.destination_group.id}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"


# --- Workspace contents: AML requires these gone before a move (Microsoft's how-to-move-workspace page) ---------------

RUNNING_JOBS = CheckSpec(
    "running-jobs",
    Severity.BLOCKER,
    "Jobs are not finished",
    "az ml job cancel --name {name} " + _WS,
    hint="Or wait until each job is Completed, Failed or Canceled.",
)


@_registered(RUNNING_JOBS)
def find_running_jobs(inventory: Inventory, selection: Selection) -> list[Finding]:
    running = [job for job in inventory.jobs if not _status_in(job.status, FINISHED_JOB_STATUSES)]
    if not running:
        return []
    detail = (
        f"{len(running)} job(s) are not Completed, Failed or Canceled: "
        f"{_listing(f'{job.name} ({job.status})' for job in running)}. "
        "A job that writes to the workspace while it moves can fail or leave partial outputs."
    )
    fields = _workspace_fields(inventory)
    commands = [RUNNING_JOBS.fill(name=job.name, **fields) for job in running]
    return [RUNNING_JOBS.finding(detail, commands, [job.id for job in running])]


COMPUTES_PRESENT = CheckSpec(
    "computes-present",
    Severity.BLOCKER,
    "The workspace still has computes",
    "az ml compute {action} --name {name} " + _WS + " --yes",
    hint="Or let apply delete them: remove-computes: true (and list computes-present in skip-checks for the plan).",
)


@_registered(COMPUTES_PRESENT)
def find_computes(inventory: Inventory, selection: Selection) -> list[Finding]:
    computes = inventory.computes
    if not computes:
        return []
    detail = (
        f"Azure ML does not move computes; {len(computes)} must be deleted (or detached, if attached) first: "
        f"{_listing(f'{c.name} ({c.compute_type})' for c in computes)}. Deleting one loses its nodes and local "
        "disks, and a compute instance's files outside the workspace's file share: a compute recreated later is a "
        "new one. After the move, do not reuse a previous compute instance name: creating it fails with an Etag "
        "conflict (known issue)."
    )
    fields = _workspace_fields(inventory)
    commands = [
        COMPUTES_PRESENT.fill(action="detach" if c.is_attached else "delete", name=c.name, **fields) for c in computes
    ]
    return [COMPUTES_PRESENT.finding(detail, commands, [c.id for c in computes])]


_REMOVE_ENDPOINTS_HINT = (
    "Or let apply delete them: remove-endpoints: true (and list the check in skip-checks for the plan)."
)


def _endpoints_present(
    spec: CheckSpec, inventory: Inventory, endpoints: Sequence[OnlineEndpoint | BatchEndpoint | ServerlessEndpoint]
) -> list[Finding]:
    """Azure ML moves no inference endpoint of any kind: one finding per kind, one delete command per endpoint."""
    if not endpoints:
        return []
    kind = spec.id.removesuffix("-endpoints-present")
    deployments = sum(len(e.deployments) for e in endpoints if isinstance(e, OnlineEndpoint))
    with_deployments = f" with {deployments} deployment(s)" if deployments else ""
    detail = (
        f"Azure ML does not move inference endpoints; delete {len(endpoints)} {kind} endpoint(s){with_deployments} "
        f"first and recreate them after the move: {_listing(e.name for e in endpoints)}."
    )
    fields = _workspace_fields(inventory)
    commands = [spec.fill(name=endpoint.name, **fields) for endpoint in endpoints]
    return [spec.finding(detail, commands, [endpoint.id for endpoint in endpoints])]


ONLINE_ENDPOINTS_PRESENT = CheckSpec(
    "online-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has online endpoints",
    "az ml online-endpoint delete --name {name} " + _WS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@_registered(ONLINE_ENDPOINTS_PRESENT)
def find_online_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(ONLINE_ENDPOINTS_PRESENT, inventory, inventory.online_endpoints)


BATCH_ENDPOINTS_PRESENT = CheckSpec(
    "batch-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has batch endpoints",
    "az ml batch-endpoint delete --name {name} " + _WS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@_registered(BATCH_ENDPOINTS_PRESENT)
def find_batch_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(BATCH_ENDPOINTS_PRESENT, inventory, inventory.batch_endpoints)


SERVERLESS_ENDPOINTS_PRESENT = CheckSpec(
    "serverless-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has serverless endpoints",
    "az ml serverless-endpoint delete --name {name} " + _WS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@_registered(SERVERLESS_ENDPOINTS_PRESENT)
def find_serverless_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(SERVERLESS_ENDPOINTS_PRESENT, inventory, inventory.serverless_endpoints)


V1_SERVICES = CheckSpec(
    "v1-services",
    Severity.WARNING,
    "Manual check: SDK v1 web services block the move, and amlmove cannot see them",
    "az rest --method {method} --resource https://management.azure.com/ --url {url}",
    hint="Delete each service the list shows (the same command with --method delete and --url …/services/<name>).",
)


def _v1_services_url(inventory: Inventory) -> str:
    workspace = inventory.workspace
    host = f"https://{workspace.location.replace(' ', '').lower()}.api.azureml.ms"
    if workspace.discovery_url:
        parts = urlsplit(workspace.discovery_url)
        if parts.scheme == "https" and parts.netloc:
            host = f"https://{parts.netloc}"
    return f"{host}/modelmanagement/v1.0{workspace.id}/services"


@_registered(V1_SERVICES)
def find_v1_services(inventory: Inventory, selection: Selection) -> list[Finding]:
    """Always a manual check. SDK v1 (ACI/AKS) web services live behind the regional model-management API, which is
    not ARM: it is in none of the ARM specifications amlmove follows, and there is no recorded real answer to test a
    client against, so amlmove does not call it. The reviewer runs the listed command."""
    detail = (
        "amlmove does not check this. Web services deployed with SDK v1 (ACI/AKS) block the move, but they live "
        "behind the regional model-management API, which ARM does not list. Run the command and confirm that it "
        "returns no services before approving."
    )
    command = V1_SERVICES.fill(method="get", url=_v1_services_url(inventory))
    return [V1_SERVICES.finding(detail, [command], [inventory.workspace.id])]


CUSTOMER_MANAGED_KEY = CheckSpec(
    "customer-managed-key",
    Severity.BLOCKER,
    "The workspace is encrypted with a customer-managed key",
    "Not fixable in place: keep {workspace} where it is, or create a new workspace in the destination "
    "(az ml workspace create --name <new-name> --resource-group {destination_group} "
    "--subscription {destination_subscription}) and re-register its assets there.",
)


@_registered(CUSTOMER_MANAGED_KEY)
def find_customer_managed_key(inventory: Inventory, selection: Selection) -> list[Finding]:
    encryption = inventory.workspace.encryption
    if not encryption.customer_managed:
        return []
    key = f" (key {encryption.key_identifier})" if encryption.key_identifier else ""
    detail = f"Workspaces encrypted with a customer-managed key cannot be moved{key}; encryption cannot be turned off."
    ids = [inventory.workspace.id, *([encryption.key_vault_id] if encryption.key_vault_id else [])]
    command = CUSTOMER_MANAGED_KEY.fill(workspace=inventory.workspace.name, **_destination_fields(inventory))
    return [CUSTOMER_MANAGED_KEY.finding(detail, [command], ids)]


LABELING_JOBS_RUNNING = CheckSpec(
    "labeling-jobs-running",
    Severity.BLOCKER,
    "Labeling projects are running",
    "Azure ML studio → workspace {workspace} → Data Labeling → {name} → Pause (or wait until it finishes)",
    prose=True,
)


@_registered(LABELING_JOBS_RUNNING)
def find_running_labeling_jobs(inventory: Inventory, selection: Selection) -> list[Finding]:
    running = [job for job in inventory.labeling_jobs if not _status_in(job.status, STOPPED_LABELING_STATUSES)]
    if not running:
        return []
    detail = f"{len(running)} labeling project(s) running: {_listing(f'{j.name} ({j.status})' for j in running)}."
    commands = [LABELING_JOBS_RUNNING.fill(workspace=inventory.workspace.name, name=job.name) for job in running]
    return [LABELING_JOBS_RUNNING.finding(detail, commands, [job.id for job in running])]


DATABRICKS_LINKED = CheckSpec(
    "databricks-linked",
    Severity.BLOCKER,
    "An Azure Databricks workspace links this workspace",
    "az databricks workspace show --ids {id} --query parameters.amlWorkspaceId",
    hint="The link (amlWorkspaceId) is set when the Databricks workspace is created; a linked AML workspace cannot "
    "be moved. Recreate the Databricks workspace without the link, or keep the AML workspace where it is.",
)


@_registered(DATABRICKS_LINKED)
def find_databricks_links(inventory: Inventory, selection: Selection) -> list[Finding]:
    linked = [d for d in inventory.databricks_workspaces if same_id(d.linked_aml_workspace_id, inventory.workspace.id)]
    if not linked:
        return []
    detail = f"Databricks workspace(s) {_listing(d.name for d in linked)} link this workspace."
    commands = [DATABRICKS_LINKED.fill(id=d.id) for d in linked]
    return [DATABRICKS_LINKED.finding(detail, commands, [d.id for d in linked])]


# --- Where it goes: subscriptions, region, providers, permissions, locks ---------------------------------------------

REGION_MISMATCH = CheckSpec(
    "region-mismatch",
    Severity.BLOCKER,
    "The destination group is in another region",
    "Choose a destination group in {location}: az group create --name <new-group> --location {location} "
    "--subscription {destination_subscription}, then set destination-resource-group-id to it",
)


@_registered(REGION_MISMATCH)
def find_region_mismatch(inventory: Inventory, selection: Selection) -> list[Finding]:
    group, workspace = inventory.destination_group, inventory.workspace
    if not group.exists or group.location is None or same_location(group.location, workspace.location):
        return []
    detail = (
        f"The workspace is in {workspace.location} but destination group {group.name} is in {group.location}; "
        "the workspace move keeps the region, so the destination must be in the same region."
    )
    command = REGION_MISMATCH.fill(location=workspace.location, **_destination_fields(inventory))
    return [REGION_MISMATCH.finding(detail, [command], [group.id])]


TENANT_MISMATCH = CheckSpec(
    "tenant-mismatch",
    Severity.BLOCKER,
    "The subscriptions are in different tenants",
    "Move subscription {destination_subscription} into tenant {tenant} first (Azure portal → Subscriptions → "
    "{destination_subscription} → Change directory), or choose a destination in that tenant",
    prose=True,
)


@_registered(TENANT_MISMATCH)
def find_tenant_mismatch(inventory: Inventory, selection: Selection) -> list[Finding]:
    source, destination = inventory.source_subscription, inventory.destination_subscription
    if source.tenant_id.lower() == destination.tenant_id.lower():
        return []
    detail = (
        f"Source subscription {source.subscription_id} is in tenant {source.tenant_id}, destination "
        f"{destination.subscription_id} in {destination.tenant_id}; a move must stay in one tenant."
    )
    command = TENANT_MISMATCH.fill(tenant=source.tenant_id, **_destination_fields(inventory))
    return [TENANT_MISMATCH.finding(detail, [command], [f"/subscriptions/{destination.subscription_id}"])]


SUBSCRIPTION_NOT_ENABLED = CheckSpec(
    "subscription-not-enabled",
    Severity.BLOCKER,
    "A subscription is not active",
    "Reactivate subscription {subscription} (state {state}): Azure portal → Subscriptions → {subscription}",
    prose=True,
)


@_registered(SUBSCRIPTION_NOT_ENABLED)
def find_disabled_subscriptions(inventory: Inventory, selection: Selection) -> list[Finding]:
    subscriptions = [inventory.source_subscription]
    if inventory.destination_subscription.subscription_id.lower() != subscriptions[0].subscription_id.lower():
        subscriptions.append(inventory.destination_subscription)
    inactive = [sub for sub in subscriptions if sub.state.lower() != "enabled"]
    if not inactive:
        return []
    states = ", ".join(f"{sub.display_name} ({sub.subscription_id}) is {sub.state}" for sub in inactive)
    detail = f"Both subscriptions must be Enabled: {states}."
    commands = [SUBSCRIPTION_NOT_ENABLED.fill(subscription=sub.subscription_id, state=sub.state) for sub in inactive]
    return [
        SUBSCRIPTION_NOT_ENABLED.finding(
            detail, commands, [f"/subscriptions/{sub.subscription_id}" for sub in inactive]
        )
    ]


PROVIDER_NOT_REGISTERED = CheckSpec(
    "provider-not-registered",
    Severity.BLOCKER,
    "Resource providers are not registered in the destination subscription",
    "az provider register --namespace {namespace} --subscription {destination_subscription} --wait",
    hint="Or let apply register them: register-providers: true (and list the check in skip-checks for the plan).",
)


@_registered(PROVIDER_NOT_REGISTERED)
def find_unregistered_providers(inventory: Inventory, selection: Selection) -> list[Finding]:
    needed = required_namespaces(selection.moved_ids)
    destination = inventory.destination_subscription
    missing = [namespace for namespace in needed if not destination.is_registered(namespace)]
    if not missing:
        return []
    detail = f"Subscription {destination.subscription_id} has not registered: {', '.join(missing)}."
    fields = _destination_fields(inventory)
    commands = [PROVIDER_NOT_REGISTERED.fill(namespace=namespace, **fields) for namespace in missing]
    return [PROVIDER_NOT_REGISTERED.finding(detail, commands, [f"/subscriptions/{destination.subscription_id}"])]


MISSING_PERMISSION = CheckSpec(
    "missing-permission",
    Severity.BLOCKER,
    "The identity that will apply lacks a permission the move needs",
    "az role assignment create --assignee {principal} --role Contributor --scope {scope}",
    hint="Contributor includes all of them; a custom role needs only the actions listed.",
)


@_registered(MISSING_PERMISSION)
def find_missing_permissions(inventory: Inventory, selection: Selection) -> list[Finding]:
    group = inventory.destination_group
    destination_scope = group.id if group.exists else f"/subscriptions/{group.subscription_id}"
    needs = [
        (inventory.source_group_id, MOVE_ACTION),
        (inventory.source_group_id, VALIDATE_MOVE_ACTION),
        (destination_scope, GROUP_WRITE_ACTION),
    ]
    missing: list[tuple[str, str]] = []
    unknown: list[str] = []
    for scope, action in needs:
        found = inventory.permissions_at(scope)
        if found is None or not found.known:
            if scope not in unknown:
                unknown.append(scope)
        elif not allows(found.permission_sets, action):
            missing.append((scope, action))
    principal = inventory.apply_principal_id or inventory.signed_in_principal_id or "<your-principal-id>"
    whose = (
        f"The apply identity {principal} (apply-principal-id; read from its role assignments, so roles it holds "
        "through an Entra group are not counted)"
        if inventory.apply_principal_id
        else f"The signed-in identity {principal}, which plans and will apply,"
    )
    findings: list[Finding] = []
    if missing:
        detail = f"{whose} lacks: " + "; ".join(f"{action} on {scope}" for scope, action in missing) + "."
        scopes = _dedupe(scope for scope, _ in missing)
        commands = [MISSING_PERMISSION.fill(principal=principal, scope=scope) for scope in scopes]
        findings.append(MISSING_PERMISSION.finding(detail, commands, scopes))
    if unknown:
        detail = (
            f"Could not read the permissions of {principal} at {', '.join(unknown)}; the move needs {MOVE_ACTION} and "
            f"{VALIDATE_MOVE_ACTION} on the source group and {GROUP_WRITE_ACTION} on the destination."
        )
        commands = [MISSING_PERMISSION.fill(principal=principal, scope=scope) for scope in unknown]
        findings.append(MISSING_PERMISSION.finding(detail, commands, unknown, severity=Severity.WARNING))
    return findings


RESOURCE_LOCK = CheckSpec(
    "resource-lock",
    Severity.BLOCKER,
    "A management lock covers the move",
    "az lock delete --ids {lock}",
    hint="Note each lock's name, level and notes, and recreate it after the move (az lock create).",
)


@_registered(RESOURCE_LOCK)
def find_locks(inventory: Inventory, selection: Selection) -> list[Finding]:
    # A lock applies when it sits on a subscription or group the move touches, on a moved resource, or below one.
    touched = [inventory.source_group_id, inventory.destination_group.id, *selection.moved_ids]
    relevant = [
        lock
        for lock in inventory.locks
        if any(is_within(target, lock.scope) for target in touched)
        or any(is_within(lock.scope, moved) for moved in selection.moved_ids)
    ]
    findings: list[Finding] = []
    for level, severity, effect in (
        (LockLevel.READ_ONLY, Severity.BLOCKER, "ReadOnly locks make ARM refuse the move"),
        (
            LockLevel.CAN_NOT_DELETE,
            Severity.WARNING,
            "CanNotDelete locks may make ARM refuse the move, and stop apply from deleting computes or endpoints",
        ),
    ):
        locks = [lock for lock in relevant if lock.level == level]
        if locks:
            detail = f"{effect}: " + "; ".join(f"{lock.name} on {lock.scope}" for lock in locks) + "."
            commands = [RESOURCE_LOCK.fill(lock=lock.id) for lock in locks]
            findings.append(RESOURCE_LOCK.finding(detail, commands, [lock.id for lock in locks], severity=severity))
    return findings


DESTINATION_GROUP_MISSING = CheckSpec(
    "destination-group-missing",
    Severity.INFO,
    "The destination group does not exist yet",
    "az group create --name {destination_group} --location {location} --subscription {destination_subscription}",
)


@_registered(DESTINATION_GROUP_MISSING)
def find_missing_destination_group(inventory: Inventory, selection: Selection) -> list[Finding]:
    group = inventory.destination_group
    if group.exists:
        return []
    command = DESTINATION_GROUP_MISSING.fill(location=inventory.workspace.location, **_destination_fields(inventory))
    if selection.create_destination_group:
        detail = f"Apply will create {group.name} in {inventory.workspace.location} before moving."
        return [DESTINATION_GROUP_MISSING.finding(detail, [command], [group.id])]
    detail = (
        f"{group.name} does not exist and create-destination-resource-group is false. Create it in "
        f"{inventory.workspace.location}, or set create-destination-resource-group: true."
    )
    return [DESTINATION_GROUP_MISSING.finding(detail, [command], [group.id], severity=Severity.BLOCKER)]


# --- The move set ----------------------------------------------------------------------------------------------------

LISTED_RESOURCE_REJECTED = CheckSpec(
    "listed-resource-rejected",
    Severity.BLOCKER,
    "A resource listed in include-associated-resources cannot move",
    "Remove {name} from include-associated-resources ({reason})",
    prose=True,
)


@_registered(LISTED_RESOURCE_REJECTED)
def find_rejected_listed_resources(inventory: Inventory, selection: Selection) -> list[Finding]:
    rejected = [d for d in selection.decisions if d.outcome is Outcome.REJECTED]
    if not rejected:
        return []
    detail = "; ".join(f"{_name_of(d.resource_id)}: {d.reason}" for d in rejected) + "."
    commands = [LISTED_RESOURCE_REJECTED.fill(name=_name_of(d.resource_id), reason=d.reason) for d in rejected]
    return [LISTED_RESOURCE_REJECTED.finding(detail, commands, [d.resource_id for d in rejected])]


ASSOCIATED_RESOURCE_ELSEWHERE = CheckSpec(
    "associated-resource-elsewhere",
    Severity.WARNING,
    "An associated resource is in another group and stays behind",
    "Nothing to run: {name} stays in {group} and the moved workspace keeps using it across subscriptions. "
    "Do not move it separately: its ID would change and the workspace would lose it.",
    prose=True,
)


@_registered(ASSOCIATED_RESOURCE_ELSEWHERE)
def find_associated_elsewhere(inventory: Inventory, selection: Selection) -> list[Finding]:
    elsewhere = [
        (role, rid) for role, rid in inventory.workspace.associated_ids if not is_within(rid, inventory.source_group_id)
    ]
    if not elsewhere:
        return []
    detail = "ARM moves resources from one group per request, so these stay: " + "; ".join(
        f"{role} {_name_of(rid)} in group {_group_of(rid)}" for role, rid in elsewhere
    )
    commands = [ASSOCIATED_RESOURCE_ELSEWHERE.fill(name=_name_of(rid), group=_group_of(rid)) for _, rid in elsewhere]
    return [ASSOCIATED_RESOURCE_ELSEWHERE.finding(detail, commands, [rid for _, rid in elsewhere])]


ASSOCIATED_RESOURCE_SHARED = CheckSpec(
    "associated-resource-shared",
    Severity.WARNING,
    "An associated resource is shared with another workspace",
    "Keep {name} where it is (include-associated-resources: auto leaves shared resources behind); "
    "the moved workspace keeps using it across subscriptions",
    prose=True,
)


@_registered(ASSOCIATED_RESOURCE_SHARED)
def find_shared_associated(inventory: Inventory, selection: Selection) -> list[Finding]:
    findings: list[Finding] = []
    shared = [
        (res, _other_users(res.used_by_workspace_ids, inventory.workspace.id))
        for res in inventory.associated_resources
        if is_within(res.id, inventory.source_group_id)
    ]
    shared = [(res, others) for res, others in shared if others]
    for moving, severity, effect in (
        (True, Severity.BLOCKER, "moving them changes the IDs other workspaces use, which breaks those workspaces"),
        (False, Severity.WARNING, "they stay in the source group"),
    ):
        group = [(res, others) for res, others in shared if selection.moves(res.id) is moving]
        if group:
            detail = (
                "Shared with other workspaces, "
                + effect
                + ": "
                + "; ".join(f"{res.role} {res.name} (used by {_listing(others)})" for res, others in group)
                + "."
            )
            commands = [ASSOCIATED_RESOURCE_SHARED.fill(name=res.name) for res, _ in group]
            findings.append(
                ASSOCIATED_RESOURCE_SHARED.finding(detail, commands, [res.id for res, _ in group], severity=severity)
            )
    return findings


DEPENDENCY_STAYS_BEHIND = CheckSpec(
    "dependency-stays-behind",
    Severity.WARNING,
    "The moved workspace keeps depending on resources that stay behind",
    "{advice}",
    prose=True,
    summary="Names each user-assigned identity and the Log Analytics workspace behind Application Insights that "
    "stay where they are, with what that means and how to replace it in the destination",
)


@_registered(DEPENDENCY_STAYS_BEHIND)
def find_dependencies_staying_behind(inventory: Inventory, selection: Selection) -> list[Finding]:
    """Dependencies ARM never moves with the workspace: user-assigned identities (not associated resources; ARM
    does not move them while assigned, and a prod workspace would run as an identity of the source subscription),
    and the Log Analytics workspace that stores Application Insights' data."""
    ws = inventory.workspace
    dest = _destination_fields(inventory)
    # A dependency already in the destination group (as on the way back of a move) is where the workspace goes.
    there = inventory.destination_group.id
    identities = list(
        dict.fromkeys(
            i
            for i in [
                *ws.user_assigned_identity_ids,
                *([ws.encryption.user_assigned_identity_id] if ws.encryption.user_assigned_identity_id else []),
            ]
            if not is_within(i, there)
        )
    )
    findings: list[Finding] = []
    if identities:
        detail = (
            f"{len(identities)} user-assigned identit{'y' if len(identities) == 1 else 'ies'} of the workspace "
            "stay where they are: "
            + "; ".join(f"{_name_of(i)} (group {_group_of(i)}, subscription {_subscription_of(i)})" for i in identities)
            + ". After the move the workspace still runs as this identity: a production workspace would depend on "
            "an identity (and its role assignments) in the source subscription, and deleting that identity or its "
            "group breaks the workspace."
        )
        advice = (
            f"Create an identity in the destination (az identity create --name <name> --resource-group "
            f"{dest['destination_group']} --subscription {dest['destination_subscription']}), give it the same "
            f"roles, then switch the moved workspace to it (az ml workspace update --name {ws.name} --resource-group "
            f"{dest['destination_group']} --subscription {dest['destination_subscription']} "
            "--primary-user-assigned-identity <new-identity-id>)."
        )
        findings.append(
            DEPENDENCY_STAYS_BEHIND.finding(detail, [DEPENDENCY_STAYS_BEHIND.fill(advice=advice)], identities)
        )
    for res in inventory.associated_resources:
        logs = res.log_analytics_workspace_id
        if not logs or selection.moves(logs) or is_within(logs, there):
            continue
        moving = selection.moves(res.id)
        detail = (
            f"Application Insights {res.name} ({'moves' if moving else 'stays'}) stores its data in the Log Analytics "
            f"workspace {_name_of(logs)} (group {_group_of(logs)}, subscription {_subscription_of(logs)}), which is "
            "not an associated resource of the workspace and stays where it is: the moved workspace's telemetry "
            "keeps going there, and deleting it or its group loses that data."
        )
        advice = (
            f"To keep the telemetry in the destination, move {_name_of(logs)} separately (az resource move --ids "
            f"{logs} --destination-group {dest['destination_group']} --destination-subscription-id "
            f"{dest['destination_subscription']}) or point {res.name} at a Log Analytics workspace there "
            "(az monitor app-insights component update --workspace <workspace-id>)."
        )
        findings.append(DEPENDENCY_STAYS_BEHIND.finding(detail, [DEPENDENCY_STAYS_BEHIND.fill(advice=advice)], [logs]))
    return findings


def _subscription_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).subscription_id
    except ValueError:
        return "?"


TOO_MANY_RESOURCES = CheckSpec(
    "too-many-resources",
    Severity.BLOCKER,
    "More than 800 resources in one move",
    "List at most {limit} resources in include-associated-resources",
    prose=True,
)


@_registered(TOO_MANY_RESOURCES)
def find_too_many_resources(inventory: Inventory, selection: Selection) -> list[Finding]:
    count = len(selection.moved_ids)
    if count <= MAX_RESOURCES_PER_MOVE:
        return []
    detail = f"The move set has {count} resources; ARM accepts at most {MAX_RESOURCES_PER_MOVE} per request."
    return [TOO_MANY_RESOURCES.finding(detail, [TOO_MANY_RESOURCES.fill(limit=str(MAX_RESOURCES_PER_MOVE - 1))])]


UNMOVABLE_TYPE = CheckSpec(
    "unmovable-type",
    Severity.BLOCKER,
    "The move set contains a resource ARM cannot move",
    "Remove {name} from include-associated-resources: {why}",
    prose=True,
)


@_registered(UNMOVABLE_TYPE)
def find_unmovable_types(inventory: Inventory, selection: Selection) -> list[Finding]:
    blocked: list[tuple[str, str]] = []
    for rid in selection.moved_ids[1:]:
        try:
            parsed = ResourceId.parse(rid)
        except ValueError:
            blocked.append((rid, "it is not a valid resource ID"))
            continue
        if not parsed.is_top_level:
            blocked.append((rid, "only top-level resources can be listed; children move with their parent"))
        elif parsed.type.lower() in UNMOVABLE_TYPES:
            blocked.append((rid, f"ARM does not move {parsed.type} across subscriptions"))
    if not blocked:
        return []
    detail = "; ".join(f"{_name_of(rid)}: {why}" for rid, why in blocked) + "."
    commands = [UNMOVABLE_TYPE.fill(name=_name_of(rid), why=why) for rid, why in blocked]
    return [UNMOVABLE_TYPE.finding(detail, commands, [rid for rid, _ in blocked])]


RESOURCE_NOT_SUCCEEDED = CheckSpec(
    "resource-not-succeeded",
    Severity.BLOCKER,
    "A resource in the move is not in the Succeeded state",
    "az resource show --ids {id} --query properties.provisioningState",
    hint="Wait for it to finish, or fix or delete the failed resource; ARM refuses to move resources (or their "
    "private endpoints) that are not Succeeded.",
)


@_registered(RESOURCE_NOT_SUCCEEDED)
def find_not_succeeded(inventory: Inventory, selection: Selection) -> list[Finding]:
    states: list[tuple[str, str]] = [(inventory.workspace.id, inventory.workspace.provisioning_state)]
    for rid in selection.moved_ids[1:]:
        known = inventory.associated(rid) or inventory.group_resource(rid)
        if known is not None and known.provisioning_state:
            states.append((known.id, known.provisioning_state))
    states += [
        (pec.private_endpoint_id or pec.id, pec.provisioning_state)
        for pec in inventory.workspace.private_endpoint_connections
    ]
    failing = [(rid, state) for rid, state in states if state.lower() != "succeeded"]
    if not failing:
        return []
    detail = "; ".join(f"{_name_of(rid)} is {state}" for rid, state in failing) + "."
    commands = [RESOURCE_NOT_SUCCEEDED.fill(id=rid) for rid, _ in failing]
    return [RESOURCE_NOT_SUCCEEDED.finding(detail, commands, [rid for rid, _ in failing])]


# --- Kinds of workspace the documented procedure does not cover -----------------------------------------------------

HUB_WORKSPACE = CheckSpec(
    "hub-workspace",
    Severity.BLOCKER,
    "The workspace is a hub",
    "Not supported by the documented move procedure: keep hub {workspace} where it is, or create a new hub in the "
    "destination (az ml workspace create --kind hub --resource-group {destination_group} "
    "--subscription {destination_subscription} --name <new-hub>) and recreate its projects there",
)


@_registered(HUB_WORKSPACE)
def find_hub(inventory: Inventory, selection: Selection) -> list[Finding]:
    if inventory.workspace.kind != WorkspaceKind.HUB:
        return []
    detail = "Hub workspaces (kind Hub) are not covered by the AML move documentation; their projects point at them."
    command = HUB_WORKSPACE.fill(workspace=inventory.workspace.name, **_destination_fields(inventory))
    return [HUB_WORKSPACE.finding(detail, [command], [inventory.workspace.id])]


PROJECT_WORKSPACE = CheckSpec(
    "project-workspace",
    Severity.BLOCKER,
    "The workspace is a project of a hub",
    "Not supported by the documented move procedure: keep project {workspace} with its hub {hub}, or recreate it "
    "under a hub in the destination",
    prose=True,
)


@_registered(PROJECT_WORKSPACE)
def find_project(inventory: Inventory, selection: Selection) -> list[Finding]:
    workspace = inventory.workspace
    if workspace.kind != WorkspaceKind.PROJECT and not workspace.hub_resource_id:
        return []
    hub = _name_of(workspace.hub_resource_id) if workspace.hub_resource_id else "(unknown hub)"
    detail = f"Project workspaces live under a hub ({hub}) and are not covered by the AML move documentation."
    ids = [workspace.id, *([workspace.hub_resource_id] if workspace.hub_resource_id else [])]
    return [PROJECT_WORKSPACE.finding(detail, [PROJECT_WORKSPACE.fill(workspace=workspace.name, hub=hub)], ids)]


FEATURE_STORE_WORKSPACE = CheckSpec(
    "feature-store-workspace",
    Severity.WARNING,
    "The workspace is a feature store",
    "Disable materialization for each feature set in {workspace} before approving, and check the dry run passed",
    prose=True,
)


@_registered(FEATURE_STORE_WORKSPACE)
def find_feature_store(inventory: Inventory, selection: Selection) -> list[Finding]:
    if inventory.workspace.kind != WorkspaceKind.FEATURE_STORE:
        return []
    detail = (
        "Feature stores (kind FeatureStore) are not covered by the AML move documentation; the offline and online "
        "store connections keep pointing at their current resources."
    )
    command = FEATURE_STORE_WORKSPACE.fill(workspace=inventory.workspace.name)
    return [FEATURE_STORE_WORKSPACE.finding(detail, [command], [inventory.workspace.id])]


# --- Network, schedules and other things to handle around the move --------------------------------------------------

MANAGED_NETWORK = CheckSpec(
    "managed-network",
    Severity.WARNING,
    "The workspace uses a managed virtual network",
    "After the move: az ml workspace provision-network --name {workspace} --resource-group {destination_group} "
    "--subscription {destination_subscription}",
    hint="Then check that each private-endpoint outbound rule targets the moved resource IDs "
    "(az ml workspace outbound-rule list).",
)


@_registered(MANAGED_NETWORK)
def find_managed_network(inventory: Inventory, selection: Selection) -> list[Finding]:
    workspace = inventory.workspace
    if workspace.managed_network_isolation_mode.lower() == "disabled":
        return []
    private_rules = [rule for rule in workspace.outbound_rules if rule.rule_type.lower() == "privateendpoint"]
    rules = (
        f" Private-endpoint outbound rules to re-check: {_listing(r.name for r in private_rules)}."
        if private_rules
        else ""
    )
    detail = (
        f"Isolation mode {workspace.managed_network_isolation_mode}: resource IDs change in the move, so the managed "
        f"network must be provisioned again in the destination.{rules}"
    )
    command = MANAGED_NETWORK.fill(workspace=workspace.name, **_destination_fields(inventory))
    return [MANAGED_NETWORK.finding(detail, [command], [workspace.id])]


PRIVATE_ENDPOINTS = CheckSpec(
    "private-endpoints",
    Severity.WARNING,
    "Private endpoints will need approval after the move",
    "After the move: az network private-endpoint-connection list --id {moved_workspace_id}, then approve each one "
    "that was Approved before the move with az network private-endpoint-connection approve --id <connection-id>",
    hint="Or let apply approve them again (only those Approved before the move): approve-private-endpoints: true.",
)


@_registered(PRIVATE_ENDPOINTS)
def find_private_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    connections = inventory.workspace.private_endpoint_connections
    if not connections:
        return []
    approved = [c for c in connections if c.status.lower() == "approved"]
    detail = (
        f"The move disconnects the workspace's private endpoint connection(s) "
        f"({_listing(f'{c.name}: {c.status}' for c in connections)}); the workspace is unreachable over the "
        f"{len(approved)} Approved one(s) until they are approved again. Only those are approved again; the others "
        "stay as they are. Private endpoints of Azure ML cannot move and stay where they are."
    )
    command = PRIVATE_ENDPOINTS.fill(moved_workspace_id=_moved_workspace_id(inventory))
    return [PRIVATE_ENDPOINTS.finding(detail, [command], [c.id for c in connections])]


SCHEDULES_ENABLED = CheckSpec(
    "schedules-enabled",
    Severity.WARNING,
    "Enabled schedules can start jobs during the move",
    "az ml schedule disable --name {name} " + _WS,
    hint="Enable them again in the moved workspace afterwards (az ml schedule enable).",
)


@_registered(SCHEDULES_ENABLED)
def find_enabled_schedules(inventory: Inventory, selection: Selection) -> list[Finding]:
    enabled = [schedule for schedule in inventory.schedules if schedule.is_enabled]
    if not enabled:
        return []
    detail = (
        f"{len(enabled)} enabled schedule(s) may start jobs while the move runs: {_listing(s.name for s in enabled)}."
    )
    fields = _workspace_fields(inventory)
    commands = [SCHEDULES_ENABLED.fill(name=schedule.name, **fields) for schedule in enabled]
    return [SCHEDULES_ENABLED.finding(detail, commands, [schedule.id for schedule in enabled])]


ROLE_ASSIGNMENTS_NOT_MOVED = CheckSpec(
    "role-assignments-not-moved",
    Severity.INFO,
    "Role assignments on moved resources are not moved",
    "az role assignment list --scope {scope} --output json",
    hint="Apply saves them and recreates them after the move while restore-role-assignments is true.",
)


@_registered(ROLE_ASSIGNMENTS_NOT_MOVED)
def find_role_assignments(inventory: Inventory, selection: Selection) -> list[Finding]:
    known = [ra for _, found in inventory.moved_scope_role_assignments for ra in found] or list(
        inventory.role_assignments
    )
    moved = [ra for ra in known if any(is_within(ra.scope, rid) for rid in selection.moved_ids)]
    if not moved:
        return []
    scopes = _dedupe(ra.scope for ra in moved)
    detail = (
        f"{len(moved)} role assignment(s) on {len(scopes)} moved resource(s) are left behind by ARM: "
        + "; ".join(
            f"{ra.role_name or _name_of(ra.role_definition_id)} for {ra.principal_type} {ra.principal_id} on "
            f"{_name_of(ra.scope)}"
            for ra in moved[:_MAX_LISTED]
        )
        + ("; …" if len(moved) > _MAX_LISTED else "")
        + "."
    )
    commands = [ROLE_ASSIGNMENTS_NOT_MOVED.fill(scope=scope) for scope in scopes]
    return [ROLE_ASSIGNMENTS_NOT_MOVED.finding(detail, commands, [ra.id for ra in moved])]


DATASTORES_NEED_REPAIR = CheckSpec(
    "datastores-need-repair",
    Severity.INFO,
    "Datastores will point at the storage account's old location",
    "In the moved workspace: az ml datastore delete --name {name} --workspace-name {workspace} --resource-group "
    "{destination_group} --subscription {destination_subscription}, then az ml datastore create --file {name}.yml",
    hint="Apply repairs them after the move while repair-datastores is true.",
)


@_registered(DATASTORES_NEED_REPAIR)
def find_datastores_to_repair(inventory: Inventory, selection: Selection) -> list[Finding]:
    moved_accounts = {
        _name_of(d.resource_id).lower()
        for d in selection.decisions
        if d.outcome is Outcome.MOVE and _type_of(d.resource_id) == "microsoft.storage/storageaccounts"
    }
    source = inventory.workspace.resource_id
    stale = [
        store
        for store in inventory.datastores
        if store.account_name
        and store.account_name.lower() in moved_accounts
        and (store.subscription_id or source.subscription_id).lower() == source.subscription_id.lower()
    ]
    if not stale:
        return []
    detail = (
        f"{len(stale)} datastore(s) keep the source subscription and group of a moved storage account: "
        f"{_listing(s.name for s in stale)}."
    )
    fields = {"workspace": inventory.workspace.name, **_destination_fields(inventory)}
    commands = [DATASTORES_NEED_REPAIR.fill(name=store.name, **fields) for store in stale]
    return [DATASTORES_NEED_REPAIR.finding(detail, commands)]


V1_DATASETS = CheckSpec(
    "v1-datasets",
    Severity.INFO,
    "SDK v1 datasets need re-registering after the move",
    "After the move, re-register each v1 dataset in {workspace} (Dataset.register in SDK v1) or recreate it as a v2 "
    "data asset (az ml data create)",
    prose=True,
)


@_registered(V1_DATASETS)
def find_v1_datasets(inventory: Inventory, selection: Selection) -> list[Finding]:
    count = inventory.asset_counts.datasets_v1
    if count == 0:
        return []
    found = (
        "SDK v1 datasets could not be counted (they are not on ARM)" if count is None else f"{count} SDK v1 dataset(s)"
    )
    detail = f"{found}; v1 datasets are not moved with the workspace."
    command = V1_DATASETS.fill(workspace=inventory.workspace.name)
    return [V1_DATASETS.finding(detail, [command], [inventory.workspace.id])]


# --- The ARM dry run -------------------------------------------------------------------------------------------------

_MOVE_IN_PROGRESS_ADVICE = (
    "Another move holds the source or destination group (ARM locks both for up to 4 hours). Wait until it "
    "finishes, then plan again; when several workspaces move into one group (a fleet), run their applies one after "
    "another (max-parallel: 1)."
)
# ARM's AuthorizationFailed message: "The client '…' with object id '…' does not have authorization to perform
# action '…' over scope '…' or the scope is invalid."
_AUTHORIZATION_FAILED = re.compile(
    r"object id '(?P<who>[^']+)'.*?perform action '(?P<action>[^']+)' over scope '(?P<scope>[^']+)'",
    re.IGNORECASE | re.DOTALL,
)

# What to do for ARM's common move error codes (learn.microsoft.com/azure/azure-resource-manager/management/
# move-resource-group-and-subscription); the first code found wins.
_VALIDATION_ADVICE = {
    "missingregistrationsfortypes": "Register the providers ARM names: az provider register --namespace <namespace> "
    "--subscription <destination-subscription> (or register-providers: true).",
    "missingsubscriptionregistration": "Register the provider ARM names: az provider register --namespace "
    "<namespace> --subscription <destination-subscription> (or register-providers: true).",
    "requestdisallowedbypolicy": "An Azure Policy in the destination denies the resources; ask its owner for an "
    "exemption or fix the resources (tags, SKUs) it requires.",
    "resourcemovepolicyvalidationfailed": "An Azure Policy (or tenant rule) refused the move; read the details, then "
    "ask for a policy exemption in the destination.",
    "linkedauthorizationfailed": "The destination subscription is in another tenant or you lack access there; both "
    "subscriptions must be in one tenant and you need write on the destination group.",
    "movecannotproceedwithresourcesnotinsucceededstate": "A resource or its private endpoint is not Succeeded; fix "
    "or delete it, then plan again.",
    "resourcenotprovisioned": "A resource or its private endpoint is not Succeeded; fix or delete it, then plan again.",
    "resourcemovenotsupported": "Remove the resource types ARM names from include-associated-resources.",
    "movenotsupported": "Remove the resource types ARM names from include-associated-resources.",
    "cannotmoveresource": "Remove the resource ARM names from include-associated-resources.",
    "missingmovedependentresources": "Add the dependent resources ARM lists to include-associated-resources.",
    "incompleterequest": "Add the hidden or dependent resources ARM lists to include-associated-resources.",
    "moveresourceshavependingoperations": "Wait until the pending operations on the resources finish, then plan again.",
    "resourcemoveprovidervalidationfailed": "Azure ML refused the move: delete computes and endpoints, stop jobs, "
    "then plan again; the details say which.",
    "resourcegroupmoveinprogress": _MOVE_IN_PROGRESS_ADVICE,
}
_DEFAULT_VALIDATION_ADVICE = "Fix what ARM reports in the details, then run plan again."

VALIDATION_FAILED = CheckSpec(
    "validation-failed",
    Severity.BLOCKER,
    "ARM's move dry run (validateMoveResources) failed",
    "{advice}",
    skippable=False,  # ARM validates again on moveResources; skipping would only hide the reason the move fails
    prose=True,
    summary="Advice chosen by ARM's error code (register providers, policy exemption, drop an unmovable type, …); "
    "ARM's code, message, details and correlation id are quoted verbatim",
)


def _validation_advice(codes: Iterable[str], messages: Iterable[str] = ()) -> str:
    texts = list(messages)
    for code in codes:
        if code.lower() == "authorizationfailed":
            return _authorization_advice(texts)
        advice = _VALIDATION_ADVICE.get(code.lower())
        if advice:
            return advice
    if any("move operation in progress" in t.lower() or "move is in progress" in t.lower() for t in texts):
        return _MOVE_IN_PROGRESS_ADVICE
    return _DEFAULT_VALIDATION_ADVICE


def _authorization_advice(messages: Iterable[str]) -> str:
    """Which identity lacks which action at which scope, from ARM's own message."""
    for text in messages:
        found = _AUTHORIZATION_FAILED.search(text)
        if found:
            return (
                f"Identity {found['who']} may not {found['action']} on {found['scope']}. Give it a role with that "
                f"action there (az role assignment create --assignee {found['who']} --role Contributor --scope "
                f"{found['scope']}), or, when this identity only plans, set apply-principal-id to the identity "
                "that applies: apply then validates with it before writing anything."
            )
    return (
        "The signed-in identity may not run ARM's validation: it needs validateMoveResources/action on the source "
        "group and write on the destination group; or set apply-principal-id to the identity that applies."
    )


@_registered(VALIDATION_FAILED)
def find_failed_validation(inventory: Inventory, selection: Selection) -> list[Finding]:
    result = inventory.validation
    if result.status != ValidationStatus.FAILED:
        return []
    flat = [item for detail in result.details for item in (detail, *detail.flatten())]
    parts = [f"{result.code or 'UnknownError'}: {result.message or '(no message)'}"]
    parts += [f"{item.code}{' on ' + item.target if item.target else ''}: {item.message}" for item in flat]
    if result.correlation_id:
        parts.append(f"correlation id {result.correlation_id}")
    codes = [item.code for item in reversed(flat)] + ([result.code] if result.code else [])
    messages = [result.message or "", *(item.message for item in flat)]
    command = VALIDATION_FAILED.fill(advice=_validation_advice(codes, messages))
    return [VALIDATION_FAILED.finding(" | ".join(parts), [command], selection.moved_ids)]


VALIDATION_NOT_RUN = CheckSpec(
    "validation-not-run",
    Severity.WARNING,
    "ARM's move dry run did not run",
    "Nothing to run now: apply validates again before it moves anything",
    prose=True,
)


@_registered(VALIDATION_NOT_RUN)
def find_skipped_validation(inventory: Inventory, selection: Selection) -> list[Finding]:
    result = inventory.validation
    if result.status == ValidationStatus.DEFERRED:  # by design: apply validates with the move identity first
        detail = f"ARM's validation runs at apply: {result.message or 'no reason recorded'}."
        return [
            VALIDATION_NOT_RUN.finding(
                detail, [VALIDATION_NOT_RUN.remediation], selection.moved_ids, severity=Severity.INFO
            )
        ]
    if result.status != ValidationStatus.SKIPPED:
        return []
    detail = f"validateMoveResources was not called: {result.message or 'no reason recorded'}."
    return [VALIDATION_NOT_RUN.finding(detail, [VALIDATION_NOT_RUN.remediation], selection.moved_ids)]


# --- Running them ----------------------------------------------------------------------------------------------------

CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec, _ in _REGISTRY)
SKIPPABLE_CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec, _ in _REGISTRY if spec.skippable)


def check_spec(check_id: str) -> CheckSpec:
    """The registered spec for an ID (KeyError if unknown)."""
    for spec, _ in _REGISTRY:
        if spec.id == check_id:
            return spec
    raise KeyError(check_id)


def describe_checks() -> Iterator[tuple[str, Severity, str, str]]:
    """(id, default severity, title, remediation summary) per check, in registry order: the README's table."""
    for spec, _ in _REGISTRY:
        yield spec.id, spec.severity, spec.title, spec.remediation_summary


def run_checks(inventory: Inventory, selection: Selection, skip_checks: Iterable[str] = ()) -> list[Finding]:
    """Every check's findings, blockers first. Skipped checks still report, with blockers downgraded to warnings."""
    skip = {check_id.lower() for check_id in skip_checks}
    unknown = skip - set(CHECK_IDS)
    not_skippable = skip & (set(CHECK_IDS) - set(SKIPPABLE_CHECK_IDS))
    if unknown or not_skippable:
        # Settings validates skip-checks; reaching this is a programming error, not a user one.
        raise ValueError(f"cannot skip {sorted(unknown | not_skippable)}")
    findings: list[Finding] = []
    for spec, run in _REGISTRY:
        for finding in run(inventory, selection):
            if spec.id in skip:
                downgraded = finding.severity is Severity.BLOCKER
                finding = replace(
                    finding,
                    skipped=True,
                    severity=Severity.WARNING if downgraded else finding.severity,
                    downgraded_from=Severity.BLOCKER if downgraded else None,
                )
            findings.append(finding)
    return sorted(findings, key=lambda finding: _SEVERITY_ORDER[finding.severity])
