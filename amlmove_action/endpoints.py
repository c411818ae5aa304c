"""recreate-endpoints: after the move, the online and batch endpoints and their deployments that apply removed are
created again in the moved workspace from the plan artifact's exports.

What is sent: each export is rewritten first (`moved_definition`: every reference to the old workspace's ARM id —
model, environment, code, compute — names the moved workspace; `azureml://registries/…` references are kept), the
endpoint's traffic split is held back, and the rewritten definition is written next to the run's report
(`exports/moved/…`, what the `az ml … create --file` commands for people use). azure-ai-ml's own loader and REST
conversion (`load_online_deployment(...)._to_rest_object(location)`, …) turn it into the body of an ARM PUT
(OnlineEndpoints_CreateOrUpdate, OnlineDeployments_CreateOrUpdate, BatchEndpoints_CreateOrUpdate,
BatchDeployments_CreateOrUpdate at 2024-10-01), sent through the run's ARM pipeline (retries honour Retry-After) and
followed with azure-core's LROPoller and azure-mgmt-core's ARMPolling (Azure-AsyncOperation). MLClient's
`begin_create_or_update` was not used: for a deployment it resolves and uploads local assets and reads the endpoint
first, requests the plan never promised.

Order: every endpoint first, with no traffic (Azure ML refuses traffic to deployments that do not exist yet); then
the deployments side by side, at most MAX_DEPLOYMENTS at a time, each with a heartbeat line while it provisions;
then, for each endpoint whose deployments are all Succeeded, the original traffic split (and mirror traffic; a batch
endpoint's default deployment) in one more PUT of the endpoint.

Never twice: before any PUT the object is read from ARM. Succeeded: skipped. Still provisioning (a run killed while
it waited): waited for, never sent again. Failed: sent again (an update of the same object, not a copy). An endpoint
that is there already is never sent again, and its traffic is set only while it routes nothing (someone else's
split is left alone and listed for people)."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api_versions import ML_API
from .exports import Export, loader, quiet_azure_ai_ml, service_values

MAX_DEPLOYMENTS = 4  # deployments provisioning at once (each holds VMs and quota; ARM's write limits are far higher)
MAX_ENDPOINTS = 8  # endpoints created (and their traffic restored) at once
POLL_SECONDS = 10  # between status polls when Azure sends no Retry-After
RESUME_POLL_FIRST, RESUME_POLL_MAX = 1.0, 10.0  # waiting on an object found provisioning: 1, 2, 4, 8, 10, 10 … s
HEARTBEAT_SECONDS = 30.0
WAIT_LIMIT_SECONDS = 60 * 60  # Azure ML gives its operations PT30M (x-ms-async-operation-timeout); twice that
PROVISIONING_DONE = ("succeeded", "failed", "canceled")
ENDPOINT_KINDS = {"online-endpoint": "onlineEndpoints", "batch-endpoint": "batchEndpoints"}
DEPLOYMENT_KINDS = {"online-deployment": "onlineEndpoints", "batch-deployment": "batchEndpoints"}
MOVED_FOLDER = "exports/moved"


# ---- pure: definitions and commands -----------------------------------------------------------------------------


def rewrite_references(value: Any, old_workspace_id: str, new_workspace_id: str) -> Any:
    """`value` with every string that names the old workspace or something in it (an ARM id, optionally behind
    azure-ai-ml's `azureml:` prefix) naming the moved workspace instead; anything else, registries included, as
    it was."""
    if isinstance(value, dict):
        return {k: rewrite_references(v, old_workspace_id, new_workspace_id) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite_references(v, old_workspace_id, new_workspace_id) for v in value]
    if not isinstance(value, str):
        return value
    prefix = "azureml:" if value.lower().startswith("azureml:/subscriptions/") else ""
    rest = value[len(prefix) :]
    old = old_workspace_id.rstrip("/")
    if rest.lower().startswith(old.lower()) and (len(rest) == len(old) or rest[len(old)] == "/"):
        return prefix + new_workspace_id + rest[len(old) :]
    return value


def held_split(kind: str, definition: dict[str, Any]) -> dict[str, Any]:
    """What an endpoint's definition routes (restored once its deployments are healthy): online traffic and mirror
    traffic, a batch endpoint's default deployment."""
    if kind == "online-endpoint":
        return {
            "traffic": dict(definition.get("traffic") or {}),
            "mirror_traffic": dict(definition.get("mirror_traffic") or {}),
        }
    if kind == "batch-endpoint":
        return {"defaults": dict(definition.get("defaults") or {})}
    return {}


def without_split(kind: str, definition: dict[str, Any]) -> dict[str, Any]:
    """The endpoint's definition routing nothing yet (what is created first)."""
    out = dict(definition)
    if kind == "online-endpoint":
        out["traffic"], out["mirror_traffic"] = {}, {}
    elif kind == "batch-endpoint":
        out.pop("defaults", None)
    return out


def definition_of(text: str) -> dict[str, Any]:
    """An export's YAML (azure-ai-ml's schema) as written in the plan artifact, with service values (exports of plans
    made before exports.py wrote them)."""
    import yaml

    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("the export is not a YAML mapping")
    return service_values(data)


def moved_definition(text: str, old_workspace_id: str, new_workspace_id: str) -> dict[str, Any]:
    """An export's YAML (azure-ai-ml's schema) with its references pointing at the moved workspace."""
    out: dict[str, Any] = rewrite_references(definition_of(text), old_workspace_id, new_workspace_id)
    return out


def split_text(split: dict[str, int]) -> str:
    """`az ml online-endpoint update --traffic` form: "blue=90 green=10"."""
    return " ".join(f"{name}={share}" for name, share in split.items())


def workspace_args(workspace_id: str) -> str:
    from .ids import ResourceId

    ws = ResourceId.parse(workspace_id)
    return f"--workspace-name {ws.name} --resource-group {ws.resource_group} --subscription {ws.subscription_id}"


def create_command(kind: str, file: str, workspace_id: str, endpoint: str = "") -> str:
    """The az ml command that creates one object from its rewritten definition."""
    extra = f" --endpoint-name {endpoint}" if kind.endswith("-deployment") else ""
    return f"az ml {kind} create --file {file}{extra} {workspace_args(workspace_id)}"


def split_command(kind: str, name: str, split: dict[str, Any], workspace_id: str) -> str:
    """The az ml command that restores an endpoint's routing."""
    if kind == "online-endpoint":
        parts = [f'--traffic "{split_text(split["traffic"])}"'] if split.get("traffic") else []
        if split.get("mirror_traffic"):
            parts.append(f'--mirror-traffic "{split_text(split["mirror_traffic"])}"')
        return f"az ml online-endpoint update --name {name} {' '.join(parts)} {workspace_args(workspace_id)}"
    default = (split.get("defaults") or {}).get("deployment_name", "")
    return (
        f"az ml batch-endpoint update --name {name} --set defaults.deployment_name={default} "
        f"{workspace_args(workspace_id)}"
    )


def routes_nothing(kind: str, body: dict[str, Any]) -> bool:
    """True when an endpoint as ARM shows it sends no traffic anywhere (how this lane leaves one it created)."""
    props = body.get("properties") or {}
    if kind == "online-endpoint":
        return not any((props.get("traffic") or {}).values()) and not any((props.get("mirrorTraffic") or {}).values())
    return not (props.get("defaults") or {}).get("deploymentName")


def routes_as_held(kind: str, body: dict[str, Any], split: dict[str, Any]) -> bool:
    props = body.get("properties") or {}
    if kind == "online-endpoint":
        now = {k: int(v) for k, v in (props.get("traffic") or {}).items() if int(v)}
        mirror = {k: int(v) for k, v in (props.get("mirrorTraffic") or {}).items() if int(v)}
        want = {k: int(v) for k, v in split["traffic"].items() if int(v)}
        want_mirror = {k: int(v) for k, v in split["mirror_traffic"].items() if int(v)}
        return now == want and mirror == want_mirror
    wanted = (split.get("defaults") or {}).get("deployment_name")
    return (props.get("defaults") or {}).get("deploymentName") == wanted


# ---- the lane ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One object's end (postmove turns it into a follow-up)."""

    kind: str  # endpoint | deployment
    target: str  # "online endpoint churn" / "online deployment churn/blue"
    status: str  # done | already-done | failed | manual
    detail: str
    command: str = ""


@dataclass
class Item:
    export: Export
    endpoint: str
    deployment: str | None
    definition: dict[str, Any]  # rewritten (azure-ai-ml YAML schema)
    file: str  # the rewritten definition, relative to the output directory
    state: str = ""  # Succeeded | Failed | … once known
    split: dict[str, Any] = field(default_factory=dict)  # endpoints: what it routes once healthy

    @property
    def kind(self) -> str:
        return self.export.kind

    @property
    def collection(self) -> str:
        return {**ENDPOINT_KINDS, **DEPLOYMENT_KINDS}[self.kind]

    def path(self, workspace_id: str) -> str:
        tail = f"/deployments/{self.deployment}" if self.deployment else ""
        return f"{workspace_id}/{self.collection}/{self.endpoint}{tail}"

    @property
    def target(self) -> str:
        """The name the report gives it: the endpoint's, or endpoint/deployment."""
        return self.endpoint + (f"/{self.deployment}" if self.deployment else "")

    @property
    def label(self) -> str:
        """What the log calls it: "online deployment churn/blue"."""
        return f"{self.kind.replace('-', ' ')} {self.target}"


@dataclass
class Recreation:
    """One run of the lane: what it talks to and where it writes."""

    clients: Any
    info: Callable[[str], None]  # the platform's log (escapes untrusted text)
    old_workspace_id: str
    new_workspace_id: str
    location: str
    plan_dir: Path
    output_dir: Path
    max_deployments: int = MAX_DEPLOYMENTS
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    outcomes: list[Outcome] = field(default_factory=list)
    uris: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(self, exports: list[Export]) -> None:
        endpoints, deployments = self._items(exports)
        _each(self._endpoint, endpoints, MAX_ENDPOINTS)
        ready = {e.endpoint.lower() for e in endpoints if e.state == "Succeeded"}
        waiting = [d for d in deployments if d.endpoint.lower() in ready]
        for d in deployments:
            if d.endpoint.lower() not in ready:
                self._add(d, "failed", "not created: its endpoint is not there", self._create_command(d))
        _each(self._deployment, waiting, self.max_deployments)

        def finish(endpoint: Item) -> None:
            if endpoint.state == "Succeeded":
                self._route(endpoint, [d for d in deployments if d.endpoint.lower() == endpoint.endpoint.lower()])
            elif any(endpoint.split.values()):
                self._record(
                    "traffic",
                    endpoint.target,
                    "failed",
                    f"{endpoint.kind.replace('-', ' ')}: not restored, the endpoint is not there",
                    split_command(endpoint.kind, endpoint.endpoint, endpoint.split, self.new_workspace_id),
                )
            self._uri(endpoint)

        _each(finish, endpoints, MAX_ENDPOINTS)

    # -- preparing -------------------------------------------------------------------------------------------------
    def _items(self, exports: list[Export]) -> tuple[list[Item], list[Item]]:
        endpoints, deployments = [], []
        for export in exports:
            if export.kind not in ENDPOINT_KINDS and export.kind not in DEPLOYMENT_KINDS:
                continue
            text = (self.plan_dir / export.file).read_text("utf-8")
            definition = moved_definition(text, self.old_workspace_id, self.new_workspace_id)
            endpoint, _, deployment = export.name.partition("/")
            item = Item(export, endpoint, deployment or None, definition, "")
            if export.kind in ENDPOINT_KINDS:
                item.split = held_split(export.kind, definition)
                item.definition = without_split(export.kind, definition)
                endpoints.append(item)
            else:
                deployments.append(item)
            item.file = self._write(item)
        return endpoints, deployments

    def _write(self, item: Item) -> str:
        import yaml

        relative = f"{MOVED_FOLDER}/{Path(item.export.file).name}"
        target = self.output_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(item.definition, sort_keys=False, width=120), "utf-8")
        return relative

    def _body(self, item: Item, definition: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ARM body azure-ai-ml makes of the (rewritten) definition."""
        import tempfile

        import yaml

        quiet_azure_ai_ml()
        with tempfile.TemporaryDirectory(prefix="amlmove-endpoint-") as folder:
            path = Path(folder) / "definition.yml"
            path.write_text(yaml.safe_dump(definition or item.definition, sort_keys=False), "utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                entity = loader(item.kind)(path)
        if item.kind == "online-endpoint":
            rest = entity._to_rest_online_endpoint(self.location)
        elif item.kind == "batch-endpoint":
            rest = entity._to_rest_batch_endpoint(self.location)
        else:
            rest = entity._to_rest_object(location=self.location)
        body: dict[str, Any] = rest.as_dict()
        return body

    # -- the objects -----------------------------------------------------------------------------------------------
    def _endpoint(self, item: Item) -> None:
        self._ensure(item, heartbeat=False)

    def _deployment(self, item: Item) -> None:
        self._ensure(item, heartbeat=True)

    def _ensure(self, item: Item, heartbeat: bool) -> None:
        """Make `item` exist and be Succeeded in the moved workspace, never sending it twice."""
        from .errors import one_line

        path = item.path(self.new_workspace_id)
        command = self._create_command(item)
        try:
            now = self.clients.get_json(path, ML_API)
            state = _state(now)
            if now is not None and state.lower() == "succeeded":
                item.state = "Succeeded"
                self._add(item, "already-done", "already there (Succeeded)")
                return
            if now is not None and state.lower() not in PROVISIONING_DONE:
                self.info(f"{item.label}: found {state or 'provisioning'} in the moved workspace; waiting for it")
                item.state = self._wait_by_reading(item, path, heartbeat)
                how = "was provisioning when this run started; waited for it"
            else:  # not there, or there Failed / Canceled: a PUT of the same object (an update, never a copy)
                again = f" (it was {state}: sent again)" if now is not None else ""
                self.info(f"{item.label}: creating in the moved workspace{again} …")
                item.state = self._put_and_wait(item, path, self._body(item), heartbeat)
                how = "recreated from the plan's export" + again
        except Exception as exc:  # noqa: BLE001 - one object failing never stops the others; it is reported
            item.state = item.state or "Failed"
            self._add(item, "failed", one_line(f"{type(exc).__name__}: {exc}")[:400], command)
            return
        if item.state == "Succeeded":
            self._add(item, "done", how + self._references(item))
        else:
            self._add(item, "failed", f"provisioningState {item.state}", command)

    def _route(self, endpoint: Item, deployments: list[Item]) -> None:
        """Restore what the endpoint routed, once every one of its deployments is Succeeded."""
        from .errors import one_line

        command = split_command(endpoint.kind, endpoint.endpoint, endpoint.split, self.new_workspace_id)
        target = endpoint.target
        wanted = endpoint.split.get("traffic") or endpoint.split.get("mirror_traffic") or endpoint.split.get("defaults")
        if not wanted:
            return
        sick = [d.deployment or "" for d in deployments if d.state != "Succeeded"]
        if sick:
            self._record(
                "traffic",
                target,
                "failed",
                f"not restored: deployment(s) {', '.join(sick)} not healthy; the endpoint routes nothing",
                command,
            )
            return
        path = endpoint.path(self.new_workspace_id)
        try:
            now = self.clients.get_json(path, ML_API) or {}
            if routes_as_held(endpoint.kind, now, endpoint.split):
                self._record("traffic", target, "already-done", f"already routes {_describe(endpoint)}")
                return
            if not routes_nothing(endpoint.kind, now):
                self._record(
                    "traffic",
                    target,
                    "manual",
                    f"left as it is: it already routes traffic its own way (the plan's split: {_describe(endpoint)})",
                    command,
                )
                return
            definition = {**endpoint.definition, **endpoint.split}
            state = self._put_and_wait(endpoint, path, self._body(endpoint, definition), heartbeat=False)
        except Exception as exc:  # noqa: BLE001 - reported with the command that finishes it
            self._record("traffic", target, "failed", one_line(f"{type(exc).__name__}: {exc}")[:400], command)
            return
        if state == "Succeeded":
            self._record("traffic", target, "done", f"restored: {_describe(endpoint)}")
        else:
            self._record("traffic", target, "failed", f"provisioningState {state} after the update", command)

    def _uri(self, endpoint: Item) -> None:
        after = None
        try:
            now = self.clients.get_json(endpoint.path(self.new_workspace_id), ML_API) or {}
            after = (now.get("properties") or {}).get("scoringUri")
        except Exception:  # noqa: BLE001, S110 - the URI is then reported as not known yet
            pass
        before = endpoint.export.scoring_uri
        with self._lock:
            self.uris.append(
                {
                    "kind": endpoint.kind.split("-")[0],
                    "name": endpoint.endpoint,
                    "scoringUriBefore": before,
                    "scoringUriAfter": after,
                    "changed": None if not (before and after) else before.lower() != after.lower(),
                }
            )

    # -- talking to ARM --------------------------------------------------------------------------------------------
    def _put_and_wait(self, item: Item, path: str, body: dict[str, Any], heartbeat: bool) -> str:
        """PUT and follow the asynchronous operation to its end; the object's provisioningState after it."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.polling import LROPoller
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        from .azure import arm_error

        client = self.clients.arm()
        url = f"{self.clients.cloud.arm_endpoint}{path}?api-version={ML_API}"
        initial = client._pipeline.run(HttpRequest("PUT", url, json=body))  # as the generated clients do
        if initial.http_response.status_code not in (200, 201, 202):
            raise arm_error(f"PUT {item.label}", initial.http_response)
        polling = ARMPolling(POLL_SECONDS, lro_options={"final-state-via": "original-uri"})
        poller = LROPoller(client, initial, lambda r: r.http_response.json(), polling)
        started = time.monotonic()
        while not poller.done():
            poller.wait(timeout=self.heartbeat_seconds)
            if poller.done():
                break
            if time.monotonic() - started > WAIT_LIMIT_SECONDS:
                return "still provisioning (re-run apply to wait for it)"
            if heartbeat:
                self.info(f"{item.label}: {poller.status()}, {int(time.monotonic() - started)} s")
        try:
            final = poller.result() or {}
        except HttpResponseError as exc:
            self.info(f"{item.label}: provisioning failed")
            raise exc from None
        return _state(final) or "Succeeded"

    def _wait_by_reading(self, item: Item, path: str, heartbeat: bool) -> str:
        """Wait for an object another run started (its operation's URL went with that run): read it until its
        provisioningState ends, 1, 2, 4, 8 then every 10 s."""
        delay, started, last_beat = RESUME_POLL_FIRST, time.monotonic(), time.monotonic()
        pause = threading.Event()
        while True:
            now = self.clients.get_json(path, ML_API)
            state = _state(now) if now is not None else "gone"
            if state.lower() in (*PROVISIONING_DONE, "gone"):
                return state
            if time.monotonic() - started > WAIT_LIMIT_SECONDS:
                return f"still {state} (re-run apply to wait for it)"
            if heartbeat and time.monotonic() - last_beat >= self.heartbeat_seconds:
                last_beat = time.monotonic()
                self.info(f"{item.label}: {state}, {int(last_beat - started)} s")
            pause.wait(delay)
            delay = min(delay * 2, RESUME_POLL_MAX)

    # -- reporting -------------------------------------------------------------------------------------------------
    def _create_command(self, item: Item) -> str:
        return create_command(item.kind, item.file, self.new_workspace_id, item.endpoint)

    def _references(self, item: Item) -> str:
        """What the rewrite did to this object's references (for the report)."""
        strings = _strings(item.definition)
        kept = [v for v in strings if v.lower().startswith(("azureml://registries/", "azureml:azureml://registries/"))]
        moved = [v for v in strings if self.new_workspace_id.lower() in v.lower()]
        text = f"; {len(moved)} reference(s) now name the moved workspace" if moved else ""
        return text + (f"; registry reference(s) kept: {', '.join(kept)}" if kept else "")

    def _add(self, item: Item, status: str, detail: str, command: str = "") -> None:
        kind = "endpoint" if item.kind in ENDPOINT_KINDS else "deployment"
        self._record(kind, item.target, status, f"{item.kind.replace('-', ' ')}: {detail}", command)

    def _record(self, kind: str, target: str, status: str, detail: str, command: str = "") -> None:
        with self._lock:
            self.outcomes.append(Outcome(kind, target, status, detail, command if status != "done" else ""))


def _each(function: Callable[[Item], None], items: list[Item], workers: int) -> None:
    if len(items) <= 1:
        for item in items:
            function(item)
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))), thread_name_prefix="amlmove-endpoint") as p:
        list(p.map(function, items))


def _state(body: dict[str, Any] | None) -> str:
    """An object's provisioningState, the terminal ones spelled as this module compares them."""
    state = str(((body or {}).get("properties") or {}).get("provisioningState") or "")
    return {"succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled"}.get(state.lower(), state)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _describe(endpoint: Item) -> str:
    split = endpoint.split
    if endpoint.kind == "online-endpoint":
        text = f"traffic {split_text(split['traffic']) or 'none'}"
        if split.get("mirror_traffic"):
            text += f", mirror {split_text(split['mirror_traffic'])}"
        return text
    return f"default deployment {(split.get('defaults') or {}).get('deployment_name')}"
