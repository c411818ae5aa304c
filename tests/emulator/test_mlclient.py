"""azure-ai-ml's MLClient (cloud="AzureEmulator" with cloud_metadata, the emulator's CA) reads a whole workspace from
the emulator: the workspace, computes, online endpoints and deployments, batch and serverless endpoints, jobs (paged
with small pages and absolute nextLinks), datastores; and the vendored raw client lists private endpoint connections."""

from __future__ import annotations

import json
import os

import pytest

from amlmove_emulator import samples
from tests.conftest import SdkClients
from tests.support.emulator_clients import batch_endpoint, serverless_endpoint

# azure-ai-ml's own deprecation noise (marshmallow 4, experimental classes) is not what these tests look at.
pytestmark = pytest.mark.filterwarnings("ignore::Warning")
SUB = samples.SOURCE_SUB
JOBS = "microsoft.machinelearningservices/workspaces/jobs"


@pytest.fixture
def scenario() -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    s.compute("ci-dana", "ComputeInstance")
    s.online_endpoint("churn-endpoint", deployments=("blue", "green"))
    batch_endpoint(s, "churn-batch")
    serverless_endpoint(s, "llama-chat")
    s.private_endpoint("pe-mlw-churn")
    for i in range(3):
        s.job(f"nightly_run_{i}", "Completed", compute="cpu-cluster")
    s.settings = {"pageSizes": {JOBS: 2}}
    return s


@pytest.fixture
def azure(emulator, scenario) -> SdkClients:
    emulator.load_scenario(scenario.build())
    return SdkClients(emulator)


@pytest.fixture
def ml(azure, scenario):
    return azure.ml(SUB, scenario.source_group, scenario.workspace)


def test_workspace_get_and_list(ml, scenario) -> None:
    ws = ml.workspaces.get(scenario.workspace)
    assert (ws.name, ws.location, ws.id) == ("mlw-churn", "eastus", scenario.workspace_id)
    assert ws.storage_account == scenario.associated("storage")
    assert ws.key_vault == scenario.associated("keyVault")
    assert ws.container_registry == scenario.associated("containerRegistry")
    assert ws.application_insights == scenario.associated("applicationInsights")
    assert [w.name for w in ml.workspaces.list()] == ["mlw-churn"]


def test_computes_and_endpoints(ml) -> None:
    computes = {c.name: c for c in ml.compute.list()}
    assert {n: c.type for n, c in computes.items()} == {"cpu-cluster": "amlcompute", "ci-dana": "computeinstance"}
    assert computes["cpu-cluster"].max_instances == 4
    assert ml.compute.get("ci-dana").state == "Running"
    assert [e.name for e in ml.online_endpoints.list()] == ["churn-endpoint"]
    assert sorted(d.name for d in ml.online_deployments.list("churn-endpoint")) == ["blue", "green"]
    assert [e.name for e in ml.batch_endpoints.list()] == ["churn-batch"]
    assert [e.name for e in ml.serverless_endpoints.list()] == ["llama-chat"]


def test_jobs_are_read_in_pages_of_two_with_absolute_next_links(ml, emulator) -> None:
    jobs = {j.name: j for j in ml.jobs.list()}
    assert set(jobs) == {"quiet_river_1", "brave_lamp_2", "nightly_run_0", "nightly_run_1", "nightly_run_2"}
    assert jobs["nightly_run_0"].status == "Completed" and jobs["nightly_run_0"].compute == "cpu-cluster"
    pages = [r for r in emulator.requests() if r["path"].endswith("/jobs")]
    assert [r["query"].get("$skiptoken") for r in pages] == [None, "2", "4"]
    assert all(r["query"]["listViewType"] == "ActiveOnly" and r["status"] == 200 for r in pages)


def test_datastores_list_without_secrets(ml, emulator) -> None:
    stores = {d.name: d for d in ml.datastores.list()}
    assert set(stores) == {"workspaceblobstore", "workspacefilestore", "training-data"}
    assert stores["workspaceblobstore"].account_name == "stchurn01"
    assert stores["workspaceblobstore"].container_name == "azureml-blobstore"
    listed = [r for r in emulator.requests() if r["path"].endswith("/datastores")]
    assert listed and all(r["query"]["count"] == "30" for r in listed)
    # the account key stays write-only: no answer carries it but Datastores_ListSecrets', whose purpose it is (apply
    # reads a datastore's own credential back that way and PUTs it again, issue 12; the session's capture holds
    # those runs too, request bodies included)
    answers = [json.loads(line) for line in emulator.capture.read_text().splitlines()]
    leaked = [
        r["path"]
        for r in answers
        if not r["path"].endswith("/listSecrets") and "ZGF0YXN0b3JlLWFjY291bnQta2V5" in json.dumps(r.get("body"))
    ]
    assert leaked == []


def test_the_ml_cloud_name_is_set_by_mlclient_within_a_test(ml) -> None:
    assert os.environ.get("AZUREML_CURRENT_CLOUD") == "AzureEmulator"  # MLClient's process-wide side effect ...


def test_and_is_gone_in_the_next_test() -> None:
    assert "AZUREML_CURRENT_CLOUD" not in os.environ  # ... undone by conftest after each test


def test_raw_client_lists_private_endpoint_connections(azure, scenario) -> None:
    from azure.ai.ml._restclient.arm_ml_service import MachineLearningServicesMgmtClient

    raw = MachineLearningServicesMgmtClient(azure.credential, SUB, **azure.kwargs)
    (pec,) = raw.private_endpoint_connections.list(scenario.source_group, scenario.workspace)
    assert pec.name == "pe-mlw-churn.conn-0001"
    assert pec.private_link_service_connection_state.status == "Approved"
    assert pec.private_endpoint.id.endswith("/privateEndpoints/pe-mlw-churn")
