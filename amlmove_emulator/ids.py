"""ARM resource IDs: parsing, normalising and rebuilding, the way ARM treats them (case-insensitive)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

_RG_NAME = re.compile(r"^[-\w._()]{1,90}$")


@lru_cache(maxsize=1 << 17)
def key(resource_id: str) -> str:
    """The case-insensitive identity of an ARM id (ARM compares ids ignoring case)."""
    return normalise(resource_id).lower()


@lru_cache(maxsize=1 << 17)
def normalise(path: str) -> str:
    """Collapse `//`, drop a trailing `/`, keep the caller's casing."""
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path if path.startswith("/") else "/" + path


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM id: subscription, group, provider namespace and the (type, name) chain below it."""

    subscription: str
    resource_group: str | None
    namespace: str | None
    chain: tuple[tuple[str, str], ...]  # ((type segment, name), ...)

    @cached_property  # parsed ids are cached and shared: list filters ask every child's type on every page
    def type(self) -> str:
        """Full type, e.g. `Microsoft.MachineLearningServices/workspaces/computes`."""
        if self.namespace is None:
            return "Microsoft.Resources/resourceGroups" if self.resource_group else "Microsoft.Resources/subscriptions"
        return "/".join([self.namespace, *(t for t, _ in self.chain)])

    @property
    def name(self) -> str:
        if self.chain:
            return self.chain[-1][1]
        return self.resource_group or self.subscription

    @property
    def is_top_level(self) -> bool:
        return self.namespace is not None and len(self.chain) == 1

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    @property
    def parent(self) -> str | None:
        if len(self.chain) > 1:
            return build(self.subscription, self.resource_group, self.namespace, self.chain[:-1])
        if self.chain:
            return self.group_id
        return None

    def __str__(self) -> str:
        return build(self.subscription, self.resource_group, self.namespace, self.chain)


def build(subscription: str, group: str | None, namespace: str | None, chain) -> str:
    out = f"/subscriptions/{subscription}"
    if group is not None:
        out += f"/resourceGroups/{group}"
    if namespace is not None:
        out += f"/providers/{namespace}" + "".join(f"/{t}/{n}" for t, n in chain)
    return out


@lru_cache(maxsize=1 << 17)  # pure, and ResourceId is frozen: every request parses the ids it walks
def parse(resource_id: str) -> ResourceId | None:
    """Parse a subscription-, group- or resource-level id (not extension resources); None if it is not one."""
    parts = normalise(resource_id).strip("/").split("/")
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    sub = parts[1]
    if len(parts) == 2:
        return ResourceId(sub, None, None, ())
    if parts[2].lower() != "resourcegroups" or len(parts) < 4:
        return None
    group = parts[3]
    if len(parts) == 4:
        return ResourceId(sub, group, None, ())
    if parts[4].lower() != "providers" or len(parts) < 8 or (len(parts) - 6) % 2:
        return None
    namespace = parts[5]
    rest = parts[6:]
    if any(p.lower() == "providers" for p in rest[0::2]):
        return None
    chain = tuple((rest[i], rest[i + 1]) for i in range(0, len(rest), 2))
    return ResourceId(sub, group, namespace, chain)


def split_extension(path: str) -> tuple[str, str, list[str]] | None:
    """Split `{scope}/providers/{Namespace}/{rest...}` at the LAST providers segment when it names an extension.

    Returns (scope, namespace, rest-segments) for extension resources such as locks and role assignments.
    """
    parts = normalise(path).strip("/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i].lower() == "providers" and i + 1 < len(parts):
            ns = parts[i + 1]
            if ns.lower() == "microsoft.authorization":
                scope = "/" + "/".join(parts[:i]) if i else "/"
                return scope, ns, parts[i + 2 :]
            return None
    return None


def valid_group_name(name: str) -> bool:
    return bool(_RG_NAME.match(name)) and not name.endswith(".")


def is_ancestor_or_self(scope: str, resource_id: str) -> bool:
    """True when `scope` contains `resource_id` (segment-wise, case-insensitive): a group contains its resources."""
    s, r = key(scope), key(resource_id)
    return s == "/" or r == s or r.startswith(s + "/")
