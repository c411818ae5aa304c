"""Checks on things to handle around the move: managed network, private endpoints, schedules, role assignments,
datastores, SDK v1 datasets."""

from __future__ import annotations

from ..ids import is_within
from ..inventory import Inventory
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .resource_names import dedupe, moved_workspace_id, name_of, type_of
from .what_moves import Outcome, Selection
from .wording import MAX_LISTED, WORKSPACE_ARGS, destination_fields, listing, workspace_fields

MANAGED_NETWORK = CheckSpec(
    "managed-network",
    Severity.WARNING,
    "The workspace uses a managed virtual network",
    "After the move: az ml workspace provision-network --name {workspace} --resource-group {destination_group} "
    "--subscription {destination_subscription}",
    hint="Then check that each private-endpoint outbound rule targets the moved resource IDs "
    "(az ml workspace outbound-rule list).",
)


@registered(MANAGED_NETWORK)
def find_managed_network(inventory: Inventory, selection: Selection) -> list[Finding]:
    workspace = inventory.workspace
    if workspace.managed_network_isolation_mode.lower() == "disabled":
        return []
    private_rules = [rule for rule in workspace.outbound_rules if rule.rule_type.lower() == "privateendpoint"]
    rules = (
        f" Private-endpoint outbound rules to re-check: {listing(r.name for r in private_rules)}."
        if private_rules
        else ""
    )
    detail = (
        f"Isolation mode {workspace.managed_network_isolation_mode}: resource IDs change in the move, so the managed "
        f"network must be provisioned again in the destination.{rules}"
    )
    command = MANAGED_NETWORK.fill(workspace=workspace.name, **destination_fields(inventory))
    return [MANAGED_NETWORK.finding(detail, [command], [workspace.id])]


PRIVATE_ENDPOINTS = CheckSpec(
    "private-endpoints",
    Severity.WARNING,
    "Private endpoints will need approval after the move",
    "After the move: az network private-endpoint-connection list --id {moved_workspace_id}, then approve each one "
    "that was Approved before the move with az network private-endpoint-connection approve --id <connection-id>",
    hint="Or let apply approve them again (only those Approved before the move): approve-private-endpoints: true.",
)


@registered(PRIVATE_ENDPOINTS)
def find_private_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    connections = inventory.workspace.private_endpoint_connections
    if not connections:
        return []
    approved = [c for c in connections if c.status.lower() == "approved"]
    detail = (
        f"The move disconnects the workspace's private endpoint connection(s) "
        f"({listing(f'{c.name}: {c.status}' for c in connections)}); the workspace is unreachable over the "
        f"{len(approved)} Approved one(s) until they are approved again. Only those are approved again; the others "
        "stay as they are. Private endpoints of Azure ML cannot move and stay where they are."
    )
    command = PRIVATE_ENDPOINTS.fill(moved_workspace_id=moved_workspace_id(inventory))
    return [PRIVATE_ENDPOINTS.finding(detail, [command], [c.id for c in connections])]


SCHEDULES_ENABLED = CheckSpec(
    "schedules-enabled",
    Severity.WARNING,
    "Enabled schedules can start jobs during the move",
    "az ml schedule disable --name {name} " + WORKSPACE_ARGS,
    hint="Enable them again in the moved workspace afterwards (az ml schedule enable).",
)


@registered(SCHEDULES_ENABLED)
def find_enabled_schedules(inventory: Inventory, selection: Selection) -> list[Finding]:
    enabled = [schedule for schedule in inventory.schedules if schedule.is_enabled]
    if not enabled:
        return []
    detail = (
        f"{len(enabled)} enabled schedule(s) may start jobs while the move runs: {listing(s.name for s in enabled)}."
    )
    fields = workspace_fields(inventory)
    commands = [SCHEDULES_ENABLED.fill(name=schedule.name, **fields) for schedule in enabled]
    return [SCHEDULES_ENABLED.finding(detail, commands, [schedule.id for schedule in enabled])]


ROLE_ASSIGNMENTS_NOT_MOVED = CheckSpec(
    "role-assignments-not-moved",
    Severity.INFO,
    "Role assignments on moved resources are not moved",
    "az role assignment list --scope {scope} --output json",
    hint="Apply saves them and recreates them after the move while restore-role-assignments is true.",
)


@registered(ROLE_ASSIGNMENTS_NOT_MOVED)
def find_role_assignments(inventory: Inventory, selection: Selection) -> list[Finding]:
    known = [ra for _, found in inventory.moved_scope_role_assignments for ra in found] or list(
        inventory.role_assignments
    )
    moved = [ra for ra in known if any(is_within(ra.scope, rid) for rid in selection.moved_ids)]
    if not moved:
        return []
    scopes = dedupe(ra.scope for ra in moved)
    detail = (
        f"{len(moved)} role assignment(s) on {len(scopes)} moved resource(s) are left behind by ARM: "
        + "; ".join(
            f"{ra.role_name or name_of(ra.role_definition_id)} for {ra.principal_type} {ra.principal_id} on "
            f"{name_of(ra.scope)}"
            for ra in moved[:MAX_LISTED]
        )
        + ("; …" if len(moved) > MAX_LISTED else "")
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


@registered(DATASTORES_NEED_REPAIR)
def find_datastores_to_repair(inventory: Inventory, selection: Selection) -> list[Finding]:
    moved_accounts = {
        name_of(d.resource_id).lower()
        for d in selection.decisions
        if d.outcome is Outcome.MOVE and type_of(d.resource_id) == "microsoft.storage/storageaccounts"
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
        f"{listing(s.name for s in stale)}."
    )
    fields = {"workspace": inventory.workspace.name, **destination_fields(inventory)}
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


@registered(V1_DATASETS)
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
