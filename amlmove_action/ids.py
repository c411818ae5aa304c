"""ARM resource ids: parse, compare and map them (to their id after the move, a scope below a moved resource).

ARM ids and namespaces compare case-insensitively, so use `same_id` / `ResourceId.parse` rather than `==` on raw
strings. Pure functions, no Azure calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def normalise_id(resource_id: str) -> str:
    """Collapse doubled slashes and drop a trailing one; keep the casing."""
    path = re.sub(r"/{2,}", "/", resource_id.strip())
    return path.rstrip("/") or "/"


def id_key(resource_id: str) -> str:
    """The case-insensitive identity of an ARM id, for sets and dict keys."""
    return normalise_id(resource_id).lower()


def same_id(a: str | None, b: str | None) -> bool:
    """ARM ids are case-insensitive."""
    if a is None or b is None:
        return False
    return id_key(a) == id_key(b)


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM id: `/subscriptions/{s}[/resourceGroups/{g}][/providers/{ns}/{type}/{name}[/{type}/{name}…]]`."""

    subscription_id: str
    resource_group: str | None
    provider_namespace: str | None
    type_name_pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> ResourceId:
        """Parse an id as Azure returns it (segment names compared case-insensitively). Raises ValueError."""
        parts = normalise_id(text).split("/")[1:]
        if len(parts) < 2 or parts[0].lower() != "subscriptions" or not parts[1]:
            raise ValueError("does not start with /subscriptions/{id}")
        subscription_id, rest = parts[1], parts[2:]
        resource_group = None
        if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
            resource_group, rest = rest[1], rest[2:]
        if not rest:
            return cls(subscription_id, resource_group, None, ())
        if rest[0].lower() != "providers" or len(rest) < 4 or len(rest) % 2:
            raise ValueError("needs /providers/{namespace}/{type}/{name} after the group")
        pairs = tuple((rest[i], rest[i + 1]) for i in range(2, len(rest), 2))
        return cls(subscription_id, resource_group, rest[1], pairs)

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    @property
    def group(self) -> str:
        """The resource group, for an id that must name one (the input checks guarantee it for the ids passed here)."""
        if self.resource_group is None:
            raise ValueError(f"{self.subscription_scope} names no resource group")
        return self.resource_group

    @property
    def group_id(self) -> str | None:
        if self.resource_group is None:
            return None
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def type(self) -> str:
        """Full type, e.g. `Microsoft.MachineLearningServices/workspaces/computes`."""
        if self.provider_namespace is None:
            return "Microsoft.Resources/resourceGroups" if self.resource_group else "Microsoft.Resources/subscriptions"
        return "/".join([self.provider_namespace, *(kind for kind, _ in self.type_name_pairs)])

    @property
    def name(self) -> str:
        if self.type_name_pairs:
            return self.type_name_pairs[-1][1]
        return self.resource_group or self.subscription_id

    @property
    def is_top_level(self) -> bool:
        """ARM moves only top-level resources; children travel with their parent."""
        return self.provider_namespace is not None and len(self.type_name_pairs) == 1


def is_within(resource_id: str, scope: str) -> bool:
    """True when `resource_id` is `scope` itself or lies below it (`/subscriptions/s` contains every group in s)."""
    inner, outer = normalise_id(resource_id).lower(), normalise_id(scope).lower()
    return inner == outer or inner.startswith(outer + "/")


def moved_id(resource_id: str, destination_group_id: str) -> str:
    """The id a resource will have once moved to the destination group."""
    rid = ResourceId.parse(resource_id)
    dest = ResourceId.parse(destination_group_id)
    tail = "".join(f"/{t}/{n}" for t, n in rid.type_name_pairs)
    return (
        f"/subscriptions/{dest.subscription_id}/resourceGroups/{dest.resource_group}/providers/"
        f"{rid.provider_namespace}{tail}"
    )


def mapped_scope(scope: str, renames: dict[str, str]) -> str | None:
    """`scope` (a moved resource or anything below it: a blob container, a key vault secret) at its new id; None when
    it is not within a moved resource. `renames`: old id (lower case) → new id."""
    normal = normalise_id(scope)
    for old, new in renames.items():
        if is_within(normal, old):
            return new + normal[len(old) :]
    return None


def role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1]


def endpoint_kind(resource_id: str) -> str:
    low = resource_id.lower()
    for segment, kind in (
        ("/onlineendpoints/", "online-endpoint"),
        ("/batchendpoints/", "batch-endpoint"),
        ("/serverlessendpoints/", "serverless-endpoint"),
    ):
        if segment in low:
            return kind
    return "endpoint"
