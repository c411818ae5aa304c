"""The emulator's in-memory Azure: subscriptions, principals, resources (ARM ids → bodies), move operations, settings,
the request log and injected faults. One lock guards it all; handlers hold it for the span of one request."""

from __future__ import annotations

import copy
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import ids


@dataclass
class Subscription:
    subscription_id: str
    tenant_id: str
    display_name: str
    state: str = "Enabled"
    registered: dict[str, str] = field(default_factory=dict)  # lower namespace -> registrationState


@dataclass
class Principal:
    client_id: str
    object_id: str
    tenant_id: str
    display_name: str
    client_secret: str | None = None
    # Federated identity credentials: [{"issuer", "subject", "audiences": [...]}]
    federated_credentials: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StoredResource:
    id: str
    body: dict[str, Any]
    secrets: dict[str, Any] = field(default_factory=dict)  # never returned by GET (storage keys, datastore secrets)


@dataclass
class Settings:
    retry_after_seconds: float = 1.0  # LRO Retry-After; azure-core treats 0 as absent and waits 30 s, so never 0
    token_lifetime_seconds: int = 3600
    default_page_size: int = 100
    page_sizes: dict[str, int] = field(default_factory=dict)  # lower-case full type -> page size
    clock_speed: float = 1.0  # emulator seconds per real second, for LRO durations
    ml_provisioning_seconds: float = 0.0  # how long an endpoint/deployment PUT provisions (provisioning.py)
    # The workload tokens the /_emulator/github-oidc and ado-oidc hooks mint (what a runner would be given).
    github_subject: str = "repo:contoso/ml-platform:environment:production"
    external_token_lifetime_seconds: int = 300


@dataclass
class Fault:
    method: str | None
    path_regex: re.Pattern[str] | None
    status: int | None
    retry_after: float | None
    latency_ms: float
    count: int | None  # None = until reset
    reset_connection: bool
    query_regex: re.Pattern[str] | None = None  # matched against the raw query string (e.g. '\$skiptoken')
    body: str | None = None  # answer this text verbatim (garbage) instead of an ARM error body
    content_type: str | None = None  # with `body`
    error_code: str | None = None  # ARM error body: code, message and details to answer with
    error_message: str | None = None
    error_details: list[dict[str, Any]] | None = None
    skip: int = 0  # let this many matching requests through first (e.g. 2: the third poll)

    def matches(self, method: str, path: str, query: str = "") -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.query_regex is not None and not self.query_regex.search(query):
            return False
        return self.path_regex is None or bool(self.path_regex.search(path))


@dataclass
class LroShape:
    duration_seconds: float = 0.0
    outcome: str = "succeeded"  # succeeded | failed | timeout
    partial: list[str] = field(default_factory=list)
    operation: str = "move"  # move | validate | ml-provision
    count: int | None = None
    target_regex: re.Pattern[str] | None = None  # ml-provision: the resource ids it applies to


