"""Tests for the spec-conformance checker: path matching, the Swagger-to-JSON-Schema rules and stand-ins, the examples,
and hand-made conforming and non-conforming bodies for the operations the emulator serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.spec_conformance import OMITTED, SpecIndex, UnresolvedRefs, check_capture, find_specs_root

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg1"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
ML_TYPE = "Microsoft.MachineLearningServices/workspaces"


@pytest.fixture(scope="module")
def index() -> SpecIndex:
    return SpecIndex.load(find_specs_root())


def check(index: SpecIndex, method: str, path: str, status: int, body: Any, api_version: str = "") -> list[str]:
    return index.validate(method, path, {"api-version": api_version} if api_version else {}, status, body)


def brief(error: str) -> str:
    """An error without its trailing [spec ...] note."""
    return error.rsplit(" [spec ", 1)[0]


def test_every_excerpt_gives_operations(index: SpecIndex) -> None:
    root = find_specs_root()
    excerpts = sorted(path.relative_to(root).as_posix() for path in root.rglob("*.excerpt.json"))
    assert len(excerpts) == 17
    for excerpt in excerpts:
        assert [op for op in index.operations if op.source == excerpt], f"no operation indexed from {excerpt}"


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", "/subscriptions", "Subscriptions_List"),
        ("GET", SUB, "Subscriptions_Get"),
        ("GET", f"{SUB}/resourcegroups/rg1", "ResourceGroups_Get"),
        ("get", f"{SUB.upper()}/RESOURCEGROUPS/rg1/", "ResourceGroups_Get"),
        ("HEAD", f"{SUB}/resourcegroups/rg1", "ResourceGroups_CheckExistence"),
        ("GET", f"{SUB}/providers/Microsoft.MachineLearningServices", "Providers_Get"),
        ("POST", f"{SUB}/resourcegroups/rg1/validateMoveResources", "Resources_ValidateMoveResources"),
        ("GET", f"{RG}/providers/Microsoft.Authorization/locks", "ManagementLocks_ListAtResourceGroupLevel"),
        # the SDK sends an empty {parentResourcePath} as '//'
        (
            "GET",
            f"{SUB}/resourcegroups/rg1/providers/Microsoft.MachineLearningServices//workspaces/ws1"
            "/providers/Microsoft.Authorization/locks",
            "ManagementLocks_ListAtResourceLevel",
        ),
        # list_by_scope percent-encodes the scope into one segment (ManagementLockClient 1.0.0 URL-encodes it)
        (
            "GET",
            "/%2Fsubscriptions%2Fs%2FresourceGroups%2Frg1/providers/Microsoft.Authorization/locks",
            "ManagementLocks_ListByScope",
        ),
        (
            "GET",
            f"{SUB}/resourcegroups/rg1/providers/Microsoft.MachineLearningServices//workspaces/ws1"
            "/providers/Microsoft.Authorization/permissions",
            "Permissions_ListForResource",
        ),
        ("GET", f"{SUB}/providers/Microsoft.Authorization/roleAssignments", "RoleAssignments_ListForScope"),
        ("GET", f"{RG}/providers/Microsoft.Authorization/roleAssignments", "RoleAssignments_ListForResourceGroup"),
        # {scope} spans segments, but the more literal template wins
        ("GET", f"{WS}/providers/Microsoft.Authorization/roleAssignments", "RoleAssignments_ListForResource"),
        ("PUT", f"{WS}/providers/Microsoft.Authorization/roleAssignments/g1", "RoleAssignments_Create"),
        ("GET", WS, "Workspaces_Get"),
        ("GET", f"{WS}/computes", "Compute_List"),
        ("GET", f"{SUB}/providers/Microsoft.Databricks/workspaces", "Workspaces_ListBySubscription"),
    ],
)
def test_match(index: SpecIndex, method: str, path: str, operation_id: str) -> None:
    op = index.match(method, path)
    assert op is not None and op.operation_id == operation_id


def test_unknown_operation_is_not_checked(index: SpecIndex) -> None:
    path = f"{SUB}/operationresults/abc"
    assert index.match("GET", path) is None
    assert check(index, "GET", path, 409, {"anything": True}) == []
    assert index.match("GET", WS) is not None and index.match("GET", f"{WS}/featuresets") is None


def test_workspace_get_reads_the_ml_spec(index: SpecIndex) -> None:
    op = index.match("GET", WS)
    assert op is not None and op.source.endswith("workspaceRP.excerpt.json") and op.api_version == "2025-12-01"


# ---- hand-made bodies per operation ------------------------------------------------------------------------------


def test_resource_groups_get(index: SpecIndex) -> None:
    path = f"{SUB}/resourcegroups/rg1"
    good = {
        "id": RG,
        "name": "rg1",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "eastus",
        "tags": {"team": "ml"},
        "properties": {"provisioningState": "Succeeded"},
    }
    assert check(index, "GET", path, 200, good) == []
    errors = check(index, "GET", path, 200, {**good, "location": None, "tags": {"team": 1}}, "2025-04-01")
    assert errors == [
        "ResourceGroups_Get 200: #/location: None is not of type 'string' [spec 2025-04-01 "
        "specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.excerpt.json]",
        "ResourceGroups_Get 200: #/tags/team: 1 is not of type 'string' [spec 2025-04-01 "
        "specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.excerpt.json]",
    ]
    missing = {key: value for key, value in good.items() if key != "location"}
    assert any("#: 'location' is a required property" in e for e in check(index, "GET", path, 200, missing))


def test_subscriptions_get(index: SpecIndex) -> None:
    good = {
        "id": SUB,
        "subscriptionId": SUB.rsplit("/", 1)[1],
        "displayName": "Source",
        "tenantId": "72f988bf-0000-0000-0000-000000000000",
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "x", "spendingLimit": "Off"},
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }
    assert check(index, "GET", SUB, 200, good) == []
    # SubscriptionState and SpendingLimit are modelAsString: false, so their enums hold
    errors = check(index, "GET", SUB, 200, {**good, "state": "Active", "subscriptionPolicies": {"spendingLimit": "No"}})
    assert [brief(e) for e in errors] == [
        "Subscriptions_Get 200: #/state: 'Active' is not one of "
        "['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted']",
        "Subscriptions_Get 200: #/subscriptionPolicies/spendingLimit: 'No' is not one of "
        "['On', 'Off', 'CurrentPeriodOff']",
    ]


def test_management_locks_list(index: SpecIndex) -> None:
    path = f"{RG}/providers/Microsoft.Authorization/locks"
    lock = {
        "id": f"{RG}/providers/Microsoft.Authorization/locks/nodelete",
        "type": "Microsoft.Authorization/locks",
        "name": "nodelete",
        "properties": {"level": "CanNotDelete", "notes": "keep", "owners": [{"applicationId": "app"}]},
    }
    assert check(index, "GET", path, 200, {"value": [lock], "nextLink": None}) == []
    # LockLevel is modelAsString: true, so an unknown level is allowed
    assert check(index, "GET", path, 200, {"value": [{**lock, "properties": {"level": "Frozen"}}]}) == []
    bad = [{**lock, "properties": {"notes": "no level"}}, {**lock, "properties": None}, {**lock, "name": 7}]
    errors = [brief(e) for e in check(index, "GET", path, 200, {"value": bad})]
    assert errors == [
        "ManagementLocks_ListAtResourceGroupLevel 200: #/value/0/properties: 'level' is a required property",
        "ManagementLocks_ListAtResourceGroupLevel 200: #/value/1/properties: None is not of type 'object'",
        "ManagementLocks_ListAtResourceGroupLevel 200: #/value/2/name: 7 is not of type 'string', 'null'",
    ]
    # x-ms-pageable: the pager iterates `value`, so a list body without it is wrong
    assert check(index, "GET", path, 200, {"locks": []})[0].startswith(
        "ManagementLocks_ListAtResourceGroupLevel 200: #: 'value' is a required property"
    )


def test_role_assignments_list_for_scope(index: SpecIndex) -> None:
    path = f"{SUB}/providers/Microsoft.Authorization/roleAssignments"
    assignment = {
        "id": f"{SUB}/providers/Microsoft.Authorization/roleAssignments/b0f43c54",
        "name": "b0f43c54",
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "scope": SUB,
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7",
            "principalId": "ce2ce14e",
            "principalType": "ManagedIdentity",  # PrincipalType is modelAsString: true
            "createdOn": "yesterday",  # format: date-time is not enforced
        },
    }
    assert check(index, "GET", path, 200, {"value": [assignment]}, "2022-04-01") == []
    no_principal = {**assignment, "properties": {"roleDefinitionId": "r", "principalType": 3}}
    errors = check(index, "GET", path, 200, {"value": [no_principal]})
    assert [brief(e) for e in errors] == [
        "RoleAssignments_ListForScope 200: #/value/0/properties: 'principalId' is a required property",
        "RoleAssignments_ListForScope 200: #/value/0/properties/principalType: 3 is not of type 'string', 'null'",
    ]


def test_ml_workspaces_get(index: SpecIndex) -> None:
    good = {
        "id": WS,
        "name": "ws1",
        "type": ML_TYPE,
        "location": "eastus",
        "kind": "Default",
        "tags": {"env": "prod"},
        "sku": {"name": "Basic", "tier": "Basic"},
        "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
        "properties": {
            "workspaceId": "0b2d3e4f",
            "storageAccount": f"{RG}/providers/Microsoft.Storage/storageAccounts/st1",
            "keyVault": f"{RG}/providers/Microsoft.KeyVault/vaults/kv1",
            "applicationInsights": None,
            "containerRegistry": None,
            "hbiWorkspace": False,
            "privateLinkCount": 0,
            "publicNetworkAccess": "Enabled",
            "provisioningState": "Succeeded",
            "v1LegacyMode": False,
        },
    }
    assert check(index, "GET", WS, 200, good, "2024-10-01-preview") == []
    bad = {**good, "properties": {**good["properties"], "hbiWorkspace": "yes", "privateLinkCount": "3"}}
    errors = check(index, "GET", WS, 200, bad, "2024-10-01-preview")
    assert [brief(e) for e in errors] == [
        "Workspaces_Get 200: #/properties/hbiWorkspace: 'yes' is not of type 'boolean', 'null'",
        "Workspaces_Get 200: #/properties/privateLinkCount: '3' is not of type 'integer', 'null'",
    ]
    # the emulator accepts many api-versions; messages say which spec judged the body
    assert errors[0].endswith("workspaceRP.excerpt.json; request api-version 2024-10-01-preview]")
    assert "spec 2025-12-01" in errors[0]
    assert check(index, "GET", WS, 200, {**good, "properties": "ws1"})[0].startswith(
        "Workspaces_Get 200: #/properties: 'ws1' is not of type 'object'"
    )


def test_compute_list_checked_against_its_example(index: SpecIndex) -> None:
    path = f"{WS}/computes"
    op = index.match("GET", path)
    assert op is not None and op.inferred == ("200",) and op.source.endswith("examples/Compute/list.json")
    compute = {
        "id": f"{path}/cpu",
        "name": "cpu",
        "type": f"{ML_TYPE}/computes",
        "location": "eastus",
        "properties": {
            "computeType": "AmlCompute",
            "provisioningState": "Succeeded",
            "isAttachedCompute": False,
            "properties": {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0}},
        },
    }
    assert check(index, "GET", path, 200, {"value": [compute], "nextLink": None}, "2023-08-01-preview") == []
    wrong = {**compute, "name": ["cpu"], "properties": {**compute["properties"], "computeType": 1}}
    errors = check(index, "GET", path, 200, {"value": [wrong]})
    assert [brief(e) for e in errors] == [
        "Compute_List 200: #/value/0/name: ['cpu'] is not of type 'null', 'string'",
        "Compute_List 200: #/value/0/properties/computeType: 1 is not of type 'null', 'string'",
    ]
    assert "(schema inferred from examples)" in errors[0]
    assert check(index, "GET", path, 200, {"value": {"cpu": compute}})[0].startswith(
        "Compute_List 200: #/value: {'cpu':"
    )
    assert check(index, "GET", path, 404, {"error": {"code": "ResourceNotFound", "message": "no workspace"}}) == []


def test_databricks_list(index: SpecIndex) -> None:
    path = f"{SUB}/providers/Microsoft.Databricks/workspaces"
    workspace = {
        "id": f"{RG}/providers/Microsoft.Databricks/workspaces/dbw",
        "name": "dbw",
        "type": "Microsoft.Databricks/workspaces",
        "location": "eastus",
        "sku": {"name": "premium"},
        "properties": {
            "managedResourceGroupId": f"{SUB}/resourceGroups/dbw-managed",
            "parameters": {"amlWorkspaceId": {"type": "String", "value": WS}},
            "provisioningState": "Succeeded",
            "isUcEnabled": False,
        },
    }
    assert check(index, "GET", path, 200, {"value": [workspace]}) == []
    bad = {**workspace, "sku": "premium", "properties": {**workspace["properties"], "isUcEnabled": "no"}}
    errors = check(index, "GET", path, 200, {"value": [bad]})
    assert [brief(e) for e in errors] == [
        "Workspaces_ListBySubscription 200: #/value/0/properties/isUcEnabled: 'no' is not of type 'boolean', 'null'",
        "Workspaces_ListBySubscription 200: #/value/0/sku: 'premium' is not of type 'null', 'object'",
    ]
    # the excerpt left WorkspaceListResult out: the example's shape stands in, and the gap stays visible
    assert "(schema inferred from examples)" in errors[0]
    gap = "databricks.excerpt.json#/definitions/WorkspaceListResult"
    assert any(ref.endswith(gap) for ref in index.omitted_refs)


def test_validate_move_resources(index: SpecIndex) -> None:
    path = f"{SUB}/resourcegroups/rg1/validateMoveResources"
    assert check(index, "POST", path, 202, None) == []
    assert check(index, "POST", path, 204, None) == []
    assert check(index, "POST", path, 202, {"status": "Running"})[0].startswith(
        'Resources_ValidateMoveResources 202: the spec defines no body for 202, got {"status": "Running"}'
    )
    failure = {
        "error": {
            "code": "ResourceMoveValidationFailed",
            "message": "The resource batch move request has failed validation.",
            "target": None,
            "details": [{"code": "ResourceMoveNotSupported", "message": "Workspace ws1 cannot move.", "details": []}],
        }
    }
    assert check(index, "POST", path, 409, failure) == []
    flat = failure["error"]
    no_message = {"error": {"code": "ScopeLocked", "details": [{"code": "X"}]}}
    errors = [brief(e) for e in check(index, "POST", path, 409, flat) + check(index, "POST", path, 409, no_message)]
    assert errors == [
        "Resources_ValidateMoveResources 409: #: 'error' is a required property",
        "Resources_ValidateMoveResources 409: #/error: 'message' is a required property",
        "Resources_ValidateMoveResources 409: #/error/details/0: 'message' is a required property",
    ]


def test_status_without_body_and_listed_error_status(index: SpecIndex) -> None:
    path = f"{SUB}/resourcegroups/rg1"
    assert check(index, "HEAD", path, 204, None) == []
    assert check(index, "HEAD", path, 404, None) == []
    assert check(index, "HEAD", path, 404, {"error": {"code": "ResourceGroupNotFound", "message": "m"}}) != []


# ---- the examples and what the index could not resolve -------------------------------------------------------------


def test_examples_validate_against_their_operations(index: SpecIndex) -> None:
    assert index.check_examples() == {}


def test_examples_are_linked(index: SpecIndex) -> None:
    links = {link.path.split("/examples/")[1]: (link.how, link.operation and link.operation.operation_id)
             for link in index.examples}  # fmt: skip
    assert links["Workspace/get.json"] == ("x-ms-examples", "Workspaces_Get")
    assert links["2025-04-01/ResourceGroups_Get.json"] == ("operationId", "ResourceGroups_Get")
    assert links["CreateResourceGroup.json"] == ("x-ms-examples file name", "ResourceGroups_CreateOrUpdate")
    assert links["Compute/list.json"] == ("inferred", "Compute_List")
    # Microsoft's placeholder examples ("id": "string") show no path, so nothing claims them
    assert sorted(path for path, (how, _) in links.items() if how == "unmatched") == [
        "Datastore/list.json",
        "Job/CommandJob/list.json",
        "Workspace/BatchEndpoint/list.json",
        "Workspace/OnlineEndpoint/list.json",
        "Workspace/ServerlessEndpoint/list.json",
    ]
    assert any(ref.endswith("examples/GetPermissions.json") for ref in index.missing_examples)


def test_common_types_resolve_and_omissions_are_counted_and_shown(index: SpecIndex) -> None:
    assert not [ref for ref in index.omitted_refs if "common-types" in ref]  # vendored: every one resolves
    left_out = "databricks.excerpt.json#/definitions/WorkspaceListResult"
    assert any(ref.endswith(left_out) for ref in index.omitted_refs)
    assert left_out in index.summary()


def test_the_vendored_specs_are_self_contained() -> None:
    """The repository's specs alone: nothing from ../shared (issue 14) and not one $ref left dangling."""
    root = find_specs_root()
    assert root == Path(__file__).resolve().parents[1] / "specs"
    assert SpecIndex.load(root).spec_files


