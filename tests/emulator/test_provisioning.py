"""Issue 18: the emulator's asynchronous creates of online/batch endpoints and deployments (provisioning.py), as the
real azure-mgmt-resource client meets them — 201 Creating with Azure-AsyncOperation, a status page InProgress then
Succeeded, the scoring URI Azure derives from name and region, traffic refused to a deployment that does not exist,
and a provisioning failure on demand (the /_emulator/lro hook, operation ml-provision)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from amlmove_emulator import samples
from tests.conftest import SdkClients

API = "2024-10-01"
S = samples.WorkspaceScenario()
EP = f"{S.workspace_id}/onlineEndpoints/churn-new"
ENDPOINT = {"location": "eastus", "identity": {"type": "SystemAssigned"}, "properties": {"authMode": "Key"}}
DEPLOYMENT = {
    "location": "eastus",
    "sku": {"name": "Default", "capacity": 1},
    "properties": {
        "endpointComputeType": "Managed",
        "instanceType": "Standard_DS3_v2",
        "model": f"{S.workspace_id}/models/churn/versions/3",
    },
}


@pytest.fixture
def emu(emulator):
    built = S.build()
    built["settings"] = {"retryAfterSeconds": 0.1, "mlProvisioningSeconds": 1}
    emulator.load_scenario(built)  # also clears the LRO shapes of earlier tests
    return emulator


def test_an_endpoint_is_created_asynchronously_and_gets_the_scoring_uri_of_its_name_and_region(emu) -> None:
    sdk = SdkClients(emu)
    first = sdk.send("PUT", EP, api_version=API, body=ENDPOINT, subscription_id=samples.SOURCE_SUB)
    assert first.status_code == 201
    assert "mfeOperationsStatus/oeidp:" in first.headers["Azure-AsyncOperation"]
    assert first.headers["x-ms-async-operation-timeout"] == "PT30M"
    body = first.json()["properties"]
    assert (body["provisioningState"], body["scoringUri"], body["traffic"]) == ("Creating", None, {})
    status = sdk.send("GET", first.headers["Azure-AsyncOperation"].split(emu.url, 1)[1].split("?")[0], api_version=API)
    assert status.json()["status"] == "InProgress" and status.headers["Retry-After"] == "1"

    poller = sdk.resources(samples.SOURCE_SUB).resources.begin_create_or_update_by_id(EP, ENDPOINT, api_version=API)
    done = poller.result()  # azure-core follows Azure-AsyncOperation to the end (an update this time: 200 Updating)
    assert done.properties["provisioningState"] == "Succeeded"
    assert done.properties["scoringUri"] == "https://churn-new.eastus.inference.ml.azure.com/score"


def test_traffic_to_a_deployment_the_endpoint_does_not_have_is_refused(emu) -> None:
    sdk = SdkClients(emu)
    sdk.resources(samples.SOURCE_SUB).resources.begin_create_or_update_by_id(EP, ENDPOINT, api_version=API).result()
    routed = {**ENDPOINT, "properties": {"authMode": "Key", "traffic": {"blue": 100}}}
    refused = sdk.send("PUT", EP, api_version=API, body=routed, subscription_id=samples.SOURCE_SUB)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadArgument"
    rc = sdk.resources(samples.SOURCE_SUB).resources
    rc.begin_create_or_update_by_id(f"{EP}/deployments/blue", DEPLOYMENT, api_version=API).result()
    assert rc.begin_create_or_update_by_id(EP, routed, api_version=API).result().properties["traffic"] == {"blue": 100}


def test_a_deployment_fails_to_provision_on_demand(emu) -> None:
    sdk = SdkClients(emu)
    rc = sdk.resources(samples.SOURCE_SUB).resources
    rc.begin_create_or_update_by_id(EP, ENDPOINT, api_version=API).result()
    emu.shape_lro(operation="ml-provision", outcome="failed", targetRegex="/deployments/green$")
    rc.begin_create_or_update_by_id(
        f"{EP}/deployments/blue", DEPLOYMENT, api_version=API
    ).result()  # not aimed at: succeeds
    with pytest.raises(HttpResponseError, match="failed"):
        rc.begin_create_or_update_by_id(f"{EP}/deployments/green", DEPLOYMENT, api_version=API).result()
    got = sdk.send("GET", f"{EP}/deployments/green", api_version=API).json()
    assert got["properties"]["provisioningState"] == "Failed"
