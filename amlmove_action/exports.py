"""Exports of what a move cannot carry: the definition of every compute, endpoint and deployment that apply removes,
taken by PLAN with read-only GETs into the plan's output directory (exports/) and listed in plan.json with their
SHA-256, so they travel in the approved plan artifact. Apply verifies them (present, unaltered, loadable) before it
removes anything, and recreates computes from them.

Each file is what azure-ai-ml's own parsers read (`load_compute`, `load_online_endpoint`, `load_online_deployment`,
`load_batch_endpoint`, `load_batch_deployment`, `load_serverless_endpoint` — what `az ml … create --file` uses),
made by azure-ai-ml's own entities from ARM's GET body (`Entity._from_rest_object(RestModel(body))` then the entity's
schema dump), minus the read-only state a create rejects. Attached computes that azure-ai-ml 1.35.2 does not model
(Databricks, HDInsight, DataFactory, DataLakeAnalytics, AKS v1: it reads them as `UnsupportedCompute`, which no
loader accepts) are kept as ARM's own JSON without read-only fields: what an ARM PUT re-attaches."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api_versions import ML_API
from .azure import Clients, ml_client

FOLDER = "exports"

# azure-ai-ml 1.35.2's schemas mark these dump_only (azure/ai/ml/_schema/compute/*.py, _deployment/*, _endpoint/*):
# the service sets them, a create must not carry them. scoring_uri / openapi_uri are readOnly in the REST spec.
READ_ONLY = frozenset(
    {
        "id",
        "provisioning_state",
        "provisioning_errors",
        "created_on",
        "public_ip_address",
        "private_ip_address",
        "admin_username",
        "ssh_port",
        "is_latest_os_image_version",
        "current_image_version",
        "latest_image_version",
        "state",
        "last_operation",
        "services",
        "os_image_metadata",
        "compute_location",
        "creation_context",
        "scoring_uri",
        "openapi_uri",
        "kind",  # ManagedOnlineEndpointSchema: dump_only (the loader infers it from the endpoint's compute)
    }
)
READ_ONLY_IDENTITY = frozenset({"principal_id", "client_id", "tenant_id"})
# ... and these nested ones (ComputeInstanceSshSettingsSchema, NetworkSettingsSchema in azure/ai/ml/_schema/compute/)
READ_ONLY_NESTED = {
    "ssh_settings": frozenset({"admin_username", "ssh_port"}),
    "network_settings": frozenset({"public_ip_address", "private_ip_address"}),
}
# ARM's readOnly members of a compute resource (MachineLearningServices ComputeResource / Compute in the spec).
ARM_READ_ONLY = frozenset({"id", "name", "type", "systemData", "etag"})
ARM_COMPUTE_READ_ONLY = frozenset(
    {"provisioningState", "createdOn", "modifiedOn", "provisioningErrors", "isAttachedCompute"}
)


@dataclass(frozen=True)
class Export:
    kind: str  # compute | attached-compute | online-endpoint | online-deployment | batch-endpoint | ...
    name: str  # the object's name; deployments: endpoint/deployment
    resource_id: str
    file: str  # relative to the directory that holds plan.json: exports/<kind>-<name>.yml
    sha256: str
    scoring_uri: str | None = None  # online and batch endpoints: the URI callers used before the move

    def to_json(self) -> dict[str, str]:
        out = {
            "kind": self.kind,
            "name": self.name,
            "resourceId": self.resource_id,
            "file": self.file,
            "sha256": self.sha256,
        }
        if self.scoring_uri:
            out["scoringUri"] = self.scoring_uri
        return out

    @staticmethod
    def from_json(data: dict[str, str]) -> Export:
        return Export(
            data["kind"], data["name"], data["resourceId"], data["file"], data["sha256"], data.get("scoringUri")
        )


class ExportProblem(Exception):
    """An export that is missing, altered, or that azure-ai-ml cannot load."""


# ---- plan: take them -------------------------------------------------------------------------------------------------


def take_exports(
    clients: Clients,
    workspace_id: str,
    output_dir: Path,
    computes: list[str],
    online: list[str],
    batch: list[str],
    serverless: list[str],
) -> list[Export]:
    """GET each object to remove (and every deployment of each endpoint), write one file per object into
    output_dir/exports and return them with their SHA-256. Reads only (the run's ARM pipeline, which never
    registers a provider)."""
    if not (computes or online or batch or serverless):
        return []
    folder = output_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[Export] = []
    used: set[str] = set()

    def get(path: str) -> dict[str, Any]:
        body = clients.get_json(path, ML_API, missing_ok=False, operation=f"export {path.rsplit('/', 2)[-2]}")
        assert body is not None
        return body

    def write(kind: str, name: str, body: dict[str, Any]) -> None:
        try:
            text, suffix = document(kind, body)
        except Exception as exc:  # noqa: BLE001 - azure-ai-ml could not model what ARM returned
            raise ExportProblem(f"the {kind} {name!r} cannot be exported ({type(exc).__name__})") from None
        stem = _file_stem(f"{kind}-{name.replace('/', '-')}")
        file, n = f"{FOLDER}/{stem}{suffix}", 1
        while file.lower() in used:
            n += 1
            file = f"{FOLDER}/{stem}-{n}{suffix}"
        used.add(file.lower())
        data = text.encode("utf-8")
        (output_dir / file).write_bytes(data)
        uri = (body.get("properties") or {}).get("scoringUri") if kind.endswith("-endpoint") else None
        taken.append(Export(kind, name, body["id"], file, hashlib.sha256(data).hexdigest(), uri or None))

    for name in computes:
        body = get(f"{workspace_id}/computes/{name}")
        write("attached-compute" if is_attached_body(body) else "compute", name, body)
    for label, names, collection in (
        ("online", online, "onlineEndpoints"),
        ("batch", batch, "batchEndpoints"),
    ):
        for name in names:
            write(f"{label}-endpoint", name, get(f"{workspace_id}/{collection}/{name}"))
            for d in clients.list_json(f"{workspace_id}/{collection}/{name}/deployments", ML_API):
                write(f"{label}-deployment", f"{name}/{d['name']}", d)
    for name in serverless:
        write("serverless-endpoint", name, get(f"{workspace_id}/serverlessEndpoints/{name}"))
    return taken


def _file_stem(text: str) -> str:
    """A file name part made only of [A-Za-z0-9_.-], starting with a letter or digit (names come from Azure)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip("._-") or "object"
    return stem[:150]


