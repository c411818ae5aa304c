"""validateMoveResources and moveResources: ARM's front-door rules (answered on the POST), the Azure ML resource
provider's blockers (answered when the operation finishes, as 409 on the Location poll), and the effects of a completed
move (ids rewritten, role assignments orphaned, private endpoint connections Pending, datastores left stale).

Error codes that Microsoft documents are used verbatim (ResourceMoveProviderValidationFailed, LinkedAuthorizationFailed,
MissingRegistrationsForTypes, ResourceMoveTimedOut, AuthorizationFailed, ScopeLocked, ResourceNotFound). Where no
public source names the code for a front-door rule, the emulator's choice is listed in FRONT_DOOR_CODES and in the
README; clients must rely on the HTTP status and the message, as real ARM's codes there are not documented.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import authz, catalog, ids
from .state import LroShape, MoveOperation, Store

MAX_RESOURCES = 800
TERMINAL_JOB_STATUSES = {"completed", "failed", "canceled", "notresponding", "paused"}
TIMEOUT_MESSAGE = (
    "Moving resources did not finish within allowed time '04:00:00'. Provisioning state of the resource groups will "
    "be rolled back."
)
# Front-door rules whose real ARM code is not documented publicly: the emulator's choice (status per ARM RPC).
FRONT_DOOR_CODES = {
    "same-group": (400, "InvalidTargetResourceGroup"),
    "target-missing": (400, "ResourceGroupNotFound"),
    "target-subscription": (400, "InvalidTargetSubscription"),
    "not-in-source": (400, "ResourceNotInSourceResourceGroup"),
    "child": (400, "CannotMoveChildResource"),
    "too-many": (400, "MoveResourcesLimitExceeded"),
    "group-moving": (409, "ResourceGroupMoveInProgress"),
    "exists-in-target": (409, "ResourceExistsInTargetResourceGroup"),
}


@dataclass
class MoveRejected(Exception):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]] | None = None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def _reject(rule: str, message: str, details=None) -> MoveRejected:
    status, code = FRONT_DOOR_CODES[rule]
    return MoveRejected(status, code, message, details)


def locked_groups(store: Store) -> set[str]:
    """Group keys locked by a running move (validation does not lock)."""
    out = set()
    for op in store.operations.values():
        if op.kind == "move" and op.result_status is None:
            out.add(ids.key(op.source_group))
            out.add(ids.key(op.target_group))
    return out


def start(store: Store, kind: str, sub: str, group: str, body: Any, principal_oid: str) -> MoveOperation:
    """Apply the front-door rules; on success register the operation (the caller answers 202 + Location)."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("resources"), list)
        or not body["resources"]
        or not all(isinstance(r, str) for r in body["resources"])
        or not isinstance(body.get("targetResourceGroup"), str)
    ):
        raise MoveRejected(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be "
            "deserialized: 'resources' must be a non-empty array of resource ids and "
            "'targetResourceGroup' a resource group id.",
        )
    source_group_id = f"/subscriptions/{sub}/resourceGroups/{group}"
    source = store.get(source_group_id)
    if source is None:
        raise MoveRejected(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
    source_group_id = source.id
    target = ids.parse(body["targetResourceGroup"])
    if target is None or target.resource_group is None or target.namespace is not None:
        raise _reject(
            "target-missing",
            f"The target resource group id '{body['targetResourceGroup']}' is invalid. "
            "Expected '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}'.",
        )
    if ids.key(target.group_id) == ids.key(source_group_id):
        raise _reject(
            "same-group",
            "The source and target resource groups are the same. Choose a different target resource group.",
        )
    source_sub = store.subscription(sub)
    target_sub = store.subscription(target.subscription)
    if target_sub is None or target_sub.state != "Enabled":
        state = "not found" if target_sub is None else f"in state '{target_sub.state}'"
        raise _reject(
            "target-subscription",
            f"The target subscription '{target.subscription}' is {state}; resources "
            "can only be moved to an Enabled subscription.",
        )
    if source_sub is not None and source_sub.tenant_id.lower() != target_sub.tenant_id.lower():
        raise MoveRejected(
            403,
            "LinkedAuthorizationFailed",
            f"The client has permission to perform action "
            f"'Microsoft.Resources/subscriptions/resourceGroups/moveResources/action' on scope "
            f"'{source_group_id}', however the current tenant '{source_sub.tenant_id}' is not "
            f"authorized to access linked subscription '{target.subscription}'.",
        )
    target_group = store.get(target.group_id)
    if target_group is None:
        raise _reject(
            "target-missing",
            f"Resource group '{target.resource_group}' could not be found in subscription '{target.subscription}'.",
        )
    target_group_id = target_group.id
    action = f"Microsoft.Resources/subscriptions/resourceGroups/{kind}Resources/action"
    if kind == "validate":
        action = "Microsoft.Resources/subscriptions/resourceGroups/validateMoveResources/action"
    for scope, needed in (
        (source_group_id, action),
        (target_group_id, "Microsoft.Resources/subscriptions/resourceGroups/write"),
    ):
        if not authz.is_allowed(store, principal_oid, scope, needed):
            raise MoveRejected(
                403,
                "AuthorizationFailed",
                f"The client '{principal_oid}' with object id "
                f"'{principal_oid}' does not have authorization to perform action '{needed}' over "
                f"scope '{scope}' or the scope is invalid. If access was recently granted, please "
                "refresh your credentials.",
            )
    if len(body["resources"]) > MAX_RESOURCES:
        raise _reject(
            "too-many",
            f"The move request contains {len(body['resources'])} resources; at most "
            f"{MAX_RESOURCES} resources can be moved in one operation.",
        )
    busy = locked_groups(store)
    for gid in (source_group_id, target_group_id):
        if ids.key(gid) in busy:
            raise _reject(
                "group-moving",
                f"The resource group '{gid}' is locked by a move operation in progress. "
                "Retry after the operation completes.",
            )
    resources: list[str] = []
    missing = []
    for rid in dict.fromkeys(body["resources"]):
        parsed = ids.parse(rid)
        if parsed is None or parsed.namespace is None:
            raise MoveRejected(400, "InvalidResourceId", f"The resource id '{rid}' is not a valid resource id.")
        if ids.key(parsed.group_id) != ids.key(source_group_id):
            raise _reject(
                "not-in-source",
                f"The resource '{rid}' is not in the source resource group "
                f"'{source_group_id}'. All resources must be in the resource group named in the URL.",
            )
        if not parsed.is_top_level:
            raise _reject(
                "child",
                f"Only top level resources can be moved; '{rid}' is a child resource. Its parent "
                "moves with its children.",
            )
        stored = store.get(rid)
        if stored is None:
            missing.append(f"{parsed.type}/{parsed.name}")
            continue
        resources.append(stored.id)
    if missing:
        raise MoveRejected(
            404, "ResourceNotFound", f"Resources with identifiers '{', '.join(missing)}' were not found."
        )
    unregistered = sorted(
        {
            f"{ids.parse(r).type.lower()} ({(store.get(r).body.get('location') or 'global').lower()})"
            for r in resources
            if target_sub.registered.get(ids.parse(r).namespace.lower()) != "Registered"
        }
    )
    if unregistered:
        raise MoveRejected(
            400,
            "MissingRegistrationsForTypes",
            f"The subscription '{target.subscription}' is not "
            f"registered for resource types '{', '.join(unregistered)}'.",
        )
    for scope in (
        f"/subscriptions/{sub}",
        source_group_id,
        f"/subscriptions/{target.subscription}",
        target_group_id,
        *resources,
    ):
        lock = _read_only_lock(store, scope)
        if lock:
            raise MoveRejected(
                409,
                "ScopeLocked",
                f"The scope '{scope}' cannot perform write operation because "
                f"following scope(s) are locked: '{lock}'. Please remove the lock and try again.",
            )
    for rid in resources:
        new_id = _moved_id(rid, target.subscription, target_group_id)
        if store.get(new_id) is not None:
            raise _reject(
                "exists-in-target", f"The target resource group already contains a resource with id '{new_id}'."
            )
    shape = _take_shape(store, kind)
    op = MoveOperation(
        op_id=str(uuid.uuid4()),
        kind=kind,
        subscription=sub,
        source_group=source_group_id,
        target_group=target_group_id,
        resources=resources,
        principal=principal_oid,
        started_at=store.now(),
        duration=shape.duration_seconds,
        outcome=shape.outcome,
        partial=list(shape.partial),
        correlation_id=str(uuid.uuid4()),
    )
    store.operations[op.op_id] = op
    return op


def _take_shape(store: Store, kind: str) -> LroShape:
    for shape in store.lro_shapes:
        if shape.operation == kind:
            if shape.count is not None:
                shape.count -= 1
                if shape.count <= 0:
                    store.lro_shapes.remove(shape)
            return shape
    return LroShape(operation=kind)


def _read_only_lock(store: Store, scope: str) -> str | None:
    for stored in store.authz_resources():
        low = stored.id.lower()
        if "/providers/microsoft.authorization/locks/" not in low:
            continue
        lock_scope = stored.id[: low.index("/providers/microsoft.authorization/locks/")]
        if ids.key(lock_scope) == ids.key(scope) and stored.body.get("properties", {}).get("level") == "ReadOnly":
            return stored.id
    return None


def _moved_id(resource_id: str, target_sub: str, target_group_id: str) -> str:
    parsed = ids.parse(resource_id)
    target_group = ids.parse(target_group_id)
    return ids.build(target_sub, target_group.resource_group, parsed.namespace, parsed.chain)


def advance(store: Store) -> None:
    """Finish every operation whose time has come (called at the start of each request)."""
    now = store.now()
    for op in store.operations.values():
        if op.result_status is None and now >= op.started_at + op.duration:
            _finish(store, op)


def _finish(store: Store, op: MoveOperation) -> None:
    blockers = provider_blockers(store, op.resources)
    if op.kind == "validate":
        if blockers:
            op.result_status, op.result_body = 409, _provider_error(op, blockers)
        else:
            op.result_status, op.result_body = 204, None
        return
    if blockers:  # a move runs the same validation first, and moves nothing when it fails
        op.result_status, op.result_body = 409, _provider_error(op, blockers)
        return
    if op.outcome == "succeeded":
        _apply(store, op, op.resources)
        op.result_status, op.result_body = 204, None
        return
    partial = {ids.key(p) for p in op.partial}
    _apply(store, op, [r for r in op.resources if ids.key(r) in partial])
    stayed = [r for r in op.resources if ids.key(r) not in partial]
    if op.outcome == "timeout":
        op.result_status = 409
        op.result_body = {"error": {"code": "ResourceMoveTimedOut", "message": TIMEOUT_MESSAGE}}
    else:
        op.result_status = 409
        op.result_body = {
            "error": {
                "code": "ResourceMoveFailed",
                "message": "The resource move operation failed at a resource provider. Resources that moved are in the "
                "target resource group; the others remain in the source resource group. "
                f"Correlation id '{op.correlation_id}'.",
                "details": [
                    {
                        "code": "ResourceMoveProviderFailed",
                        "target": r,
                        "message": f"The resource provider failed to move '{r}'.",
                    }
                    for r in stayed
                ],
            }
        }


def _apply(store: Store, op: MoveOperation, resources: list[str]) -> None:
    target = ids.parse(op.target_group)
    renames: dict[str, str] = {}
    for rid in resources:
        new_id = _moved_id(rid, target.subscription, op.target_group)
        for old, new in store.rekey(rid, new_id):
            renames[ids.key(old)] = new
    renamed = {ids.key(v) for v in renames.values()}  # built once, not once per stored resource
    for stored in store.resources.values():
        if ids.key(stored.id) not in renamed:
            continue
        rtype = (ids.parse(stored.id).type if ids.parse(stored.id) else "").lower()
        props = stored.body.get("properties")
        if not isinstance(props, dict):
            continue
        if rtype == "microsoft.machinelearningservices/workspaces":
            # The workspace now points at its moved associated resources (their ids changed with the move).
            for field in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
                value = props.get(field)
                if isinstance(value, str) and ids.key(value) in renames:
                    props[field] = renames[ids.key(value)]
        elif rtype == "microsoft.machinelearningservices/workspaces/privateendpointconnections":
            # "The move process disconnects the private endpoints … you're responsible for approving the new private
            # endpoints" (how-to-move-workspace.md): an Approved one needs approval again; others keep their state.
            state = props.setdefault("privateLinkServiceConnectionState", {})
            if state.get("status") == "Approved":
                state["status"] = "Pending"
                state["description"] = "The workspace was moved; approve the private endpoint connection again."
        elif rtype.endswith("/privateendpointconnections"):  # the moved storage account, key vault, registry
            state = props.setdefault("privateLinkServiceConnectionState", {})
            if state.get("status") == "Approved":
                state["status"] = "Disconnected"
                state["description"] = "The resource was moved; the private endpoint was disconnected."
        # Datastores keep their old subscriptionId/resourceGroup fields: the breakage the AML docs describe.


ML = "Microsoft.MachineLearningServices"


def _provider_error(op: MoveOperation, blockers: list[dict[str, Any]]) -> dict[str, Any]:
    """ARM's batch verdict: top-level ResourceMoveValidationFailed ("The resource batch move request has 'N'
    validation errors"), one details[] entry per refused resource (see provider_blockers)."""
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "error": {
            "code": "ResourceMoveValidationFailed",
            "message": f"The resource batch move request has '{len(blockers)}' validation errors. Diagnostic "
            f"information: timestamp '{ts}', subscription id '{op.subscription}', tracking id '{uuid.uuid4()}', "
            f"request correlation id '{op.correlation_id}'.",
            "details": blockers,
        }
    }


