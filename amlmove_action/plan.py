"""The plan: the unit of review. Built from the inventory, the associated-resource selection and the findings;
written as plan.json (versioned by schemas/plan.schema.json) with a SHA-256 digest over its canonical content, so
apply can refuse a plan that was edited, is stale, or no longer matches Azure (Terraform's saved-plan discipline)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources as package_files
from pathlib import Path
from typing import Any

from . import __version__, ids
from . import inventory as inv
from .ids import mapped_scope, moved_id
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
    recreate_endpoints: bool = False
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


# The eight opt-ins: (Settings / PlanOptions field, plan.json options key, input name). All of them are recorded in the
# plan (and so covered by its digest); apply acts on the plan's values and refuses inputs that disagree.
OPT_INS = (
    ("remove_computes", "removeComputes", "remove-computes"),
    ("remove_endpoints", "removeEndpoints", "remove-endpoints"),
    ("restore_role_assignments", "restoreRoleAssignments", "restore-role-assignments"),
    ("repair_datastores", "repairDatastores", "repair-datastores"),
    ("approve_private_endpoints", "approvePrivateEndpoints", "approve-private-endpoints"),
    ("recreate_computes", "recreateComputes", "recreate-computes"),
    ("recreate_endpoints", "recreateEndpoints", "recreate-endpoints"),
    ("register_providers", "registerProviders", "register-providers"),
)


class PlanStatus(StrEnum):
    READY = "ready"
    BLOCKED = "blocked"  # a blocker finding: apply refuses the plan


@dataclass(frozen=True)
class PlanSource:
    """The workspace to move, where it is now."""

    workspace_id: str
    workspace_name: str
    kind: str
    location: str
    resource_group_id: str
    subscription_id: str
    tenant_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "workspaceId": self.workspace_id,
            "workspaceName": self.workspace_name,
            "kind": self.kind,
            "location": self.location,
            "resourceGroupId": self.resource_group_id,
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanSource:
        return cls(
            data["workspaceId"],
            data["workspaceName"],
            data["kind"],
            data["location"],
            data["resourceGroupId"],
            data["subscriptionId"],
            data["tenantId"],
        )


@dataclass(frozen=True)
class PlanDestination:
    """The destination group, as the plan found it, and the workspace's ID there."""

    resource_group_id: str
    subscription_id: str
    tenant_id: str
    exists: bool
    location: str | None
    workspace_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "resourceGroupId": self.resource_group_id,
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "exists": self.exists,
            "location": self.location,
            "workspaceId": self.workspace_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanDestination:
        return cls(
            data["resourceGroupId"],
            data["subscriptionId"],
            data["tenantId"],
            data["exists"],
            data["location"],
            data["workspaceId"],
        )


@dataclass(frozen=True)
class Plan:
    """plan.json, typed: what the reviewer approves. `to_json()` is the document (schemas/plan.schema.json) and the
    digest is over it; `from_json(plan.to_json())` gives the same plan back. Findings, the validation verdict, the
    snapshot, the post-move repairs, the write lock and the exports keep their JSON shape."""

    created_at: str
    status: PlanStatus
    source: PlanSource
    destination: PlanDestination
    options: PlanOptions
    resources: tuple[str, ...]  # the move set
    associated_resources: tuple[dict[str, Any], ...]
    inventory: dict[str, Any]
    findings: tuple[dict[str, Any], ...]
    validation: dict[str, Any]
    role_assignment_snapshot: tuple[dict[str, Any], ...]
    post_move: dict[str, Any]
    write_lock: dict[str, Any]
    exports: tuple[dict[str, Any], ...]
    digest: str = ""
    schema_version: str = SCHEMA_VERSION
    tool: dict[str, Any] = field(default_factory=lambda: {"name": "amlmove", "version": __version__})

    def to_json(self) -> dict[str, Any]:
        data = {
            "schemaVersion": self.schema_version,
            "tool": dict(self.tool),
            "createdAt": self.created_at,
            "status": str(self.status),
            "source": self.source.to_json(),
            "destination": self.destination.to_json(),
            "options": self.options.to_json(),
            "resources": list(self.resources),
            "associatedResources": list(self.associated_resources),
            "inventory": self.inventory,
            "findings": list(self.findings),
            "validation": self.validation,
            "roleAssignmentSnapshot": list(self.role_assignment_snapshot),
            "postMove": self.post_move,
            "writeLock": self.write_lock,
            "exports": list(self.exports),
        }
        return {**data, "digest": self.digest}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """A plan.json that planfile.load_plan has checked against the schema."""
        return cls(
            created_at=data["createdAt"],
            status=PlanStatus(data["status"]),
            source=PlanSource.from_json(data["source"]),
            destination=PlanDestination.from_json(data["destination"]),
            options=PlanOptions.from_json(data["options"]),
            resources=tuple(data["resources"]),
            associated_resources=tuple(data["associatedResources"]),
            inventory=data["inventory"],
            findings=tuple(data["findings"]),
            validation=data["validation"],
            role_assignment_snapshot=tuple(data["roleAssignmentSnapshot"]),
            post_move=data["postMove"],
            write_lock=data["writeLock"],
            exports=tuple(data["exports"]),
            digest=data["digest"],
            schema_version=data["schemaVersion"],
            tool=data["tool"],
        )

    def content_digest(self) -> str:
        """SHA-256 over the document without its digest (see digest_of)."""
        return digest_of(self.to_json())

    def sealed(self) -> Plan:
        """The plan with its digest set over its content."""
        return replace(self, digest=self.content_digest())

    def blockers(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == "blocker"]


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(plan: dict[str, Any]) -> str:
    """SHA-256 over everything in the plan except the digest itself (createdAt included, so age can't be edited)."""
    return hashlib.sha256(canonical_json({k: v for k, v in plan.items() if k != "digest"})).hexdigest()


