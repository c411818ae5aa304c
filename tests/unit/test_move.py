"""Unit tests of move.py's pure parts: the all/none/partial ladder and reading ARM's 'move in progress'."""

from __future__ import annotations

import pytest

from amlmove_action.move import Next, Positions, decide, move_in_progress, resumable
from amlmove_action.state import MoveState, MoveStatus

OLD = "/subscriptions/s/resourceGroups/a/providers/Microsoft.MachineLearningServices/workspaces/w"
NEW = "/subscriptions/t/resourceGroups/b/providers/Microsoft.MachineLearningServices/workspaces/w"
KV = "/subscriptions/s/resourceGroups/a/providers/Microsoft.KeyVault/vaults/kv"


def state(status: MoveStatus, with_token: bool = True) -> MoveState:
    token = "continuation" if with_token else None
    return MoveState("d" * 64, status, "2026-01-01T00:00:00Z", [OLD], "/subscriptions/t/resourceGroups/b", token)


def test_a_move_arm_accepted_is_resumed_without_looking_where_the_resources_are() -> None:
    assert resumable(state(MoveStatus.ACCEPTED))
    assert decide(state(MoveStatus.ACCEPTED), None) is Next.RESUME


@pytest.mark.parametrize(
    "recorded",
    [None, state(MoveStatus.ACCEPTED, with_token=False), state(MoveStatus.FAILED), state(MoveStatus.SUCCEEDED)],
)
def test_without_a_move_to_resume_the_positions_decide(recorded: MoveState | None) -> None:
    assert not resumable(recorded)
    assert decide(recorded, Positions([(OLD, NEW), (KV, KV)], [], [])) is Next.FOLLOW_UPS
    assert decide(recorded, Positions([], [OLD, KV], [])) is Next.MOVE
    assert decide(recorded, Positions([(OLD, NEW)], [KV], [])) is Next.PARTIAL
    assert decide(recorded, Positions([(OLD, NEW)], [], [KV])) is Next.PARTIAL  # one gone: not all moved
    with pytest.raises(ValueError):
        decide(recorded, None)


def test_move_in_progress_reads_arms_code_or_its_words() -> None:
    assert move_in_progress({"code": "ResourceGroupMoveInProgress", "message": None})
    assert move_in_progress({"code": "Conflict", "message": "A Move operation is in progress on the group"})
    assert not move_in_progress({"code": "ResourceMoveProviderValidationFailed", "message": "cannot move"})
    assert not move_in_progress({})
