"""The plan: the unit of review. Built from the inventory, the associated-resource selection and the findings;
written as plan.json (versioned by schemas/plan.schema.json) with a SHA-256 digest over its canonical content, so
apply can refuse a plan that was edited, is stale, or no longer matches Azure (Terraform's saved-plan discipline)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources as package_files
from pathlib import Path
from typing import Any

from . import __version__
from . import inventory as inv
from .localfiles import write_json_atomically
from .selection import AssociatedResourceChoice

SCHEMA_VERSION = "2.0"
ML_WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"


@dataclass(frozen=True)
class PlanOptions:
    """What the plan promises apply will do besides the move (recorded, and part of the digest)."""

    create_destination_resource_group: bool
    remove_computes: bool
    remove_endpoints: bool
    skip_checks: tuple[str, ...]
    include_associated_resources: AssociatedResourceChoice
    apply_principal_id: str | None = None
    restore_role_assignments: bool = True
    repair_datastores: bool = True
    approve_private_endpoints: bool = False
    recreate_computes: bool = False
    register_providers: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "createDestinationResourceGroup": self.create_destination_resource_group,
            "removeComputes": self.remove_computes,
            "removeEndpoints": self.remove_endpoints,
            "skipChecks": sorted(self.skip_checks),
            "includeAssociatedResources": self.include_associated_resources.to_text(),
            "applyPrincipalId": self.apply_principal_id,
            **{key: getattr(self, field) for field, key, _ in OPT_INS},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanOptions:
        """The options of a plan.json that planfile.load_plan has checked against the schema."""
        return cls(
            create_destination_resource_group=data["createDestinationResourceGroup"],
            skip_checks=tuple(data["skipChecks"]),
            include_associated_resources=AssociatedResourceChoice.from_text(data["includeAssociatedResources"]),
            apply_principal_id=data.get("applyPrincipalId"),
            **{field: data[key] for field, key, _ in OPT_INS},
        )


# The seven opt-ins: (Settings / PlanOptions field, plan.json options key, input name). All of them are recorded in the
# plan (and so covered by its digest); apply acts on the plan's values and refuses inputs that disagree.
OPT_INS = (
    ("remove_computes", "removeComputes", "remove-computes"),
    ("remove_endpoints", "removeEndpoints", "remove-endpoints"),
    ("restore_role_assignments", "restoreRoleAssignments", "restore-role-assignments"),
    ("repair_datastores", "repairDatastores", "repair-datastores"),
    ("approve_private_endpoints", "approvePrivateEndpoints", "approve-private-endpoints"),
    ("recreate_computes", "recreateComputes", "recreate-computes"),
    ("register_providers", "registerProviders", "register-providers"),
)


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(plan: dict[str, Any]) -> str:
    """SHA-256 over everything in the plan except the digest itself (createdAt included, so age can't be edited)."""
    return hashlib.sha256(canonical_json({k: v for k, v in plan.items() if k != "digest"})).hexdigest()


def schema() -> dict[str, Any]:
    return json.loads(package_files.files("amlmove_action.schemas").joinpath("plan.schema.json").read_text("utf-8"))


def build_plan(
    inventory: inv.Inventory,
    selection: Any,
    findings: list[Any],
    options: PlanOptions,
    now: datetime | None = None,
    exports: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The plan document (a plain JSON-able dict in the schema's shape), digest included."""
    ws = inventory.workspace
    moved = list(selection.moved_ids)
    blockers = [f for f in findings if f.severity == "blocker"]
    plan: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "amlmove", "version": __version__},
        "createdAt": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": "blocked" if blockers else "ready",
        "source": {
            "workspaceId": ws.id,
            "workspaceName": ws.name,
            "kind": str(ws.kind),
            "location": ws.location,
            "resourceGroupId": inventory.source_group_id,
            "subscriptionId": inventory.source_subscription.subscription_id,
            "tenantId": inventory.source_subscription.tenant_id,
        },
        "destination": {
            "resourceGroupId": inventory.destination_group.id,
            "subscriptionId": inventory.destination_subscription.subscription_id,
            "tenantId": inventory.destination_subscription.tenant_id,
            "exists": inventory.destination_group.exists,
            "location": inventory.destination_group.location,
            "workspaceId": moved_id(ws.id, inventory.destination_group.id),
        },
        "options": options.to_json(),
        "resources": moved,
        "associatedResources": [
            {
                "id": d.resource_id,
                "role": str(d.role) if d.role else "other",
                "decision": str(d.outcome),
                "reason": d.reason,
            }
            for d in selection.decisions
        ],
        "inventory": counts(inventory),
        "findings": [finding_json(f) for f in findings],
        "validation": validation_json(inventory.validation),
        "roleAssignmentSnapshot": role_assignment_snapshot(inventory, moved),
        "postMove": post_move(inventory, moved, options),
        "writeLock": write_lock(inventory, moved),
        "exports": list(exports or []),
    }
    plan["digest"] = digest_of(plan)
    return plan


def with_exports(plan: dict[str, Any], exports: list[dict[str, str]]) -> dict[str, Any]:
    """The plan with its `exports` list (taken after the plan was built) and the digest recomputed over it."""
    out = {k: v for k, v in plan.items() if k != "digest"}
    out["exports"] = list(exports)
    out["digest"] = digest_of(out)
    return out


def finding_json(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": str(f.severity),
        "title": f.title,
        "detail": f.detail,
        "remediation": f.remediation,
        "resourceIds": list(f.resource_ids),
        "skipped": bool(getattr(f, "skipped", False)),
    }


def validation_json(v: inv.ValidationResult) -> dict[str, Any]:
    def detail(d: inv.ErrorDetail) -> dict[str, Any]:
        return {"code": d.code, "message": d.message, "target": d.target, "details": [detail(x) for x in d.details]}

    return {
        "status": str(v.status),
        "code": v.code,
        "message": v.message,
        "details": [detail(d) for d in v.details],
        "correlationId": v.correlation_id,
    }


def counts(inventory: inv.Inventory) -> dict[str, int | None]:
    a = inventory.asset_counts
    return {
        "groupResources": len(inventory.source_group_resources),
        "computes": len(inventory.computes),
        "onlineEndpoints": len(inventory.online_endpoints),
        "onlineDeployments": sum(len(e.deployments) for e in inventory.online_endpoints),
        "batchEndpoints": len(inventory.batch_endpoints),
        "serverlessEndpoints": len(inventory.serverless_endpoints),
        "unfinishedJobs": len(inventory.jobs),
        "labelingJobs": len(inventory.labeling_jobs),
        "schedules": len(inventory.schedules),
        "datastores": len(inventory.datastores),
        "roleAssignmentsAtWorkspace": sum(
            inv.is_within(a.scope, inventory.workspace.id) for a in inventory.role_assignments
        ),
        "privateEndpointConnections": len(inventory.workspace.private_endpoint_connections),
        "models": a.models,
        "environments": a.environments,
        "dataAssets": a.data_assets,
    }


def moved_id(resource_id: str, destination_group_id: str) -> str:
    """The id a resource will have once moved to the destination group."""
    rid = inv.ResourceId.parse(resource_id)
    dest = inv.ResourceId.parse(destination_group_id)
    tail = "".join(f"/{t}/{n}" for t, n in rid.type_name_pairs)
    return (
        f"/subscriptions/{dest.subscription_id}/resourceGroups/{dest.resource_group}/providers/"
        f"{rid.provider_namespace}{tail}"
    )


def role_assignment_snapshot(inventory: inv.Inventory, moved: list[str]) -> list[dict[str, Any]]:
    """Every role assignment at or below a resource that moves (child scopes included): taken by plan, covered by
    the digest, restored by apply at the mapped scopes whatever runner it runs on."""
    from .restore import mapped_scope, snapshot_entry

    dest = inventory.destination_group.id
    renames = {inv.normalise_id(r).lower(): moved_id(r, dest) for r in moved}
    # Read at (and below) every scope that moves; a plan without that read (a hand-built inventory) has the
    # workspace's. The same assignment read at two scopes is kept once.
    assignments = [a for _, found in inventory.moved_scope_role_assignments for a in found] or list(
        inventory.role_assignments
    )
    out, seen = [], set()
    for a in assignments:
        key = (a.id or f"{a.scope}|{a.principal_id}|{a.role_definition_id}|{a.condition}").lower()
        if key in seen:
            continue
        seen.add(key)
        new_scope = mapped_scope(a.scope, renames)
        if new_scope is not None:
            out.append(snapshot_entry(a, new_scope))
    return out


def post_move(inventory: inv.Inventory, moved: list[str], options: PlanOptions) -> dict[str, Any]:
    """What apply will repair after the move, as far as the plan can know it now; `restore` holds the exact counts
    of what apply does (with the opt-ins on)."""
    from .restore import LIST_SECRETS_ACTION, approve_again, needs_repair, repair_kind

    dest = inventory.destination_group.id
    dest_id = inv.ResourceId.parse(dest)
    moved_accounts = [
        inv.ResourceId.parse(r).name
        for r in moved
        if inv.ResourceId.parse(r).type.lower() == "microsoft.storage/storageaccounts"
    ]
    permissions = inventory.permissions_at(inventory.source_group_id)
    may_list = (
        permissions is None or not permissions.known or inv.allows(permissions.permission_sets, LIST_SECRETS_ACTION)
    )
    stale = [
        d
        for d in inventory.datastores
        if needs_repair(d.subscription_id, d.resource_group, d.account_name, moved_accounts, dest_id)
    ]
    datastores = [
        {
            "name": d.name,
            "datastoreType": d.datastore_type,
            "credentialsType": d.credentials_type,
            "subscriptionId": d.subscription_id,
            "resourceGroup": d.resource_group,
            "repair": repair_kind(d.credentials_type, may_list),
        }
        for d in stale
    ]
    moved_keys = {r.lower() for r in moved}
    owners = [inventory.workspace.private_endpoint_connections] + [
        a.private_endpoint_connections for a in inventory.associated_resources if a.id.lower() in moved_keys
    ]
    connections = [
        {
            "resourceId": c.resource_id or inventory.workspace.id,
            "newResourceId": moved_id(c.resource_id or inventory.workspace.id, dest),
            "name": c.name,
            "privateEndpointId": c.private_endpoint_id,
            "statusNow": c.status,
            "approveAfterMove": approve_again(c.status, "Pending"),
        }
        for found in owners
        for c in found
    ]
    snapshot = role_assignment_snapshot(inventory, moved)
    return {
        "roleAssignments": [
            {
                "scope": a["scope"],
                "newScope": a["newScope"],
                "roleDefinitionId": a["roleDefinitionId"],
                "roleName": a["roleName"],
                "principalId": a["principalId"],
                "principalType": a["principalType"],
            }
            for a in snapshot
        ],
        "datastores": datastores,
        "privateEndpointConnections": connections,
        "computesToRemove": [c.id for c in inventory.computes] if options.remove_computes else [],
        "endpointsToRemove": [
            e.id for e in (*inventory.online_endpoints, *inventory.batch_endpoints, *inventory.serverless_endpoints)
        ]
        if options.remove_endpoints
        else [],
        "restore": {
            "roleAssignments": len(snapshot),
            "datastoresRepaired": sum(d["repair"] != "manual" for d in datastores),
            "datastoresForPeople": sum(d["repair"] == "manual" for d in datastores),
            "privateEndpointConnectionsToApprove": sum(c["approveAfterMove"] for c in connections),
            "privateEndpointConnectionsLeftAsTheyAre": sum(not c["approveAfterMove"] for c in connections),
        },
    }


def write_lock(inventory: inv.Inventory, moved: list[str]) -> dict[str, Any]:
    """Both groups ARM locks for the move's duration, and the resources in them that do not move."""
    moving = {r.lower() for r in moved}
    others = [r.id for r in inventory.source_group_resources if r.id and r.id.lower() not in moving]
    others += [r.id for r in inventory.destination_group_resources if r.id]
    return {"groups": [inventory.source_group_id, inventory.destination_group.id], "otherResources": others}


def write_plan(plan: dict[str, Any], output_dir: Path) -> Path:
    return write_json_atomically(output_dir / "plan.json", plan)
