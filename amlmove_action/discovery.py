"""Discovery: one `Inventory` of everything the checks and the plan need, read concurrently where the reads do not
depend on each other (bounded pool; azure-core's retry policy honours ARM's throttling). Reads only; never writes."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from . import ids
from . import inventory as inv
from .api_versions import (
    ASSOCIATED_API,
    AUTHZ_API,
    DATABRICKS_API,
    LABELING_API,
    LOCKS_API,
    ML_API,
    RESOURCES_API,
    STORAGE_API,
    SUBSCRIPTIONS_API,
)
from .azure import Clients
from .errors import AmlMoveError, AzureError

ML = "Microsoft.MachineLearningServices"
ASSET_KINDS = {"models": "models", "environments": "environments", "data": "data_assets"}
MAX_WORKERS = 16  # concurrent reads (ARM allows far more per identity; azure-core backs off on 429)
_T = TypeVar("_T")
_U = TypeVar("_U")


def _then(future: Future[_T], submit: Callable[[_T], _U]) -> Future[_U]:
    """A future for `submit(result)`, called as soon as `future` succeeds (in the thread that finished it)."""
    out: Future[_U] = Future()

    def done(f: Future[_T]) -> None:
        try:
            out.set_result(submit(f.result()))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on `out`
            out.set_exception(exc)

    future.add_done_callback(done)
    return out


def _done(value: _T) -> Future[_T]:
    future: Future[_T] = Future()
    future.set_result(value)
    return future


def _subscription_of(body: dict[str, Any], registered: list[str]) -> inv.Subscription:
    return inv.Subscription(
        body["subscriptionId"],  # readOnly, in every Subscription ARM returns
        body.get("tenantId") or "",
        str(body.get("state")),
        body.get("displayName") or "",
        frozenset(registered),
    )


class Discovery:
    """Reads for one (workspace, destination group) pair."""

    def __init__(self, clients: Clients, workspace_id: str, destination_group_id: str) -> None:
        self.clients = clients
        self.workspace_id = workspace_id
        self.ws = ids.ResourceId.parse(workspace_id)
        self.dest = ids.ResourceId.parse(destination_group_id)
        self.source_sub = self.ws.subscription_id
        self.dest_sub = self.dest.subscription_id
        if self.ws.group_id is None:  # inputs.py accepts only a workspace id, which names its group
            raise ValueError(f"not a resource in a resource group: {workspace_id}")
        self.source_group_id: str = self.ws.group_id
        self.destination_group_id = destination_group_id
        self._roles: dict[str, Future[dict[str, Any]]] = {}
        self._roles_lock = threading.Lock()

    # ---- the whole inventory ------------------------------------------------------------------------------------
    def run(
        self,
        principal_id: str | None = None,
        on_move_set_known: Callable[[inv.Inventory], None] | None = None,
        apply_principal_id: str | None = None,
        list_destination: bool = True,
    ) -> inv.Inventory:
        """Every read starts as soon as what it depends on has answered: most at once, the associated resources
        when the workspace is known, deployments when the endpoint list is, permissions at the destination when
        its group's existence is. Pages of a list are the only other chain. Each distinct read is made once.

        `on_move_set_known` is called (in this thread) with a partial inventory as soon as everything that decides
        what moves has been read (the workspace, its associated resources and who else uses them, the source
        group's resources, both subscriptions, the destination group), while the long lists are still paging: the
        caller can start ARM's validation then. Only the lists are missing from it; it is not called when one of
        those reads failed (the full run reports that error).

        With `apply_principal_id` (another identity than the signed-in one will apply), the permissions read are
        that identity's, from its role assignments and their role definitions (both readable with Reader)."""
        other = (
            apply_principal_id
            if apply_principal_id and apply_principal_id.lower() != (principal_id or "").lower()
            else None
        )

        def perms(scope: str) -> inv.ScopePermissions:
            return self.permissions_of(other, scope) if other else self.permissions(scope)

        # The objects loaded so far (modules, mostly) never become garbage: keep the collector from walking them
        # again and again while thousands of list items are parsed (a full collection stalled a page by ~30 ms).
        gc.freeze()
        with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="discovery") as pool:
            go = pool.submit
            # The longest chains first: lists whose page count grows with the workspace.
            jobs = go(self.jobs)
            datastores = go(self.datastores)
            workspace = go(self.workspace)
            group_resources = go(self.group_resources)
            destination_group = go(self.destination_group)
            online_endpoints = go(self.online_endpoints)
            subs = dict.fromkeys([self.source_sub, self.dest_sub])
            sub_bodies = {s: go(self._subscription_body, s) for s in subs}
            registered = {s: go(self._registered_providers, s) for s in subs}
            locks = {s: go(self._locks_in, s) for s in subs}
            computes = go(self.computes)
            batch = go(self.batch_endpoints)
            serverless = go(self.serverless_endpoints)
            labeling = go(self.labeling_jobs)
            schedules = go(self.schedules)
            databricks = {s: go(self._databricks_in, s) for s in subs}
            roles = go(self.role_assignments, self.workspace_id)
            shared = go(self.workspaces_in_subscription)
            assets = {kind: go(self._count, kind) for kind in ASSET_KINDS}
            source_perms = go(perms, self.source_group_id)
            # Dependent reads, chained on what they need (callbacks submit them; nothing blocks a worker).
            associated = _then(
                workspace, lambda ws: {rid: go(self.associated, role, rid) for role, rid in ws.associated_ids}
            )
            deployments = _then(
                online_endpoints, lambda eps: {ep.id: go(self.online_deployments, ep.name) for ep in eps}
            )
            dest_perms = _then(
                destination_group,
                lambda d: go(perms, d.id if d.exists else f"/subscriptions/{self.dest_sub}"),
            )
            dest_resources = _then(
                destination_group,
                lambda d: go(self.resources_in_destination, d) if list_destination else _done(()),
            )
            if on_move_set_known is not None:
                early: tuple[Future[Any], ...] = (
                    workspace,
                    destination_group,
                    group_resources,
                    shared,
                    associated,
                    *sub_bodies.values(),
                )
                if all(f.exception() is None for f in (*early, *registered.values())) and all(
                    f.exception() is None for f in associated.result().values()
                ):
                    on_move_set_known(
                        inv.Inventory(
                            workspace=workspace.result(),
                            source_subscription=self._subscription(self.source_sub, sub_bodies, registered),
                            destination_subscription=self._subscription(self.dest_sub, sub_bodies, registered),
                            destination_group=destination_group.result(),
                            validation=inv.ValidationResult(inv.ValidationStatus.SKIPPED, message="not run yet"),
                            signed_in_principal_id=principal_id,
                            source_group_resources=group_resources.result(),
                            associated_resources=self._associated(associated.result(), shared.result()),
                        )
                    )
            # The concurrent reads are collected in a fixed order, so the first error raised is always the same one.
            ws: inv.Workspace = _result(workspace)
            source_subscription = self._subscription(self.source_sub, sub_bodies, registered)
            destination_subscription = self._subscription(self.dest_sub, sub_bodies, registered)
            destination: inv.DestinationGroup = _result(destination_group)
            got = {
                "group_resources": _result(group_resources),
                "locks": tuple(lock for s in subs for lock in _result(locks[s])),
                "computes": _result(computes),
                "online_endpoints": _result(online_endpoints),
                "batch_endpoints": _result(batch),
                "serverless_endpoints": _result(serverless),
                "jobs": _result(jobs),
                "labeling_jobs": _result(labeling),
                "schedules": _result(schedules),
                "datastores": _result(datastores),
                "databricks": tuple(w for s in subs for w in _result(databricks[s])),
                "role_assignments": _result(roles),
                "workspaces_in_subscription": _result(shared),
                "asset_counts": inv.AssetCounts(
                    **{field: _result(assets[kind]) for kind, field in ASSET_KINDS.items()}
                ),
                "source_permissions": _result(source_perms),
            }
            dest_permissions = _result(_result(dest_perms))
            destination_group_resources = _result(_result(dest_resources))
            associated_resources = self._associated(_result(associated), got["workspaces_in_subscription"])
            by_endpoint = _result(deployments)
            endpoints = tuple(replace(ep, deployments=_result(by_endpoint[ep.id])) for ep in got["online_endpoints"])
            permissions = (got["source_permissions"], dest_permissions)
        return inv.Inventory(
            workspace=ws,
            source_subscription=source_subscription,
            destination_subscription=destination_subscription,
            destination_group=destination,
            validation=inv.ValidationResult(inv.ValidationStatus.SKIPPED, message="not run yet"),
            signed_in_principal_id=principal_id,
            apply_principal_id=other,
            source_group_resources=got["group_resources"],
            associated_resources=associated_resources,
            locks=got["locks"],
            permissions=permissions,
            destination_group_resources=destination_group_resources,
            computes=got["computes"],
            online_endpoints=endpoints,
            batch_endpoints=got["batch_endpoints"],
            serverless_endpoints=got["serverless_endpoints"],
            jobs=got["jobs"],
            labeling_jobs=got["labeling_jobs"],
            schedules=got["schedules"],
            datastores=got["datastores"],
            databricks_workspaces=got["databricks"],
            role_assignments=got["role_assignments"],
            asset_counts=got["asset_counts"],
        )

    @staticmethod
    def _associated(
        reads: dict[str, Future[inv.AssociatedResource]], workspaces: dict[str, tuple[str, ...]]
    ) -> tuple[inv.AssociatedResource, ...]:
        """The associated resources read, each with the other workspaces of the subscription that use it."""
        return tuple(
            replace(
                _result(f),
                used_by_workspace_ids=tuple(
                    w for w, refs in workspaces.items() if any(ids.same_id(r, rid) for r in refs)
                ),
            )
            for rid, f in reads.items()
        )

    # ---- subscriptions and groups -------------------------------------------------------------------------------
    def subscription(self, subscription_id: str) -> inv.Subscription:
        body = self._subscription_body(subscription_id)
        return _subscription_of(body, self._registered_providers(subscription_id))

    def _subscription(
        self, subscription_id: str, bodies: dict[str, Any], registered: dict[str, Any]
    ) -> inv.Subscription:
        body = _result(bodies[subscription_id])  # its error (with the fix) comes before the provider list's
        return _subscription_of(body, _result(registered[subscription_id]))

    def _subscription_body(self, subscription_id: str) -> dict[str, Any]:
        try:
            body = self.clients.get_json(
                f"/subscriptions/{subscription_id}",
                SUBSCRIPTIONS_API,
                missing_ok=False,
                operation=f"GET subscription {subscription_id}",
            )
        except AzureError as err:
            if err.status in (403, 404):
                raise AzureError(
                    f"Reading subscription {subscription_id}",
                    status=err.status,
                    code=err.code,
                    message=err.azure_message,
                    correlation_id=err.correlation_id,
                    fix="Check the subscription ID and give the signed-in identity Reader on it",
                ) from None
            raise
        return body or {}

    def _registered_providers(self, subscription_id: str) -> list[str]:
        return [
            p["namespace"]  # every provider ARM lists has one
            for p in self.clients.list_json(
                f"/subscriptions/{subscription_id}/providers",
                RESOURCES_API,
                missing_ok=False,
                operation=f"GET providers of {subscription_id}",
            )
            if (p.get("registrationState") or "").lower() == "registered"
        ]

    def _in_subscription(
        self, sub: str, suffix: str, api: str, what: str, missing_ok: bool = True
    ) -> list[dict[str, Any]]:
        """The items of `/subscriptions/{sub}{suffix}`. An identity with roles on resource groups only (least
        privilege: Owner of the source and destination groups) gets 403 for a subscription-wide list: then the same
        list in the groups of `sub` that the move touches, which is what the checks need most, instead of failing the
        whole plan (the permission check says what the identity lacks)."""
        try:
            return list(
                self.clients.list_json(
                    f"/subscriptions/{sub}{suffix}",
                    api,
                    missing_ok=missing_ok,
                    operation=f"{what} in subscription {sub}",
                )
            )
        except AzureError as err:
            if err.status != 403:
                raise
        groups = {(self.source_sub.lower(), self.ws.resource_group), (self.dest_sub.lower(), self.dest.resource_group)}
        items: list[dict[str, Any]] = []
        for group_sub, group in sorted(groups):
            if group_sub == sub.lower():
                items += self.clients.list_json(
                    f"/subscriptions/{sub}/resourceGroups/{group}{suffix}", api, operation=f"{what} in group {group}"
                )
        return items

    def destination_group(self) -> inv.DestinationGroup:
        group = self.clients.get_json(
            f"/subscriptions/{self.dest_sub}/resourcegroups/{self.dest.resource_group}",
            RESOURCES_API,
            operation="GET destination group",
        )
        if group is None:
            return inv.DestinationGroup(self.destination_group_id, exists=False)
        state = (group.get("properties") or {}).get("provisioningState")
        return inv.DestinationGroup(group["id"], True, group.get("location"), state, group.get("managedBy"))

    def group_resources(self) -> tuple[inv.GroupResource, ...]:
        items = self.clients.list_json(
            f"/subscriptions/{self.source_sub}/resourcegroups/{self.ws.resource_group}/resources"
            "?$expand=provisioningState",
            RESOURCES_API,
            missing_ok=False,
            operation="list resources of the source group",
        )
        return tuple(
            inv.GroupResource(r["id"], r["type"], r.get("location"), r.get("provisioningState")) for r in items
        )

    def locks(self) -> tuple[inv.Lock, ...]:
        return tuple(lock for sub in dict.fromkeys([self.source_sub, self.dest_sub]) for lock in self._locks_in(sub))

    def _locks_in(self, sub: str) -> tuple[inv.Lock, ...]:
        out = []
        locks = self._in_subscription(sub, "/providers/Microsoft.Authorization/locks", LOCKS_API, "list locks", False)
        for lock in locks:
            props = lock.get("properties") or {}
            level = str(props.get("level"))
            out.append(
                inv.Lock(
                    lock["id"],
                    inv.LockLevel(level) if level in inv.LockLevel._value2member_map_ else inv.LockLevel.NOT_SPECIFIED,
                    props.get("notes"),
                )
            )
        return tuple(out)

    def resources_in_destination(self, group: inv.DestinationGroup) -> tuple[inv.GroupResource, ...]:
        """The resources already in the destination group: ARM's move write-locks them too (up to 4 hours)."""
        if not group.exists:
            return ()
        try:
            items = self.clients.list_json(
                f"/subscriptions/{self.dest_sub}/resourcegroups/{self.dest.resource_group}/resources",
                RESOURCES_API,
                operation="list resources of the destination group",
            )
            return tuple(inv.GroupResource(r["id"], r["type"], r.get("location")) for r in items)
        except AzureError:
            return ()

    def permissions_of(self, principal_id: str, scope: str) -> inv.ScopePermissions:
        """Another identity's permissions at `scope`: its role assignments at the scope or above
        (`$filter=principalId eq`, which lists those at, above and below the scope) and the actions of their role
        definitions. Roles it holds through an Entra group are not in this list."""
        try:
            items = self.clients.list_json(
                f"{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '{principal_id}'",
                AUTHZ_API,
                missing_ok=False,
                operation=f"list the role assignments of {principal_id} at {scope}",
            )
            sets = []
            for a in items:
                p = a.get("properties") or {}
                if str(p.get("principalId", "")).lower() != principal_id.lower():
                    continue
                if not ids.is_within(scope, p.get("scope") or "/"):
                    continue
                role = self._role_definition(p.get("roleDefinitionId") or "")
                for perm in (role.get("properties") or {}).get("permissions") or []:
                    sets.append(
                        inv.PermissionSet(tuple(perm.get("actions") or ()), tuple(perm.get("notActions") or ()))
                    )
        except AzureError:
            return inv.ScopePermissions(scope, (), known=False)
        return inv.ScopePermissions(scope, tuple(sets))

    def _role_definition(self, role_definition_id: str) -> dict[str, Any]:
        """A role definition by id, read once per run (several scopes and assignments name the same roles)."""
        key = role_definition_id.lower()
        with self._roles_lock:
            known = self._roles.get(key)
            future = self._roles[key] = known or Future()
        if known is None:
            try:
                body = self.clients.get_json(role_definition_id, AUTHZ_API, operation=f"GET role {role_definition_id}")
                future.set_result(body or {})
            except BaseException as exc:  # noqa: BLE001 - handed to every reader of this role
                future.set_exception(exc)
        return future.result()

    def permissions(self, scope: str) -> inv.ScopePermissions:
        items = self.clients.list_json(f"{scope}/providers/Microsoft.Authorization/permissions", AUTHZ_API)
        try:
            sets = tuple(
                inv.PermissionSet(tuple(p.get("actions") or ()), tuple(p.get("notActions") or ())) for p in items
            )
        except AzureError:
            return inv.ScopePermissions(scope, (), known=False)
        return inv.ScopePermissions(scope, sets)

    # ---- the workspace ------------------------------------------------------------------------------------------
    def workspace(self) -> inv.Workspace:
        body = self.clients.get_json(self.workspace_id, ML_API)
        if body is None:
            raise AzureError(
                f"Reading workspace {self.workspace_id}",
                status=404,
                code="ResourceNotFound",
                fix="Check source-workspace-id (subscription, group and name) and that the signed-in "
                "identity has Reader on it",
            )
        return workspace_from_arm(body)

    def workspaces_in_subscription(self) -> dict[str, tuple[str, ...]]:
        """Every workspace in the source subscription with the associated ids it names (to find sharing)."""
        out = {}
        for w in self._in_subscription(self.source_sub, f"/providers/{ML}/workspaces", ML_API, "list workspaces"):
            p = w.get("properties") or {}
            out[w["id"]] = tuple(
                p[k] for k in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights") if p.get(k)
            )
        return out

    def associated(self, role: inv.AssociatedRole, resource_id: str) -> inv.AssociatedResource:
        rid = ids.ResourceId.parse(resource_id)
        api = ASSOCIATED_API.get(rid.type.lower(), STORAGE_API)
        body = self.clients.get_json(resource_id, api)
        if body is None:
            return inv.AssociatedResource(resource_id, role, exists=False)
        props = body.get("properties") or {}
        return inv.AssociatedResource(
            body.get("id", resource_id),
            role,
            True,
            body.get("location"),
            props.get("provisioningState"),
            log_analytics_workspace_id=props.get("WorkspaceResourceId") or props.get("workspaceResourceId"),
            private_endpoint_connections=private_endpoint_connections(body.get("id", resource_id), body),
        )

    def _children(self, kind: str, api: str = ML_API, query: str = "") -> list[dict[str, Any]]:
        path = f"{self.workspace_id}/{kind}" + (f"?{query}" if query else "")
        return list(self.clients.list_json(path, api))

    def computes(self) -> tuple[inv.Compute, ...]:
        return tuple(
            inv.Compute(
                c["id"],
                c["name"],
                (c.get("properties") or {}).get("computeType", "Unknown"),
                (c.get("properties") or {}).get("provisioningState", "Unknown"),
                bool((c.get("properties") or {}).get("isAttachedCompute")),
                (c.get("properties") or {}).get("resourceId"),
                json.dumps(c, sort_keys=True),
            )
            for c in self._children("computes")
        )

    def online_endpoints(self) -> tuple[inv.OnlineEndpoint, ...]:
        return tuple(
            inv.OnlineEndpoint(e["id"], e["name"], (e.get("properties") or {}).get("provisioningState", "Succeeded"))
            for e in self._children("onlineEndpoints")
        )

    def online_deployments(self, endpoint: str) -> tuple[inv.OnlineDeployment, ...]:
        return tuple(
            inv.OnlineDeployment(d["id"], d["name"], (d.get("properties") or {}).get("provisioningState", "Succeeded"))
            for d in self._children(f"onlineEndpoints/{endpoint}/deployments")
        )

    def batch_endpoints(self) -> tuple[inv.BatchEndpoint, ...]:
        return tuple(
            inv.BatchEndpoint(e["id"], e["name"], (e.get("properties") or {}).get("provisioningState", "Succeeded"))
            for e in self._children("batchEndpoints")
        )

    def serverless_endpoints(self) -> tuple[inv.ServerlessEndpoint, ...]:
        return tuple(
            inv.ServerlessEndpoint(
                e["id"], e["name"], (e.get("properties") or {}).get("provisioningState", "Succeeded")
            )
            for e in self._children("serverlessEndpoints")
        )

    def jobs(self) -> tuple[inv.Job, ...]:
        """Only jobs that are not finished matter to a move; the list still has to be read in full (no server-side
        status filter in the API), but only the unfinished ones are kept in the inventory."""
        out = []
        for j in self._children("jobs", query="listViewType=ActiveOnly"):
            p = j.get("properties") or {}
            status = p.get("status") or "Unknown"
            if status not in inv.FINISHED_JOB_STATUSES:
                out.append(inv.Job(j["id"], j["name"], status, p.get("jobType", "Unknown"), p.get("displayName")))
        return tuple(out)

    def labeling_jobs(self) -> tuple[inv.LabelingJob, ...]:
        return tuple(
            inv.LabelingJob(j["id"], j["name"], (j.get("properties") or {}).get("status") or "Unknown")
            for j in self._children("labelingJobs", LABELING_API)
        )

    def schedules(self) -> tuple[inv.Schedule, ...]:
        return tuple(
            inv.Schedule(s["id"], s["name"], bool((s.get("properties") or {}).get("isEnabled", True)))
            for s in self._children("schedules")
        )

    def datastores(self) -> tuple[inv.Datastore, ...]:
        out = []
        for d in self._children("datastores"):
            p = d.get("properties") or {}
            out.append(
                inv.Datastore(
                    d["name"],
                    p.get("datastoreType", "Unknown"),
                    (p.get("credentials") or {}).get("credentialsType", "None"),
                    p.get("subscriptionId"),
                    p.get("resourceGroup"),
                    p.get("accountName") or p.get("storeName"),
                    bool(p.get("isDefault")),
                )
            )
        return tuple(out)

    def databricks(self) -> tuple[inv.DatabricksWorkspace, ...]:
        return tuple(w for sub in dict.fromkeys([self.source_sub, self.dest_sub]) for w in self._databricks_in(sub))

    def _databricks_in(self, sub: str) -> tuple[inv.DatabricksWorkspace, ...]:
        out = []
        try:
            found = self._in_subscription(
                sub, "/providers/Microsoft.Databricks/workspaces", DATABRICKS_API, "list Databricks workspaces"
            )
        except AzureError as err:
            # A subscription not registered for Microsoft.Databricks has no Databricks workspace to link: ARM
            # answers 409 MissingSubscriptionRegistration, and plan never registers anything (read-only).
            if err.code != "MissingSubscriptionRegistration":
                raise
            found = []
        for w in found:
            params = (w.get("properties") or {}).get("parameters") or {}
            linked = (params.get("amlWorkspaceId") or {}).get("value")
            out.append(inv.DatabricksWorkspace(w["id"], w["name"], linked))
        return tuple(out)

    def role_assignments(self, scope: str) -> tuple[inv.RoleAssignment, ...]:
        """The assignments a move orphans, each with its role's name (a reviewer reads "Reader", not a GUID)."""
        out = []
        for a in role_assignments_at(self.clients, scope):
            try:
                name = (self._role_definition(a.role_definition_id).get("properties") or {}).get("roleName")
            except AzureError:
                name = None
            out.append(replace(a, role_name=name or None))
        return tuple(out)

    def role_assignments_at_scopes(
        self, inventory: inv.Inventory, scopes: tuple[str, ...] | list[str]
    ) -> tuple[tuple[str, tuple[inv.RoleAssignment, ...]], ...]:
        """The assignments made at each scope that moves (read concurrently; the workspace's are already read)."""
        from .postmove import in_parallel

        def at(scope: str) -> tuple[inv.RoleAssignment, ...]:
            if ids.same_id(scope, inventory.workspace.id):
                return inventory.role_assignments
            return self.role_assignments(scope)

        return tuple(zip(scopes, in_parallel(at, list(scopes)), strict=True))

    def asset_counts(self) -> inv.AssetCounts:
        return inv.AssetCounts(**{field: self._count(kind) for kind, field in ASSET_KINDS.items()})

    def _count(self, kind: str) -> int | None:
        try:
            return sum(1 for _ in self.clients.list_json(f"{self.workspace_id}/{kind}", ML_API))
        except AzureError:
            return None


