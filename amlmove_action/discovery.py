"""Discovery: one `Inventory` of everything the checks and the plan need, read concurrently where the reads do not
depend on each other (bounded pool; azure-core's retry policy honours ARM's throttling). Reads only; never writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from . import inventory as inv
from .azure import Clients, from_http_error
from .errors import AmlMoveError, AzureError

ML = "Microsoft.MachineLearningServices"
ML_API = "2024-10-01"
LABELING_API = "2024-04-01-preview"
DATABRICKS_API = "2024-05-01"
AUTHZ_API = "2022-04-01"
ASSOCIATED_API = {
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.containerregistry/registries": "2023-07-01",
    "microsoft.insights/components": "2020-02-02",
}
MAX_WORKERS = 8


def _http(operation: str, call: Callable[[], Any]) -> Any:
    from azure.core.exceptions import HttpResponseError

    try:
        return call()
    except HttpResponseError as exc:
        raise from_http_error(operation, exc) from None


class Discovery:
    """Reads for one (workspace, destination group) pair."""

    def __init__(self, clients: Clients, workspace_id: str, destination_group_id: str) -> None:
        self.clients = clients
        self.workspace_id = workspace_id
        self.ws = inv.ResourceId.parse(workspace_id)
        self.dest = inv.ResourceId.parse(destination_group_id)
        self.source_sub = self.ws.subscription_id
        self.dest_sub = self.dest.subscription_id
        self.source_group_id = self.ws.group_id
        self.destination_group_id = destination_group_id

    # ---- the whole inventory ------------------------------------------------------------------------------------
    def run(self, principal_id: str | None = None) -> inv.Inventory:
        with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="discovery") as pool:
            first = {
                "workspace": pool.submit(self.workspace),
                "source_subscription": pool.submit(self.subscription, self.source_sub),
                "destination_subscription": pool.submit(self.subscription, self.dest_sub),
                "destination_group": pool.submit(self.destination_group),
                "group_resources": pool.submit(self.group_resources),
                "locks": pool.submit(self.locks),
                "computes": pool.submit(self.computes),
                "online_endpoints": pool.submit(self.online_endpoints),
                "batch_endpoints": pool.submit(self.batch_endpoints),
                "serverless_endpoints": pool.submit(self.serverless_endpoints),
                "jobs": pool.submit(self.jobs),
                "labeling_jobs": pool.submit(self.labeling_jobs),
                "schedules": pool.submit(self.schedules),
                "datastores": pool.submit(self.datastores),
                "databricks": pool.submit(self.databricks),
                "role_assignments": pool.submit(self.role_assignments, self.workspace_id),
                "workspaces_in_subscription": pool.submit(self.workspaces_in_subscription),
                "asset_counts": pool.submit(self.asset_counts),
                "source_permissions": pool.submit(self.permissions, self.source_group_id),
            }
            got = {name: _result(future) for name, future in first.items()}
            workspace: inv.Workspace = got["workspace"]
            destination: inv.DestinationGroup = got["destination_group"]
            dest_scope = destination.id if destination.exists else f"/subscriptions/{self.dest_sub}"
            dest_perms = pool.submit(self.permissions, dest_scope)
            associated = {rid: pool.submit(self.associated, role, rid) for role, rid in workspace.associated_ids}
            deployments = {ep.id: pool.submit(self.online_deployments, ep.name) for ep in got["online_endpoints"]}
            associated_resources = tuple(
                replace(
                    _result(f),
                    used_by_workspace_ids=tuple(
                        w
                        for w, refs in got["workspaces_in_subscription"].items()
                        if any(inv.same_id(r, rid) for r in refs)
                    ),
                )
                for rid, f in associated.items()
            )
            endpoints = tuple(replace(ep, deployments=_result(deployments[ep.id])) for ep in got["online_endpoints"])
            permissions = (got["source_permissions"], _result(dest_perms))
        return inv.Inventory(
            workspace=workspace,
            source_subscription=got["source_subscription"],
            destination_subscription=got["destination_subscription"],
            destination_group=destination,
            validation=inv.ValidationResult(inv.ValidationStatus.SKIPPED, message="not run yet"),
            signed_in_principal_id=principal_id,
            source_group_resources=got["group_resources"],
            associated_resources=associated_resources,
            locks=got["locks"],
            permissions=permissions,
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

    # ---- subscriptions and groups -------------------------------------------------------------------------------
    def subscription(self, subscription_id: str) -> inv.Subscription:
        subs = self.clients.subscriptions()
        try:
            sub = _http(f"GET subscription {subscription_id}", lambda: subs.subscriptions.get(subscription_id))
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
        rc = self.clients.resources(subscription_id)
        registered = _http(
            f"GET providers of {subscription_id}",
            lambda: [p.namespace for p in rc.providers.list() if (p.registration_state or "").lower() == "registered"],
        )
        state = sub.state.value if hasattr(sub.state, "value") else str(sub.state)
        return inv.Subscription(
            sub.subscription_id, sub.tenant_id or "", state, sub.display_name or "", frozenset(registered)
        )

    def destination_group(self) -> inv.DestinationGroup:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        rc = self.clients.resources(self.dest_sub)
        try:
            group = rc.resource_groups.get(self.dest.resource_group)
        except ResourceNotFoundError:
            return inv.DestinationGroup(self.destination_group_id, exists=False)
        except HttpResponseError as exc:
            raise from_http_error("GET destination group", exc) from None
        state = group.properties.provisioning_state if group.properties else None
        return inv.DestinationGroup(group.id, True, group.location, state, group.managed_by)

    def group_resources(self) -> tuple[inv.GroupResource, ...]:
        rc = self.clients.resources(self.source_sub)
        items = _http(
            "list resources of the source group",
            lambda: list(rc.resources.list_by_resource_group(self.ws.resource_group, expand="provisioningState")),
        )
        return tuple(inv.GroupResource(r.id, r.type, r.location, getattr(r, "provisioning_state", None)) for r in items)

    def locks(self) -> tuple[inv.Lock, ...]:
        out: list[inv.Lock] = []
        for sub in dict.fromkeys([self.source_sub, self.dest_sub]):
            client = self.clients.locks(sub)
            items = _http(
                f"list locks in subscription {sub}",
                lambda c=client: list(c.management_locks.list_at_subscription_level()),
            )
            for lock in items:
                level = str(getattr(lock.level, "value", lock.level))
                out.append(
                    inv.Lock(
                        lock.id,
                        inv.LockLevel(level)
                        if level in inv.LockLevel._value2member_map_
                        else inv.LockLevel.NOT_SPECIFIED,
                        lock.notes,
                    )
                )
        return tuple(out)

    def permissions(self, scope: str) -> inv.ScopePermissions:
        items = self.clients.list_json(
            f"{scope}/providers/Microsoft.Authorization/permissions",
            AUTHZ_API,
            inv.ResourceId.parse(scope).subscription_id,
        )
        try:
            sets = tuple(
                inv.PermissionSet(tuple(p.get("actions") or ()), tuple(p.get("notActions") or ())) for p in items
            )
        except AzureError:
            return inv.ScopePermissions(scope, (), known=False)
        return inv.ScopePermissions(scope, sets)

    # ---- the workspace ------------------------------------------------------------------------------------------
    def workspace(self) -> inv.Workspace:
        body = self.clients.get_json(self.workspace_id, ML_API, self.source_sub)
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
        for w in self.clients.list_json(
            f"/subscriptions/{self.source_sub}/providers/{ML}/workspaces", ML_API, self.source_sub
        ):
            p = w.get("properties") or {}
            out[w["id"]] = tuple(
                p[k] for k in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights") if p.get(k)
            )
        return out

    def associated(self, role: inv.AssociatedRole, resource_id: str) -> inv.AssociatedResource:
        rid = inv.ResourceId.parse(resource_id)
        api = ASSOCIATED_API.get(rid.type.lower(), "2023-05-01")
        body = self.clients.get_json(resource_id, api, rid.subscription_id)
        if body is None:
            return inv.AssociatedResource(resource_id, role, exists=False)
        return inv.AssociatedResource(
            body.get("id", resource_id),
            role,
            True,
            body.get("location"),
            (body.get("properties") or {}).get("provisioningState"),
        )

    def _children(self, kind: str, api: str = ML_API, query: str = "") -> list[dict[str, Any]]:
        path = f"{self.workspace_id}/{kind}" + (f"?{query}" if query else "")
        return list(self.clients.list_json(path, api, self.source_sub))

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
        out = []
        for sub in dict.fromkeys([self.source_sub, self.dest_sub]):
            for w in self.clients.list_json(
                f"/subscriptions/{sub}/providers/Microsoft.Databricks/workspaces", DATABRICKS_API, sub
            ):
                params = (w.get("properties") or {}).get("parameters") or {}
                linked = (params.get("amlWorkspaceId") or {}).get("value")
                out.append(inv.DatabricksWorkspace(w["id"], w["name"], linked))
        return tuple(out)

    def role_assignments(self, scope: str) -> tuple[inv.RoleAssignment, ...]:
        """Assignments made AT the scope (not inherited): exactly what a move orphans."""
        client = self.clients.authorization(inv.ResourceId.parse(scope).subscription_id)
        items = _http(
            f"list role assignments at {scope}",
            lambda: list(client.role_assignments.list_for_scope(scope, filter="atScope()")),
        )
        return tuple(
            inv.RoleAssignment(
                a.id,
                a.scope,
                a.role_definition_id,
                a.principal_id,
                str(getattr(a.principal_type, "value", a.principal_type) or "User"),
            )
            for a in items
            if inv.same_id(a.scope, scope)
        )

    def asset_counts(self) -> inv.AssetCounts:
        def count(kind: str) -> int | None:
            try:
                return sum(1 for _ in self.clients.list_json(f"{self.workspace_id}/{kind}", ML_API, self.source_sub))
            except AzureError:
                return None

        return inv.AssetCounts(models=count("models"), environments=count("environments"), data_assets=count("data"))


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
        private_endpoint_connections=tuple(
            inv.PrivateEndpointConnection(
                c["id"],
                c["name"],
                ((c.get("properties") or {}).get("privateEndpoint") or {}).get("id"),
                ((c.get("properties") or {}).get("privateLinkServiceConnectionState") or {}).get("status", "Unknown"),
                (c.get("properties") or {}).get("provisioningState", "Succeeded"),
            )
            for c in p.get("privateEndpointConnections") or []
        ),
        public_network_access=p.get("publicNetworkAccess"),
        discovery_url=p.get("discoveryUrl"),
    )


def _result(future: Any) -> Any:
    try:
        return future.result()
    except AmlMoveError:
        raise
