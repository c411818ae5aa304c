"""Exports of what a move cannot carry: compute and endpoint definitions as YAML that `az ml … create --file` and
azure-ai-ml's load_* functions accept (written by azure-ai-ml's own entities, so the schema is theirs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .azure import Clients, ml_client


@dataclass(frozen=True)
class Export:
    kind: str  # compute | online-endpoint | online-deployment | batch-endpoint
    name: str
    path: Path


def export_all(
    clients: Clients, workspace_id: str, folder: Path, computes: list[str], online: list[str], batch: list[str]
) -> list[Export]:
    """Write one YAML per compute / endpoint / deployment into folder (exports/ in the output dir)."""
    if not (computes or online or batch):
        return []
    ml = ml_client(clients, workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Export] = []
    for name in computes:
        out.append(_dump("compute", name, ml.compute.get(name), folder / f"compute-{name}.yml"))
    for name in online:
        out.append(
            _dump("online-endpoint", name, ml.online_endpoints.get(name), folder / f"online-endpoint-{name}.yml")
        )
        for deployment in ml.online_deployments.list(endpoint_name=name):
            out.append(
                _dump(
                    "online-deployment",
                    f"{name}/{deployment.name}",
                    deployment,
                    folder / f"online-deployment-{name}-{deployment.name}.yml",
                )
            )
    for name in batch:
        out.append(_dump("batch-endpoint", name, ml.batch_endpoints.get(name), folder / f"batch-endpoint-{name}.yml"))
    return out


def _dump(kind: str, name: str, entity: Any, path: Path) -> Export:
    entity.dump(path)
    return Export(kind, name, path)


def recreate_computes(clients: Clients, workspace_id: str, exports: list[Export]) -> list[str]:
    """Create each exported compute in the (moved) workspace; returns the names created."""
    ml = ml_client(clients, workspace_id)  # first: it prepares the environment azure-ai-ml reads at import
    from azure.ai.ml import load_compute

    created = []
    for item in exports:
        if item.kind != "compute":
            continue
        ml.compute.begin_create_or_update(load_compute(item.path)).result()
        created.append(item.name)
    return created


# Computes that wrap a resource living elsewhere: detach them (the underlying cluster or VM stays).
ATTACHED_TYPES = {
    "kubernetes",
    "aks",
    "virtualmachine",
    "databricks",
    "hdinsight",
    "synapsespark",
    "datafactory",
    "datalakeanalytics",
}


def delete_computes_and_endpoints(
    clients: Clients,
    workspace_id: str,
    computes: list[str],
    online: list[str],
    batch: list[str],
    serverless: list[str],
) -> None:
    """The opt-in removals, each waited for. Attached computes are detached (the underlying resource stays)."""
    ml = ml_client(clients, workspace_id)
    for name in online:
        ml.online_endpoints.begin_delete(name=name).result()
    for name in batch:
        ml.batch_endpoints.begin_delete(name=name).result()
    for name in serverless:
        ml.serverless_endpoints.begin_delete(name=name).result()
    for name in computes:
        attached = str(getattr(ml.compute.get(name), "type", "")).lower() in ATTACHED_TYPES
        poller = ml.compute.begin_detach(name) if attached else ml.compute.begin_delete(name)
        poller.result()
