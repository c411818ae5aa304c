"""amlmove_action.restore, on real recorded bodies where there are some (tests/recordings): the role assignment
az CLI created and then read back, and the Azure ML datastore real Azure returns with a null subscriptionId and
resourceGroup."""

from __future__ import annotations

import copy
import re

import pytest

from amlmove_action import discovery, ids
from amlmove_action import inventory as inv
from amlmove_action.ids import mapped_scope
from amlmove_action.restore import (
    approve_again,
    assignment_key,
    datastore_command,
    datastore_put_body,
    needs_repair,
    new_instance_name,
    repair_kind,
    restore_body,
    snapshot_entry,
)
from tests.support.recorded import RecordedArm, body_of, interactions

SUB = "00000000-0000-0000-0000-000000000000"
DEST_SUB = "11111111-1111-4111-8111-111111111111"
OLD_ST = f"/subscriptions/{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/st1"
NEW_ST = f"/subscriptions/{DEST_SUB}/resourceGroups/rg-b/providers/Microsoft.Storage/storageAccounts/st1"
DEST_GROUP = ids.ResourceId.parse(f"/subscriptions/{DEST_SUB}/resourceGroups/rg-b")


# --- role assignments -------------------------------------------------------------------------------------------------


def recorded_assignment() -> inv.RoleAssignment:
    """The assignment az CLI created (with a condition and a description), as amlmove's discovery reads it."""
    created = body_of("role-assignments.json", "RoleAssignments_Create", 201)
    scope = created["properties"]["scope"]
    arm = RecordedArm({f"{scope}/providers/Microsoft.Authorization/roleAssignments": {"value": [created]}})
    (assignment,) = discovery.role_assignments_at(arm, scope)
    return assignment


def test_restore_body_is_the_request_az_cli_sent_to_create_the_recorded_assignment() -> None:
    """Read back from Azure, snapshotted, and rebuilt: the same RoleAssignments_Create body Azure was sent."""
    sent = next(
        i.request_body for i in interactions("role-assignments.json") if i.operation == "RoleAssignments_Create"
    )
    a = recorded_assignment()
    entry = snapshot_entry(a, a.scope)
    assert restore_body(entry, SUB, {}) == sent


def test_restore_body_names_the_role_in_the_destination_subscription_and_maps_a_delegated_identity() -> None:
    entry = snapshot_entry(recorded_assignment(), NEW_ST)
    entry["delegatedManagedIdentityResourceId"] = OLD_ST + "/x"
    body = restore_body(entry, DEST_SUB, {OLD_ST.lower(): NEW_ST})
    props = body["properties"]
    assert props["roleDefinitionId"] == (
        f"/subscriptions/{DEST_SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    )
    assert props["delegatedManagedIdentityResourceId"] == NEW_ST + "/x"
    no_type = {**entry, "principalType": None, "condition": None, "conditionVersion": None, "description": ""}
    assert restore_body(no_type, DEST_SUB, {})["properties"].keys() == {
        "roleDefinitionId",
        "principalId",
        "principalType",
        "delegatedManagedIdentityResourceId",
    }
    assert restore_body(no_type, DEST_SUB, {})["properties"]["principalType"] == "User"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (OLD_ST, NEW_ST),
        (OLD_ST.upper(), NEW_ST),  # ARM ids compare case-insensitively; the new id keeps its own case
        (OLD_ST + "/blobServices/default/containers/c1", NEW_ST + "/blobServices/default/containers/c1"),
        (OLD_ST + "2", None),  # a sibling whose name only starts the same
        (f"/subscriptions/{SUB}/resourceGroups/rg-a", None),  # above the moved resource: not moved
    ],
)
def test_mapped_scope_maps_a_moved_resource_and_anything_below_it(scope, expected) -> None:
    assert mapped_scope(scope, {OLD_ST.lower(): NEW_ST}) == expected


def test_assignment_key_is_principal_role_and_condition() -> None:
    role = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7"
    other_sub_role = f"/subscriptions/{DEST_SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7/"
    assert assignment_key("P-1", role, None) == assignment_key("p-1", other_sub_role, "  ")
    assert assignment_key("p-1", role, "@x") != assignment_key("p-1", role, None)  # a condition narrows the grant


# --- datastores -------------------------------------------------------------------------------------------------------


def recorded_datastore() -> dict:
    return body_of("ml-datastores.json", "Datastores_Get")["properties"]


