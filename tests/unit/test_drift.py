"""amlmove_action.drift: what changed between the approved plan and the fresh one apply makes refuses the apply —
and what did not change, or changed harmlessly, does not."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from amlmove_action.drift import Difference, differences, table
from tests.support.plans import DESTINATION_GROUP as DEST
from tests.support.plans import SOURCE_GROUP as SRC
from tests.support.plans import WORKSPACE as WS
from tests.support.plans import finding, grant, plan_json, typed

ST = f"{SRC}/providers/Microsoft.Storage/storageAccounts/st1"
KV = f"{SRC}/providers/Microsoft.KeyVault/vaults/kv1"
CLUSTER = f"{WS}/computes/cpu-cluster"
ROLE = "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/acdd72a7"


def approved() -> dict[str, Any]:
    """The approved plan's plan.json; the tests edit a copy into the fresh one."""
    plan = plan_json(
        resources=[WS, ST],
        findings=[finding("running-jobs", "blocker"), finding("associated-resource-shared", "warning")],
        roleAssignmentSnapshot=[grant(ST, "P1", ROLE, "@Resource[x] StringEquals 'a'")],
    )
    plan["postMove"]["computesToRemove"] = [CLUSTER]
    plan["options"].update(removeComputes=True, removeEndpoints=False, createDestinationResourceGroup=True)
    return plan


def drift(approved_plan: dict[str, Any], fresh_plan: dict[str, Any]) -> list[Difference]:
    """differences() between the two documents read as load_plan reads them."""
    return differences(typed(approved_plan), typed(fresh_plan))


def changed(edit) -> list[Difference]:
    fresh = copy.deepcopy(approved())
    edit(fresh)
    return drift(approved(), fresh)


def test_the_same_plan_has_no_difference_whatever_the_case_of_its_ids() -> None:
    fresh = approved()
    fresh["resources"] = [r.upper() for r in reversed(fresh["resources"])]
    fresh["destination"]["resourceGroupId"] = DEST.upper()
    fresh["roleAssignmentSnapshot"][0]["scope"] = ST.upper()
    fresh["roleAssignmentSnapshot"][0]["principalId"] = "p1"
    fresh["findings"] = []  # a blocker gone, a warning gone: nothing new to refuse for
    assert drift(approved(), fresh) == []


def test_a_resource_added_or_dropped_is_shown_on_both_sides() -> None:
    (diff,) = changed(lambda p: p.update(resources=[WS, KV]))
    assert diff.what == "resources to move"
    assert diff.approved == f"{ST.lower()} (approved only)" and diff.now == f"{KV.lower()} (new)"


@pytest.mark.parametrize("key", ["resourceGroupId", "subscriptionId", "tenantId"])
def test_another_destination_is_drift(key) -> None:
    (diff,) = changed(lambda p: p["destination"].update({key: "other"}))
    assert diff.what == f"destination {key}" and diff.now == "other"


def test_a_destination_group_deleted_since_the_plan_is_drift_but_one_created_since_is_not() -> None:
    (diff,) = changed(lambda p: p["destination"].update(exists=False))
    assert diff.what == f"destination group {DEST} was deleted" and (diff.approved, diff.now) == ("exists", "(none)")
    was_missing = approved()
    was_missing["destination"]["exists"] = False
    assert drift(was_missing, approved()) == []


def test_only_a_new_blocker_is_drift() -> None:
    (diff,) = changed(lambda p: p["findings"].append(finding("computes-present", "blocker")))
    assert (diff.what, diff.approved, diff.now) == ("new blockers", "(none)", "computes-present")
    assert changed(lambda p: p["findings"].append(finding("resource-lock", "warning"))) == []


def test_deleting_something_nobody_approved_is_drift_deleting_less_is_not() -> None:
    other = f"{WS}/computes/gpu"
    (diff,) = changed(lambda p: p["postMove"]["computesToRemove"].append(other))
    assert diff.what == "computes to delete" and other.lower() in diff.now
    (diff,) = changed(lambda p: p["postMove"].update(endpointsToRemove=[f"{WS}/onlineEndpoints/ep"]))
    assert diff.what == "endpoints to delete" and diff.approved == "(none)"
    assert changed(lambda p: p["postMove"].update(computesToRemove=[])) == []


def test_a_role_assignment_made_or_gone_since_the_plan_is_drift_and_the_condition_counts() -> None:
    (diff,) = changed(lambda p: p["roleAssignmentSnapshot"].clear())
    assert diff.what == "role assignments at and below what moves" and diff.now == "(none) (new)"
    (diff,) = changed(lambda p: p["roleAssignmentSnapshot"][0].update(condition="@Resource[x] StringEquals 'b'"))
    assert "'a'" in diff.approved and "'b'" in diff.now  # the condition is compared as written


@pytest.mark.parametrize("key", ["removeComputes", "removeEndpoints", "createDestinationResourceGroup"])
def test_an_opt_in_other_than_approved_is_drift(key) -> None:
    (diff,) = changed(lambda p: p["options"].update({key: not approved()["options"][key]}))
    assert diff.what == f"option {key}"


def test_table_is_one_aligned_line_per_difference() -> None:
    rows = table([Difference("new blockers", "(none)", "running-jobs"), Difference("x", "a", "b")])
    assert rows[0] == "What changed | Approved plan | Now"
    assert rows[2] == "new blockers | (none) | running-jobs" and rows[3] == "x            | a | b"
    assert rows[1] == "-------------+---------------+----"
    assert len({r.replace("+", "|").index("|") for r in rows}) == 1  # the first column lines up
