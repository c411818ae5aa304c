"""Checks on the move set: rejected, elsewhere or shared associated resources, dependencies that stay behind,
ARM's limits (count, unmovable types, provisioning state)."""

from __future__ import annotations

from ..ids import ResourceId, is_within
from ..inventory import Inventory
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .resource_names import group_of, name_of, other_users, subscription_of
from .what_moves import Outcome, Selection
from .wording import destination_fields, listing

MAX_RESOURCES_PER_MOVE = 800  # ARM's limit per moveResources request

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


LISTED_RESOURCE_REJECTED = CheckSpec(
    "listed-resource-rejected",
    Severity.BLOCKER,
    "A resource listed in include-associated-resources cannot move",
    "Remove {name} from include-associated-resources ({reason})",
    prose=True,
)


@registered(LISTED_RESOURCE_REJECTED)
def find_rejected_listed_resources(inventory: Inventory, selection: Selection) -> list[Finding]:
    rejected = [d for d in selection.decisions if d.outcome is Outcome.REJECTED]
    if not rejected:
        return []
    detail = "; ".join(f"{name_of(d.resource_id)}: {d.reason}" for d in rejected) + "."
    commands = [LISTED_RESOURCE_REJECTED.fill(name=name_of(d.resource_id), reason=d.reason) for d in rejected]
    return [LISTED_RESOURCE_REJECTED.finding(detail, commands, [d.resource_id for d in rejected])]


ASSOCIATED_RESOURCE_ELSEWHERE = CheckSpec(
    "associated-resource-elsewhere",
    Severity.WARNING,
    "An associated resource is in another group and stays behind",
    "Nothing to run: {name} stays in {group} and the moved workspace keeps using it across subscriptions. "
    "Do not move it separately: its ID would change and the workspace would lose it.",
    prose=True,
)


@registered(ASSOCIATED_RESOURCE_ELSEWHERE)
def find_associated_elsewhere(inventory: Inventory, selection: Selection) -> list[Finding]:
    elsewhere = [
        (role, rid) for role, rid in inventory.workspace.associated_ids if not is_within(rid, inventory.source_group_id)
    ]
    if not elsewhere:
        return []
    detail = "ARM moves resources from one group per request, so these stay: " + "; ".join(
        f"{role} {name_of(rid)} in group {group_of(rid)}" for role, rid in elsewhere
    )
    commands = [ASSOCIATED_RESOURCE_ELSEWHERE.fill(name=name_of(rid), group=group_of(rid)) for _, rid in elsewhere]
    return [ASSOCIATED_RESOURCE_ELSEWHERE.finding(detail, commands, [rid for _, rid in elsewhere])]


ASSOCIATED_RESOURCE_SHARED = CheckSpec(
    "associated-resource-shared",
    Severity.WARNING,
    "An associated resource is shared with another workspace",
    "Keep {name} where it is (include-associated-resources: auto leaves shared resources behind); "
    "the moved workspace keeps using it across subscriptions",
    prose=True,
)


@registered(ASSOCIATED_RESOURCE_SHARED)
def find_shared_associated(inventory: Inventory, selection: Selection) -> list[Finding]:
    findings: list[Finding] = []
    shared = [
        (res, other_users(res.used_by_workspace_ids, inventory.workspace.id))
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
                + "; ".join(f"{res.role} {res.name} (used by {listing(others)})" for res, others in group)
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


@registered(DEPENDENCY_STAYS_BEHIND)
def find_dependencies_staying_behind(inventory: Inventory, selection: Selection) -> list[Finding]:
    """Dependencies ARM never moves with the workspace: user-assigned identities (not associated resources; ARM
    does not move them while assigned, and a prod workspace would run as an identity of the source subscription),
    and the Log Analytics workspace that stores Application Insights' data."""
    ws = inventory.workspace
    dest = destination_fields(inventory)
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
            + "; ".join(f"{name_of(i)} (group {group_of(i)}, subscription {subscription_of(i)})" for i in identities)
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
            f"workspace {name_of(logs)} (group {group_of(logs)}, subscription {subscription_of(logs)}), which is "
            "not an associated resource of the workspace and stays where it is: the moved workspace's telemetry "
            "keeps going there, and deleting it or its group loses that data."
        )
        advice = (
            f"To keep the telemetry in the destination, move {name_of(logs)} separately (az resource move --ids "
            f"{logs} --destination-group {dest['destination_group']} --destination-subscription-id "
            f"{dest['destination_subscription']}) or point {res.name} at a Log Analytics workspace there "
            "(az monitor app-insights component update --workspace <workspace-id>)."
        )
        findings.append(DEPENDENCY_STAYS_BEHIND.finding(detail, [DEPENDENCY_STAYS_BEHIND.fill(advice=advice)], [logs]))
    return findings


TOO_MANY_RESOURCES = CheckSpec(
    "too-many-resources",
    Severity.BLOCKER,
    "More than 800 resources in one move",
    "List at most {limit} resources in include-associated-resources",
    prose=True,
)


@registered(TOO_MANY_RESOURCES)
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


@registered(UNMOVABLE_TYPE)
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
    detail = "; ".join(f"{name_of(rid)}: {why}" for rid, why in blocked) + "."
    commands = [UNMOVABLE_TYPE.fill(name=name_of(rid), why=why) for rid, why in blocked]
    return [UNMOVABLE_TYPE.finding(detail, commands, [rid for rid, _ in blocked])]


RESOURCE_NOT_SUCCEEDED = CheckSpec(
    "resource-not-succeeded",
    Severity.BLOCKER,
    "A resource in the move is not in the Succeeded state",
    "az resource show --ids {id} --query properties.provisioningState",
    hint="Wait for it to finish, or fix or delete the failed resource; ARM refuses to move resources (or their "
    "private endpoints) that are not Succeeded.",
)


@registered(RESOURCE_NOT_SUCCEEDED)
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
    detail = "; ".join(f"{name_of(rid)} is {state}" for rid, state in failing) + "."
    commands = [RESOURCE_NOT_SUCCEEDED.fill(id=rid) for rid, _ in failing]
    return [RESOURCE_NOT_SUCCEEDED.finding(detail, commands, [rid for rid, _ in failing])]