@dataclass
class MoveOperation:
    op_id: str
    kind: str  # "validate" | "move"
    subscription: str
    source_group: str  # full group id
    target_group: str
    resources: list[str]
    principal: str
    started_at: float  # emulator clock
    duration: float
    outcome: str
    partial: list[str]
    correlation_id: str
    result_status: int | None = None  # set when finished
    result_body: dict[str, Any] | None = None


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.settings = Settings()
        self._mono0 = time.monotonic()
        self._emu0 = 0.0
        # HMAC key for the tokens this emulator mints. It outlives scenario loads, as Entra's signing keys outlive any
        # change to a directory: a client signed in before a reload (an az login shared by tests) stays signed in.
        self.secret_issuer = uuid.uuid4().hex
        self.reset()

    # ---- clock -------------------------------------------------------------------------------------------------
    def now(self) -> float:
        """Emulator time in seconds; runs `clock_speed` times faster than real time."""
        return self._emu0 + (time.monotonic() - self._mono0) * self.settings.clock_speed

    def set_clock_speed(self, speed: float) -> None:
        self._emu0, self._mono0 = self.now(), time.monotonic()
        self.settings.clock_speed = speed

    # ---- lifecycle ---------------------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.subscriptions: dict[str, Subscription] = {}
            self.principals: dict[str, Principal] = {}
            self.resources: dict[str, StoredResource] = {}
            self.children: dict[str, dict[str, None]] = {}
            # Keys of Microsoft.Authorization resources (role assignments, locks, role definitions), in store order:
            # RBAC and lock checks run on every request and must not scan every job of a large workspace.
            self.authz: dict[str, None] = {}
            self.operations: dict[str, MoveOperation] = {}
            self.ml_operations: dict[str, dict[str, Any]] = {}  # Azure ML asynchronous operations (deletes, PUTs)
            # Asynchronous provider updates (a key vault private endpoint connection's approval): operation id →
            # (resource id, the body it gets once the operation is polled to its end).
            self.async_updates: dict[str, tuple[str, dict[str, Any]]] = {}
            self.request_log: list[dict[str, Any]] = []
            self.faults: list[Fault] = []
            self.lro_shapes: list[LroShape] = []
            self.set_clock_speed(1.0)  # emulator time stays continuous; a new scenario runs at real speed
            self.settings = Settings()

    def replace_with(self, staged: Store) -> None:
        """Take the scenario state built in `staged` (all of it or, when loading it failed, none of it)."""
        with self.lock:
            self.reset()
            self.subscriptions, self.principals = staged.subscriptions, staged.principals
            self.resources, self.children, self.authz = staged.resources, staged.children, staged.authz
            self.set_clock_speed(staged.settings.clock_speed)  # rebased at the current speed, then switched
            self.settings = staged.settings

    # ---- subscriptions and principals -------------------------------------------------------------------------
    def subscription(self, sub_id: str) -> Subscription | None:
        return self.subscriptions.get(sub_id.lower())

    def principal_by_client(self, client_id: str) -> Principal | None:
        return self.principals.get(client_id.lower())

    def principal_by_object(self, object_id: str) -> Principal | None:
        return next((p for p in self.principals.values() if p.object_id.lower() == object_id.lower()), None)

    # ---- resources ----------------------------------------------------------------------------------------------
    def get(self, resource_id: str) -> StoredResource | None:
        return self.resources.get(ids.key(resource_id))

    def put(self, resource_id: str, body: dict[str, Any], secrets: dict[str, Any] | None = None) -> StoredResource:
        k = ids.key(resource_id)
        existing = self.resources.get(k)
        if existing is not None:
            existing.body = body
            if secrets is not None:
                existing.secrets = secrets
            return existing
        stored = StoredResource(resource_id, body, secrets or {})
        self.resources[k] = stored
        self.children.setdefault(_parent_key(resource_id), {})[k] = None
        if _is_authz(k):
            self.authz[k] = None
        return stored

    def delete_tree(self, resource_id: str) -> list[StoredResource]:
        """Delete a resource with everything below it (children and extension resources at or under its scope)."""
        root = ids.key(resource_id)
        doomed = [k for k in self.resources if k == root or k.startswith(root + "/")]
        removed = []
        for k in doomed:
            stored = self.resources.pop(k)
            self.authz.pop(k, None)
            removed.append(stored)
            self.children.get(_parent_key(stored.id), {}).pop(k, None)
            self.children.pop(k, None)
        return removed

    def authz_resources(self) -> list[StoredResource]:
        """Every stored id containing `/roleDefinitions/` or `/providers/Microsoft.Authorization/`, in store order
        (a superset of what the RBAC and lock scans look at; they keep their own filters)."""
        return [self.resources[k] for k in self.authz if k in self.resources]

    def children_of(self, parent_id: str) -> list[StoredResource]:
        return [self.resources[k] for k in self.children.get(ids.key(parent_id), {}) if k in self.resources]

    def rekey(self, old_id: str, new_id: str) -> list[tuple[str, str]]:
        """Move a resource and its whole subtree to a new id prefix; returns (old, new) ids of everything moved.

        Extension resources at the moved scope (role assignments, locks) are NOT carried: they stay behind, as in Azure.
        """
        old_key = ids.key(old_id)
        moved: list[tuple[str, str]] = []
        for k in [k for k in self.resources if k == old_key or k.startswith(old_key + "/")]:
            stored = self.resources[k]
            if ids.split_extension(stored.id) is not None:
                continue
            old_resource_id = stored.id
            suffix = ids.normalise(stored.id)[len(ids.normalise(old_id)) :]
            new_resource_id = new_id + suffix
            self.resources.pop(k)
            self.authz.pop(k, None)
            self.children.get(_parent_key(stored.id), {}).pop(k, None)
            stored.id = new_resource_id
            if "id" in stored.body:
                stored.body["id"] = new_resource_id
            nk = ids.key(new_resource_id)
            self.resources[nk] = stored
            self.children.setdefault(_parent_key(new_resource_id), {})[nk] = None
            if _is_authz(nk):
                self.authz[nk] = None
            moved.append((old_resource_id, new_resource_id))
        return moved

    def snapshot(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v.body) for k, v in self.resources.items()}


def _is_authz(key: str) -> bool:
    return "/providers/microsoft.authorization/" in key or "/roledefinitions/" in key


def _parent_key(resource_id: str) -> str:
    """The key of the container a resource is listed under (extension resources: their scope)."""
    ext = ids.split_extension(resource_id)
    if ext is not None:
        scope, _, rest = ext
        return ids.key(scope) + "|" + "/".join(rest[:-1]).lower()
    parsed = ids.parse(resource_id)
    if parsed is None:
        return ""
    if parsed.parent is None:  # a group: listed under its subscription
        return ids.key(f"/subscriptions/{parsed.subscription}")
    return ids.key(parsed.parent)