def test_an_unresolved_ref_fails_loading(tmp_path: Path) -> None:
    folder = tmp_path / PETS
    folder.mkdir(parents=True)
    spec = _pet_spec()
    (folder / "pets.json").write_text(json.dumps(spec))
    with pytest.raises(UnresolvedRefs, match=r"common-types/types\.json#/definitions/Vet"):
        SpecIndex.load(tmp_path)


# ---- the Swagger dialect, on a hand-made spec ----------------------------------------------------------------------

PETS = "specification/pets/resource-manager/Contoso.Pets/stable/2024-01-01"


def _pet_spec() -> dict[str, Any]:
    pet_path = "/subscriptions/{subscriptionId}/providers/Contoso.Pets/pets/{petName}"
    return {
        "swagger": "2.0",
        "info": {"version": "2024-01-01"},
        "paths": {
            pet_path: {
                "get": {
                    "operationId": "Pets_Get",
                    "x-ms-examples": {"one": {"$ref": "./examples/GetPet.json"}},
                    "responses": {
                        "200": {"schema": {"$ref": "#/definitions/Pet"}},
                        "default": {"schema": {"$ref": "./common.json#/definitions/CloudError"}},
                    },
                },
                "delete": {"operationId": "Pets_Delete", "responses": {"200": {}, "204": {}}},
            },
            "/subscriptions/{subscriptionId}/providers/Contoso.Pets/pets": {
                "get": {
                    "operationId": "Pets_List",
                    "x-ms-pageable": {"nextLinkName": "next", "itemName": "pets"},
                    "responses": {"200": {"schema": {"$ref": "#/definitions/PetList"}}},
                }
            },
            "/{resourceUri}/providers/Contoso.Pets/owners": {
                "get": {"operationId": "Owners_List", "responses": {"200": {"schema": {"type": "object"}}}}
            },
            "/kennels/{kennelPath}/doors": {
                "get": {
                    "operationId": "Doors_List",
                    "parameters": [{"name": "kennelPath", "in": "path", "x-ms-skip-url-encoding": True}],
                    "responses": {"200": {"schema": {"$ref": "../../../../../common-types/types.json#/definitions/X"}}},
                }
            },
        },
        "definitions": {
            "PetList": {"properties": {"pets": {"type": "array", "items": {"$ref": "#/definitions/Pet"}}}},
            "Pet": {
                "discriminator": "kind",
                "required": ["kind", "name", "born"],
                "properties": {
                    "kind": {"type": "string"},
                    "name": {"type": "string", "readOnly": True},
                    "born": {"type": "string", "format": "date-time"},
                    "owner": {"type": "string", "x-nullable": False},
                    "chip": {"type": "string", "x-nullable": True},
                    "color": {"type": "string", "enum": ["Black", "White"], "x-ms-enum": {"modelAsString": True}},
                    "size": {"type": "string", "enum": ["S", "L"], "x-ms-enum": {"modelAsString": False}},
                    "weights": {"type": "object", "additionalProperties": {"type": "number"}},
                    "tag": {"$ref": "./common.json#/definitions/Tag"},
                    "vet": {"$ref": "../../../../../common-types/types.json#/definitions/Vet"},
                },
            },
            "Dog": {
                "x-ms-discriminator-value": "dog",
                "allOf": [{"$ref": "#/definitions/Pet"}],
                "required": ["barks"],
                "properties": {"barks": {"type": "boolean"}, "puppy": {"$ref": "#/definitions/Pet"}},
            },
            "Cat": {"allOf": [{"$ref": "#/definitions/Pet"}], "properties": {"lives": {"type": "integer"}}},
        },
    }


