"""Unit tests for amlmove_action.inventory: ARM id handling, wildcard permissions, locks, job statuses."""

from __future__ import annotations

import dataclasses

import pytest

from amlmove_action.inventory import (
    FINISHED_JOB_STATUSES,
    STOPPED_LABELING_STATUSES,
    TERMINAL_JOB_STATUSES,
    AssociatedRole,
    Datastore,
    DestinationGroup,
    ErrorDetail,
    Lock,
    LockLevel,
    PermissionSet,
    Subscription,
    Workspace,
    allows,
    same_location,
)

SUB = "11111111-1111-1111-1111-111111111111"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-ml"
WS = f"{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws1"

MOVE = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"


@pytest.mark.parametrize(
    ("permission", "action", "expected"),
    [
        (PermissionSet(("*",)), MOVE, True),
        (PermissionSet(("Microsoft.Resources/*",)), MOVE, True),
        (PermissionSet(("microsoft.resources/SUBSCRIPTIONS/resourcegroups/moveresources/ACTION",)), MOVE, True),
        (PermissionSet(("*/read",)), MOVE, False),
        (PermissionSet(("*/action",)), MOVE, True),  # `*` spans segments
        (PermissionSet(("Microsoft.Resources/subscriptions/resourceGroups/move",)), MOVE, False),  # no prefix match
        (PermissionSet(("Microsoft.Resources/*/write",)), MOVE, False),
        (PermissionSet(("*",), ("Microsoft.Resources/*",)), MOVE, False),  # notActions subtract
        (PermissionSet(("*",), ("*/read",)), MOVE, True),
        (PermissionSet(("Microsoft.Resources.Extra/*",)), MOVE, False),  # '.' is literal
        (PermissionSet(), MOVE, False),
    ],
)
def test_allows_implements_arm_wildcards(permission: PermissionSet, action: str, expected: bool) -> None:
    assert allows([permission], action) is expected


def test_not_actions_subtract_only_within_their_own_role() -> None:
    reader_without_move = PermissionSet(("*",), (MOVE,))
    contributor = PermissionSet(("*",))
    assert not allows([reader_without_move], MOVE)
    assert allows([reader_without_move, contributor], MOVE)
    assert not allows([], MOVE)


def test_locations_compare_without_spaces_or_case() -> None:
    assert same_location("East US", "eastus") and not same_location("eastus", "eastus2")


@pytest.mark.parametrize(
    ("lock_id", "scope"),
    [
        (f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks/sub-lock", f"/subscriptions/{SUB}"),
        (f"{GROUP}/providers/Microsoft.Authorization/locks/rg-lock", GROUP),
        (f"{WS}/providers/microsoft.authorization/LOCKS/ws-lock", WS),
    ],
)
def test_lock_scope_is_what_it_is_attached_to(lock_id: str, scope: str) -> None:
    lock = Lock(lock_id, LockLevel.READ_ONLY)
    assert lock.scope == scope
    assert lock.name == lock_id.rsplit("/", 1)[-1]


def test_job_status_sets() -> None:
    assert {"Completed", "Failed", "Canceled", "NotResponding", "Paused"} == TERMINAL_JOB_STATUSES
    assert FINISHED_JOB_STATUSES == {"Completed", "Failed", "Canceled"}
    assert FINISHED_JOB_STATUSES < TERMINAL_JOB_STATUSES  # the running-jobs check is the stricter of the two
    assert "Paused" in STOPPED_LABELING_STATUSES and "NotResponding" not in STOPPED_LABELING_STATUSES


def test_error_detail_flattens_depth_first() -> None:
    leaf = ErrorDetail("MissingRegistrationsForTypes", "not registered", "microsoft.insights/webtests")
    middle = ErrorDetail("ResourceMoveProviderValidationFailed", "see details", details=(leaf,))
    top = ErrorDetail("ResourceMoveValidationFailed", "failed", details=(middle,))
    assert [d.code for d in top.flatten()] == ["ResourceMoveProviderValidationFailed", "MissingRegistrationsForTypes"]
    assert all(not d.details for d in top.flatten())


def test_workspace_lists_named_associated_resources_in_order() -> None:
    workspace = Workspace(WS, "ws1", "eastus", key_vault_id="kv", storage_account_id="st")
    assert workspace.associated_ids == (
        (AssociatedRole.STORAGE_ACCOUNT, "st"),
        (AssociatedRole.KEY_VAULT, "kv"),
    )


def test_small_derived_properties() -> None:
    assert Subscription(SUB, "t", "Enabled", "s", frozenset({"Microsoft.Storage"})).is_registered("microsoft.STORAGE")
    assert not Subscription(SUB, "t", "Enabled", "s").is_registered("Microsoft.Storage")
    assert Datastore("d", "AzureBlob", "None").identity_based
    assert not Datastore("d", "AzureBlob", "AccountKey").identity_based
    group = DestinationGroup(f"/subscriptions/{SUB}/resourceGroups/rg-target", exists=False)
    assert (group.subscription_id, group.name) == (SUB, "rg-target")


def test_inventory_types_are_frozen() -> None:
    workspace = Workspace(WS, "ws1", "eastus")
    with pytest.raises(dataclasses.FrozenInstanceError):
        workspace.name = "other"  # type: ignore[misc]
