"""Apply's opt-in removals and the journal of every write apply makes before the move.

Computes and endpoints are removed with ARM's own DELETE through the run's ARM pipeline, each followed to its end
with azure-core's ARM poller (Azure ML answers 202 + Location + Azure-AsyncOperation). Attached computes are
DETACHED (`underlyingResourceAction=Detach`: the AKS cluster, Databricks workspace or VM stays), never deleted:
decided from ARM's `isAttachedCompute` and the compute type. Every write is journaled the moment it succeeds, so a
failure at any point still reports exactly what was done and how to undo or finish each step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from . import ids
from . import inventory as inv
from .api_versions import ML_API
from .azure import Clients, from_http_error
from .errors import AzureError
from .ids import endpoint_kind

FALLBACK_POLL_SECONDS = 5
# Compute types that wrap a resource living elsewhere. Kubernetes is always attached; the others are what azure-ai-ml
# 1.35.2 reads as UnsupportedCompute (AKS v1, Databricks, HDInsight, DataFactory, DataLakeAnalytics) or attaches
# (VirtualMachine, SynapseSpark). Deleting them with underlyingResourceAction=Delete would delete the customer's own
# resource, so they are detached even when ARM does not flag them isAttachedCompute.
ATTACHED_TYPES = frozenset(
    {
        "kubernetes",
        "aks",
        "databricks",
        "hdinsight",
        "datafactory",
        "datalakeanalytics",
        "virtualmachine",
        "synapsespark",
    }
)


@dataclass(frozen=True)
class Write:
    """One change apply made in Azure before the move."""

    action: str  # created | registered | deleted | detached
    resource_id: str
    kind: str  # resource-group | provider | compute | online-endpoint | batch-endpoint | serverless-endpoint
    exports: tuple[tuple[str, str], ...] = ()  # (export kind, file relative to the plan's directory) to recreate it

    def to_json(self, workspace_id: str) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": self.resource_id,
            "kind": self.kind,
            "exports": [file for _, file in self.exports],
            "command": undo_command(self, workspace_id),
        }


class WriteLog(Protocol):
    """Where every write is recorded the moment it succeeds (`Journal`, or apply's report)."""

    def add(self, write: Write) -> None: ...


@dataclass
class Journal:
    writes: list[Write] = field(default_factory=list)

    def add(self, write: Write) -> None:
        self.writes.append(write)


def is_attached(compute: inv.Compute) -> bool:
    return compute.is_attached or compute.compute_type.lower() in ATTACHED_TYPES


def remove(
    clients: Clients,
    computes: list[inv.Compute],
    endpoints: list[str],
    exports_for: dict[str, tuple[tuple[str, str], ...]],
    journal: WriteLog,
    info: Any,
) -> None:
    """Delete the endpoints (their deployments go with them), then delete or detach the computes, each waited for;
    every success is journaled at once."""
    for endpoint_id in endpoints:
        info(f"Deleting endpoint {endpoint_id}")
        delete(clients, endpoint_id)
        journal.add(Write("deleted", endpoint_id, endpoint_kind(endpoint_id), exports_for.get(endpoint_id.lower(), ())))
    for compute in computes:
        action = "Detach" if is_attached(compute) else "Delete"
        info(f"{'Detaching' if action == 'Detach' else 'Deleting'} compute {compute.id}")
        delete(clients, compute.id, underlying_resource_action=action)
        journal.add(
            Write(
                "detached" if action == "Detach" else "deleted",
                compute.id,
                "compute",
                exports_for.get(compute.id.lower(), ()),
            )
        )


def delete(clients: Clients, resource_id: str, underlying_resource_action: str | None = None) -> None:
    """ARM DELETE of `resource_id`, followed to the end of its asynchronous operation (Azure-AsyncOperation or
    Location, Retry-After honoured); a 404/204 means already gone. AzureError when ARM refuses or fails."""
    from urllib.parse import quote

    from azure.core.exceptions import HttpResponseError
    from azure.core.polling import LROPoller
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    url = f"{clients.cloud.arm_endpoint}{quote(resource_id, safe='/')}?api-version={ML_API}"
    if underlying_resource_action:
        url += f"&underlyingResourceAction={underlying_resource_action}"
    pipeline = clients.arm()
    try:
        initial = pipeline.send_request(HttpRequest("DELETE", url), _return_pipeline_response=True)
        status = initial.http_response.status_code
        if status in (200, 204, 404):
            return
        if status != 202:
            raise HttpResponseError(response=initial.http_response, error_format=ARMErrorFormat)
        LROPoller(pipeline, initial, lambda _: None, ARMPolling(FALLBACK_POLL_SECONDS)).result()
    except HttpResponseError as exc:
        said = from_http_error(f"DELETE {resource_id}", exc)
        raise AzureError(
            said.operation,
            status=said.status,
            code=said.code,
            message=said.azure_message,
            correlation_id=said.correlation_id,
            fix="See report.md for what was already removed and how to recreate it; check whether this one is gone "
            "(az resource show --ids …) and re-run apply with the same plan (it removes only what is still there)",
        ) from None


# `az` subcommands that recreate an export of each kind (each reads the file with the matching azure-ai-ml load_*).
_CREATE = {
    "compute": "az ml compute create",
    "online-endpoint": "az ml online-endpoint create",
    "online-deployment": "az ml online-deployment create",
    "batch-endpoint": "az ml batch-endpoint create",
    "batch-deployment": "az ml batch-deployment create",
    "serverless-endpoint": "az ml serverless-endpoint create",
}


def undo_command(write: Write, workspace_id: str) -> str:
    """The command that undoes (or, for a removal, reverses) `write`, aimed at `workspace_id` (where the workspace is
    now: the destination once moved). Export paths are relative to the plan artifact (and apply's output-dir)."""
    if write.kind == "resource-group" and write.resource_id.startswith("/subscriptions/"):
        # only a group id is parsed here: a provider's (/subscriptions/{s}/providers/{ns}) is no resource id
        rid = ids.ResourceId.parse(write.resource_id)
        return f"az group delete --name {rid.resource_group} --subscription {rid.subscription_id} --yes"
    if write.kind == "provider":
        sub, _, namespace = write.resource_id.partition("/providers/")
        return f"az provider unregister --namespace {namespace} --subscription {sub.rsplit('/', 1)[-1]}"
    ws = ids.ResourceId.parse(workspace_id)
    target = f"--resource-group {ws.resource_group} --workspace-name {ws.name} --subscription {ws.subscription_id}"
    steps = []
    for kind, file in write.exports:
        if kind == "attached-compute" and file.endswith(".json"):
            name = write.resource_id.rsplit("/", 1)[-1]
            steps.append(
                f'az rest --method put --url "{workspace_id}/computes/{name}?api-version={ML_API}" --body @{file}'
            )
        elif kind in ("attached-compute", "compute") and write.action == "detached":
            steps.append(f"az ml compute attach --file {file} {target}")
        elif kind in _CREATE:
            steps.append(f"{_CREATE[kind]} --file {file} {target}")
    return " && ".join(steps) if steps else "(no export: recreate it by hand)"