def is_attached_body(compute_body: dict[str, Any]) -> bool:
    """ARM's isAttachedCompute, or a compute type that always wraps a resource living elsewhere."""
    from .removals import ATTACHED_TYPES

    props = compute_body.get("properties") or {}
    return bool(props.get("isAttachedCompute")) or str(props.get("computeType", "")).lower() in ATTACHED_TYPES


def needs_arm_form(compute_body: dict[str, Any]) -> bool:
    """True for an attached compute azure-ai-ml cannot load (it reads it as UnsupportedCompute)."""
    _steer()
    from azure.ai.ml._restclient.arm_ml_service.models import ComputeResource
    from azure.ai.ml.entities import Compute

    return type(Compute._from_rest_object(ComputeResource(compute_body))).__name__ == "UnsupportedCompute"


def document(kind: str, body: dict[str, Any]) -> tuple[str, str]:
    """(file text, suffix) of one export: YAML of azure-ai-ml's entity, or ARM's JSON for `attached-compute`."""
    if kind == "attached-compute" and needs_arm_form(body):
        return json.dumps(arm_form(body), indent=2, sort_keys=True) + "\n", ".json"
    import yaml

    entity = _entity("compute" if kind == "attached-compute" else kind, body)
    if kind == "serverless-endpoint":
        # The generated model's as_dict (the patched one adds read-only system_data, and fails without it).
        data = super(type(entity), entity).as_dict(exclude_readonly=True)
        data.pop("system_data", None)
    else:
        data = service_values(_without_read_only(entity._to_dict()))
    # Round-trip through JSON: azure-ai-ml's enums are str subclasses (written as their values), and anything that is
    # not plain data fails here rather than in a reviewer's `az ml … create`.
    plain = json.loads(json.dumps(data))
    return yaml.safe_dump(plain, sort_keys=False, width=120), ".yml"