@pytest.fixture
def pets(tmp_path: Path) -> SpecIndex:
    folder = tmp_path / PETS
    (folder / "examples").mkdir(parents=True)
    (folder / "pets.json").write_text(json.dumps(_pet_spec()))
    common = {
        "swagger": "2.0",
        "info": {"version": "1"},
        "paths": {},
        "definitions": {
            "Tag": {"required": ["label"], "properties": {"label": {"type": "string"}}},
            "CloudError": {"properties": {"error": {"type": "object"}}},
        },
    }
    (folder / "common.json").write_text(json.dumps(common))
    shared_types = tmp_path / "specification/common-types/types.json"
    shared_types.parent.mkdir(parents=True)
    left_out = {OMITTED: "not needed by these tests"}
    types = {"swagger": "2.0", "paths": {}, "definitions": {"Vet": left_out, "X": left_out}}
    shared_types.write_text(json.dumps(types))
    ok = {"parameters": {}, "responses": {"200": {"body": {"kind": "Cat", "name": "Tom", "born": "2020"}}}}
    (folder / "examples" / "GetPet.json").write_text(json.dumps(ok))
    placeholder = {"operationId": "Pets_Get", "parameters": {}, "responses": {"200": {"body": {"name": "string"}}}}
    (folder / "examples" / "GetPetPlaceholder.json").write_text(json.dumps(placeholder))
    listed = {"body": {"value": [{"id": "/subscriptions/s/providers/Contoso.Toys/toys/ball", "price": 2}]}}
    (folder / "examples" / "ListToys.json").write_text(json.dumps({"parameters": {}, "responses": {"200": listed}}))
    return SpecIndex.load(tmp_path)


