"""Microsoft.Authorization at any scope: management locks, role definitions, role assignments, permissions."""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import authz, catalog, ids
from ..state import StoredResource
from ..wire import ASSIGNMENT_FIELDS, LOCK_FIELDS, ArmError, Request, Response
from .base import AUTHZ, ArmBase, now_iso


class Authorization(ArmBase):
    def _authorization(self, req: Request, oid: str, sub, scope: str, rest: list[str]) -> Response:
        kind = rest[0].lower()
        scope = ids.normalise(scope)
        self._require_scope_exists(scope)
        if kind == "locks":
            return self._locks(req, oid, scope, rest)
        if kind == "roleassignments":
            return self._role_assignments(req, oid, sub, scope, rest)
        if kind == "roledefinitions":
            if len(rest) == 1 and req.method == "GET":
                self._require(oid, scope, "Microsoft.Authorization/roleDefinitions/read")
                defs = [self._role_definition_body(scope, r) for r in catalog.BUILT_IN_ROLES.values()]
                flt = req.query.get("$filter", "")
                match = re.search(r"roleName eq '([^']*)'", flt)
                if match:
                    defs = [d for d in defs if d["properties"]["roleName"].lower() == match.group(1).lower()]
                return self._page(req, defs, "microsoft.authorization/roledefinitions")
            if len(rest) == 2 and req.method == "GET":
                return self._role_definition_get(req, scope, rest[1])
        if kind == "permissions" and len(rest) == 1 and req.method == "GET":
            perms = []
            for _, props in authz.assignments_for(self.store, oid, scope):
                role = authz.role_definition(self.store, props.get("roleDefinitionId", ""))
                if role is not None:
                    perms.append(
                        {
                            "actions": list(role.actions),
                            "notActions": list(role.not_actions),
                            "dataActions": list(role.data_actions),
                            "notDataActions": [],
                        }
                    )
            return self._page(req, perms, "microsoft.authorization/permissions")
        raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")

    def _require_scope_exists(self, scope: str) -> None:
        parsed = ids.parse(scope)
        if parsed is None or parsed.resource_group is None:
            return
        if self.store.get(parsed.group_id) is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{parsed.resource_group}' could not be found."
            )

    def _locks(self, req: Request, oid: str, scope: str, rest: list[str]) -> Response:
        if len(rest) == 1 and req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/locks/read")
            at_scope = "atscope()" in req.query.get("$filter", "").lower().replace(" ", "")
            found = []
            for stored in self.store.authz_resources():
                low = stored.id.lower()
                if "/providers/microsoft.authorization/locks/" not in low:
                    continue
                lock_scope = stored.id[: low.index("/providers/microsoft.authorization/locks/")] or "/"
                if at_scope:
                    if ids.is_ancestor_or_self(lock_scope, scope):
                        found.append(self._lock_body(stored))
                elif ids.is_ancestor_or_self(scope, lock_scope):
                    found.append(self._lock_body(stored))
            return self._page(req, found, "microsoft.authorization/locks")
        if len(rest) == 2:
            lock_id = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/locks/{rest[1]}"
            stored = self.store.get(lock_id)
            if req.method == "GET":
                self._require(oid, scope, "Microsoft.Authorization/locks/read")
                if stored is None:
                    raise ArmError(404, "LockNotFound", f"The lock '{rest[1]}' could not be found.")
                return Response(200, self._lock_body(stored))
            if req.method == "PUT":
                self._require(oid, scope, "Microsoft.Authorization/locks/write")
                self._refuse_if_moving(scope)
                body = self._json(req, LOCK_FIELDS)
                level = (body.get("properties") or {}).get("level")
                if level not in ("CanNotDelete", "ReadOnly", "NotSpecified"):
                    raise ArmError(400, "LockLevelRequired", "The lock level must be 'CanNotDelete' or 'ReadOnly'.")
                created = stored is None
                stored = self.store.put(
                    lock_id,
                    {"properties": {k: v for k, v in body["properties"].items() if k in ("level", "notes", "owners")}},
                )
                return Response(201 if created else 200, self._lock_body(stored))
            if req.method == "DELETE":
                self._require(oid, scope, "Microsoft.Authorization/locks/delete")
                if stored is None:
                    return Response(204)
                self.store.delete_tree(lock_id)
                return Response(200)
        raise self._method_not_allowed(req)

    @staticmethod
    def _lock_body(stored: StoredResource) -> dict[str, Any]:
        return {
            "id": stored.id,
            "type": "Microsoft.Authorization/locks",
            "name": stored.id.rsplit("/", 1)[-1],
            "properties": copy.deepcopy(stored.body.get("properties", {})),
        }

    def _role_definition_body(self, scope: str, role: catalog.RoleDefinition) -> dict[str, Any]:
        parsed = ids.parse(scope)
        prefix = f"/subscriptions/{parsed.subscription}" if parsed else ""
        return {
            "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}",
            "name": role.guid,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": role.role_name,
                "type": "BuiltInRole",
                "description": role.description,
                "assignableScopes": ["/"],
                "permissions": [
                    {
                        "actions": list(role.actions),
                        "notActions": list(role.not_actions),
                        "dataActions": list(role.data_actions),
                        "notDataActions": [],
                    }
                ],
                "createdOn": "2015-02-02T21:55:09.8806423Z",
                "updatedOn": "2024-01-01T00:00:00.0000000Z",
                "createdBy": None,
                "updatedBy": None,
            },
        }

    def _role_definition_get(self, req: Request, scope: str, guid: str) -> Response:
        role = authz.role_definition(self.store, guid)
        if role is None:
            raise ArmError(
                404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
            )
        return Response(200, self._role_definition_body(scope, role))

    def _role_assignments(self, req: Request, oid: str, sub, scope: str, rest: list[str]) -> Response:
        if len(rest) == 1 and req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/read")
            flt = req.query.get("$filter", "").replace(" ", "").lower()
            principal = re.search(r"principalid eq '?([0-9a-f-]+)'?", req.query.get("$filter", "").lower())
            found = []
            for stored in self.store.authz_resources():
                if "/providers/microsoft.authorization/roleassignments/" not in stored.id.lower():
                    continue
                body = self._assignment_body(stored)
                at = body["properties"]["scope"]
                above_or_at = ids.is_ancestor_or_self(at, scope)
                below = ids.is_ancestor_or_self(scope, at)
                if "atscope()" in flt and not above_or_at:
                    continue
                if not (above_or_at or below):
                    continue
                if principal and body["properties"]["principalId"].lower() != principal.group(1):
                    continue
                found.append(body)
            return self._page(req, found, "microsoft.authorization/roleassignments")
        if len(rest) != 2:
            raise self._method_not_allowed(req)
        assignment_id = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{rest[1]}"
        stored = self.store.get(assignment_id)
        if req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/read")
            if stored is None:
                raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{rest[1]}' is not found.")
            return Response(200, self._assignment_body(stored))
        if req.method == "DELETE":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/delete")
            if stored is None:
                return Response(204)
            body = self._assignment_body(stored)
            self.store.delete_tree(assignment_id)
            return Response(200, body)
        if req.method == "PUT":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/write")
            self._refuse_if_moving(scope)
            props = self._json(req, ASSIGNMENT_FIELDS).get("properties") or {}
            role_id, principal_id = props.get("roleDefinitionId"), props.get("principalId")
            if not role_id or not principal_id:
                raise ArmError(
                    400,
                    "InvalidRoleAssignmentRequest",
                    "The request is invalid: 'roleDefinitionId' and 'principalId' are required.",
                )
            if not re.fullmatch(r"[0-9a-fA-F-]{36}", rest[1]):
                raise ArmError(
                    400,
                    "InvalidRoleAssignmentId",
                    f"The role assignment ID '{rest[1]}' is not valid. The role assignment ID must be a GUID.",
                )
            if authz.role_definition(self.store, role_id) is None:
                raise ArmError(
                    400,
                    "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{authz.role_guid(role_id)}' does not exist.",
                )
            if self.store.principal_by_object(principal_id) is None:
                raise ArmError(
                    400,
                    "PrincipalNotFound",
                    f"Principal {principal_id.replace('-', '')} does not exist "
                    "in the directory. Check that you have the correct principal ID.",
                )
            for other in self.store.authz_resources():
                if "/providers/microsoft.authorization/roleassignments/" not in other.id.lower():
                    continue
                ob = self._assignment_body(other)["properties"]
                same = (
                    ids.key(ob["scope"]) == ids.key(scope)
                    and ob["principalId"].lower() == principal_id.lower()
                    and authz.role_guid(ob["roleDefinitionId"]) == authz.role_guid(role_id)
                )
                if same and ids.key(other.id) != ids.key(assignment_id):
                    raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
                if ids.key(other.id) == ids.key(assignment_id) and not same:
                    raise ArmError(
                        409,
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    )
            created = stored is None
            stamp = now_iso()
            record = {
                "properties": {
                    "roleDefinitionId": role_id,
                    "principalId": principal_id,
                    "principalType": props.get("principalType", "User"),
                    "scope": scope,
                    "description": props.get("description"),
                    "condition": props.get("condition"),
                    "conditionVersion": props.get("conditionVersion"),
                    "createdOn": stamp if created else stored.body["properties"].get("createdOn", stamp),
                    "updatedOn": stamp,
                    "createdBy": oid,
                    "updatedBy": oid,
                }
            }
            stored = self.store.put(assignment_id, record)
            return Response(201 if created else 200, self._assignment_body(stored))
        raise self._method_not_allowed(req)

    def _assignment_body(self, stored: StoredResource) -> dict[str, Any]:
        props = copy.deepcopy(stored.body.get("properties", {}))
        scope = props.get("scope") or stored.id[: stored.id.lower().index(AUTHZ.rstrip("/"))] or "/"
        props["scope"] = scope
        parsed = ids.parse(scope)
        guid = authz.role_guid(props.get("roleDefinitionId", ""))
        prefix = f"/subscriptions/{parsed.subscription}" if parsed else ""
        props["roleDefinitionId"] = f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        props.setdefault("principalType", "User")
        for optional in ("description", "condition", "conditionVersion"):
            props.setdefault(optional, None)
        return {
            "id": stored.id,
            "type": "Microsoft.Authorization/roleAssignments",
            "name": stored.id.rsplit("/", 1)[-1],
            "properties": props,
        }