def provider_blockers(store: Store, resources: list[str]) -> list[dict[str, Any]]:
    """What the resource providers refuse, one `details[]` entry per refused resource, in real ARM's shapes: an
    unmovable type is ResourceMoveNotSupported with the resource id as target; a provider's refusal is
    ResourceMoveProviderValidationFailed with the resource id as target and its reasons nested in details[], each
    naming a resource TYPE as target (as providers do, e.g. Microsoft.Network/networkInterfaces) and the object in
    its message."""
    details: list[dict[str, Any]] = []
    for rid in resources:
        parsed = ids.parse(rid)
        ptype = catalog.provider_type(parsed.type)
        if ptype is not None and not ptype.movable:
            details.append(
                {
                    "code": "ResourceMoveNotSupported",
                    "target": rid,
                    "message": f"Resource move is not supported for resource types '{parsed.type}'.",
                }
            )
        if parsed.type.lower() == "microsoft.machinelearningservices/workspaces":
            reasons = _workspace_blockers(store, store.get(rid))
            if reasons:
                details.append(
                    {
                        "code": "ResourceMoveProviderValidationFailed",
                        "target": rid,
                        "message": "Resource move validation failed. Please see details. Diagnostic information: "
                        f"timestamp '{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}', tracking id "
                        f"'{uuid.uuid4()}'.",
                        "details": reasons,
                    }
                )
    return details


