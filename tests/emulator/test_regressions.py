"""Emulator bugs found by driving the real clients against it, each pinned by the client call that exposed it (the
test fails on the emulator before its fix): cloud metadata shapes, a group delete's Retry-After, an ML workspace's
create status, the Azure ML list filters, and RBAC wildcards of the built-in roles."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from azure.core.exceptions import HttpResponseError

from amlmove_emulator import samples
from tests.support.emulator_clients import ML, credential, find, ml_client, resources, send

WS_API = "2025-12-01"


def get_json(emu, path: str):
    context = ssl.create_default_context(cafile=str(emu.ca_file))
    with urllib.request.urlopen(emu.url + path, context=context, timeout=30) as response:
        return json.loads(response.read())


def test_cloud_metadata_is_one_cloud_for_az_and_a_list_for_older_api_versions(emulator):
    """az 2.91 `cloud register` (no --skip-endpoint-discovery) reads api-version 2022-09-01 as ONE object (it crashed
    with `list indices must be integers` on a list); azure-ai-ml's ARM_CLOUD_METADATA_URL uses 2019-05-01, a list."""
    emulator.load_scenario(samples.clean())
    current = get_json(emulator, "/metadata/endpoints?api-version=2022-09-01")
    assert isinstance(current, dict)
    assert current["resourceManager"] == emulator.url + "/"
    assert current["authentication"]["loginEndpoint"] == emulator.url
    assert get_json(emulator, "/metadata/endpoints?api-version=2019-05-01") == [current]


def test_mlclient_finds_the_emulator_through_arm_cloud_metadata_url(emulator, monkeypatch):
    """MLClient without cloud kwargs: ARM_CLOUD_METADATA_URL is fetched at construction (a list of clouds, through a
    bare pipeline that trusts only REQUESTS_CA_BUNDLE), the cloud whose resourceManager is in that URL is chosen, and
    the workspace is read from the emulator. MLClient records its choice in os.environ; monkeypatch undoes it."""
    from azure.ai.ml import MLClient

    emulator.load_scenario(samples.clean())
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "unset-by-this-test")
    monkeypatch.delenv("AZUREML_CURRENT_CLOUD")  # absent now, and absent again after the test
    monkeypatch.setenv("ARM_CLOUD_METADATA_URL", f"{emulator.url}/metadata/endpoints?api-version=2019-05-01")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
    ml = MLClient(credential(emulator), samples.SOURCE_SUB, "rg-ml-test", "mlw-churn")
    workspace_id = samples.WorkspaceScenario().workspace_id
    assert ml.workspaces.get("mlw-churn").id.lower() == workspace_id.lower()
    log = emulator.requests()
    metadata = [r for r in log if r["path"] == "/metadata/endpoints"]
    assert metadata and metadata[0]["query"] == {"api-version": "2019-05-01"}
    assert any(r["path"].lower() == workspace_id.lower() and r["status"] == 200 for r in log)


def test_group_delete_polls_with_a_fractional_retry_after_setting(emulator):
    """`retryAfterSeconds: 0.1` keeps move polls fast, but the SDK parses a group delete's Retry-After as an int:
    `begin_delete` raised ValueError before its first poll. ARM sends whole seconds there."""
    scenario = samples.clean()
    scenario["settings"] = {"retryAfterSeconds": 0.1}
    emulator.load_scenario(scenario)
    rc = resources(emulator, samples.DEST_SUB, polling_interval=0)
    rc.resource_groups.create_or_update("rg-scratch", {"location": "eastus"})
    poller = rc.resource_groups.begin_delete("rg-scratch")
    assert poller.result() is None
    assert rc.resource_groups.check_existence("rg-scratch") is False
    delete = next(r for r in emulator.requests() if r["method"] == "DELETE")
    assert delete["status"] == 202


def test_creating_an_ml_workspace_answers_200_as_its_spec_says(emulator):
    """Workspaces_CreateOrUpdate lists 200 and 202, not 201 (the session's spec check flagged the emulator's 201)."""
    s = samples.WorkspaceScenario()
    emulator.load_scenario(s.build())
    rc = resources(emulator)
    new_id = f"{s.source_rg}/providers/{ML}/workspaces/mlw-second"
    body = {
        "location": "eastus",
        "kind": "Default",
        "identity": {"type": "SystemAssigned"},
        "properties": {"storageAccount": s.associated("storage"), "keyVault": s.associated("keyVault")},
    }
    created = rc.resources.begin_create_or_update_by_id(new_id, body, api_version=WS_API).result()
    assert created.id == new_id
    assert created.properties["provisioningState"] == "Succeeded"
    assert created.properties["workspaceId"]
    rc.resources.begin_create_or_update_by_id(new_id, body, api_version=WS_API).result()
    puts = [r["status"] for r in emulator.requests() if r["method"] == "PUT" and r["path"] == new_id]
    assert puts == [200, 200]
    other = f"{s.source_rg}/providers/Microsoft.Storage/storageAccounts/stsecond01"
    assert send(rc, "PUT", f"{emulator.url}{other}?api-version=2024-01-01", {"location": "eastus"}).status_code == 201