def service_values(data: dict[str, Any]) -> dict[str, Any]:
    """azure-ai-ml 1.35.2 dumps a batch deployment's logging_level (a marshmallow Str over a str-mixin enum) as the
    enum's repr, "BatchLoggingLevel.INFO", which neither its own loader maps back nor the service accepts (Info,
    Warning, Debug): written as the service's value."""
    level = data.get("logging_level")
    if isinstance(level, str) and level.startswith("BatchLoggingLevel."):
        return {**data, "logging_level": level.split(".", 1)[1].capitalize()}
    return data


def arm_form(body: dict[str, Any]) -> dict[str, Any]:
    """An ARM compute body with its read-only members removed (what a PUT accepts)."""
    out = {k: v for k, v in body.items() if k not in ARM_READ_ONLY}
    props = {k: v for k, v in (out.get("properties") or {}).items() if k not in ARM_COMPUTE_READ_ONLY}
    out["properties"] = props
    return out


def _without_read_only(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in READ_ONLY}
    for parent, members in READ_ONLY_NESTED.items():
        nested = out.get(parent)
        if isinstance(nested, dict):
            out[parent] = {k: v for k, v in nested.items() if k not in members}
    identity = out.get("identity")
    if isinstance(identity, dict):
        identity = {k: v for k, v in identity.items() if k not in READ_ONLY_IDENTITY}
        users = identity.get("user_assigned_identities")
        if isinstance(users, list):
            identity["user_assigned_identities"] = [
                {k: v for k, v in u.items() if k not in READ_ONLY_IDENTITY} if isinstance(u, dict) else u for u in users
            ]
        out["identity"] = identity
    return out


def _steer() -> None:
    """azure-ai-ml resolves its cloud at import from the environment (see azure.steer_azure_ai_ml); exports never
    contact a cloud, so the static AzureCloud table is enough and nothing is fetched. At import azure-ai-ml also
    gives its logger a stderr handler (initialize_logger_info) that prints notices such as load_serverless_endpoint's
    "This is an experimental method": stderr carries one line only, so that handler goes and the records propagate
    to the run's own logging (the debug log with --debug, nothing otherwise)."""
    import os
    import sys

    if "azure.ai.ml" not in sys.modules:
        os.environ["AZUREML_CURRENT_CLOUD"] = "AzureCloud"
        os.environ.pop("ARM_CLOUD_METADATA_URL", None)
    import azure.ai.ml  # noqa: F401 - imported here so its logger exists before it is quieted

    quiet_azure_ai_ml()


def quiet_azure_ai_ml() -> None:
    import logging
    import sys

    logger = logging.getLogger("azure.ai.ml")
    for handler in list(logger.handlers):
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (sys.stderr, sys.stdout):
            logger.removeHandler(handler)
    logger.propagate = True


def _entity(kind: str, body: dict[str, Any]) -> Any:
    _steer()
    from azure.ai.ml._restclient.arm_ml_service import models as rest
    from azure.ai.ml.entities import (
        BatchDeployment,
        BatchEndpoint,
        Compute,
        OnlineDeployment,
        OnlineEndpoint,
        ServerlessEndpoint,
    )

    with warnings.catch_warnings():  # BatchDeployment's "use a concrete class" warning: the loader decides that
        warnings.simplefilter("ignore")
        if kind == "compute":
            return Compute._from_rest_object(rest.ComputeResource(body))
        if kind == "online-endpoint":
            return OnlineEndpoint._from_rest_object(rest.OnlineEndpoint(body))
        if kind == "online-deployment":
            return OnlineDeployment._from_rest_object(rest.OnlineDeployment(body))
        if kind == "batch-endpoint":
            return BatchEndpoint._from_rest_object(rest.BatchEndpoint(body))
        if kind == "batch-deployment":
            return BatchDeployment._from_rest_object(rest.BatchDeployment(body))
        if kind == "serverless-endpoint":
            # The class azure-ai-ml exports is its _patch.py subclass (star-imported over the generated one, which
            # is all a type checker sees): that subclass has _from_rest_object.
            patched: Any = ServerlessEndpoint
            return patched._from_rest_object(rest.ServerlessEndpoint(body))
    raise ValueError(f"unknown export kind {kind}")


# ---- apply: verify and use them --------------------------------------------------------------------------------------