def workspace_from_arm(body: dict[str, Any]) -> inv.Workspace:
    p = body.get("properties") or {}
    identity = body.get("identity") or {}
    encryption = p.get("encryption") or {}
    kv = encryption.get("keyVaultProperties") or {}
    network = p.get("managedNetwork") or {}
    kind_text = (body.get("kind") or "Default").lower()
    kind = next((k for k in inv.WorkspaceKind if k.value.lower() == kind_text), inv.WorkspaceKind.DEFAULT)
    rules = tuple(
        inv.OutboundRule(
            name,
            r.get("type", ""),
            json.dumps(r.get("destination"), sort_keys=True)
            if not isinstance(r.get("destination"), str)
            else r["destination"],
            r.get("status"),
        )
        for name, r in (network.get("outboundRules") or {}).items()
    )
    return inv.Workspace(
        id=body["id"],
        name=body["name"],
        location=body.get("location", ""),
        kind=kind,
        provisioning_state=p.get("provisioningState", "Succeeded"),
        identity_type=identity.get("type", "None"),
        user_assigned_identity_ids=tuple((identity.get("userAssignedIdentities") or {}).keys()),
        encryption=inv.WorkspaceEncryption(
            encryption.get("status", "Disabled"),
            kv.get("keyVaultArmId"),
            kv.get("keyIdentifier"),
            (encryption.get("identity") or {}).get("userAssignedIdentity"),
        ),
        managed_network_isolation_mode=network.get("isolationMode", "Disabled"),
        outbound_rules=rules,
        hub_resource_id=p.get("hubResourceId"),
        storage_account_id=p.get("storageAccount"),
        key_vault_id=p.get("keyVault"),
        container_registry_id=p.get("containerRegistry"),
        application_insights_id=p.get("applicationInsights"),
        private_endpoint_connections=private_endpoint_connections(body["id"], body),
        public_network_access=p.get("publicNetworkAccess"),
        discovery_url=p.get("discoveryUrl"),
    )


