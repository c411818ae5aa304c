"""Small pure helpers on ARM resource ids: their parts (name, group, type, namespace, subscription), ids compared
as ARM does, and the workspace's id after the move."""

from __future__ import annotations

from collections.abc import Iterable

from ..ids import ResourceId, id_key, same_id
from ..inventory import Inventory


def dedupe(ids: Iterable[str]) -> list[str]:
    """First spelling of each id, in order, compared as ARM does (case-insensitively)."""
    seen: set[str] = set()
    unique: list[str] = []
    for rid in ids:
        if id_key(rid) not in seen:
            seen.add(id_key(rid))
            unique.append(rid)
    return unique


def other_users(workspace_ids: Iterable[str], workspace_id: str) -> list[str]:
    return [name_of(other) for other in dedupe(workspace_ids) if not same_id(other, workspace_id)]


def name_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).name
    except ValueError:
        return resource_id


def group_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).resource_group or "(none)"
    except ValueError:
        return "(unparsable id)"


def type_of(resource_id: str) -> str:
    """Lower-cased full type, or "" for an id that does not parse."""
    try:
        return ResourceId.parse(resource_id).type.lower()
    except ValueError:
        return ""


def namespace_of(resource_id: str) -> str | None:
    try:
        return ResourceId.parse(resource_id).provider_namespace
    except ValueError:
        return None


def subscription_of(resource_id: str) -> str:
    try:
        return ResourceId.parse(resource_id).subscription_id
    except ValueError:
        return "?"


def moved_workspace_id(inventory: Inventory) -> str:
    """The workspace's id after the move: same name, destination group."""
    workspace = inventory.workspace.name
    return f"{inventory.destination_group.id}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
