"""Drift between the approved plan and a fresh one made just before applying: anything move-relevant that changed
refuses the apply (Terraform's "saved plan is stale"). Pure functions over two plans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import Plan


@dataclass(frozen=True)
class Difference:
    what: str
    approved: str
    now: str


def _ids(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}


def _grants(plan: Plan) -> set[str]:
    """The snapshot's assignments, each as scope|principal|role|condition (what a restore reproduces)."""
    return {
        "|".join(
            str(a.get(k) or "").lower() if k != "condition" else str(a.get(k) or "")
            for k in ("scope", "principalId", "roleDefinitionId", "condition")
        )
        for a in plan.role_assignment_snapshot
    }


def _show(values: set[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def differences(approved: Plan, fresh: Plan) -> list[Difference]:
    out: list[Difference] = []
    a_res, f_res = _ids(approved.resources), _ids(fresh.resources)
    if a_res != f_res:
        out.append(
            Difference("resources to move", _show(a_res - f_res) + " (approved only)", _show(f_res - a_res) + " (new)")
        )
    a_dest, f_dest = approved.destination, fresh.destination
    for key, attribute in (
        ("resourceGroupId", "resource_group_id"),
        ("subscriptionId", "subscription_id"),
        ("tenantId", "tenant_id"),
    ):
        was, now = getattr(a_dest, attribute), getattr(f_dest, attribute)
        if str(was).lower() != str(now).lower():
            out.append(Difference(f"destination {key}", was, now))
    if a_dest.exists and not f_dest.exists:
        # The reviewer approved a move into this group as it was (its tags, policies, role assignments): a group
        # re-created by apply would be another one. Only a plan that found it missing says "create it".
        out.append(Difference(f"destination group {a_dest.resource_group_id} was deleted", "exists", "(none)"))
    approved_blockers = {f["id"] for f in approved.blockers()}
    new_blockers = {f["id"] for f in fresh.blockers()} - approved_blockers
    if new_blockers:
        out.append(Difference("new blockers", "(none)", _show(new_blockers)))
    for key, label in (("computesToRemove", "computes to delete"), ("endpointsToRemove", "endpoints to delete")):
        a, f = _ids(approved.post_move[key]), _ids(fresh.post_move[key])
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
    for key, attribute in (
        ("removeComputes", "remove_computes"),
        ("removeEndpoints", "remove_endpoints"),
        ("createDestinationResourceGroup", "create_destination_resource_group"),
    ):
        was, now = getattr(approved.options, attribute), getattr(fresh.options, attribute)
        if was != now:
            out.append(Difference(f"option {key}", str(was), str(now)))
    return out


def table(diffs: list[Difference]) -> list[str]:
    """A plain table (one line per row) for the log and the summary."""
    width = max([len(d.what) for d in diffs] + [len("What changed")])
    rows = [f"{'What changed'.ljust(width)} | Approved plan | Now", f"{'-' * width}-+-{'-' * 13}-+-{'-' * 3}"]
    rows += [f"{d.what.ljust(width)} | {d.approved} | {d.now}" for d in diffs]
    return rows
