"""Scenarios: a whole emulated Azure described as subscriptions, principals and a list of ARM resources, applied in
order with ARM PUT semantics, except that bodies keep their read-only fields (provisioningState, job status,
encryption, ...) so any state can be set up. JSON or YAML."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from . import catalog, ids
from .state import Principal, Store, Subscription
from .wire import ASSIGNMENT_FIELDS, GROUP_FIELDS, LOCK_FIELDS, RESOURCE_FIELDS, ArmError, check_types

DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
DEFAULT_PRINCIPAL = {
    "clientId": "11111111-2222-3333-4444-555555555555",
    "clientSecret": "emulator-client-secret",
    "objectId": "aaaaaaaa-0000-0000-0000-000000000001",
    "tenantId": DEFAULT_TENANT,
    "displayName": "amlmove-emulator-sp",
}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message names the entry and the fix."""


def parse_text(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:  # its str() spans lines (context, excerpt, caret): name the problem and place
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise ScenarioError(f"scenario is neither valid JSON nor YAML: {problem}{where}") from None
    if not isinstance(data, dict):
        raise ScenarioError("scenario must be an object with 'subscriptions', 'principals' and 'resources'")
    return data


def load_file(path: Path) -> dict[str, Any]:
    try:
        return parse_text(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file '{path}': {exc.strerror}") from None


def apply(store: Store, scenario: dict[str, Any]) -> None:
    """Replace the store's state with the scenario (the request log, faults and LRO shapes are emptied too).

    The scenario is built apart first: one that cannot be loaded raises ScenarioError and leaves the state as it was.
    """
    staged = Store()
    where = "settings"
    try:
        _apply_settings(staged, scenario.get("settings") or {})
        for i, raw in enumerate(_entries(scenario, "subscriptions")):
            where = f"subscriptions[{i}]"
            sub = _subscription(i, raw)
            staged.subscriptions[sub.subscription_id.lower()] = sub
        for i, raw in enumerate(_entries(scenario, "principals") or [DEFAULT_PRINCIPAL]):
            where = f"principals[{i}]"
            p = _principal(i, raw)
            staged.principals[p.client_id.lower()] = p
        for i, entry in enumerate(_entries(scenario, "resources")):
            where = f"resources[{i}]"
            _resource(staged, i, entry)
    except ScenarioError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a value of the wrong type somewhere
        raise ScenarioError(f"{where}: a value has the wrong type ({type(exc).__name__}: {exc})") from None
    store.replace_with(staged)


def _entries(scenario: dict[str, Any], key: str) -> list[Any]:
    value = scenario.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScenarioError(f"'{key}' must be a list of objects")
    return value


def default_principal(store: Store) -> Principal:
    return next(iter(store.principals.values()))


def _apply_settings(store: Store, settings: dict[str, Any]) -> None:
    s = store.settings
    if "retryAfterSeconds" in settings:
        value = float(settings["retryAfterSeconds"])
        if value <= 0:
            raise ScenarioError("settings.retryAfterSeconds must be > 0 (azure-core treats 0 as absent and waits 30 s)")
        s.retry_after_seconds = value
    if "tokenLifetimeSeconds" in settings:
        s.token_lifetime_seconds = int(settings["tokenLifetimeSeconds"])
    if "defaultPageSize" in settings:
        s.default_page_size = max(1, int(settings["defaultPageSize"]))
    if "pageSizes" in settings:
        s.page_sizes = {str(k).lower(): max(1, int(v)) for k, v in dict(settings["pageSizes"]).items()}
    if "mlProvisioningSeconds" in settings:
        value = float(settings["mlProvisioningSeconds"])
        if value < 0:
            raise ScenarioError("settings.mlProvisioningSeconds must be >= 0")
        s.ml_provisioning_seconds = value
    if "clockSpeed" in settings:
        store.set_clock_speed(float(settings["clockSpeed"]))
    if "githubSubject" in settings:
        s.github_subject = str(settings["githubSubject"])
    if "externalTokenLifetimeSeconds" in settings:
        s.external_token_lifetime_seconds = int(settings["externalTokenLifetimeSeconds"])


def apply_settings(store: Store, settings: dict[str, Any]) -> None:
    with store.lock:
        _apply_settings(store, settings)


def _subscription(i: int, raw: dict[str, Any]) -> Subscription:
    sub_id = str(raw.get("subscriptionId", ""))
    if not _GUID.match(sub_id):
        raise ScenarioError(f"subscriptions[{i}].subscriptionId '{sub_id}' is not a GUID")
    registered = {}
    for ns in raw.get("registeredProviders") or []:
        registered[catalog.canonical_namespace(ns).lower()] = "Registered"
    return Subscription(
        sub_id,
        str(raw.get("tenantId", DEFAULT_TENANT)),
        str(raw.get("displayName", sub_id)),
        str(raw.get("state", "Enabled")),
        registered,
    )


def _principal(i: int, raw: dict[str, Any]) -> Principal:
    for field in ("clientId", "objectId"):
        if not _GUID.match(str(raw.get(field, ""))):
            raise ScenarioError(f"principals[{i}].{field} must be a GUID")
    return Principal(
        client_id=raw["clientId"],
        object_id=raw["objectId"],
        tenant_id=str(raw.get("tenantId", DEFAULT_TENANT)),
        display_name=str(raw.get("displayName", raw["clientId"])),
        client_secret=raw.get("clientSecret"),
        federated_credentials=list(raw.get("federatedCredentials") or []),
    )


def _resource(store: Store, i: int, entry: dict[str, Any]) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise ScenarioError(f"resources[{i}] must be an object with an 'id' string and a 'body' object")
    rid = ids.normalise(entry["id"])
    body = copy.deepcopy(entry.get("body") or {})
    secrets = copy.deepcopy(entry.get("secrets") or {})
    where = f"resources[{i}] '{rid}'"
    ext = ids.split_extension(rid)
    if ext is not None:
        scope, _, rest = ext
        if len(rest) != 2 or rest[0].lower() not in ("roleassignments", "locks", "roledefinitions"):
            raise ScenarioError(
                f"{where}: only locks, roleAssignments and roleDefinitions are supported under Microsoft.Authorization"
            )
        kind = rest[0].lower()
        _check_body(
            body, ASSIGNMENT_FIELDS if kind == "roleassignments" else LOCK_FIELDS if kind == "locks" else {}, where
        )
        _require_scope(store, scope, where)
        if rest[0].lower() == "roleassignments":
            props = body.setdefault("properties", {})
            if "roleDefinitionId" not in props or "principalId" not in props:
                raise ScenarioError(f"{where}: role assignments need properties.roleDefinitionId and principalId")
            props.setdefault("scope", scope)
        store.put(rid, body, secrets)
        return
    parsed = ids.parse(rid)
    if parsed is None or parsed.resource_group is None:
        raise ScenarioError(f"{where}: not a resource group or resource id")
    if store.subscription(parsed.subscription) is None:
        raise ScenarioError(f"{where}: subscription '{parsed.subscription}' is not listed in 'subscriptions'")
    _check_body(body, GROUP_FIELDS if parsed.namespace is None else RESOURCE_FIELDS, where)
    if parsed.namespace is None:
        if not body.get("location"):
            raise ScenarioError(f"{where}: a resource group needs a 'location'")
        body.setdefault("properties", {}).setdefault("provisioningState", "Succeeded")
        store.put(rid, body, secrets)
        return
    if store.get(parsed.group_id) is None:
        raise ScenarioError(f"{where}: its resource group is not defined earlier in 'resources'")
    if parsed.parent != parsed.group_id and store.get(parsed.parent) is None:
        raise ScenarioError(f"{where}: its parent '{parsed.parent}' is not defined earlier in 'resources'")
    ptype = catalog.provider_type(parsed.type)
    if ptype is None:
        raise ScenarioError(f"{where}: resource type '{parsed.type}' is not emulated")
    if ptype.tracked and not body.get("location"):
        raise ScenarioError(f"{where}: a {parsed.type} needs a 'location'")
    props = body.setdefault("properties", {})
    if parsed.type.lower().endswith("/datastores") and isinstance(props.get("credentials"), dict):
        creds = props["credentials"]
        if "secrets" in creds:
            secrets.setdefault("secrets", creds.pop("secrets"))
    props.setdefault("provisioningState", "Succeeded")
    for read_only in ("id", "name", "type"):
        body.pop(read_only, None)
    store.put(rid, body, secrets)


def _check_body(body: dict[str, Any], fields: dict[str, Any], where: str) -> None:
    """The JSON types an ARM PUT of this body would need (a scenario is applied with ARM PUT semantics)."""
    try:
        check_types(body, fields)
    except ArmError as exc:
        raise ScenarioError(f"{where}: {exc.message}") from None


def _require_scope(store: Store, scope: str, where: str) -> None:
    parsed = ids.parse(scope)
    if parsed is None:
        if scope != "/":
            raise ScenarioError(f"{where}: scope '{scope}' is not a valid ARM scope")
        return
    if store.subscription(parsed.subscription) is None:
        raise ScenarioError(f"{where}: subscription '{parsed.subscription}' is not listed in 'subscriptions'")
    if parsed.resource_group is not None and store.get(scope) is None and not _below_a_resource(store, scope):
        raise ScenarioError(f"{where}: scope '{scope}' is not defined earlier in 'resources'")


def _below_a_resource(store: Store, scope: str) -> bool:
    """True when `scope` lies below a defined resource (a blob container, a file share, a key vault secret: ARM
    accepts role assignments there although they are not ARM resources of their own)."""
    parts = ids.normalise(scope).split("/")
    for end in range(len(parts) - 1, 8, -1):  # /subscriptions/s/resourceGroups/g/providers/ns/type/name = 9 parts
        parent = "/".join(parts[:end])
        found = ids.parse(parent)
        if found is not None and found.namespace is not None and store.get(parent) is not None:
            return True
    return False
