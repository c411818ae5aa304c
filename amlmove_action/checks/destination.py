"""Checks on where the workspace goes: subscriptions, region, providers, permissions, locks, the destination group."""

from __future__ import annotations

from collections.abc import Iterable

from ..ids import is_within
from ..inventory import Inventory, LockLevel, allows, same_location
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .resource_names import dedupe, namespace_of
from .what_moves import Selection
from .wording import destination_fields

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
        namespace = namespace_of(rid)
        if namespace and namespace.lower() not in {known.lower() for known in needed}:
            needed.append(namespace)
    return needed


REGION_MISMATCH = CheckSpec(
    "region-mismatch",
    Severity.BLOCKER,
    "The destination group is in another region",
    "Choose a destination group in {location}: az group create --name <new-group> --location {location} "
    "--subscription {destination_subscription}, then set destination-resource-group-id to it",
)


@registered(REGION_MISMATCH)
def find_region_mismatch(inventory: Inventory, selection: Selection) -> list[Finding]:
    group, workspace = inventory.destination_group, inventory.workspace
    if not group.exists or group.location is None or same_location(group.location, workspace.location):
        return []
    detail = (
        f"The workspace is in {workspace.location} but destination group {group.name} is in {group.location}; "
        "the workspace move keeps the region, so the destination must be in the same region."
    )
    command = REGION_MISMATCH.fill(location=workspace.location, **destination_fields(inventory))
    return [REGION_MISMATCH.finding(detail, [command], [group.id])]


TENANT_MISMATCH = CheckSpec(
    "tenant-mismatch",
    Severity.BLOCKER,
    "The subscriptions are in different tenants",
    "Move subscription {destination_subscription} into tenant {tenant} first (Azure portal → Subscriptions → "
    "{destination_subscription} → Change directory), or choose a destination in that tenant",
    prose=True,
)


@registered(TENANT_MISMATCH)
def find_tenant_mismatch(inventory: Inventory, selection: Selection) -> list[Finding]:
    source, destination = inventory.source_subscription, inventory.destination_subscription
    if source.tenant_id.lower() == destination.tenant_id.lower():
        return []
    detail = (
        f"Source subscription {source.subscription_id} is in tenant {source.tenant_id}, destination "
        f"{destination.subscription_id} in {destination.tenant_id}; a move must stay in one tenant."
    )
    command = TENANT_MISMATCH.fill(tenant=source.tenant_id, **destination_fields(inventory))
    return [TENANT_MISMATCH.finding(detail, [command], [f"/subscriptions/{destination.subscription_id}"])]


SUBSCRIPTION_NOT_ENABLED = CheckSpec(
    "subscription-not-enabled",
    Severity.BLOCKER,
    "A subscription is not active",
    "Reactivate subscription {subscription} (state {state}): Azure portal → Subscriptions → {subscription}",
    prose=True,
)


@registered(SUBSCRIPTION_NOT_ENABLED)
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


@registered(PROVIDER_NOT_REGISTERED)
def find_unregistered_providers(inventory: Inventory, selection: Selection) -> list[Finding]:
    needed = required_namespaces(selection.moved_ids)
    destination = inventory.destination_subscription
    missing = [namespace for namespace in needed if not destination.is_registered(namespace)]
    if not missing:
        return []
    detail = f"Subscription {destination.subscription_id} has not registered: {', '.join(missing)}."
    fields = destination_fields(inventory)
    commands = [PROVIDER_NOT_REGISTERED.fill(namespace=namespace, **fields) for namespace in missing]
    return [PROVIDER_NOT_REGISTERED.finding(detail, commands, [f"/subscriptions/{destination.subscription_id}"])]


MISSING_PERMISSION = CheckSpec(
    "missing-permission",
    Severity.BLOCKER,
    "The identity that will apply lacks a permission the move needs",
    "az role assignment create --assignee {principal} --role Contributor --scope {scope}",
    hint="Contributor includes all of them; a custom role needs only the actions listed.",
)


@registered(MISSING_PERMISSION)
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
        scopes = dedupe(scope for scope, _ in missing)
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


@registered(RESOURCE_LOCK)
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


@registered(DESTINATION_GROUP_MISSING)
def find_missing_destination_group(inventory: Inventory, selection: Selection) -> list[Finding]:
    group = inventory.destination_group
    if group.exists:
        return []
    command = DESTINATION_GROUP_MISSING.fill(location=inventory.workspace.location, **destination_fields(inventory))
    if selection.create_destination_group:
        detail = f"Apply will create {group.name} in {inventory.workspace.location} before moving."
        return [DESTINATION_GROUP_MISSING.finding(detail, [command], [group.id])]
    detail = (
        f"{group.name} does not exist and create-destination-resource-group is false. Create it in "
        f"{inventory.workspace.location}, or set create-destination-resource-group: true."
    )
    return [DESTINATION_GROUP_MISSING.finding(detail, [command], [group.id], severity=Severity.BLOCKER)]