def role_assignments_at(clients: Clients, scope: str) -> tuple[inv.RoleAssignment, ...]:
    """Assignments made AT the scope or BELOW it (a blob container of a moved storage account, a key vault secret…):
    exactly what a move orphans. `$filter=atScope()` returns assignments at or above a scope, never below it
    (RoleAssignments_ListForScope 2022-04-01); without a filter the list holds those at, above and below it (Azure
    CLI's `az role assignment list --at-scope false`, Azure/azure-cli PR 31179), of which the inherited ones (above)
    are dropped here."""
    items = clients.list_json(
        f"{scope}/providers/Microsoft.Authorization/roleAssignments",
        AUTHZ_API,
        missing_ok=False,
        operation=f"list role assignments at and below {scope}",
    )
    out = []
    for a in items:
        p = a.get("properties") or {}
        if p.get("scope") and ids.is_within(p["scope"], scope):
            out.append(
                inv.RoleAssignment(  # id, scope, roleDefinitionId and principalId: in every assignment ARM returns
                    a["id"],
                    p["scope"],
                    p["roleDefinitionId"],
                    p["principalId"],
                    str(p.get("principalType") or "User"),
                    condition=p.get("condition") or None,
                    condition_version=p.get("conditionVersion") or None,
                    description=p.get("description") or None,
                    delegated_managed_identity_resource_id=p.get("delegatedManagedIdentityResourceId") or None,
                )
            )
    return tuple(out)


def private_endpoint_connections(resource_id: str, body: dict[str, Any]) -> tuple[inv.PrivateEndpointConnection, ...]:
    """`properties.privateEndpointConnections[]` of a private link resource's GET body (workspace, storage account,
    key vault, container registry: the same shape in each)."""
    return tuple(
        inv.PrivateEndpointConnection(
            c.get("id") or f"{resource_id}/privateEndpointConnections/{c.get('name')}",
            c.get("name") or str(c.get("id", "")).rsplit("/", 1)[-1],
            ((c.get("properties") or {}).get("privateEndpoint") or {}).get("id"),
            ((c.get("properties") or {}).get("privateLinkServiceConnectionState") or {}).get("status", "Unknown"),
            (c.get("properties") or {}).get("provisioningState", "Succeeded"),
            resource_id,
        )
        for c in (body.get("properties") or {}).get("privateEndpointConnections") or []
        if isinstance(c, dict)
    )


def _result(future: Any) -> Any:
    try:
        return future.result()
    except AmlMoveError:
        raise