def _workspace_blockers(store: Store, ws) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    props = ws.body.get("properties", {})

    def child(kind: str):
        return [c for c in store.children_of(ws.id) if c.id.lower().split("/")[-2] == kind.lower()]

    def add(code: str, target: str, message: str) -> None:
        out.append({"code": code, "target": target, "message": message})

    def type_of(c) -> str:  # what a provider names as target: the child's resource type, not its id
        return f"{ML}/{ids.parse(c.id).type.split('/', 1)[1]}"

    for c in child("computes"):
        state = c.body.get("properties", {}).get("provisioningState", "Unknown")
        add(
            "WorkspaceMoveComputeExists",
            type_of(c),
            f"Workspace has compute '{c.id.rsplit('/', 1)[-1]}' (provisioning "
            f"state '{state}'). Delete or detach all computes before moving the workspace.",
        )
    for kind, label in (
        ("onlineEndpoints", "online endpoint"),
        ("batchEndpoints", "batch endpoint"),
        ("serverlessEndpoints", "serverless endpoint"),
    ):
        for c in child(kind):
            add(
                "WorkspaceMoveEndpointExists",
                type_of(c),
                f"Workspace has {label} '{c.id.rsplit('/', 1)[-1]}'. Delete "
                "inference endpoints before moving the workspace.",
            )
    encryption = props.get("encryption") or {}
    if str(encryption.get("status", "")).lower() == "enabled":
        add(
            "WorkspaceMoveCustomerManagedKeyNotSupported",
            ws.id,
            "Moving a workspace encrypted with a customer-managed key is not supported.",
        )
    for c in child("labelingJobs"):
        if str(c.body.get("properties", {}).get("status", "")).lower() not in TERMINAL_JOB_STATUSES:
            add(
                "WorkspaceMoveLabelingJobRunning",
                type_of(c),
                f"Labeling project '{c.id.rsplit('/', 1)[-1]}' is running. "
                "Pause or complete labeling projects before moving the workspace.",
            )
    for c in child("jobs"):
        if str(c.body.get("properties", {}).get("status", "")).lower() not in TERMINAL_JOB_STATUSES:
            add(
                "WorkspaceMoveJobRunning",
                type_of(c),
                f"Job '{c.id.rsplit('/', 1)[-1]}' is in state "
                f"'{c.body.get('properties', {}).get('status')}'. Wait for or cancel running jobs before moving.",
            )
    for stored in store.resources.values():
        parsed = ids.parse(stored.id)
        if parsed is None or parsed.type.lower() != "microsoft.databricks/workspaces":
            continue
        linked = ((stored.body.get("properties", {}).get("parameters") or {}).get("amlWorkspaceId") or {}).get("value")
        if isinstance(linked, str) and ids.key(linked) == ids.key(ws.id):
            add(
                "WorkspaceMoveDatabricksLinked",
                ws.id,
                f"Workspace is linked to Azure Databricks workspace "
                f"'{stored.id}'. Unlink it before moving the workspace.",
            )
    return out
