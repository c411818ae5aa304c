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

SCHEMA_VERSION = "2.0"
ML_WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"


@dataclass(frozen=True)
class PlanOptions:
    """What the plan promises apply will do besides the move (recorded, and part of the digest)."""

    create_destination_resource_group: bool
    remove_computes: bool
    remove_endpoints: bool
    skip_checks: tuple[str, ...]
    include_associated_resources: str
    apply_principal_id: str | None = None
    restore_role_assignments: bool = True
    repair_datastores: bool = True
    approve_private_endpoints: bool = False
    recreate_computes: bool = False
    register_providers: bool = False


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
        "options": {
            "createDestinationResourceGroup": options.create_destination_resource_group,
            "removeComputes": options.remove_computes,
            "removeEndpoints": options.remove_endpoints,
            "skipChecks": sorted(options.skip_checks),
            "includeAssociatedResources": options.include_associated_resources,
            "applyPrincipalId": options.apply_principal_id,
            **{key: getattr(options, field) for field, key, _ in OPT_INS},
        },
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
        "roleAssignmentsAtWorkspace": len(inventory.role_assignments),
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


def post_move(inventory: inv.Inventory, moved: list[str], options: PlanOptions) -> dict[str, Any]:
    """What apply will repair after the move: the same role assignments apply snapshots (those made at every scope
    that moves) and the same datastores apply repairs (those on a moved storage account that still name the source
    subscription), so the plan's counts are apply's."""
    dest = inventory.destination_group.id
    source = inv.ResourceId.parse(inventory.workspace.id)
    moved_accounts = {
        inv.ResourceId.parse(r).name.lower()
        for r in moved
        if inv.ResourceId.parse(r).type.lower() == "microsoft.storage/storageaccounts"
    }
    stale = [
        d
        for d in inventory.datastores
        if (d.account_name or "").lower() in moved_accounts
        and (d.subscription_id or "").lower() == source.subscription_id.lower()
    ]
    assignments = [a for _, found in inventory.moved_scope_role_assignments for a in found] or list(
        inventory.role_assignments
    )
    return {
        "roleAssignments": [
            {
                "scope": a.scope,
                "newScope": moved_id(a.scope, dest),
                "roleDefinitionId": a.role_definition_id,
                "roleName": a.role_name,
                "principalId": a.principal_id,
                "principalType": a.principal_type,
            }
            for a in assignments
        ],
        "datastores": [
            {
                "name": d.name,
                "datastoreType": d.datastore_type,
                "credentialsType": d.credentials_type,
                "repair": "update-in-place" if d.identity_based else "recreate-with-secret",
            }
            for d in stale
        ],
        "privateEndpointConnections": [
            {"name": c.name, "privateEndpointId": c.private_endpoint_id, "statusNow": c.status}
            for c in inventory.workspace.private_endpoint_connections
        ],
        "computesToRemove": [c.id for c in inventory.computes] if options.remove_computes else [],
        "endpointsToRemove": [
            e.id for e in (*inventory.online_endpoints, *inventory.batch_endpoints, *inventory.serverless_endpoints)
        ]
        if options.remove_endpoints
        else [],
    }


def write_lock(inventory: inv.Inventory, moved: list[str]) -> dict[str, Any]:
    """Both groups ARM locks for the move's duration, and the resources in them that do not move."""
    moving = {r.lower() for r in moved}
    others = [r.id for r in inventory.source_group_resources if r.id and r.id.lower() not in moving]
    others += [r.id for r in inventory.destination_group_resources if r.id]
    return {"groups": [inventory.source_group_id, inventory.destination_group.id], "otherResources": others}


def write_plan(plan: dict[str, Any], output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "plan.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(plan, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
