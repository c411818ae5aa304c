"""The session's spec check is only as good as the traffic it sees: this drives every operation that tests/specs
holds an excerpt or example for, through the real SDK clients, and asserts from the emulator's own capture that each
one was matched to its spec operation and conforms."""

from __future__ import annotations

import json
import uuid

import pytest

from amlmove_emulator import catalog, samples
from tests.support.emulator_clients import (
    ML,
    authorization,
    databricks,
    locks,
    resources,
    rich_workspace,
    send,
    subscriptions,
)
from tests.support.spec_conformance import SpecIndex, find_specs_root


@pytest.fixture(scope="module")
def index() -> SpecIndex:
    return SpecIndex.load(find_specs_root())


def drive_every_operation(emu, s: samples.WorkspaceScenario) -> None:
    sub, group, ws = samples.SOURCE_SUB, s.source_group, s.workspace_id
    sc = subscriptions(emu)
    list(sc.subscriptions.list())
    sc.subscriptions.get(sub)

    rc = resources(emu, polling_interval=0)
    list(rc.providers.list())
    rc.providers.get(ML)
    rc.providers.register("Microsoft.Databricks")
    list(rc.resource_groups.list())
    rc.resource_groups.get(group)
    rc.resource_groups.check_existence(group)
    rc.resource_groups.check_existence("rg-missing")
    rc.resource_groups.create_or_update("rg-scratch", {"location": "eastus"})
    rc.resource_groups.begin_delete("rg-scratch").result()
    list(rc.resources.list_by_resource_group(group, filter=f"resourceType eq '{ML}/workspaces'"))

    def get(path: str, api: str) -> None:
        assert send(rc, "GET", f"{emu.url}{path}?api-version={api}").status_code == 200

    get(ws, "2025-12-01")
    get(f"{s.source_rg}/providers/{ML}/workspaces", "2025-12-01")
    for child in ("computes", "onlineEndpoints/churn-endpoint/deployments", "privateEndpointConnections"):
        get(f"{ws}/{child}", "2025-12-01")
    get(f"{ws}/labelingJobs", "2024-04-01-preview")
    # the api-versions the product and azure-ai-ml call (tests/specs: 2024-10-01 and the previews azure-ai-ml binds)
    get(ws, "2024-10-01")
    get(f"/subscriptions/{sub}/providers/{ML}/workspaces", "2024-10-01")
    get(f"{s.source_rg}/providers/{ML}/workspaces", "2024-10-01")  # a least-privilege planner's group-scoped list
    for child in (
        "computes", "datastores", "batchEndpoints", "data", "environments", "jobs", "models", "onlineEndpoints",
        "onlineEndpoints/churn-endpoint/deployments", "schedules", "serverlessEndpoints", "privateEndpointConnections",
    ):  # fmt: skip
        get(f"{ws}/{child}", "2024-10-01")
    for api in ("2022-02-01-preview", "2023-04-01-preview"):
        get(f"{ws}/onlineEndpoints/churn-endpoint/deployments", api)
    get(f"{ws}/onlineEndpoints/churn-endpoint", "2022-02-01-preview")
    get(f"{ws}/computes/cpu-cluster", "2023-08-01-preview")
    # issue 11's removals: PLAN exports each object to remove (and each endpoint's deployments) at 2024-10-01
    for child in (
        "computes/cpu-cluster", "onlineEndpoints/churn-endpoint", "batchEndpoints/churn-batch",
        "batchEndpoints/churn-batch/deployments", "serverlessEndpoints/llama-chat",
    ):  # fmt: skip
        get(f"{ws}/{child}", "2024-10-01")
    for kind in ("storage", "keyVault", "containerRegistry", "applicationInsights"):
        api = {"storage": "2023-05-01", "applicationInsights": "2020-02-02"}.get(kind, "2023-07-01")
        get(s.associated(kind), api)
    keys = send(rc, "POST", f"{emu.url}{s.associated('storage')}/listKeys?api-version=2023-05-01")
    assert keys.status_code == 200
    datastore = f"{ws}/datastores/workspaceblobstore?api-version=2024-10-01"
    current = send(rc, "GET", f"{emu.url}{datastore}").json()
    props = {k: v for k, v in current["properties"].items() if k not in ("isDefault", "provisioningState")}
    assert send(rc, "PUT", f"{emu.url}{datastore}", {"properties": props}).status_code in (200, 201)
    connections = f"{emu.url}{ws}/privateEndpointConnections?api-version=2024-10-01"
    first = send(rc, "GET", connections).json()["value"][0]
    approve = {"properties": {"privateLinkServiceConnectionState": {"status": "Approved", "description": "ok"}}}
    assert send(rc, "PUT", f"{emu.url}{first['id']}?api-version=2024-10-01", approve).status_code in (200, 201, 202)
    # issue 12: a datastore's own secret, and the moved storage account's, key vault's and registry's connections
    secrets = send(rc, "POST", f"{emu.url}{ws}/datastores/workspaceblobstore/listSecrets?api-version=2024-10-01")
    assert secrets.status_code == 200
    get(ws, "2023-08-01-preview")  # azure-ai-ml reads the workspace when it creates a compute instance
    for kind, api in (("storage", "2023-05-01"), ("keyVault", "2023-07-01"), ("containerRegistry", "2023-07-01")):
        listed = send(rc, "GET", f"{emu.url}{s.associated(kind)}/privateEndpointConnections?api-version={api}")
        conn = listed.json()["value"][0]
        if kind != "storage":
            get(conn["id"], api)
        conn["properties"]["privateLinkServiceConnectionState"]["status"] = "Approved"
        body = {"properties": {k: v for k, v in conn["properties"].items() if k != "provisioningState"}}
        assert send(rc, "PUT", f"{emu.url}{conn['id']}?api-version={api}", body).status_code in (200, 201)
    compute = f"{emu.url}{ws}/computes/cpu-cluster?api-version=2023-08-01-preview"
    assert send(rc, "PUT", compute, send(rc, "GET", compute).json()).status_code in (200, 201)
    # issue 18's recreate-endpoints at 2024-10-01: an endpoint created routing nothing, its deployment, its split
    model = f"{ws}/models/churn/versions/3"
    for path, body in (
        ("onlineEndpoints/churn-new", {"location": "eastus", "identity": {"type": "SystemAssigned"},
                                       "properties": {"authMode": "Key", "traffic": {}}}),
        ("onlineEndpoints/churn-new/deployments/blue", {
            "location": "eastus", "sku": {"name": "Default", "capacity": 1},
            "properties": {"endpointComputeType": "Managed", "model": model, "instanceType": "Standard_DS3_v2"}}),
        ("onlineEndpoints/churn-new", {"location": "eastus", "identity": {"type": "SystemAssigned"},
                                       "properties": {"authMode": "Key", "traffic": {"blue": 100}}}),
        ("batchEndpoints/batch-new", {"location": "eastus", "properties": {"authMode": "AADToken"}}),
        ("batchEndpoints/batch-new/deployments/main", {"location": "eastus", "properties": {
            "model": {"referenceType": "Id", "assetId": model}, "compute": f"{ws}/computes/cpu-cluster"}}),
    ):  # fmt: skip
        assert send(rc, "PUT", f"{emu.url}{ws}/{path}?api-version=2024-10-01", body).status_code in (200, 201)
    get(f"{ws}/onlineEndpoints/churn-new/deployments/blue", "2024-10-01")
    get(f"{ws}/batchEndpoints/batch-new/deployments/main", "2024-10-01")
    get(f"/subscriptions/{sub}/providers/Microsoft.Databricks/workspaces", "2024-05-01")
    get(f"{s.source_rg}/providers/Microsoft.Databricks/workspaces", "2024-05-01")
    get(f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/dbw-analytics", "2024-05-01")
    second = f"{s.source_rg}/providers/{ML}/workspaces/mlw-second"
    body = {"location": "eastus", "kind": "Default", "properties": {"storageAccount": s.associated("storage")}}
    rc.resources.begin_create_or_update_by_id(second, body, api_version="2025-12-01").result()
    rc.resources.begin_delete_by_id(second, api_version="2025-12-01").result()

    lc = locks(emu)
    list(lc.management_locks.list_at_resource_group_level(group))
    list(lc.management_locks.list_at_resource_level(group, ML, "", "workspaces", s.workspace))
    list(lc.management_locks.list_by_scope(ws))  # percent-encodes the scope (ManagementLockClient 1.0.0 URL-encodes it)
    list(lc.management_locks.list_at_subscription_level())

    ac = authorization(emu)
    list(ac.role_assignments.list_for_resource_group(group))
    list(ac.role_assignments.list_for_resource(group, ML, "workspaces", s.workspace))
    list(ac.role_assignments.list_for_scope(ws, filter="atScope()"))
    list(ac.role_assignments.list_for_subscription())
    name = str(uuid.uuid4())
    role = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{catalog.AZUREML_DATA_SCIENTIST}"
    params = {"role_definition_id": role, "principal_id": samples.ML_READERS["objectId"], "principal_type": "Group"}
    ac.role_assignments.create(ws, name, params)
    ac.role_assignments.get(ws, name)
    ac.role_definitions.get(ws, catalog.AZUREML_DATA_SCIENTIST)  # the role's name, for the plan summary
    ac.role_assignments.delete(ws, name)
    ac.role_definitions.get_by_id(role)
    list(ac.permissions.list_for_resource_group(group))
    list(ac.permissions.list_for_resource(group, ML, "", "workspaces", s.workspace))

    move = {"resources": [s.associated("containerRegistry")], "targetResourceGroup": s.dest_rg}
    rc.resources.begin_validate_move_resources(group, move).result()
    rc.resources.begin_move_resources(group, move).result()
    endpoint = f"{emu.url}{ws}/onlineEndpoints/churn-endpoint?api-version=2022-02-01-preview"
    assert send(rc, "DELETE", endpoint).status_code in (200, 202, 204, 409)  # 409: the workspace lock
    deleted = f"{emu.url}{ws}/computes/cpu-cluster?api-version=2023-08-01-preview&underlyingResourceAction=Delete"
    assert send(rc, "DELETE", deleted).status_code in (200, 202, 204, 409)
    # issue 11's removals at 2024-10-01 (APPLY deletes the endpoints, then deletes or detaches the computes)
    for child in ("onlineEndpoints/churn-endpoint", "batchEndpoints/churn-batch", "serverlessEndpoints/llama-chat"):
        assert send(rc, "DELETE", f"{emu.url}{ws}/{child}?api-version=2024-10-01").status_code in (200, 202, 204, 409)
    detached = f"{emu.url}{ws}/computes/cpu-cluster?api-version=2024-10-01&underlyingResourceAction=Detach"
    assert send(rc, "DELETE", detached).status_code in (200, 202, 204, 409)


def test_every_spec_operation_is_exercised_and_conforms(emulator, index):
    s = rich_workspace()
    s.compute("cpu-cluster")
    s.online_endpoint("churn-endpoint", ("blue", "green"))
    s.batch_endpoint("churn-batch")
    s.serverless_endpoint("llama-chat")
    databricks(s, "dbw-analytics", linked_to=None)
    for kind in ("storage", "keyVault", "containerRegistry"):
        s.private_endpoint(f"pe-{kind.lower()}", target=kind, status="Pending")
    s.lock(s.dest_rg, "rg-no-delete", "CanNotDelete")
    s.lock(s.workspace_id, "ws-no-delete", "CanNotDelete")
    scenario = s.build()
    scenario["settings"] = {"retryAfterSeconds": 0.1}
    emulator.load_scenario(scenario)
    start = len(emulator.capture.read_text(encoding="utf-8").splitlines())

    drive_every_operation(emulator, s)

    records = [json.loads(line) for line in emulator.capture.read_text(encoding="utf-8").splitlines()[start:]]
    exercised, problems = set(), []
    for record in records:
        op = index.match(record["method"], record["path"], record["query"].get("api-version"))
        if op is None:
            continue
        at_version = index.at_version(record["method"], record["path"], record["query"].get("api-version"))
        exercised.update((o.operation_id, o.source) for o in (op, at_version) if o is not None)
        errors = index.validate(record["method"], record["path"], record["query"], record["status"], record["body"])
        problems += [f"{record['method']} {record['path']}: {e}" for e in errors]
    every = {(op.operation_id, op.source) for op in index.operations}
    assert every - exercised == set()
    assert problems == []
    assert len(every) == 91  # tests/specs as of this test; a new excerpt needs a call above
