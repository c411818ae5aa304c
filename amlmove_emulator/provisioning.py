"""Azure ML's asynchronous creates of online and batch endpoints and their deployments: a PUT answers at once with
provisioningState Creating (Updating for an update) and an Azure-AsyncOperation header; the object becomes Succeeded
(or Failed) when its provisioning time has passed, on the emulator's clock.

Shaped on a real exchange (Azure/azure-powershell
`src/MachineLearningServices/MachineLearningServices.Autorest/test/CreateScenarioTestOnlineEndpoint.Recording.json`,
kept in tests/recordings/ml-online-endpoint-create.json): `PUT …/onlineEndpoints/{name}?api-version=2024-04-01`
answers 201 with `Location` (the endpoint's own URL), `Azure-AsyncOperation`
(`…/locations/{region}/mfeOperationsStatus/oeidp:{guid}:{guid}`) and `x-ms-async-operation-timeout: PT30M`; the body
has `provisioningState: Creating`, `traffic: {}`, `mirrorTraffic: {}`, `scoringUri: null`, `kind: Managed`; the status
page then answers `{"status": "Succeeded", "startTime", "endTime", …}`.

How long provisioning takes: `settings.mlProvisioningSeconds` (scenario or `/_emulator/settings`, default 0: done
by the first poll), or an LRO shape with `operation: ml-provision` (`/_emulator/lro`: `durationSeconds`,
`outcome` succeeded | failed | timeout — timeout never finishes —, `targetRegex` on the resource id, `count`).

Scoring URI: Azure derives it from the endpoint's name and region (`https://{name}.{region}.inference.ml.azure.com/
score` for online endpoints, `…/jobs` for batch; endpoint names are unique per region, Microsoft's "Deploy models
with REST" page) — not from the subscription or group, so a workspace move within a region gives the same URI."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from . import ids
from .state import LroShape, Store

ONLINE_ENDPOINTS = "microsoft.machinelearningservices/workspaces/onlineendpoints"
BATCH_ENDPOINTS = "microsoft.machinelearningservices/workspaces/batchendpoints"
PROVISIONED_TYPES = frozenset(
    {ONLINE_ENDPOINTS, f"{ONLINE_ENDPOINTS}/deployments", BATCH_ENDPOINTS, f"{BATCH_ENDPOINTS}/deployments"}
)
OPERATION = "ml-provision"
TERMINAL = ("Succeeded", "Failed", "Canceled")


class TrafficRejected(ValueError):
    """An online endpoint PUT whose traffic names a deployment the endpoint does not have."""


def scoring_uri(resource_id: str, location: str) -> str:
    """What Azure gives an endpoint: from its name and region only."""
    parsed = ids.parse(resource_id)
    assert parsed is not None
    region = location.replace(" ", "").lower()
    tail = "score" if parsed.type.lower() == ONLINE_ENDPOINTS else "jobs"
    return f"https://{parsed.name.lower()}.{region}.inference.ml.azure.com/{tail}"


def check_traffic(store: Store, resource_id: str, body: dict[str, Any]) -> None:
    """Azure ML refuses traffic (or mirror traffic) to a deployment the endpoint does not have, and a split that is
    not 0 or 100 in all; that is why a recreated endpoint starts with traffic {}."""
    props = body.get("properties") or {}
    for key in ("traffic", "mirrorTraffic"):
        split = props.get(key) or {}
        if not isinstance(split, dict):
            raise TrafficRejected(f"properties.{key} must be an object of deployment name to percentage.")
        missing = [d for d in split if store.get(f"{resource_id}/deployments/{d}") is None]
        if missing:
            raise TrafficRejected(
                f"Traffic rule(s) for deployment(s) {', '.join(sorted(missing))} of endpoint "
                f"'{resource_id.rsplit('/', 1)[-1]}' cannot be set: they do not exist."
            )
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100 for v in split.values()):
            raise TrafficRejected(f"properties.{key} values must be whole percentages from 0 to 100.")
        total = sum(split.values()) if split else 0
        if key == "traffic" and split and total not in (0, 100):
            raise TrafficRejected(f"The sum of traffic rules must be 0 or 100; it is {total}.")


def start(store: Store, resource_id: str, created: bool) -> tuple[str, dict[str, Any]]:
    """Begin provisioning the object just stored at `resource_id`: its stored body shows Creating/Updating until
    `advance` finishes it. Returns (operation id, the body to answer the PUT with)."""
    stored = store.get(resource_id)
    assert stored is not None
    shape = _take_shape(store, resource_id)
    duration = shape.duration_seconds if shape else store.settings.ml_provisioning_seconds
    outcome = shape.outcome if shape else "succeeded"
    low = ids.parse(resource_id).type.lower()  # type: ignore[union-attr]
    final = copy.deepcopy(stored.body)
    props = final.setdefault("properties", {})
    props["provisioningState"] = "Succeeded" if outcome == "succeeded" else "Failed"
    location = str(final.get("location") or "eastus")
    if low == ONLINE_ENDPOINTS:
        final.setdefault("kind", "Managed")
        props.setdefault("traffic", {})
        props.setdefault("mirrorTraffic", {})
        props.setdefault("publicNetworkAccess", "Enabled")
        for key in ("description", "swaggerUri", "compute"):  # null when not set, as the recorded answer has them
            props.setdefault(key, None)
        props.setdefault("properties", {})
        final.setdefault("tags", {})
    if low in (ONLINE_ENDPOINTS, BATCH_ENDPOINTS):
        props["scoringUri"] = scoring_uri(resource_id, location) if outcome == "succeeded" else None
    showing = copy.deepcopy(final)
    showing["properties"]["provisioningState"] = "Creating" if created else "Updating"
    if low in (ONLINE_ENDPOINTS, BATCH_ENDPOINTS) and created:
        showing["properties"]["scoringUri"] = None
    stored.body = showing
    op_id = f"{'odidp' if low.endswith('/deployments') else 'oeidp'}:{uuid.uuid4()}:{uuid.uuid4()}"
    store.ml_operations[op_id] = {
        "started": _iso(store),
        "resource": resource_id,
        "readyAt": None if outcome == "timeout" else store.now() + duration,
        "outcome": outcome,
        "final": final,
    }
    return op_id, copy.deepcopy(showing)


def advance(store: Store) -> None:
    """Finish every provisioning whose time has come (called under the store's lock before each ARM request)."""
    now = store.now()
    for op in store.ml_operations.values():
        if "final" not in op or op.get("done") or op["readyAt"] is None or op["readyAt"] > now:
            continue
        op["done"] = True
        op["ended"] = _iso(store)
        stored = store.get(op["resource"])
        if stored is not None:  # deleted meanwhile: nothing to finish
            stored.body = op["final"]


def status_body(op_id: str, op: dict[str, Any], path: str) -> dict[str, Any]:
    """The mfeOperationsStatus page of a provisioning operation."""
    body: dict[str, Any] = {"id": path, "name": op_id, "startTime": op["started"]}
    if "final" not in op:
        return {**body, "status": "Succeeded", "endTime": op["started"]}
    if not op.get("done"):
        return {**body, "status": "InProgress"}
    if op["outcome"] == "succeeded":
        return {**body, "status": "Succeeded", "endTime": op["ended"]}
    name = op["resource"].rsplit("/", 1)[-1]
    return {
        **body,
        "status": "Failed",
        "endTime": op["ended"],
        "error": {
            "code": "DeploymentFailed" if "/deployments/" in op["resource"].lower() else "EndpointCreationFailed",
            "message": f"Provisioning of '{name}' failed (emulated failure on demand).",
        },
    }


def _take_shape(store: Store, resource_id: str) -> LroShape | None:
    for shape in store.lro_shapes:
        if shape.operation != OPERATION:
            continue
        if shape.target_regex is not None and not shape.target_regex.search(resource_id):
            continue
        if shape.count is not None:
            shape.count -= 1
            if shape.count <= 0:
                store.lro_shapes.remove(shape)
        return shape
    return None


def _iso(store: Store) -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
