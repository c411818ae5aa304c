"""After the move: verify the workspace at its new id, and repair what Azure leaves broken — role assignments that
stayed at the old scopes, datastores that still name the old subscription and group, private endpoint connections
left Pending, computes deleted before the move. Every step is idempotent, so apply can be re-run to finish them, and
a failing follow-up never undoes the move: it is reported, with the exact manual step."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import inventory as inv
from .azure import Clients, arm_error
from .errors import AzureError
from .plan import moved_id

ML_API = "2024-10-01"
AUTHZ_API = "2022-04-01"
STORAGE_API = "2023-05-01"


@dataclass
class FollowUp:
    kind: str  # verify | role-assignment | datastore | private-endpoint | compute
    target: str
    status: str  # done | already-done | failed | manual
    detail: str
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "detail": self.detail,
            "command": self.command,
        }


@dataclass
class PostMove:
    clients: Clients
    source_workspace_id: str
    destination_group_id: str
    moved: list[tuple[str, str]]  # (old id, new id) of every moved top-level resource
    mask: Callable[[str], None]
    results: list[FollowUp] = field(default_factory=list)

    @property
    def new_workspace_id(self) -> str:
        return moved_id(self.source_workspace_id, self.destination_group_id)

    @property
    def dest_sub(self) -> str:
        return inv.ResourceId.parse(self.destination_group_id).subscription_id

    def _request(self, method: str, path: str, api: str, body: Any = None) -> Any:
        from azure.core.rest import HttpRequest

        client = self.clients.resources(self.dest_sub)
        url = f"{self.clients.cloud.arm_endpoint}{path}?api-version={api}"
        return client.send_request(HttpRequest(method, url, json=body))

    # ---- verify -------------------------------------------------------------------------------------------------
    def verify(self, expected_datastores: int) -> bool:
        ws = self.clients.get_json(self.new_workspace_id, ML_API, self.dest_sub)
        if ws is None:
            self.results.append(
                FollowUp("verify", self.new_workspace_id, "failed", "the workspace is not at its new id")
            )
            return False
        state = (ws.get("properties") or {}).get("provisioningState")
        count = sum(1 for _ in self.clients.list_json(f"{self.new_workspace_id}/datastores", ML_API, self.dest_sub))
        ok = state == "Succeeded" and count >= expected_datastores
        self.results.append(
            FollowUp(
                "verify",
                self.new_workspace_id,
                "done" if ok else "failed",
                f"provisioningState {state}; {count} datastore(s) present (expected {expected_datastores})",
            )
        )
        return ok

    # ---- role assignments ---------------------------------------------------------------------------------------
    def restore_role_assignments(self, snapshot: list[dict[str, Any]]) -> None:
        """Recreate each assignment that was made at a moved scope, at the scope's new id (same principal, role)."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        renames = {old.lower(): new for old, new in self.moved}
        client = self.clients.authorization(self.dest_sub)
        present: dict[str, set[tuple[str, str]]] = {}

        def granted_at(scope: str) -> set[tuple[str, str]]:
            """(principal, role GUID) of the assignments made at `scope` now; empty when they cannot be listed (the
            PUT then decides). A re-run finds its own earlier work here and writes nothing."""
            if scope.lower() not in present:
                try:
                    present[scope.lower()] = {
                        (str(x.principal_id).lower(), str(x.role_definition_id).rstrip("/").rsplit("/", 1)[-1].lower())
                        for x in client.role_assignments.list_for_scope(scope, filter="atScope()")
                        if inv.same_id(x.scope, scope)
                    }
                except HttpResponseError:
                    present[scope.lower()] = set()
            return present[scope.lower()]

        for a in snapshot:
            old_scope = a["scope"]
            root = next((o for o in renames if inv.is_within(old_scope, o)), None)
            if root is None:
                continue
            new_scope = renames[root] + inv.normalise_id(old_scope)[len(root) :]
            guid = a["roleDefinitionId"].rstrip("/").rsplit("/", 1)[-1]
            role = f"/subscriptions/{self.dest_sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{new_scope.lower()}|{a['principalId'].lower()}|{guid}"))
            params = {
                "properties": {
                    "roleDefinitionId": role,
                    "principalId": a["principalId"],
                    "principalType": a.get("principalType") or "User",
                    "description": "Restored by amlmove after a workspace move",
                }
            }
            target = f"{a.get('principalType', 'principal')} {a['principalId']} as {guid} at {new_scope}"
            command = (
                f"az role assignment create --assignee-object-id {a['principalId']} --assignee-principal-type "
                f"{a.get('principalType') or 'User'} --role {guid} --scope {new_scope}"
            )
            if (a["principalId"].lower(), guid.lower()) in granted_at(new_scope):
                self.results.append(FollowUp("role-assignment", target, "already-done", "already present"))
                continue
            try:
                status = client.role_assignments.create(
                    new_scope, name, params, cls=lambda response, _model, _headers: response.http_response.status_code
                )
                if status == 201:
                    self.results.append(FollowUp("role-assignment", target, "done", "recreated at the new scope"))
                else:  # 200: this very assignment was there already (an earlier run made it)
                    self.results.append(FollowUp("role-assignment", target, "already-done", "already present"))
            except ResourceExistsError:
                self.results.append(FollowUp("role-assignment", target, "already-done", "already present"))
            except HttpResponseError as exc:
                err = getattr(exc, "error", None)
                self.results.append(
                    FollowUp(
                        "role-assignment",
                        target,
                        "failed",
                        f"{getattr(err, 'code', exc.status_code)}: {getattr(err, 'message', '')}",
                        command,
                    )
                )

    # ---- datastores ---------------------------------------------------------------------------------------------
    def repair_datastores(self) -> None:
        """Point datastores on moved storage accounts at the new subscription/group (AML leaves them stale)."""
        source = inv.ResourceId.parse(self.source_workspace_id)
        dest = inv.ResourceId.parse(self.destination_group_id)
        moved_accounts = {
            inv.ResourceId.parse(new).name.lower(): new
            for old, new in self.moved
            if inv.ResourceId.parse(old).type.lower() == "microsoft.storage/storageaccounts"
        }
        for ds in self.clients.list_json(f"{self.new_workspace_id}/datastores", ML_API, self.dest_sub):
            props = ds.get("properties") or {}
            account = (props.get("accountName") or "").lower()
            if account not in moved_accounts:
                continue
            if (props.get("subscriptionId") or "").lower() == dest.subscription_id.lower() and (
                props.get("resourceGroup") or ""
            ).lower() == (dest.resource_group or "").lower():
                self.results.append(
                    FollowUp("datastore", ds["name"], "already-done", "already names the new subscription and group")
                )
                continue
            if (props.get("subscriptionId") or "").lower() != source.subscription_id.lower():
                continue
            self._repair_datastore(ds, moved_accounts[account], dest)

    def _repair_datastore(self, ds: dict[str, Any], account_id: str, dest: inv.ResourceId) -> None:
        props = dict(ds.get("properties") or {})
        name = ds["name"]
        creds = dict(props.get("credentials") or {"credentialsType": "None"})
        kind = creds.get("credentialsType", "None")
        manual = (
            f"az ml datastore update --name {name} --workspace-name "
            f"{inv.ResourceId.parse(self.new_workspace_id).name} --resource-group {dest.resource_group} "
            f"--subscription {dest.subscription_id} --set subscription_id={dest.subscription_id} "
            f"resource_group={dest.resource_group}"
        )
        if kind == "AccountKey":
            key = self._storage_key(account_id)
            if key is None:
                self.results.append(
                    FollowUp(
                        "datastore",
                        name,
                        "manual",
                        "the signed-in identity may not list the storage account keys; re-enter the account key",
                        manual,
                    )
                )
                return
            creds["secrets"] = {"secretsType": "AccountKey", "key": key}
        elif kind not in ("None",):
            self.results.append(
                FollowUp(
                    "datastore",
                    name,
                    "manual",
                    f"{kind} credentials cannot be read back; re-register the datastore with its secret",
                    manual,
                )
            )
            return
        props["credentials"] = creds
        props["subscriptionId"] = dest.subscription_id
        props["resourceGroup"] = dest.resource_group
        for read_only in ("provisioningState",):
            props.pop(read_only, None)
        response = self._request("PUT", f"{self.new_workspace_id}/datastores/{name}", ML_API, {"properties": props})
        if response.status_code in (200, 201):
            how = "identity-based: updated in place" if kind == "None" else "re-registered with the moved account key"
            self.results.append(FollowUp("datastore", name, "done", how))
        else:
            err = arm_error("PUT datastore", response)
            self.results.append(FollowUp("datastore", name, "failed", str(err), manual))

    def _storage_key(self, account_id: str) -> str | None:
        response = self._request("POST", f"{account_id}/listKeys", STORAGE_API)
        if response.status_code != 200:
            return None
        keys = (response.json() or {}).get("keys") or []
        key = keys[0].get("value") if keys else None
        if key:
            self.mask(key)
        return key

    # ---- private endpoints --------------------------------------------------------------------------------------
    def private_endpoints(self, approve: bool) -> None:
        for conn in self.clients.list_json(
            f"{self.new_workspace_id}/privateEndpointConnections", ML_API, self.dest_sub
        ):
            state = (conn.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
            if state.get("status") != "Pending":
                continue
            command = (
                f"az network private-endpoint-connection approve --id {conn['id']} "
                "--description 'Approved after workspace move'"
            )
            if not approve:
                self.results.append(
                    FollowUp(
                        "private-endpoint",
                        conn["name"],
                        "manual",
                        "Pending after the move: approve it to restore private access",
                        command,
                    )
                )
                continue
            body = {
                "properties": {
                    "privateLinkServiceConnectionState": {
                        "status": "Approved",
                        "description": "Approved by amlmove after the workspace move",
                    }
                }
            }
            response = self._request("PUT", conn["id"], ML_API, body)
            if response.status_code in (200, 201, 202):
                self.results.append(FollowUp("private-endpoint", conn["name"], "done", "approved"))
            else:
                self.results.append(
                    FollowUp(
                        "private-endpoint",
                        conn["name"],
                        "failed",
                        str(arm_error("approve private endpoint", response)),
                        command,
                    )
                )


def snapshot_role_assignments(clients: Clients, scopes: list[str]) -> list[dict[str, Any]]:
    """Role assignments made AT each scope (inherited ones are left alone): what a move leaves behind."""
    from azure.core.exceptions import HttpResponseError

    out: list[dict[str, Any]] = []
    for scope in scopes:
        client = clients.authorization(inv.ResourceId.parse(scope).subscription_id)
        try:
            items = list(client.role_assignments.list_for_scope(scope, filter="atScope()"))
        except HttpResponseError as exc:
            raise AzureError(
                f"Listing role assignments at {scope}",
                status=exc.status_code,
                fix="Give the apply identity Microsoft.Authorization/roleAssignments/read",
            ) from None
        for a in items:
            if inv.same_id(a.scope, scope):
                out.append(
                    {
                        "id": a.id,
                        "scope": a.scope,
                        "roleDefinitionId": a.role_definition_id,
                        "principalId": a.principal_id,
                        "principalType": str(getattr(a.principal_type, "value", a.principal_type) or "User"),
                    }
                )
    return out