def test_mlclient_default_datastore_and_job_list_views(emulator):
    """`datastores.get_default()` sends isDefault=true and takes the first item: the emulator ignored the filter, so
    whichever datastore was stored first came back. Jobs' listViewType ArchivedOnly returned every job."""
    s = samples.WorkspaceScenario()
    archived = s.job("old_archived_job", "Completed")
    scenario = s.build()
    find(scenario, archived)["body"]["properties"]["isArchived"] = True
    default = find(scenario, f"{s.workspace_id}/datastores/workspaceblobstore")
    scenario["resources"] = [r for r in scenario["resources"] if r is not default] + [default]  # stored last
    emulator.load_scenario(scenario)
    from azure.ai.ml.constants import ListViewType

    ml = ml_client(emulator, s.source_group, s.workspace)
    assert ml.datastores.list().__next__().name != "workspaceblobstore"  # not listed first
    assert ml.datastores.get_default().name == "workspaceblobstore"
    assert {j.name for j in ml.jobs.list()} == {"quiet_river_1", "brave_lamp_2"}
    assert {j.name for j in ml.jobs.list(list_view_type=ListViewType.ARCHIVED_ONLY)} == {"old_archived_job"}
    assert len(list(ml.jobs.list(list_view_type=ListViewType.ALL))) == 3


@pytest.fixture
def data_scientist(emulator):
    """The clean scenario's data scientist (AzureML Data Scientist on the workspace only), able to sign in."""
    s = samples.WorkspaceScenario()
    s.principals = [dict(samples.DATA_SCIENTIST, clientSecret="data-scientist-secret"), samples.SP]  # first: default
    emulator.load_scenario(s.build())
    return s


def test_azureml_data_scientist_reads_its_workspace_but_creates_no_compute(emulator, data_scientist):
    """RBAC wildcards: a whole `/*/` segment also matches none. The built-in role's actions are `workspaces/*/read`
    and its notActions `workspaces/write` and `computes/*/write`; matched literally, the data scientist got 403 on
    its own workspace and 201 on a new compute."""
    s = data_scientist
    assert emulator.info["clientId"] == samples.DATA_SCIENTIST["clientId"]
    rc = resources(emulator, cred=credential(emulator), retry_total=0)
    assert rc.resources.get_by_id(s.workspace_id, api_version=WS_API).name == s.workspace
    job = {"properties": {"jobType": "Command", "command": "python train.py", "experimentName": "x"}}
    assert (
        send(rc, "PUT", f"{emulator.url}{s.workspace_id}/jobs/new-job?api-version=2024-01-01-preview", job).status_code
        == 201
    )
    compute = {"location": "eastus", "properties": {"computeType": "AmlCompute"}}
    refused = send(rc, "PUT", f"{emulator.url}{s.workspace_id}/computes/gpu?api-version=2024-01-01-preview", compute)
    assert refused.status_code == 403
    assert "Microsoft.MachineLearningServices/workspaces/computes/write" in refused.json()["error"]["message"]
    with pytest.raises(HttpResponseError) as caught:
        rc.resources.begin_update_by_id(s.workspace_id, {"tags": {"x": "y"}}, api_version=WS_API).result()
    assert caught.value.status_code == 403
    with pytest.raises(HttpResponseError) as caught:  # nothing above the workspace
        rc.resource_groups.get(s.source_group)
    assert caught.value.error.code == "AuthorizationFailed"