PET = "/subscriptions/s1/providers/Contoso.Pets/pets/rex"


def test_discriminator_dispatches_to_the_subtype(pets: SpecIndex) -> None:
    base = {"name": "rex", "born": "2020-01-01T00:00:00Z"}
    assert check(pets, "GET", PET, 200, {**base, "kind": "dog", "barks": True}) == []
    assert check(pets, "GET", PET, 200, {**base, "kind": "Cat", "lives": 9}) == []
    assert check(pets, "GET", PET, 200, {**base, "kind": "Fish"}) == []  # no subtype: the base alone
    errors = [brief(e) for e in check(pets, "GET", PET, 200, {**base, "kind": "dog", "puppy": {"kind": "Cat"}})]
    assert errors == [
        "Pets_Get 200: #: 'barks' is a required property",
        "Pets_Get 200: #/puppy: 'born' is a required property",
        "Pets_Get 200: #/puppy: 'name' is a required property",
    ]
    assert check(pets, "GET", PET, 200, {**base, "kind": "Cat", "lives": "nine"})[0].startswith(
        "Pets_Get 200: #/lives: 'nine' is not of type 'integer', 'null'"
    )


def test_swagger_keywords(pets: SpecIndex) -> None:
    pet = {"kind": "Cat", "name": "Tom", "born": "not a date"}  # format is not enforced
    allowed = {"chip": None, "color": "Ginger", "size": None, "weights": {"kg": 4.5}, "tag": {"label": "a"}, "vet": 1}
    assert check(pets, "GET", PET, 200, {**pet, **allowed}) == []
    refused = {"name": None, "owner": None, "size": "M", "weights": {"kg": "heavy"}, "tag": {}}
    errors = [brief(e) for e in check(pets, "GET", PET, 200, {**pet, **refused})]
    assert errors == [
        "Pets_Get 200: #/name: None is not of type 'string'",  # required, not x-nullable
        "Pets_Get 200: #/owner: None is not of type 'string'",  # x-nullable: false
        "Pets_Get 200: #/size: 'M' is not one of ['S', 'L', None]",  # modelAsString: false
        "Pets_Get 200: #/tag: 'label' is a required property",  # $ref to a sibling file
        "Pets_Get 200: #/weights/kg: 'heavy' is not of type 'number'",
    ]
    assert pets.omitted_refs["specification/common-types/types.json#/definitions/Vet"] == 1  # permissive, counted