def loader(kind: str) -> Callable[[Path], Any]:
    """azure-ai-ml's own parser for an export of `kind` (the one `az ml <kind> create --file` uses)."""
    _steer()
    import azure.ai.ml as aml

    if kind == "attached-compute":
        return lambda path: _load_arm_compute(path) if path.suffix == ".json" else aml.load_compute(path)
    loaders: dict[str, Callable[[Path], Any]] = {
        "compute": aml.load_compute,
        "online-endpoint": aml.load_online_endpoint,
        "online-deployment": aml.load_online_deployment,
        "batch-endpoint": aml.load_batch_endpoint,
        "batch-deployment": aml.load_batch_deployment,
        "serverless-endpoint": aml.load_serverless_endpoint,
    }
    return loaders[kind]


def _load_arm_compute(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or not isinstance((data.get("properties") or {}).get("computeType"), str):
        raise ValueError("not an ARM compute definition")
    return data


def verify(exports: list[Export], plan_dir: Path) -> None:
    """Every export present next to the plan, byte for byte what plan wrote (SHA-256), and loadable; ExportProblem
    naming the first that is not."""
    for item in exports:
        path = plan_dir / item.file
        try:
            data = path.read_bytes()
        except OSError:
            raise ExportProblem(f"{item.file} is missing next to the plan") from None
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise ExportProblem(f"{item.file} is not the file plan wrote (its SHA-256 differs)")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loader(item.kind)(path)
        except Exception as exc:  # noqa: BLE001 - any parser failure means the export cannot recreate the object
            raise ExportProblem(f"{item.file} does not load with azure-ai-ml ({type(exc).__name__})") from None


@dataclass(frozen=True)
class Recreated:
    name: str  # the exported compute's name
    new_name: str  # its name in the moved workspace (compute instances get a new one)
    status: str  # done | already-done | failed
    detail: str
    command: str  # what finishes it by hand (failed ones)


def recreate_computes(clients: Clients, workspace_id: str, exports: list[Export], plan_dir: Path) -> list[Recreated]:
    """Create each exported compute (deleted, not detached) in the moved workspace unless it is there already (a
    re-run), every one attempted whatever the others do. A compute instance gets a new name
    (`restore.new_instance_name`: reusing its old name after a move fails with an Etag conflict) and keeps its
    assigned user (`create_on_behalf_of`, azure-ai-ml's personalComputeInstanceSettings). Attached computes are not
    recreated: re-attaching is the owner's call (report.md gives the command)."""
    ml = ml_client(clients, workspace_id)  # first: it prepares the environment azure-ai-ml reads at import
    quiet_azure_ai_ml()
    from azure.ai.ml import load_compute

    from .ids import ResourceId
    from .restore import new_instance_name

    ws = ResourceId.parse(workspace_id)
    out = []
    for item in exports:
        if item.kind != "compute":
            continue
        new_name = item.name
        command = ""
        try:
            compute = load_compute(plan_dir / item.file)
            instance = str(getattr(compute, "type", "")).lower() == "computeinstance"
            if instance:
                new_name = compute.name = new_instance_name(item.name)
            command = (
                f"az ml compute create --file {item.file} --name {new_name} --workspace-name {ws.name} "
                f"--resource-group {ws.resource_group} --subscription {ws.subscription_id}"
            )
            if clients.get_json(f"{workspace_id}/computes/{new_name}", ML_API) is not None:
                out.append(Recreated(item.name, new_name, "already-done", "already there", ""))
                continue
            ml.compute.begin_create_or_update(compute).result()
        except Exception as exc:  # noqa: BLE001 - one failing compute never stops the others; it is reported
            command = command or (
                f"az ml compute create --file {item.file} --name {new_name} --workspace-name {ws.name} "
                f"--resource-group {ws.resource_group} --subscription {ws.subscription_id}"
            )
            out.append(Recreated(item.name, new_name, "failed", f"{type(exc).__name__}: {str(exc)[:300]}", command))
            continue
        detail = "recreated from the plan's export" + (
            f" as {new_name} (a compute instance cannot reuse its name after a move)" if instance else ""
        )
        user = getattr(compute, "create_on_behalf_of", None)
        if user is not None:
            detail += f", assigned to user {user.user_object_id}"
        out.append(Recreated(item.name, new_name, "done", detail, ""))
    return out