@pytest.mark.parametrize(
    ("path", "body", "member"),
    [
        ("/resourcegroups/rg-new", {"location": ["eastus"]}, "location"),
        ("/resourcegroups/rg-new", {"location": "eastus", "tags": ["a"]}, "tags"),
        ("/resourcegroups/rg-ml-test/providers/Microsoft.Storage/storageAccounts/st2", {"location": 5}, "location"),
        (
            "/resourcegroups/rg-ml-test/providers/Microsoft.Storage/storageAccounts/st2",
            {"location": "eastus", "properties": []},
            "properties",
        ),
        (
            "/resourcegroups/rg-ml-test/providers/Microsoft.Storage/storageAccounts/st2",
            {"location": "eastus", "tags": "team"},
            "tags",
        ),
        (
            "/resourcegroups/rg-ml-test/providers/Microsoft.Authorization/locks/freeze",
            {"properties": "ReadOnly"},
            "properties",
        ),
        (
            "/resourcegroups/rg-ml-test/providers/Microsoft.Authorization/roleAssignments/"
            "0f0f0f0f-0000-4000-8000-000000000001",
            {"properties": {"roleDefinitionId": 5, "principalId": samples.SP["objectId"]}},
            "properties.roleDefinitionId",
        ),
    ],
)
def test_ill_typed_request_bodies_are_400_and_store_nothing(emulator, path, body, member):
    """ARM's deserializer refuses a member of the wrong JSON type before any provider sees the request. The emulator
    stored such bodies (a list as location, a string as tags), answered 500 on the next request touching them, or
    served lists that broke the SDK models; lock and role-assignment PUTs with a non-object body raised (500, and
    azure-core retried each 500 ten times)."""
    emulator.load_scenario(samples.clean())
    rc = resources(emulator, retry_total=0)
    url = f"{emulator.url}/subscriptions/{samples.SOURCE_SUB}{path}"
    api = "2022-04-01" if "Authorization" in path else "2025-04-01"
    before = emulator.state()["resources"]
    response = send(rc, "PUT", f"{url}?api-version={api}", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidRequestContent"
    assert f"'{member}'" in error["message"]
    assert emulator.state()["resources"] == before
    patched = send(rc, "PATCH", f"{emulator.url}{samples.WorkspaceScenario().workspace_id}?api-version={WS_API}", body)
    assert patched.status_code in (200, 400)  # a PATCH with the same members: refused or applied, never a 500


def test_tag_numbers_and_booleans_become_strings(emulator):
    """What Json.NET does with ARM's string-to-string tags; the lists then still fit the spec's tag type."""
    emulator.load_scenario(samples.clean())
    rc = resources(emulator)
    group = rc.resource_groups.create_or_update("rg-tagged", {"location": "eastus", "tags": {"n": 1, "ok": True}})
    assert group.tags == {"n": "1", "ok": "True"}
    stored = next(r for r in emulator.state()["resources"] if r["id"].endswith("/rg-tagged"))
    assert stored["body"]["tags"] == {"n": "1", "ok": "True"}  # not the numbers the SDK model would coerce on read


def test_a_method_arm_does_not_take_gets_an_arm_error_body(emulator):
    """http.server answered unknown methods with its own HTML page (501)."""
    emulator.load_scenario(samples.clean())
    rc = resources(emulator, retry_total=0)
    response = send(rc, "OPTIONS", f"{emulator.url}/subscriptions/{samples.SOURCE_SUB}?api-version=2022-12-01")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "MethodNotAllowed"


def test_a_scenario_with_an_ill_typed_body_is_refused_and_keeps_the_state(emulator):
    emulator.load_scenario(samples.clean())
    broken = samples.clean()
    find(broken, samples.WorkspaceScenario().workspace_id)["body"]["tags"] = "team"
    with pytest.raises(urllib.error.HTTPError) as caught:
        emulator.load_scenario(broken)
    assert caught.value.code == 400
    assert "'tags' must be an object" in json.loads(caught.value.read())["error"]["message"]
    assert resources(emulator).resource_groups.get("rg-ml-test").name == "rg-ml-test"


def test_the_state_hook_shows_a_move_finished_once_its_time_has_come(emulator):
    """A move finishes in the background, as in Azure, whether or not anyone polls it: the state hook (what tests
    assert end states with) showed it running until the next ARM request arrived."""
    scenario = samples.clean()
    scenario["settings"] = {"retryAfterSeconds": 0.1}
    emulator.load_scenario(scenario)
    s = samples.WorkspaceScenario()
    emulator.shape_lro(durationSeconds=0.3)
    move = {"resources": [s.associated("containerRegistry")], "targetResourceGroup": s.dest_rg}
    response = send(
        resources(emulator), "POST", f"{emulator.url}{s.source_rg}/moveResources?api-version=2025-04-01", move
    )
    assert response.status_code == 202
    time.sleep(0.6)  # no ARM request from here on
    state = emulator.state()
    assert [op["status"] for op in state["operations"]] == [204]
    moved = s.associated("containerRegistry").replace(s.source_rg, s.dest_rg)
    assert moved.lower() in {r["id"].lower() for r in state["resources"]}


def test_next_links_are_uris_a_strict_client_can_follow(emulator):
    """A nextLink is a percent-encoded URI, as ARM's are: with a group named 'rg-ünï (ml).test' it held a raw space
    and raw non-ASCII, which the SDKs re-encode but http.client refuses ('URL can't contain control characters')."""
    group = "rg-ünï (ml).test"
    scenario = samples.WorkspaceScenario(source_group=group).build()
    scenario["settings"] = {"defaultPageSize": 2}
    emulator.load_scenario(scenario)
    token = credential(emulator).get_token("https://management.azure.com/.default").token
    context = ssl.create_default_context(cafile=str(emulator.ca_file))
    url = f"{emulator.url}/subscriptions/{samples.SOURCE_SUB}/resourcegroups/{urllib.parse.quote(group)}/resources"
    url += "?api-version=2025-04-01"
    names: list[str] = []
    while url:
        assert " " not in url and url.isascii()
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            page = json.loads(response.read())
        names += [item["name"] for item in page["value"]]
        url = page.get("nextLink")
    assert len(names) == 6 and "mlw-churn" in names


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_a_write_to_the_subscription_provider_list_is_405_not_a_crash(emulator, method):
    """The emulator indexed a namespace that a write to `/subscriptions/{id}/providers` does not have (IndexError,
    answered as 500)."""
    emulator.load_scenario(samples.clean())
    rc = resources(emulator, retry_total=0)
    url = f"{emulator.url}/subscriptions/{samples.SOURCE_SUB}/providers?api-version=2022-12-01"
    response = send(rc, method, url, body={} if method != "DELETE" else None)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "MethodNotAllowed"
    assert method in response.json()["error"]["message"]