def test_statuses_bodies_and_paging(pets: SpecIndex) -> None:
    assert check(pets, "DELETE", PET, 204, None) == []
    assert check(pets, "DELETE", PET, 204, {}) != []
    assert check(pets, "DELETE", PET, 409, {"error": {"code": "Busy", "message": "m"}}) == [
        f"Pets_Delete 409: status not in the spec (it lists 200, 204) [spec 2024-01-01 {PETS}/pets.json]"
    ]
    # the default response keeps the spec's schema and adds the ARM error shape
    assert check(pets, "GET", PET, 500, {"error": {"code": "Boom", "message": "m"}}) == []
    assert check(pets, "GET", PET, 500, {"error": {"code": "Boom"}})[0].startswith(
        "Pets_Get 500: #/error: 'message' is a required property"
    )
    pets_path = "/subscriptions/s1/providers/Contoso.Pets/pets"
    assert check(pets, "GET", pets_path, 200, {"pets": [], "next": None}) == []
    assert check(pets, "GET", pets_path, 200, {"value": []})[0].startswith(
        "Pets_List 200: #: 'pets' is a required property"
    )
    assert check(pets, "GET", pets_path, 200, {"pets": [None]}) != []  # array items are not nullable


def test_path_parameters_that_span_segments(pets: SpecIndex) -> None:
    owners = pets.match("GET", "/subscriptions/s1/resourceGroups/rg/providers/Contoso.Pets/owners")
    assert owners is not None and owners.operation_id == "Owners_List"  # leading {resourceUri}, undeclared
    assert pets.match("GET", "/kennels/a/b/c/doors") is not None  # declared x-ms-skip-url-encoding
    assert pets.match("GET", "/kennels/doors") is None
    assert pets.match("GET", "/subscriptions/s1/providers/Contoso.Pets/pets/a/b") is None  # {petName} is one segment
    assert check(pets, "GET", "/kennels/a/doors", 200, "anything") == []  # its schema is missing: permissive


