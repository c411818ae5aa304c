"""How findings word things: lists cut at a few names, the `az ml` workspace arguments and the fields the
remediation templates are filled with."""

from __future__ import annotations

from collections.abc import Iterable

from ..inventory import Inventory

MAX_LISTED = 10  # names in a detail line and commands in a remediation; the resource IDs carry the full list
WORKSPACE_ARGS = "--workspace-name {workspace} --resource-group {group} --subscription {subscription}"


def listing(names: Iterable[str]) -> str:
    items = list(names)
    shown = ", ".join(items[:MAX_LISTED])
    return shown if len(items) <= MAX_LISTED else f"{shown} and {len(items) - MAX_LISTED} more"


def status_in(status: str, statuses: Iterable[str]) -> bool:
    return status.lower() in {known.lower() for known in statuses}


def workspace_fields(inventory: Inventory) -> dict[str, str]:
    rid = inventory.workspace.resource_id
    return {"workspace": rid.name, "group": rid.resource_group or "", "subscription": rid.subscription_id}


def destination_fields(inventory: Inventory) -> dict[str, str]:
    group = inventory.destination_group
    return {"destination_group": group.name, "destination_subscription": group.subscription_id}
