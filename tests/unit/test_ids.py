"""ids: parse, compare and map ARM resource ids (pure functions)."""

from __future__ import annotations

import pytest

from amlmove_action.ids import ResourceId, is_within, moved_id, role_guid, same_id

SUB = "00000000-0000-0000-0000-000000000001"
DEST_SUB = "00000000-0000-0000-0000-000000000002"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-ml"
WS = f"{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/ws1"


def test_resource_id_parses_workspace_group_subscription_and_child() -> None:
    workspace = ResourceId.parse(WS)
    assert (workspace.subscription_id, workspace.resource_group, workspace.name) == (SUB, "rg-ml", "ws1")
    assert workspace.type == "Microsoft.MachineLearningServices/workspaces"
    assert workspace.group_id == GROUP and workspace.is_top_level

    child = ResourceId.parse(WS + "/computes/ci-1")
    assert child.type == "Microsoft.MachineLearningServices/workspaces/computes" and not child.is_top_level
    assert child.name == "ci-1"

    group = ResourceId.parse(GROUP.replace("resourceGroups", "resourcegroups") + "/")
    assert group.type == "Microsoft.Resources/resourceGroups" and group.name == "rg-ml"
    assert ResourceId.parse(f"/subscriptions/{SUB}").type == "Microsoft.Resources/subscriptions"


@pytest.mark.parametrize("bad", ["", "/", "rg-ml", "/subscriptions/", f"{GROUP}/providers/Microsoft.Storage", "/x/y"])
def test_resource_id_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        ResourceId.parse(bad)


def test_group_is_the_resource_group_and_refuses_an_id_without_one() -> None:
    assert ResourceId.parse("/subscriptions/s1/resourceGroups/rg-a/providers/A.B/c/d").group == "rg-a"
    assert ResourceId.parse("/subscriptions/s1/resourceGroups/rg-a").group == "rg-a"
    with pytest.raises(ValueError, match="names no resource group"):
        _ = ResourceId.parse("/subscriptions/s1").group


def test_ids_compare_case_insensitively_and_ignore_trailing_slash() -> None:
    assert same_id(WS, WS.upper() + "/")
    assert not same_id(WS, WS + "x")
    assert not same_id(WS, None)


def test_is_within_respects_segment_boundaries() -> None:
    assert is_within(WS, GROUP) and is_within(WS, f"/subscriptions/{SUB}") and is_within(GROUP, GROUP.lower())
    assert not is_within(f"/subscriptions/{SUB}/resourceGroups/rg-ml2", GROUP)
    assert not is_within(GROUP, WS)


def test_moved_id_keeps_provider_types_and_names_under_the_destination_group() -> None:
    dest = f"/subscriptions/{DEST_SUB}/resourceGroups/rg-prod"
    assert moved_id(WS + "/computes/ci-1", dest) == (
        f"{dest}/providers/Microsoft.MachineLearningServices/workspaces/ws1/computes/ci-1"
    )
    with pytest.raises(ValueError):
        moved_id("/not-an-id", dest)


def test_role_guid_is_the_last_segment() -> None:
    guid = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    assert role_guid(f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}/") == guid