def test_a_datastore_real_azure_returns_with_null_location_is_repaired_when_its_account_moved() -> None:
    props = recorded_datastore()
    assert props["subscriptionId"] is None and props["resourceGroup"] is None  # as real Azure ML answers
    account = props["accountName"]
    assert needs_repair(None, None, account, [account.upper()], DEST_GROUP)
    assert not needs_repair(None, None, account, ["someotheraccount"], DEST_GROUP)  # its account stays: nothing
    assert not needs_repair(DEST_SUB.upper(), "RG-B", account, [account], DEST_GROUP)  # already names the new place
    assert needs_repair(SUB, "rg-b", account, [account], DEST_GROUP)  # stale subscription
    assert not needs_repair(None, None, None, [account], DEST_GROUP)  # no account: not on a storage account


@pytest.mark.parametrize(
    ("credentials", "may_list", "kind"),
    [
        ("None", False, "update-in-place"),
        ("none", True, "update-in-place"),
        ("AccountKey", True, "recreate-with-secret"),
        ("Sas", True, "recreate-with-secret"),
        ("ServicePrincipal", True, "recreate-with-secret"),
        ("Certificate", True, "recreate-with-secret"),
        ("AccountKey", False, "manual"),  # a secret the caller may not read: people re-enter it
        ("SomethingNew", True, "manual"),
    ],
)
def test_repair_kind(credentials, may_list, kind) -> None:
    assert repair_kind(credentials, may_list) == kind


def test_datastore_put_body_keeps_the_recorded_properties_and_sets_only_location_and_secret() -> None:
    props = {**recorded_datastore(), "provisioningState": "Succeeded"}
    original = copy.deepcopy(props)
    body = datastore_put_body(props, {"key": "k==", "secretsType": "AccountKey"}, DEST_GROUP)["properties"]
    assert props == original  # the input is not changed
    assert "isDefault" not in body and "provisioningState" not in body  # read-only: never sent
    assert (body["subscriptionId"], body["resourceGroup"]) == (DEST_SUB, "rg-b")
    assert body["credentials"] == {
        "credentialsType": "AccountKey",
        "secrets": {"key": "k==", "secretsType": "AccountKey"},
    }
    untouched = {k: v for k, v in original.items() if k not in ("subscriptionId", "resourceGroup", "credentials")}
    assert {k: body[k] for k in untouched if k in body} == {
        k: v for k, v in untouched.items() if k not in ("isDefault", "provisioningState")
    }
    identity_based = datastore_put_body(
        {"credentials": {"credentialsType": "None", "secrets": {"x": 1}}}, None, DEST_GROUP
    )
    assert identity_based["properties"]["credentials"] == {"credentialsType": "None"}  # a stale secret is not resent


def test_datastore_command_asks_for_the_secret_only_when_there_is_one() -> None:
    with_key = datastore_command("ds1", "AccountKey", "mlw", DEST_GROUP)
    assert with_key.startswith("az ml datastore update --name ds1 --workspace-name mlw --resource-group rg-b ")
    assert f"--subscription {DEST_SUB} --set subscription_id={DEST_SUB} resource_group=rg-b" in with_key
    assert with_key.endswith("credentials.account_key=<the datastore's AccountKey secret>")
    assert "credentials." not in datastore_command("ds2", "None", "mlw", DEST_GROUP)


# --- private endpoint connections, compute instances ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "approve"),
    [
        ("Approved", "Pending", True),
        ("approved", "Disconnected", True),
        ("Approved", "Approved", False),  # nothing to do
        ("Pending", "Pending", False),  # a stranger's request stays pending
        (None, "Pending", False),  # not known before the move: never approved on a guess
        ("Rejected", "Pending", False),
    ],
)
def test_approve_again_only_what_was_approved_before(before, now, approve) -> None:
    assert approve_again(before, now) is approve


@pytest.mark.parametrize("name", ["ci-alice", "a" * 24, "1st-instance", "x_y.z", "ab", "---", "Ω-instance"])
def test_new_instance_name_follows_azure_mls_rule_and_is_stable(name) -> None:
    new = new_instance_name(name)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{2,23}", new), new
    assert new != name and new == new_instance_name(name)
    assert new_instance_name(name.upper())[-6:] == new[-6:]  # the suffix hashes the name case-insensitively


def test_new_instance_name_keeps_a_short_name_whole() -> None:
    assert re.fullmatch(r"ci-alice-m[0-9a-f]{4}", new_instance_name("ci-alice"))
    assert new_instance_name("ci-alice") != new_instance_name("ci-bob")
