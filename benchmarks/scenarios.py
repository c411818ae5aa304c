"""Large-workspace scenarios for the benchmark, built from the emulator's own scenario parts (samples.py).

`large()` is what a busy team's workspace looks like after a year: thousands of finished jobs (a few still running),
hundreds of datastores, dozens of computes and online endpoints, many role assignments and some resources in the
group that are linked to the workspace but are not among its four associated resources. `large(clean=True)` is the
same workspace with nothing that blocks a move (no computes, no endpoints, no running jobs), so apply really moves it.
"""

from __future__ import annotations

import uuid
from typing import Any

from amlmove_emulator import catalog, samples

JOB_STATUSES = ("Completed", "Completed", "Completed", "Failed", "Canceled")
ROLES = (catalog.READER, catalog.AZUREML_DATA_SCIENTIST, catalog.CONTRIBUTOR)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "amlmove-bench/" + "/".join(str(p) for p in parts)))


def large(
    jobs: int = 2000,
    running_jobs: int = 5,
    datastores: int = 200,
    computes: int = 50,
    online_endpoints: int = 20,
    deployments_per_endpoint: int = 2,
    role_assignments: int = 30,
    linked_resources: int = 5,
    clean: bool = False,
) -> samples.WorkspaceScenario:
    """A large workspace; `clean` drops computes, endpoints and running jobs (nothing blocks the move)."""
    if clean:
        computes = online_endpoints = running_jobs = 0
    s = samples.WorkspaceScenario()
    _jobs(s, jobs, running_jobs)
    _datastores(s, datastores)
    for i in range(computes):
        s.compute(f"cluster-{i:03d}" if i % 5 else f"ci-{i:03d}", "AmlCompute" if i % 5 else "ComputeInstance")
    for i in range(online_endpoints):
        s.online_endpoint(f"ep-{i:03d}", tuple(("blue", "green", "red", "amber")[:deployments_per_endpoint]))
    _role_assignments(s, role_assignments)
    _linked(s, linked_resources)
    return s


def _jobs(s: samples.WorkspaceScenario, total: int, running: int) -> None:
    """`total` jobs (the sample's two finished ones included), `running` of them Running, spread over the list."""
    existing = sum(1 for r in s.resources if "/jobs/" in r["id"])
    todo = max(0, total - existing)
    step = max(1, todo // max(1, running)) if running else 0
    running_at = {i * step + step // 2 for i in range(running)} if running else set()
    for i in range(todo):
        status = "Running" if i in running_at else JOB_STATUSES[i % len(JOB_STATUSES)]
        s.job(f"job_{i:06d}", status, compute="cluster-001" if status == "Running" else None)


def _datastores(s: samples.WorkspaceScenario, total: int) -> None:
    existing = sum(1 for r in s.resources if "/datastores/" in r["id"])
    for i in range(max(0, total - existing)):
        if i % 4 == 0:
            identity = "WorkspaceSystemAssignedIdentity"
            s.datastore(f"ds_{i:04d}", "AzureBlob", "None", container=f"c{i}", identity=identity)
        elif i % 4 == 1:
            s.datastore(f"ds_{i:04d}", "AzureFile", "AccountKey", file_share=f"share{i}")
        else:
            s.datastore(f"ds_{i:04d}", "AzureBlob", "AccountKey", container=f"c{i}")


def _role_assignments(s: samples.WorkspaceScenario, total: int) -> None:
    """`total` assignments at the scopes that move (the sample's three included), to groups that exist."""
    existing = sum(
        1 for r in s.resources if "/roleassignments/" in r["id"].lower() and "/resourcegroups/" in r["id"].lower()
    )
    scopes = (s.workspace_id, s.workspace_id, s.associated("storage"), s.associated("keyVault"))
    for i in range(max(0, total - existing)):
        oid = _guid("group", i)
        s.principals.append(
            {
                "clientId": _guid("group-app", i),
                "objectId": oid,
                "tenantId": samples.TENANT,
                "displayName": f"ml-team-{i:02d}",
            }
        )
        scope = scopes[i % len(scopes)]
        s.assign(scope, ROLES[i % len(ROLES)], oid, "Group", _guid("assignment", i))


def _linked(s: samples.WorkspaceScenario, total: int) -> None:
    """Resources in the workspace's group that belong with it but are not its four associated resources."""
    src, loc = s.source_rg, s.location
    parts: list[tuple[str, dict[str, Any]]] = [
        (
            f"{src}/providers/Microsoft.Insights/actionGroups/ag-{s.workspace}",
            {"location": "Global", "properties": {"groupShortName": "mlops", "enabled": True}},
        ),
        (
            f"{src}/providers/Microsoft.AlertsManagement/smartDetectorAlertRules/failure-anomalies-{s.workspace}",
            {"location": "global", "properties": {"state": "Enabled", "severity": "Sev3", "frequency": "PT1M"}},
        ),
        (
            f"{src}/providers/Microsoft.Network/virtualNetworks/vnet-{s.workspace}",
            {"location": loc, "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}}},
        ),
        (
            f"{src}/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
            {"location": "global", "properties": {}},
        ),
        (
            f"{src}/providers/Microsoft.Insights/actionGroups/ag-{s.workspace}-oncall",
            {"location": "Global", "properties": {"groupShortName": "oncall", "enabled": True}},
        ),
    ]
    for i in range(total):
        rid, body = parts[i % len(parts)]
        s.add(rid if i < len(parts) else f"{rid}-{i}", body)


def counts(scenario: dict[str, Any]) -> dict[str, int]:
    """What a built scenario holds, for the benchmark's table."""
    ids = [r["id"].lower() for r in scenario["resources"]]
    bodies = {r["id"].lower(): r["body"] for r in scenario["resources"]}

    def n(fragment: str) -> int:
        return sum(1 for i in ids if fragment in i and "/deployments/" not in i)

    return {
        "jobs": n("/jobs/"),
        "runningJobs": sum(
            1 for i in ids if "/jobs/" in i and (bodies[i].get("properties") or {}).get("status") == "Running"
        ),
        "datastores": n("/datastores/"),
        "computes": n("/computes/"),
        "onlineEndpoints": n("/onlineendpoints/"),
        "deployments": sum(1 for i in ids if "/onlineendpoints/" in i and "/deployments/" in i),
        "roleAssignments": sum(1 for i in ids if "/roleassignments/" in i and "/resourcegroups/" in i),
        "resources": len(ids),
    }
