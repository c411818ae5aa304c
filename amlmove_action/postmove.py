"""After the move: verify the workspace at its new id, and repair what Azure leaves broken — role assignments that
stayed at the old scopes, datastores that still name the old subscription and group, private endpoint connections
left Pending, computes deleted before the move. Every step is idempotent, so apply can be re-run to finish them, and
a failing follow-up never undoes the move: it is reported, with the exact manual step."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import inventory as inv
from .azure import Clients, arm_error
from .errors import AzureError
from .plan import moved_id

ML_API = "2024-10-01"
AUTHZ_API = "2022-04-01"
STORAGE_API = "2023-05-01"
MAX_WORKERS = 16  # concurrent follow-up writes (ARM's write limits are per identity and far higher; 429s back off)

T = TypeVar("T")
R = TypeVar("R")


def in_parallel(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`function` over `items` on a bounded pool, results in the items' order (the report lists them so)."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items)), thread_name_prefix="amlmove-followup") as pool:
        return list(pool.map(function, items))


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
    # Read once per run and shared by the steps (verify and the repairs need the same datastore list; every
    # datastore on one account needs the same key).
    _datastores: list[dict[str, Any]] | None = field(default=None, init=False, repr=False)

    @property
    def new_workspace_id(self) -> str:
        return moved_id(self.source_workspace_id, self.destination_group_id)

    @property
    def dest_sub(self) -> str:
        return inv.ResourceId.parse(self.destination_group_id).subscription_id

    def _request(self, method: str, path: str, api: str, body: Any = None) -> Any:
        from azure.core.rest import HttpRequest

        url = f"{self.clients.cloud.arm_endpoint}{path}?api-version={api}"
        return self.clients.arm().send_request(HttpRequest(method, url, json=body))

    # ---- verify -------------------------------------------------------------------------------------------------
    def verify(self, expected_datastores: int) -> bool:
        ws = self.clients.get_json(self.new_workspace_id, ML_API)
        if ws is None:
            self.results.append(
                FollowUp("verify", self.new_workspace_id, "failed", "the workspace is not at its new id")
            )
            return False
        state = (ws.get("properties") or {}).get("provisioningState")
        count = len(self.datastores())
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

    def datastores(self) -> list[dict[str, Any]]:
        """The moved workspace's datastores (listed once per run)."""
        if self._datastores is None:
            self._datastores = list(self.clients.list_json(f"{self.new_workspace_id}/datastores", ML_API))
        return self._datastores

    # ---- role assignments ---------------------------------------------------------------------------------------
    def restore_role_assignments(self, snapshot: list[dict[str, Any]]) -> None:
        """Recreate each assignment that was made at a moved scope, at the scope's new id (same principal, role).
        The new scopes are listed first (a re-run finds its own earlier work there and writes nothing), then the
        missing assignments are created concurrently."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        renames = {old.lower(): new for old, new in self.moved}
        client = self.clients.authorization(self.dest_sub)

        def granted_at(scope: str) -> set[tuple[str, str]]:
            """(principal, role GUID) of the assignments made at `scope` now; empty when they cannot be listed (the
            PUT then decides)."""
            try:
                return {
                    (str(x.principal_id).lower(), str(x.role_definition_id).rstrip("/").rsplit("/", 1)[-1].lower())
                    for x in client.role_assignments.list_for_scope(scope, filter="atScope()")
                    if inv.same_id(x.scope, scope)
                }
            except HttpResponseError:
                return set()

        wanted: list[tuple[dict[str, Any], str, str]] = []  # (snapshot entry, new scope, role definition GUID)
        for a in snapshot:
            old_scope = a["scope"]
            root = next((o for o in renames if inv.is_within(old_scope, o)), None)
            if root is not None:
                new_scope = renames[root] + inv.normalise_id(old_scope)[len(root) :]
                wanted.append((a, new_scope, a["roleDefinitionId"].rstrip("/").rsplit("/", 1)[-1]))
        scopes = list(dict.fromkeys(new_scope.lower() for _, new_scope, _ in wanted))
        present = dict(zip(scopes, in_parallel(granted_at, scopes), strict=True))

        def restore(item: tuple[dict[str, Any], str, str]) -> FollowUp:
            a, new_scope, guid = item
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
            role_name = f"{a['roleName']} ({guid})" if a.get("roleName") else guid
            target = f"{a.get('principalType', 'principal')} {a['principalId']} as {role_name} at {new_scope}"
            command = (
                f"az role assignment create --assignee-object-id {a['principalId']} --assignee-principal-type "
                f"{a.get('principalType') or 'User'} --role {guid} --scope {new_scope}"
            )
            if (a["principalId"].lower(), guid.lower()) in present[new_scope.lower()]:
                return FollowUp("role-assignment", target, "already-done", "already present")
            try:
                status = client.role_assignments.create(
                    new_scope, name, params, cls=lambda response, _model, _headers: response.http_response.status_code
                )
            except ResourceExistsError:
                return FollowUp("role-assignment", target, "already-done", "already present")
            except HttpResponseError as exc:
                err = getattr(exc, "error", None)
                detail = f"{getattr(err, 'code', exc.status_code)}: {getattr(err, 'message', '')}"
                return FollowUp("role-assignment", target, "failed", detail, command)
            if status == 201:
                return FollowUp("role-assignment", target, "done", "recreated at the new scope")
            # 200: this very assignment was there already (an earlier run made it)
            return FollowUp("role-assignment", target, "already-done", "already present")

        self.results += in_parallel(restore, wanted)

    # ---- datastores ---------------------------------------------------------------------------------------------
    def repair_datastores(self) -> None:
        """Point datastores on moved storage accounts at the new subscription/group (AML leaves them stale). Each
        moved account's key is read once, then the datastores are re-registered concurrently."""
        source = inv.ResourceId.parse(self.source_workspace_id)
        dest = inv.ResourceId.parse(self.destination_group_id)
        moved_accounts = {
            inv.ResourceId.parse(new).name.lower(): new
            for old, new in self.moved
            if inv.ResourceId.parse(old).type.lower() == "microsoft.storage/storageaccounts"
        }
        stale: list[tuple[dict[str, Any], str]] = []
        for ds in self.datastores():
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
            stale.append((ds, moved_accounts[account]))
        # One listKeys per account, however many datastores use it.
        keyed = {account for ds, account in stale if _credentials_kind(ds) == "AccountKey"}
        keys = dict(zip(sorted(keyed), in_parallel(self._storage_key, sorted(keyed)), strict=True))
        self.results += in_parallel(lambda item: self._repair_datastore(item[0], keys.get(item[1]), dest), stale)

    def _repair_datastore(self, ds: dict[str, Any], key: str | None, dest: inv.ResourceId) -> FollowUp:
        props = dict(ds.get("properties") or {})
        name = ds["name"]
        creds = dict(props.get("credentials") or {"credentialsType": "None"})
        kind = _credentials_kind(ds)
        manual = (
            f"az ml datastore update --name {name} --workspace-name "
            f"{inv.ResourceId.parse(self.new_workspace_id).name} --resource-group {dest.resource_group} "
            f"--subscription {dest.subscription_id} --set subscription_id={dest.subscription_id} "
            f"resource_group={dest.resource_group}"
        )
        if kind == "AccountKey":
            if key is None:
                return FollowUp(
                    "datastore",
                    name,
                    "manual",
                    "the signed-in identity may not list the storage account keys; re-enter the account key",
                    manual,
                )
            creds["secrets"] = {"secretsType": "AccountKey", "key": key}
        elif kind not in ("None",):
            return FollowUp(
                "datastore",
                name,
                "manual",
                f"{kind} credentials cannot be read back; re-register the datastore with its secret",
                manual,
            )
        props["credentials"] = creds
        props["subscriptionId"] = dest.subscription_id
        props["resourceGroup"] = dest.resource_group
        for read_only in ("provisioningState",):
            props.pop(read_only, None)
        response = self._request("PUT", f"{self.new_workspace_id}/datastores/{name}", ML_API, {"properties": props})
        if response.status_code in (200, 201):
            how = "identity-based: updated in place" if kind == "None" else "re-registered with the moved account key"
            return FollowUp("datastore", name, "done", how)
        return FollowUp("datastore", name, "failed", str(arm_error("PUT datastore", response)), manual)

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
        for conn in self.clients.list_json(f"{self.new_workspace_id}/privateEndpointConnections", ML_API):
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


