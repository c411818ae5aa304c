"""ARM as the real Azure SDK clients see it: subscriptions, tenants, providers, resource groups, generic resources
(list with $filter, get by id, HEAD, PUT/DELETE, actions), paging with absolute nextLinks, and the rules every request
meets (api-version, case-insensitive paths, `//` collapsed, tenant and subscription checks)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)

from amlmove_emulator import ids, samples
from tests.conftest import SdkClients

SUB, DEST = samples.SOURCE_SUB, samples.DEST_SUB
ML = "Microsoft.MachineLearningServices"
RESOURCES_API = "2025-04-01"


def arm_scenario(**settings: Any) -> samples.WorkspaceScenario:
    """The clean workspace plus what listing must also show: a private endpoint connection, a labeling job, a
    Databricks workspace linked to the AML workspace, tags to filter on."""
    s = samples.WorkspaceScenario()
    s.private_endpoint("pe-mlw-churn")
    s.add(
        f"{s.workspace_id}/labelingJobs/label-churn",
        {
            "properties": {
                "jobType": "Labeling",
                "status": "Completed",
                "description": "label churn reasons",
                "tags": {},
                "properties": {},
                "jobInstructions": {"uri": "https://contoso.example/instructions"},
                "labelingJobMediaProperties": {"mediaType": "Text"},
                "projectId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            }
        },
    )
    s.add(
        f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/dbw-churn",
        {
            "location": "eastus",
            "sku": {"name": "premium"},
            "tags": {"team": "churn"},
            "properties": {
                "managedResourceGroupId": f"/subscriptions/{SUB}/resourceGroups/rg-dbw-churn-managed",
                "parameters": {"amlWorkspaceId": {"type": "String", "value": s.workspace_id}},
                "workspaceId": "5555555555555555",
                "workspaceUrl": "adb-5555555555555555.19.azuredatabricks.net",
            },
        },
    )
    s.settings = dict(settings)
    return s


@pytest.fixture
def scenario() -> samples.WorkspaceScenario:
    return arm_scenario()


@pytest.fixture
def azure(emulator, scenario) -> SdkClients:
    emulator.load_scenario(scenario.build())
    return SdkClients(emulator)


def status_of(pipeline_response, deserialized, headers) -> int:
    """`cls=` for an SDK call: the HTTP status instead of the model."""
    return pipeline_response.http_response.status_code


# ---- subscriptions and tenants -----------------------------------------------------------------------------------


def test_subscriptions_and_tenants(azure: SdkClients) -> None:
    sc = azure.subscriptions()
    subs = {s.subscription_id: s for s in sc.subscriptions.list()}
    assert set(subs) == {SUB, DEST}
    assert subs[SUB].state == "Enabled" and subs[SUB].tenant_id == samples.TENANT
    got = sc.subscriptions.get(DEST)
    assert (got.display_name, got.id) == ("ml-prod", f"/subscriptions/{DEST}")
    assert [t.tenant_id for t in sc.tenants.list()] == [samples.TENANT]
    with pytest.raises(ResourceNotFoundError) as missing:
        sc.subscriptions.get("a1b2c3d4-0000-4000-8000-0000000000ff")
    assert missing.value.error.code == "SubscriptionNotFound"


def test_a_subscription_of_another_tenant_is_invisible_and_refused(emulator) -> None:
    emulator.load_scenario(samples.WorkspaceScenario(dest_tenant="0b9f6a2e-1111-4222-8333-444455556666").build())
    sc = SdkClients(emulator).subscriptions()
    assert [s.subscription_id for s in sc.subscriptions.list()] == [SUB]
    with pytest.raises(ClientAuthenticationError) as refused:
        sc.subscriptions.get(DEST)
    assert refused.value.error.code == "InvalidAuthenticationTokenTenant"


# ---- providers --------------------------------------------------------------------------------------------------


def test_providers_get_list_register_and_unregister(azure: SdkClients) -> None:
    rc = azure.resources(DEST)
    ml = rc.providers.get(ML)
    assert ml.registration_state == "Registered"
    workspaces = next(t for t in ml.resource_types if t.resource_type == "workspaces")
    assert "CrossSubscriptionResourceMove" in workspaces.capabilities
    assert "2025-04-01" not in workspaces.api_versions and workspaces.api_versions[0] == "2026-07-01"
    listed = {p.namespace: p.registration_state for p in rc.providers.list()}
    assert listed["Microsoft.Databricks"] == "NotRegistered" and listed["Microsoft.Resources"] == "Registered"
    assert rc.providers.register("Microsoft.Databricks").registration_state == "Registered"
    assert rc.providers.get("microsoft.databricks").registration_state == "Registered"
    assert rc.providers.unregister("Microsoft.Databricks").registration_state == "NotRegistered"
    assert rc.providers.get("Microsoft.Databricks").registration_state == "NotRegistered"
    with pytest.raises(ResourceNotFoundError) as unknown:
        rc.providers.get("Microsoft.Nonexistent")
    assert unknown.value.error.code == "InvalidResourceNamespace"


# ---- resource groups --------------------------------------------------------------------------------------------


def test_resource_group_get_head_put_delete_and_list(azure: SdkClients) -> None:
    rc = azure.resources(DEST)
    assert [g.name for g in rc.resource_groups.list()] == ["rg-ml-prod"]
    got = rc.resource_groups.get("rg-ml-prod")
    assert (got.location, got.tags, got.properties.provisioning_state) == ("eastus", {"env": "prod"}, "Succeeded")
    assert rc.resource_groups.check_existence("rg-ml-prod") is True
    assert rc.resource_groups.check_existence("rg-new") is False
    assert rc.resource_groups.create_or_update("rg-new", {"location": "westeurope"}, cls=status_of) == 201
    assert rc.resource_groups.create_or_update("rg-new", {"location": "westeurope", "tags": {"a": "b"}}).tags == {
        "a": "b"
    }
    assert rc.resource_groups.create_or_update("rg-new", {"location": "West Europe"}, cls=status_of) == 200
    with pytest.raises(ResourceExistsError) as moved:
        rc.resource_groups.create_or_update("rg-new", {"location": "eastus"})
    assert moved.value.error.code == "InvalidResourceGroupLocation"
    assert sorted(g.name for g in rc.resource_groups.list()) == ["rg-ml-prod", "rg-new"]
    rc.resource_groups.begin_delete("rg-new", polling_interval=0).result()
    assert rc.resource_groups.check_existence("rg-new") is False
    with pytest.raises(ResourceNotFoundError) as gone:
        rc.resource_groups.get("rg-new")
    assert gone.value.error.code == "ResourceGroupNotFound"


def test_resource_group_name_rules(azure: SdkClients) -> None:
    rc = azure.resources(DEST)
    with pytest.raises(HttpResponseError) as bad:
        rc.resource_groups.create_or_update("rg-ends-with-a-dot.", {"location": "eastus"})
    assert bad.value.status_code == 400 and bad.value.error.code == "InvalidResourceGroup"
    with pytest.raises(HttpResponseError) as no_location:
        azure.send("PUT", f"/subscriptions/{DEST}/resourcegroups/rg-x", body={}).raise_for_status()
    assert no_location.value.status_code == 400


# ---- generic resources ------------------------------------------------------------------------------------------


def test_resources_list_by_resource_group_with_filter_and_expand(azure: SdkClients, scenario) -> None:
    rc = azure.resources(SUB)
    everything = {r.id for r in rc.resources.list_by_resource_group("rg-ml-test")}
    top_level = {e["id"] for e in scenario.resources if e["id"].count("/") == 8}
    assert everything == top_level and len(everything) == 8

    def names(flt: str) -> list[str]:
        return sorted(r.name for r in rc.resources.list_by_resource_group("rg-ml-test", filter=flt))

    assert names(f"resourceType eq '{ML}/workspaces'") == ["mlw-churn"]
    assert names("resourcetype EQ 'microsoft.storage/storageaccounts'") == ["stchurn01"]
    assert names("name eq 'kv-mlw-churn'") == ["kv-mlw-churn"]
    assert names("substringof('churn', name)") == sorted(r.rsplit("/", 1)[-1] for r in everything)
    assert names("tagName eq 'team' and tagValue eq 'churn'") == ["dbw-churn", "mlw-churn"]
    assert names("name eq 'kv-mlw-churn' or name eq 'crchurn01'") == ["crchurn01", "kv-mlw-churn"]
    expanded = next(iter(rc.resources.list_by_resource_group("rg-ml-test", expand="provisioningState")))
    assert expanded.provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as bad:
        list(rc.resources.list_by_resource_group("rg-ml-test", filter="location eq 'eastus'"))
    assert bad.value.error.code == "InvalidFilterInQueryString"
    with pytest.raises(ResourceNotFoundError) as missing:
        list(rc.resources.list_by_resource_group("rg-missing"))
    assert missing.value.error.code == "ResourceGroupNotFound"


def test_resources_list_in_the_subscription_with_filter(azure: SdkClients) -> None:
    rc = azure.resources(SUB)
    assert [r.name for r in rc.resources.list(filter="resourceType eq 'Microsoft.Databricks/workspaces'")] == [
        "dbw-churn"
    ]
    assert len(list(rc.resources.list())) == 8


def test_generic_get_by_id_for_workspace_labeling_job_and_private_endpoint_connection(
    azure: SdkClients, scenario
) -> None:
    rc = azure.resources(SUB)
    ws = rc.resources.get_by_id(scenario.workspace_id, api_version="2025-12-01")
    assert (ws.type, ws.kind, ws.location) == (f"{ML}/workspaces", "Default", "eastus")
    assert ws.properties["storageAccount"] == scenario.associated("storage")
    assert ws.properties["privateLinkCount"] == 1
    labeling = rc.resources.get_by_id(
        f"{scenario.workspace_id}/labelingJobs/label-churn", api_version="2024-04-01-preview"
    )
    assert labeling.type == f"{ML}/workspaces/labelingJobs" and labeling.properties["status"] == "Completed"
    pec_id = f"{scenario.workspace_id}/privateEndpointConnections/pe-mlw-churn.conn-0001"
    pec = rc.resources.get_by_id(pec_id, api_version="2025-12-01")
    assert pec.properties["privateLinkServiceConnectionState"]["status"] == "Approved"
    with pytest.raises(ResourceNotFoundError) as missing:
        rc.resources.get_by_id(f"{scenario.workspace_id}/computes/none", api_version="2025-12-01")
    assert missing.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as orphan:
        rc.resources.get_by_id(
            f"{scenario.source_rg}/providers/{ML}/workspaces/none/computes/c", api_version="2025-12-01"
        )
    assert orphan.value.error.code == "ParentResourceNotFound"


def test_generic_put_head_patch_and_delete(azure: SdkClients) -> None:
    rc = azure.resources(DEST)
    vault = f"/subscriptions/{DEST}/resourceGroups/rg-ml-prod/providers/Microsoft.KeyVault/vaults/kv-new"
    assert rc.resources.check_existence_by_id(vault, api_version="2024-11-01") is False
    body = {
        "location": "eastus",
        "properties": {"tenantId": samples.TENANT, "sku": {"family": "A", "name": "standard"}},
    }
    created = rc.resources.begin_create_or_update_by_id(
        vault, api_version="2024-11-01", parameters=body, polling_interval=0
    ).result()
    assert (created.id, created.properties["provisioningState"]) == (vault, "Succeeded")
    assert rc.resources.check_existence_by_id(vault, api_version="2024-11-01") is True
    patched = rc.resources.begin_update_by_id(
        vault, api_version="2024-11-01", parameters={"tags": {"a": "1"}}, polling_interval=0
    ).result()
    assert patched.tags == {"a": "1"}
    rc.resources.begin_delete_by_id(vault, api_version="2024-11-01", polling_interval=0).result()
    assert rc.resources.check_existence_by_id(vault, api_version="2024-11-01") is False


def test_storage_list_keys_and_workspace_listings_through_the_sdk_pipeline(azure: SdkClients, scenario) -> None:
    keys = azure.send("POST", scenario.associated("storage") + "/listKeys", api_version="2023-05-01")
    assert keys.status_code == 200
    assert [k["keyName"] for k in keys.json()["keys"]] == ["key1", "key2"]
    assert keys.json()["keys"][0]["value"] == "c3RvcmFnZS1rZXktMS1mb3ItdGhlLWVtdWxhdG9y"
    ws_list = azure.send("GET", f"{scenario.source_rg}/providers/{ML}/workspaces", api_version="2025-12-01")
    assert [w["name"] for w in ws_list.json()["value"]] == ["mlw-churn"]
    dbw = azure.send("GET", f"/subscriptions/{SUB}/providers/Microsoft.Databricks/workspaces", "2024-05-01")
    linked = dbw.json()["value"][0]["properties"]["parameters"]["amlWorkspaceId"]["value"]
    assert linked == scenario.workspace_id
    pecs = azure.send("GET", f"{scenario.workspace_id}/privateEndpointConnections", api_version="2025-12-01")
    assert [p["name"] for p in pecs.json()["value"]] == ["pe-mlw-churn.conn-0001"]
    labeling = azure.send("GET", f"{scenario.workspace_id}/labelingJobs", api_version="2024-04-01-preview")
    assert [j["name"] for j in labeling.json()["value"]] == ["label-churn"]


# ---- paging -----------------------------------------------------------------------------------------------------


def test_lists_page_with_absolute_next_links(emulator) -> None:
    s = arm_scenario(defaultPageSize=3, pageSizes={"microsoft.resources/resourcegroups": 1})
    for i in range(4):
        s.add(samples.group_id(DEST, f"rg-extra-{i}"), {"location": "eastus"})
    emulator.load_scenario(s.build())
    azure = SdkClients(emulator)
    rc = azure.resources(DEST)
    extra = [f"rg-extra-{i}" for i in range(4)]
    assert sorted(g.name for g in rc.resource_groups.list()) == [*extra, "rg-ml-prod"]
    group_pages = [r for r in emulator.requests() if r["path"].lower().endswith("/resourcegroups")]
    assert len(group_pages) == 5 and all(r["status"] == 200 for r in group_pages)
    assert [r["query"].get("$skiptoken") for r in group_pages] == [None, "1", "2", "3", "4"]
    first = azure.send("GET", f"/subscriptions/{DEST}/resourcegroups").json()
    assert first["nextLink"].startswith(f"{emulator.url}/subscriptions/{DEST}/resourcegroups?")
    assert "$skiptoken=1" in first["nextLink"].replace("%24", "$")
    resources = list(azure.resources(SUB).resources.list_by_resource_group("rg-ml-test"))
    assert len(resources) == 8  # the default page size (3) in three pages
    last = azure.send("GET", f"/subscriptions/{SUB}/resourcegroups/rg-ml-test/resources?$skiptoken=6").json()
    assert len(last["value"]) == 2 and "nextLink" not in last


# ---- rules for every request -------------------------------------------------------------------------------------


def test_missing_or_malformed_api_version_is_400(azure: SdkClients) -> None:
    missing = azure.send("GET", f"/subscriptions/{SUB}/resourcegroups", api_version=None)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    bad = azure.send("GET", f"/subscriptions/{SUB}/resourcegroups", api_version="latest")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidApiVersionParameter"


@pytest.mark.parametrize(
    "path",
    [
        f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/RG-ML-TEST",
        f"/subscriptions/{SUB.upper()}/resourcegroups/rg-ml-test/",
        f"/subscriptions//{SUB}/resourceGroups//rg-ml-test",
    ],
)
def test_paths_match_case_insensitively_and_double_slashes_collapse(azure: SdkClients, path: str) -> None:
    got = azure.send("GET", path)
    assert got.status_code == 200, got.text()
    assert got.json()["id"] == f"/subscriptions/{SUB}/resourceGroups/rg-ml-test"  # the stored casing
    on_the_wire = json.loads(azure.emulator.capture.read_text().splitlines()[-1])["path"]
    assert on_the_wire == path  # the client sent it as written: the emulator did the matching
    assert azure.emulator.requests()[-1]["path"] == ids.normalise(path)


def test_unknown_routes_and_methods(azure: SdkClients) -> None:
    assert azure.send("GET", f"/subscriptions/{SUB}/nonsense").json()["error"]["code"] == "InvalidResourceType"
    post = azure.send("POST", f"/subscriptions/{SUB}")
    assert post.status_code == 405 and post.json()["error"]["code"] == "MethodNotAllowed"
    # What the route table (amlmove_emulator/arm/routes.py) falls back to, as the if-ladder it replaced did: below a
    # subscription an unknown type is named; anywhere else (tenant level, below a group) the whole path is.
    group = f"/subscriptions/{SUB}/resourceGroups/rg-ml-test"
    expected = {
        ("GET", f"/subscriptions/{SUB}/nonsense/x"): "The resource type 'nonsense' could not be found.",
        ("POST", f"/subscriptions/{SUB}/resources"): "The resource type 'resources' could not be found.",
        ("GET", f"/subscriptions/{SUB}/operationresults"): "The resource type 'operationresults' could not be found.",
        ("GET", "/nonsense"): "The resource type could not be found for path '/nonsense'.",
        ("POST", "/subscriptions"): "The resource type could not be found for path '/subscriptions'.",
        ("GET", f"{group}/nonsense"): f"The resource type could not be found for path '{group}/nonsense'.",
        ("GET", f"{group}/validateMoveResources"): (
            f"The resource type could not be found for path '{group}/validateMoveResources'."
        ),
        ("GET", f"{group}/providers/{ML}"): f"The resource type could not be found for path '{group}/providers/{ML}'.",
    }
    for (method, path), message in expected.items():
        got = azure.send(method, path)
        assert got.status_code == 404 and got.json()["error"] == {"code": "InvalidResourceType", "message": message}
    # a route without methods lets its handler answer 405 (the group), one with methods falls through (above)
    assert azure.send("POST", group).json()["error"]["code"] == "MethodNotAllowed"