def schema() -> dict[str, Any]:
    text = package_files.files("amlmove_action.schemas").joinpath("plan.schema.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def build_plan(
    inventory: inv.Inventory,
    selection: Any,
    findings: list[Any],
    options: PlanOptions,
    now: datetime | None = None,
    exports: list[dict[str, str]] | None = None,
) -> Plan:
    """The plan, digest included."""
    ws = inventory.workspace
    moved = list(selection.moved_ids)
    blockers = [f for f in findings if f.severity == "blocker"]
    plan = Plan(
        created_at=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        status=PlanStatus.BLOCKED if blockers else PlanStatus.READY,
        source=PlanSource(
            workspace_id=ws.id,
            workspace_name=ws.name,
            kind=str(ws.kind),
            location=ws.location,
            resource_group_id=inventory.source_group_id,
            subscription_id=inventory.source_subscription.subscription_id,
            tenant_id=inventory.source_subscription.tenant_id,
        ),
        destination=PlanDestination(
            resource_group_id=inventory.destination_group.id,
            subscription_id=inventory.destination_subscription.subscription_id,
            tenant_id=inventory.destination_subscription.tenant_id,
            exists=inventory.destination_group.exists,
            location=inventory.destination_group.location,
            workspace_id=moved_id(ws.id, inventory.destination_group.id),
        ),
        options=options,
        resources=tuple(moved),
        associated_resources=tuple(
            {
                "id": d.resource_id,
                "role": str(d.role) if d.role else "other",
                "decision": str(d.outcome),
                "reason": d.reason,
            }
            for d in selection.decisions
        ),
        inventory=counts(inventory),
        findings=tuple(finding_json(f) for f in findings),
        validation=validation_json(inventory.validation),
        role_assignment_snapshot=tuple(role_assignment_snapshot(inventory, moved)),
        post_move=post_move(inventory, moved, options),
        write_lock=write_lock(inventory, moved),
        exports=tuple(exports or ()),
    )
    return plan.sealed()


def with_exports(plan: Plan, exports: list[dict[str, str]]) -> Plan:
    """The plan with its `exports` list (taken after the plan was built) and the digest recomputed over it."""
    return replace(plan, exports=tuple(exports)).sealed()


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
            ids.is_within(a.scope, inventory.workspace.id) for a in inventory.role_assignments
        ),
        "privateEndpointConnections": len(inventory.workspace.private_endpoint_connections),
        "models": a.models,
        "environments": a.environments,
        "dataAssets": a.data_assets,
    }


def role_assignment_snapshot(inventory: inv.Inventory, moved: list[str]) -> list[dict[str, Any]]:
    """Every role assignment at or below a resource that moves (child scopes included): taken by plan, covered by
    the digest, restored by apply at the mapped scopes whatever runner it runs on."""
    from .restore import snapshot_entry

    dest = inventory.destination_group.id
    renames = {ids.normalise_id(r).lower(): moved_id(r, dest) for r in moved}
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
    dest_id = ids.ResourceId.parse(dest)
    moved_accounts = [
        ids.ResourceId.parse(r).name
        for r in moved
        if ids.ResourceId.parse(r).type.lower() == "microsoft.storage/storageaccounts"
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
        "endpointsToRemove": [e.id for e in inventory.online_endpoints]
        + [e.id for e in inventory.batch_endpoints]
        + [e.id for e in inventory.serverless_endpoints]
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


def write_plan(plan: Plan, output_dir: Path) -> Path:
    return write_json_atomically(output_dir / "plan.json", plan.to_json())