def _credentials_kind(ds: dict[str, Any]) -> str:
    creds = (ds.get("properties") or {}).get("credentials") or {"credentialsType": "None"}
    return str(creds.get("credentialsType", "None"))


def snapshot_role_assignments(
    clients: Clients, scopes: list[str], known: dict[str, tuple[inv.RoleAssignment, ...]] | None = None
) -> list[dict[str, Any]]:
    """Role assignments made AT each scope (inherited ones are left alone): what a move leaves behind. `known`:
    assignments already read at some of the scopes (the re-plan's, at the workspace); the others are read
    concurrently."""
    from .discovery import role_assignments_at

    known = {scope.lower(): found for scope, found in (known or {}).items()}

    def at(scope: str) -> tuple[inv.RoleAssignment, ...]:
        if scope.lower() in known:
            return known[scope.lower()]
        try:
            return role_assignments_at(clients, scope)
        except AzureError as err:
            raise AzureError(
                f"Listing role assignments at {scope}",
                status=err.status,
                code=err.code,
                message=err.azure_message,
                fix="Give the apply identity Microsoft.Authorization/roleAssignments/read",
            ) from None

    return [
        {
            "id": a.id,
            "scope": a.scope,
            "roleDefinitionId": a.role_definition_id,
            "roleName": a.role_name,
            "principalId": a.principal_id,
            "principalType": a.principal_type,
        }
        for found in in_parallel(at, scopes)
        for a in found
    ]