def test_hand_made_examples(pets: SpecIndex) -> None:
    links = {link.path.rsplit("/", 1)[1]: (link.how, link.operation and link.operation.operation_id)
             for link in pets.examples}  # fmt: skip
    assert links == {
        "GetPet.json": ("x-ms-examples", "Pets_Get"),
        "GetPetPlaceholder.json": ("operationId", "Pets_Get"),
        "ListToys.json": ("inferred", "ListToys"),
    }
    findings = pets.check_examples()
    assert list(findings) == [f"{PETS}/examples/GetPetPlaceholder.json"]
    assert findings[f"{PETS}/examples/GetPetPlaceholder.json"][0].startswith(
        "Pets_Get 200: #: 'born' is a required property"
    )
    toys = "/subscriptions/s2/providers/Contoso.Toys/toys"
    assert check(pets, "GET", toys, 200, {"value": [{"price": 3.5}]}) == []
    assert check(pets, "GET", toys, 200, {"value": [{"price": "free"}]}) != []


# ---- the capture file and where the specs are ----------------------------------------------------------------------


def test_check_capture(index: SpecIndex, tmp_path: Path) -> None:
    rg = {"id": RG, "name": "rg1", "type": "Microsoft.Resources/resourceGroups", "location": "eastus"}
    records = [
        {"method": "GET", "path": f"{SUB}/resourcegroups/rg1", "query": {"api-version": "2025-04-01"}, "status": 200,
         "body": rg},
        {"method": "GET", "path": f"{RG}/providers/Microsoft.Authorization/locks", "query": {}, "status": 200,
         "body": {"value": [{"properties": {}}]}},
        {"method": "GET", "path": f"{SUB}/operationresults/1", "query": {}, "status": 204, "body": None},
    ]  # fmt: skip
    capture = tmp_path / "capture.jsonl"
    capture.write_text("\n".join([*map(json.dumps, records), "", "{not json"]) + "\n")
    seen, checked, errors = check_capture(capture, index)
    assert (seen, checked) == (4, 2)
    assert len(errors) == 2
    assert errors[0].startswith(
        f"capture.jsonl:2 GET {RG}/providers/Microsoft.Authorization/locks: ManagementLocks_ListAtResourceGroupLevel "
        "200: #/value/0/properties: 'level' is a required property"
    )
    assert errors[1].startswith("capture.jsonl:5: not a capture record")


def test_find_specs_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMLMOVE_SPECS_DIR", str(tmp_path))
    assert find_specs_root() == tmp_path
    with pytest.raises(FileNotFoundError, match=r"no Swagger 2\.0 file"):
        SpecIndex.load(tmp_path)
    monkeypatch.setenv("AMLMOVE_SPECS_DIR", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="AMLMOVE_SPECS_DIR"):
        find_specs_root()
    monkeypatch.delenv("AMLMOVE_SPECS_DIR")
    assert find_specs_root().parts[-2:] == ("tests", "specs")


def test_every_vendored_spec_file_has_its_provenance() -> None:
    """tests/specs/PROVENANCE.md names each file's source path and commit in Azure/azure-rest-api-specs."""
    root = Path(__file__).resolve().parents[1] / "specs"
    table = (root / "PROVENANCE.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in table.splitlines() if line.startswith("| `")}
    files = sorted(path.relative_to(root).as_posix() for path in root.rglob("*.json"))
    assert files and [f for f in files if f not in rows] == []
    assert all(len(row.split("|")[3].strip().strip("`")) == 40 for row in rows.values())  # a full commit id
