"""Drift between the approved plan and a fresh one made just before applying: anything move-relevant that changed
refuses the apply (Terraform's "saved plan is stale"). Pure functions over two plan documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Difference:
    what: str
    approved: str
    now: str


def _ids(values: list[str]) -> set[str]:
    return {v.lower() for v in values}


def _grants(plan: dict[str, Any]) -> set[str]:
    """The snapshot's assignments, each as scope|principal|role|condition (what a restore reproduces)."""
    return {
        "|".join(
            str(a.get(k) or "").lower() if k != "condition" else str(a.get(k) or "")
            for k in ("scope", "principalId", "roleDefinitionId", "condition")
        )
        for a in plan.get("roleAssignmentSnapshot") or []
    }


def _show(values: set[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def differences(approved: dict[str, Any], fresh: dict[str, Any]) -> list[Difference]:
    out: list[Difference] = []
    a_res, f_res = _ids(approved["resources"]), _ids(fresh["resources"])
    if a_res != f_res:
        out.append(
            Difference("resources to move", _show(a_res - f_res) + " (approved only)", _show(f_res - a_res) + " (new)")
        )
    for key in ("resourceGroupId", "subscriptionId", "tenantId"):
        if str(approved["destination"][key]).lower() != str(fresh["destination"][key]).lower():
            out.append(Difference(f"destination {key}", approved["destination"][key], fresh["destination"][key]))
    if approved["destination"]["exists"] and not fresh["destination"]["exists"]:
        # The reviewer approved a move into this group as it was (its tags, policies, role assignments): a group
        # re-created by apply would be another one. Only a plan that found it missing says "create it".
        group = approved["destination"]["resourceGroupId"]
        out.append(Difference(f"destination group {group} was deleted", "exists", "(none)"))
    approved_blockers = {f["id"] for f in approved["findings"] if f["severity"] == "blocker"}
    new_blockers = {f["id"] for f in fresh["findings"] if f["severity"] == "blocker"} - approved_blockers
    if new_blockers:
        out.append(Difference("new blockers", "(none)", _show(new_blockers)))
    for key, label in (("computesToRemove", "computes to delete"), ("endpointsToRemove", "endpoints to delete")):
        a, f = _ids(approved["postMove"][key]), _ids(fresh["postMove"][key])
        if f - a:  # deleting something nobody approved is never allowed
            out.append(Difference(label, _show(a), _show(f)))
    a_roles, f_roles = _grants(approved), _grants(fresh)
    if a_roles != f_roles:  # apply restores the approved snapshot: one made since would be lost, one gone recreated
        out.append(
            Difference(
                "role assignments at and below what moves",
                _show(a_roles - f_roles) + " (approved only)",
                _show(f_roles - a_roles) + " (new)",
            )
        )
    for key in ("removeComputes", "removeEndpoints", "createDestinationResourceGroup"):
        if approved["options"][key] != fresh["options"][key]:
            out.append(Difference(f"option {key}", str(approved["options"][key]), str(fresh["options"][key])))
    return out


def table(diffs: list[Difference]) -> list[str]:
    """A plain table (one line per row) for the log and the summary."""
    width = max([len(d.what) for d in diffs] + [len("What changed")])
    rows = [f"{'What changed'.ljust(width)} | Approved plan | Now", f"{'-' * width}-+-{'-' * 13}-+-{'-' * 3}"]
    rows += [f"{d.what.ljust(width)} | {d.approved} | {d.now}" for d in diffs]
    return rows
