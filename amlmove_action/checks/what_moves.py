"""What moves with the workspace: the decision, resource by resource, and the `Selection` every check reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..ids import id_key, is_within, same_id
from ..inventory import AssociatedRole, Inventory
from ..selection import AssociatedResourceChoice, IncludeMode
from .resource_names import dedupe, group_of, other_users
from .wording import listing


class Outcome(StrEnum):
    MOVE = "move"
    STAY = "stay"
    REJECTED = "rejected"  # the user asked for it, but it cannot move (reported by `listed-resource-rejected`)


@dataclass(frozen=True)
class AssociatedDecision:
    """Whether one resource moves with the workspace, and why, in words for the plan summary."""

    resource_id: str
    role: AssociatedRole | None  # None for a listed resource the workspace does not name (e.g. a Log Analytics ws)
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class Selection:
    """Everything the move will touch: the move set, the destination, and whether apply creates the group."""

    workspace_id: str
    destination_group_id: str
    choice: AssociatedResourceChoice
    decisions: tuple[AssociatedDecision, ...] = ()
    create_destination_group: bool = True

    @property
    def moved_ids(self) -> tuple[str, ...]:
        """The `resources` of the moveResources request: the workspace first, then what moves with it."""
        return (self.workspace_id, *(d.resource_id for d in self.decisions if d.outcome is Outcome.MOVE))

    def moves(self, resource_id: str) -> bool:
        return any(same_id(resource_id, moved) for moved in self.moved_ids)


def select_associated_resources(
    inventory: Inventory, choice: AssociatedResourceChoice, *, create_destination_group: bool = True
) -> Selection:
    """Decide, for each associated (or listed) resource, whether it moves with the workspace and why."""
    source_group = inventory.source_group_id
    workspace_id = inventory.workspace.id
    decisions: list[AssociatedDecision] = []
    listed = [rid for rid in dedupe(choice.listed_ids) if not same_id(rid, workspace_id)]
    listed_keys = {id_key(rid) for rid in listed}

    for role, rid in inventory.workspace.associated_ids:
        known = inventory.associated(rid)
        others = other_users(known.used_by_workspace_ids if known else (), workspace_id)
        if choice.mode is IncludeMode.NONE:
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, "include-associated-resources is none"))
        elif choice.mode is IncludeMode.LISTED and id_key(rid) not in listed_keys:
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, "not listed in include-associated-resources"))
        elif not is_within(rid, source_group):
            outcome = Outcome.REJECTED if choice.mode is IncludeMode.LISTED else Outcome.STAY
            reason = f"it is in group {group_of(rid)}, not the workspace's: one move request takes one source group"
            decisions.append(AssociatedDecision(rid, role, outcome, reason))
        elif known is None or not known.exists:
            outcome = Outcome.REJECTED if choice.mode is IncludeMode.LISTED else Outcome.STAY
            reason = (
                "it could not be read"
                if known is None
                else "it does not exist (the workspace names a deleted resource)"
            )
            decisions.append(AssociatedDecision(rid, role, outcome, reason))
        elif choice.mode is IncludeMode.AUTO and others:
            reason = f"shared with {listing(others)}: moving it would change the ID they use"
            decisions.append(AssociatedDecision(rid, role, Outcome.STAY, reason))
        else:
            reason = {
                IncludeMode.AUTO: "in the workspace's group and used by no other workspace",
                IncludeMode.ALL: "include-associated-resources is all",
                IncludeMode.LISTED: "listed in include-associated-resources",
            }[choice.mode]
            if others:
                reason += f" (also used by {listing(others)})"
            decisions.append(AssociatedDecision(rid, role, Outcome.MOVE, reason))

    named = {id_key(rid) for _, rid in inventory.workspace.associated_ids}
    for rid in listed:
        if id_key(rid) in named:
            continue
        if not is_within(rid, source_group):
            decisions.append(AssociatedDecision(rid, None, Outcome.REJECTED, "it is not in the workspace's group"))
        elif inventory.group_resource(rid) is None:
            decisions.append(
                AssociatedDecision(rid, None, Outcome.REJECTED, "it was not found in the workspace's group")
            )
        else:
            decisions.append(AssociatedDecision(rid, None, Outcome.MOVE, "listed in include-associated-resources"))

    return Selection(
        workspace_id=workspace_id,
        destination_group_id=inventory.destination_group.id,
        choice=choice,
        decisions=tuple(decisions),
        create_destination_group=create_destination_group,
    )
