"""Azure RBAC as the emulator enforces it: a principal's effective permissions at a scope are the union of the role
definitions assigned to it at that scope or any ancestor (subscription, group, resource)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import catalog, ids
from .state import Store


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...] = ()


@lru_cache(maxsize=1024)
def _pattern(wildcard: str) -> re.Pattern[str]:
    """`*` matches any text; a whole `/*/` segment also matches none, so `workspaces/*/read` covers
    `workspaces/read`. The built-in roles rely on it: AzureML Data Scientist's actions are `workspaces/*/write` and
    its notActions name `workspaces/write` (it may not change the workspace) and `computes/*/write` (nor create
    computes, whose action is `computes/write`); a literal `/.*/` would let it create computes but not read the
    workspace it works in."""
    parts = [".*".join(re.escape(p) for p in piece.split("*")) for piece in wildcard.split("/*/")]
    return re.compile("^" + "/(?:.*/)?".join(parts) + "$", re.IGNORECASE)


def matches(wildcard: str, action: str) -> bool:
    return bool(_pattern(wildcard).match(action))


def role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_definition(store: Store, role_definition_id: str) -> catalog.RoleDefinition | None:
    guid = role_guid(role_definition_id)
    if guid in catalog.BUILT_IN_ROLES:
        return catalog.BUILT_IN_ROLES[guid]
    for stored in store.authz_resources():  # custom roles: scenario resources of type roleDefinitions
        if stored.id.lower().endswith("/roledefinitions/" + guid):
            props = stored.body.get("properties", {})
            perms = (props.get("permissions") or [{}])[0]
            return catalog.RoleDefinition(
                guid,
                props.get("roleName", guid),
                props.get("description", ""),
                tuple(perms.get("actions", [])),
                tuple(perms.get("notActions", [])),
                tuple(perms.get("dataActions", [])),
            )
    return None


def assignments_for(store: Store, principal_object_id: str, scope: str) -> list[tuple[str, dict]]:
    """Role assignments of a principal that apply at `scope` (assigned at the scope or above)."""
    out = []
    for stored in store.authz_resources():
        if "/providers/microsoft.authorization/roleassignments/" not in stored.id.lower():
            continue
        props = stored.body.get("properties", {})
        if str(props.get("principalId", "")).lower() != principal_object_id.lower():
            continue
        assigned_scope = props.get("scope") or stored.id.lower().split("/providers/microsoft.authorization/")[0]
        if ids.is_ancestor_or_self(assigned_scope or "/", scope):
            out.append((stored.id, props))
    return out


def grants(store: Store, principal_object_id: str, scope: str) -> list[Grant]:
    result = []
    for _, props in assignments_for(store, principal_object_id, scope):
        role = role_definition(store, props.get("roleDefinitionId", ""))
        if role is not None:
            result.append(Grant(role.actions, role.not_actions, role.data_actions))
    return result


def is_allowed(store: Store, principal_object_id: str, scope: str, action: str) -> bool:
    """True when some assigned role allows `action` at `scope` and that same role does not exclude it."""
    for grant in grants(store, principal_object_id, scope):
        if any(matches(a, action) for a in grant.actions) and not any(matches(n, action) for n in grant.not_actions):
            return True
    return False
