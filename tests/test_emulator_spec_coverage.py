"""The session's spec check is only as good as the traffic it sees: this drives every operation that tests/specs
holds an excerpt or example for, through the real SDK clients, and asserts from the emulator's own capture that each
one was matched to its spec operation and conforms."""

from __future__ import annotations

import json
import uuid

import pytest

from amlmove_action.emulator import catalog, samples
from tests.spec_conformance import SpecIndex, find_specs_root
from tests.test_emulator_support import (
    ML,
    authorization,
    databricks,
    locks,
    resources,
    rich_workspace,
    send,
    subscriptions,
)


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
    list(lc.management_locks.list_by_scope(ws))  # percent-encodes the scope (arm-api.md §0)

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
    ac.role_assignments.delete(ws, name)
    list(ac.permissions.list_for_resource_group(group))
    list(ac.permissions.list_for_resource(group, ML, "", "workspaces", s.workspace))

    move = {"resources": [s.associated("containerRegistry")], "targetResourceGroup": s.dest_rg}
    rc.resources.begin_validate_move_resources(group, move).result()
    rc.resources.begin_move_resources(group, move).result()


def test_every_spec_operation_is_exercised_and_conforms(emulator, index):
    s = rich_workspace()
    s.compute("cpu-cluster")
    s.online_endpoint("churn-endpoint", ("blue", "green"))
    databricks(s, "dbw-analytics", linked_to=None)
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
        op = index.match(record["method"], record["path"])
        if op is None:
            continue
        exercised.add((op.operation_id, op.source))
        errors = index.validate(record["method"], record["path"], record["query"], record["status"], record["body"])
        problems += [f"{record['method']} {record['path']}: {e}" for e in errors]
    every = {(op.operation_id, op.source) for op in index.operations}
    assert every - exercised == set()
    assert problems == []
    assert len(every) == 35  # tests/specs as of this test; a new excerpt needs a call above
