"""Microsoft.Authorization through the real clients: management locks at subscription, group and resource level (and
what they refuse), role definitions, role assignments (atScope(), principal filter, create, duplicate, delete), the
caller's effective permissions, and AuthorizationFailed for a principal without the right role."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from amlmove_emulator import catalog, samples
from tests.conftest import SdkClients

SUB, DEST = samples.SOURCE_SUB, samples.DEST_SUB
ML = "Microsoft.MachineLearningServices"
WS_ARGS = ("rg-ml-test", ML, "", "workspaces", "mlw-churn")  # the locks/permissions clients' resource-level arguments
READER = {
    "clientId": "5e5e5e5e-0000-4000-8000-00000000aaaa",
    "clientSecret": "reader-secret",
    "objectId": "5e5e5e5e-0000-4000-8000-00000000bbbb",
    "tenantId": samples.TENANT,
    "displayName": "reader-sp",
}


def role_id(guid: str, sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


@pytest.fixture
def scenario() -> samples.WorkspaceScenario:
    """The clean scenario, plus a service principal that is only Reader of the source subscription."""
    s = samples.WorkspaceScenario()
    s.principals.append(dict(READER))
    s.assign(f"/subscriptions/{SUB}", catalog.READER, READER["objectId"], "ServicePrincipal", str(uuid.uuid4()))
    return s


@pytest.fixture
def azure(emulator, scenario) -> SdkClients:
    emulator.load_scenario(scenario.build())
    return SdkClients(emulator)


# ---- locks ------------------------------------------------------------------------------------------------------


def test_locks_at_subscription_group_and_resource_level(azure: SdkClients, scenario) -> None:
    lc = azure.locks(SUB).management_locks
    sub_lock = lc.create_or_update_at_subscription_level("lock-sub", {"level": "CanNotDelete", "notes": "keep"})
    assert sub_lock.id == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks/lock-sub"
    lc.create_or_update_at_resource_group_level("rg-ml-test", "lock-rg", {"level": "CanNotDelete"})
    ws_lock = lc.create_or_update_at_resource_level(*WS_ARGS, "lock-ws", {"level": "ReadOnly", "notes": "frozen"})
    assert ws_lock.id.lower() == f"{scenario.workspace_id}/providers/Microsoft.Authorization/locks/lock-ws".lower()
    assert (ws_lock.level, ws_lock.notes) == ("ReadOnly", "frozen")

    def names(locks) -> list[str]:
        return sorted(lock.name for lock in locks)

    assert names(lc.list_at_subscription_level()) == ["lock-rg", "lock-sub", "lock-ws"]
    assert names(lc.list_at_resource_group_level("rg-ml-test")) == ["lock-rg", "lock-ws"]
    assert names(lc.list_at_resource_group_level("rg-ml-test", filter="atScope()")) == ["lock-rg", "lock-sub"]
    assert names(lc.list_at_resource_level(*WS_ARGS)) == ["lock-ws"]
    assert names(lc.list_at_resource_level(*WS_ARGS, filter="atScope()")) == ["lock-rg", "lock-sub", "lock-ws"]
    assert names(lc.list_by_scope(scenario.workspace_id)) == ["lock-ws"]  # the SDK percent-encodes this scope
    assert lc.get_at_resource_group_level("rg-ml-test", "lock-rg").level == "CanNotDelete"
    with pytest.raises(ResourceNotFoundError) as missing:
        lc.get_at_subscription_level("no-such-lock")
    assert missing.value.error.code == "LockNotFound"
    lc.delete_at_resource_level(*WS_ARGS, "lock-ws")
    assert names(lc.list_at_subscription_level()) == ["lock-rg", "lock-sub"]


def test_read_only_lock_refuses_writes_and_can_not_delete_refuses_deletes(azure: SdkClients, scenario) -> None:
    lc = azure.locks(SUB).management_locks
    rc = azure.resources(SUB)
    vault, api = scenario.associated("keyVault"), "2024-11-01"
    lc.create_or_update_at_resource_group_level("rg-ml-test", "no-delete", {"level": "CanNotDelete"})
    body = rc.resources.get_by_id(vault, api_version=api).as_dict()
    update = rc.resources.begin_create_or_update_by_id(vault, api_version=api, parameters=body, polling_interval=0)
    assert update.result().name == "kv-mlw-churn"  # writes are allowed
    with pytest.raises(ResourceExistsError) as no_delete:
        rc.resources.begin_delete_by_id(vault, api_version=api, polling_interval=0).result()
    assert no_delete.value.error.code == "ScopeLocked"
    assert f"locked: '{scenario.source_rg}'".lower() in no_delete.value.error.message.lower()
    lc.create_or_update_at_resource_level(*WS_ARGS, "read-only", {"level": "ReadOnly"})
    with pytest.raises(ResourceExistsError) as read_only:
        rc.resources.begin_update_by_id(
            scenario.workspace_id, api_version="2025-12-01", parameters={"tags": {}}
        ).result()
    assert read_only.value.error.code == "ScopeLocked"
    keys = azure.send("POST", scenario.associated("storage") + "/listKeys", api_version="2023-05-01")
    assert keys.status_code == 200  # the ReadOnly lock is on the workspace, not on the storage account
    with pytest.raises(HttpResponseError) as bad_level:
        lc.create_or_update_at_subscription_level("bad", {"level": "Frozen"})
    assert bad_level.value.status_code == 400


# ---- role definitions and assignments -----------------------------------------------------------------------------


def test_role_definitions_list_filter_and_get(azure: SdkClients) -> None:
    rd = azure.authorization(SUB).role_definitions
    names = {d.role_name for d in rd.list(f"/subscriptions/{SUB}")}
    assert {"Owner", "Contributor", "Reader", "User Access Administrator", "AzureML Data Scientist"} <= names
    (reader,) = rd.list(f"/subscriptions/{SUB}", filter="roleName eq 'Reader'")
    assert reader.name == catalog.READER and reader.permissions[0].actions == ["*/read"]
    owner = rd.get_by_id(role_id(catalog.OWNER))
    assert (owner.role_name, owner.role_type) == ("Owner", "BuiltInRole")
    with pytest.raises(ResourceNotFoundError):
        rd.get_by_id(role_id(str(uuid.uuid4())))


def test_role_assignments_list_at_scope_for_group_resource_and_principal(azure: SdkClients, scenario) -> None:
    ra = azure.authorization(SUB).role_assignments
    ws = scenario.workspace_id

    def names(assignments) -> list[str]:
        return sorted(a.name for a in assignments)

    sp_owner, ws_scientist, ws_readers = (
        "b0000000-0000-4000-8000-000000000001",
        "c0000000-0000-4000-8000-000000000001",
        "c0000000-0000-4000-8000-000000000002",
    )
    at_ws = list(ra.list_for_scope(ws, filter="atScope()"))
    assert sp_owner in names(at_ws) and {ws_scientist, ws_readers} <= set(names(at_ws))
    assert all(a.scope in (f"/subscriptions/{SUB}", ws) for a in at_ws)
    scientist = next(a for a in at_ws if a.name == ws_scientist)
    assert scientist.role_definition_id == role_id(catalog.AZUREML_DATA_SCIENTIST)
    assert (scientist.principal_id, scientist.principal_type) == (samples.DATA_SCIENTIST["objectId"], "User")
    at_group = names(ra.list_for_scope(scenario.source_rg, filter="atScope()"))
    assert ws_scientist not in at_group and sp_owner in at_group
    below_group = names(ra.list_for_resource_group("rg-ml-test"))
    assert {ws_scientist, ws_readers, "c0000000-0000-4000-8000-000000000003"} <= set(below_group)
    assert names(ra.list_for_resource("rg-ml-test", ML, "workspaces", "mlw-churn")) == names(at_ws)
    mine = names(ra.list_for_scope(f"/subscriptions/{SUB}", filter=f"principalId eq '{READER['objectId']}'"))
    assert len(mine) == 1


def test_role_assignment_create_get_duplicate_and_delete(azure: SdkClients, scenario) -> None:
    ra = azure.authorization(SUB).role_assignments
    scope, name = scenario.source_rg, str(uuid.uuid4())
    params = {
        "role_definition_id": role_id(catalog.READER),
        "principal_id": samples.DATA_SCIENTIST["objectId"],
        "principal_type": "User",
    }
    created = ra.create(scope, name, params)
    assert (created.name, created.scope, created.principal_id) == (name, scope, samples.DATA_SCIENTIST["objectId"])
    assert ra.get(scope, name).role_definition_id == role_id(catalog.READER)
    with pytest.raises(ResourceExistsError) as duplicate:
        ra.create(scope, str(uuid.uuid4()), params)
    assert duplicate.value.error.code == "RoleAssignmentExists"
    with pytest.raises(ResourceExistsError) as changed:
        ra.create(scope, name, {**params, "principal_id": READER["objectId"]})
    assert changed.value.error.code == "RoleAssignmentUpdateNotPermitted"
    with pytest.raises(HttpResponseError) as nobody:
        ra.create(scope, str(uuid.uuid4()), {**params, "principal_id": str(uuid.uuid4())})
    assert nobody.value.status_code == 400 and nobody.value.error.code == "PrincipalNotFound"
    with pytest.raises(HttpResponseError) as no_role:
        ra.create(scope, str(uuid.uuid4()), {**params, "role_definition_id": role_id(str(uuid.uuid4()))})
    assert no_role.value.error.code == "RoleDefinitionDoesNotExist"
    assert ra.delete(scope, name).name == name
    with pytest.raises(ResourceNotFoundError):
        ra.get(scope, name)
    assert ra.delete(scope, name) is None  # deleting what is gone answers 204


# ---- permissions and authorization failures -----------------------------------------------------------------------


def test_permissions_are_the_callers_effective_roles(azure: SdkClients, emulator) -> None:
    owner = list(azure.authorization(SUB).permissions.list_for_resource_group("rg-ml-test"))
    assert [(p.actions, p.not_actions) for p in owner] == [(["*"], [])]
    reader = SdkClients(emulator, principal=READER).authorization(SUB).permissions
    assert [p.actions for p in reader.list_for_resource_group("rg-ml-test")] == [["*/read"]]
    assert [p.actions for p in reader.list_for_resource(*WS_ARGS)] == [["*/read"]]


def test_a_reader_is_refused_writes_with_authorization_failed(emulator, azure) -> None:
    reader = SdkClients(emulator, principal=READER)
    rc = reader.resources(SUB)
    assert rc.resource_groups.get("rg-ml-test").name == "rg-ml-test"
    with pytest.raises(HttpResponseError) as refused:
        rc.resource_groups.create_or_update("rg-new", {"location": "eastus"})
    assert refused.value.status_code == 403 and refused.value.error.code == "AuthorizationFailed"
    assert READER["objectId"] in refused.value.error.message
    assert "Microsoft.Resources/subscriptions/resourceGroups/write" in refused.value.error.message
    with pytest.raises(HttpResponseError) as no_grant:
        reader.authorization(SUB).role_assignments.create(
            f"/subscriptions/{SUB}",
            str(uuid.uuid4()),
            {"role_definition_id": role_id(catalog.OWNER), "principal_id": READER["objectId"]},
        )
    assert no_grant.value.status_code == 403
    # No role at all in the destination subscription: it is not listed, and reading it is refused.
    assert [s.subscription_id for s in reader.subscriptions().subscriptions.list()] == [SUB]
    with pytest.raises(HttpResponseError) as elsewhere:
        reader.resources(DEST).resource_groups.get("rg-ml-prod")
    assert elsewhere.value.status_code == 403
