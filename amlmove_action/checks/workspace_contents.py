"""Checks on the workspace's contents: AML requires these gone before a move (Microsoft's how-to-move-workspace
page): running jobs, computes, endpoints, SDK v1 services, a customer-managed key, labeling, Databricks."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from ..ids import same_id
from ..inventory import (
    FINISHED_JOB_STATUSES,
    STOPPED_LABELING_STATUSES,
    BatchEndpoint,
    Inventory,
    OnlineEndpoint,
    ServerlessEndpoint,
)
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .what_moves import Selection
from .wording import WORKSPACE_ARGS, destination_fields, listing, status_in, workspace_fields

RUNNING_JOBS = CheckSpec(
    "running-jobs",
    Severity.BLOCKER,
    "Jobs are not finished",
    "az ml job cancel --name {name} " + WORKSPACE_ARGS,
    hint="Or wait until each job is Completed, Failed or Canceled.",
)


@registered(RUNNING_JOBS)
def find_running_jobs(inventory: Inventory, selection: Selection) -> list[Finding]:
    running = [job for job in inventory.jobs if not status_in(job.status, FINISHED_JOB_STATUSES)]
    if not running:
        return []
    detail = (
        f"{len(running)} job(s) are not Completed, Failed or Canceled: "
        f"{listing(f'{job.name} ({job.status})' for job in running)}. "
        "A job that writes to the workspace while it moves can fail or leave partial outputs."
    )
    fields = workspace_fields(inventory)
    commands = [RUNNING_JOBS.fill(name=job.name, **fields) for job in running]
    return [RUNNING_JOBS.finding(detail, commands, [job.id for job in running])]


COMPUTES_PRESENT = CheckSpec(
    "computes-present",
    Severity.BLOCKER,
    "The workspace still has computes",
    "az ml compute {action} --name {name} " + WORKSPACE_ARGS + " --yes",
    hint="Or let apply delete them: remove-computes: true (and list computes-present in skip-checks for the plan).",
)


@registered(COMPUTES_PRESENT)
def find_computes(inventory: Inventory, selection: Selection) -> list[Finding]:
    computes = inventory.computes
    if not computes:
        return []
    detail = (
        f"Azure ML does not move computes; {len(computes)} must be deleted (or detached, if attached) first: "
        f"{listing(f'{c.name} ({c.compute_type})' for c in computes)}. Deleting one loses its nodes and local "
        "disks, and a compute instance's files outside the workspace's file share: a compute recreated later is a "
        "new one. After the move, do not reuse a previous compute instance name: creating it fails with an Etag "
        "conflict (known issue)."
    )
    fields = workspace_fields(inventory)
    commands = [
        COMPUTES_PRESENT.fill(action="detach" if c.is_attached else "delete", name=c.name, **fields) for c in computes
    ]
    return [COMPUTES_PRESENT.finding(detail, commands, [c.id for c in computes])]


_REMOVE_ENDPOINTS_HINT = (
    "Or let apply delete them: remove-endpoints: true (and list the check in skip-checks for the plan)."
)


def _endpoints_present(
    spec: CheckSpec, inventory: Inventory, endpoints: Sequence[OnlineEndpoint | BatchEndpoint | ServerlessEndpoint]
) -> list[Finding]:
    """Azure ML moves no inference endpoint of any kind: one finding per kind, one delete command per endpoint."""
    if not endpoints:
        return []
    kind = spec.id.removesuffix("-endpoints-present")
    deployments = sum(len(e.deployments) for e in endpoints if isinstance(e, OnlineEndpoint))
    with_deployments = f" with {deployments} deployment(s)" if deployments else ""
    detail = (
        f"Azure ML does not move inference endpoints; delete {len(endpoints)} {kind} endpoint(s){with_deployments} "
        f"first and recreate them after the move: {listing(e.name for e in endpoints)}."
    )
    fields = workspace_fields(inventory)
    commands = [spec.fill(name=endpoint.name, **fields) for endpoint in endpoints]
    return [spec.finding(detail, commands, [endpoint.id for endpoint in endpoints])]


ONLINE_ENDPOINTS_PRESENT = CheckSpec(
    "online-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has online endpoints",
    "az ml online-endpoint delete --name {name} " + WORKSPACE_ARGS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@registered(ONLINE_ENDPOINTS_PRESENT)
def find_online_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(ONLINE_ENDPOINTS_PRESENT, inventory, inventory.online_endpoints)


BATCH_ENDPOINTS_PRESENT = CheckSpec(
    "batch-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has batch endpoints",
    "az ml batch-endpoint delete --name {name} " + WORKSPACE_ARGS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@registered(BATCH_ENDPOINTS_PRESENT)
def find_batch_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(BATCH_ENDPOINTS_PRESENT, inventory, inventory.batch_endpoints)


SERVERLESS_ENDPOINTS_PRESENT = CheckSpec(
    "serverless-endpoints-present",
    Severity.BLOCKER,
    "The workspace still has serverless endpoints",
    "az ml serverless-endpoint delete --name {name} " + WORKSPACE_ARGS + " --yes",
    hint=_REMOVE_ENDPOINTS_HINT,
)


@registered(SERVERLESS_ENDPOINTS_PRESENT)
def find_serverless_endpoints(inventory: Inventory, selection: Selection) -> list[Finding]:
    return _endpoints_present(SERVERLESS_ENDPOINTS_PRESENT, inventory, inventory.serverless_endpoints)


V1_SERVICES = CheckSpec(
    "v1-services",
    Severity.WARNING,
    "Manual check: SDK v1 web services block the move, and amlmove cannot see them",
    "az rest --method {method} --resource https://management.azure.com/ --url {url}",
    hint="Delete each service the list shows (the same command with --method delete and --url …/services/<name>).",
)


def _v1_services_url(inventory: Inventory) -> str:
    workspace = inventory.workspace
    host = f"https://{workspace.location.replace(' ', '').lower()}.api.azureml.ms"
    if workspace.discovery_url:
        parts = urlsplit(workspace.discovery_url)
        if parts.scheme == "https" and parts.netloc:
            host = f"https://{parts.netloc}"
    return f"{host}/modelmanagement/v1.0{workspace.id}/services"


@registered(V1_SERVICES)
def find_v1_services(inventory: Inventory, selection: Selection) -> list[Finding]:
    """Always a manual check. SDK v1 (ACI/AKS) web services live behind the regional model-management API, which is
    not ARM: it is in none of the ARM specifications amlmove follows, and there is no recorded real answer to test a
    client against, so amlmove does not call it. The reviewer runs the listed command."""
    detail = (
        "amlmove does not check this. Web services deployed with SDK v1 (ACI/AKS) block the move, but they live "
        "behind the regional model-management API, which ARM does not list. Run the command and confirm that it "
        "returns no services before approving."
    )
    command = V1_SERVICES.fill(method="get", url=_v1_services_url(inventory))
    return [V1_SERVICES.finding(detail, [command], [inventory.workspace.id])]


CUSTOMER_MANAGED_KEY = CheckSpec(
    "customer-managed-key",
    Severity.BLOCKER,
    "The workspace is encrypted with a customer-managed key",
    "Not fixable in place: keep {workspace} where it is, or create a new workspace in the destination "
    "(az ml workspace create --name <new-name> --resource-group {destination_group} "
    "--subscription {destination_subscription}) and re-register its assets there.",
)


@registered(CUSTOMER_MANAGED_KEY)
def find_customer_managed_key(inventory: Inventory, selection: Selection) -> list[Finding]:
    encryption = inventory.workspace.encryption
    if not encryption.customer_managed:
        return []
    key = f" (key {encryption.key_identifier})" if encryption.key_identifier else ""
    detail = f"Workspaces encrypted with a customer-managed key cannot be moved{key}; encryption cannot be turned off."
    ids = [inventory.workspace.id, *([encryption.key_vault_id] if encryption.key_vault_id else [])]
    command = CUSTOMER_MANAGED_KEY.fill(workspace=inventory.workspace.name, **destination_fields(inventory))
    return [CUSTOMER_MANAGED_KEY.finding(detail, [command], ids)]


LABELING_JOBS_RUNNING = CheckSpec(
    "labeling-jobs-running",
    Severity.BLOCKER,
    "Labeling projects are running",
    "Azure ML studio → workspace {workspace} → Data Labeling → {name} → Pause (or wait until it finishes)",
    prose=True,
)


@registered(LABELING_JOBS_RUNNING)
def find_running_labeling_jobs(inventory: Inventory, selection: Selection) -> list[Finding]:
    running = [job for job in inventory.labeling_jobs if not status_in(job.status, STOPPED_LABELING_STATUSES)]
    if not running:
        return []
    detail = f"{len(running)} labeling project(s) running: {listing(f'{j.name} ({j.status})' for j in running)}."
    commands = [LABELING_JOBS_RUNNING.fill(workspace=inventory.workspace.name, name=job.name) for job in running]
    return [LABELING_JOBS_RUNNING.finding(detail, commands, [job.id for job in running])]


DATABRICKS_LINKED = CheckSpec(
    "databricks-linked",
    Severity.BLOCKER,
    "An Azure Databricks workspace links this workspace",
    "az databricks workspace show --ids {id} --query parameters.amlWorkspaceId",
    hint="The link (amlWorkspaceId) is set when the Databricks workspace is created; a linked AML workspace cannot "
    "be moved. Recreate the Databricks workspace without the link, or keep the AML workspace where it is.",
)


@registered(DATABRICKS_LINKED)
def find_databricks_links(inventory: Inventory, selection: Selection) -> list[Finding]:
    linked = [d for d in inventory.databricks_workspaces if same_id(d.linked_aml_workspace_id, inventory.workspace.id)]
    if not linked:
        return []
    detail = f"Databricks workspace(s) {listing(d.name for d in linked)} link this workspace."
    commands = [DATABRICKS_LINKED.fill(id=d.id) for d in linked]
    return [DATABRICKS_LINKED.finding(detail, commands, [d.id for d in linked])]
