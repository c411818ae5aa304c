"""ARM's URL space as data: which handler answers which path and method (moto's `urls.py`).

A request is matched in two steps, as ARM does: the tenant-level routes first; then, for `/subscriptions/{id}/...`,
the subscription is looked up and checked for the caller (`Arm._subscription_for`) before the subscription-level
routes are tried, in order — the first that matches answers. A route with no `methods` takes every method (its handler
answers 405 itself); a `prefix` route also matches longer paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import ids
from ..wire import ArmError, Request, Response

if TYPE_CHECKING:
    from . import Arm

ANY = "*"  # one segment, whatever it is


@dataclass(frozen=True)
class Call:
    """One authenticated request: the caller (object id and token claims) and, below /subscriptions/{id}, the
    subscription it names (already checked)."""

    req: Request
    oid: str
    claims: dict[str, Any]
    sub: Any = None

    @property
    def seg(self) -> list[str]:
        return self.req.segments

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.sub.subscription_id}/resourceGroups/{self.seg[3]}"


def _is_extension(req: Request) -> bool:
    """`{scope}/providers/Microsoft.Authorization/{...}` at any scope (locks, role assignments, permissions)."""
    ext = ids.split_extension(req.path)
    return ext is not None and len(ext[2]) >= 1


@dataclass(frozen=True)
class Route:
    pattern: tuple[str, ...]  # lower-case segments; ANY matches one segment
    answer: Callable[[Arm, Call], Response]
    methods: frozenset[str] | None = None  # None: every method
    prefix: bool = False  # the pattern may be followed by more segments
    when: Callable[[Request], bool] | None = None  # an extra condition on the request

    def matches(self, req: Request) -> bool:
        low = req.lower
        if len(low) < len(self.pattern) or (not self.prefix and len(low) != len(self.pattern)):
            return False
        if any(p != ANY and p != s for p, s in zip(self.pattern, low, strict=False)):
            return False
        if self.methods is not None and req.method not in self.methods:
            return False
        return self.when is None or self.when(req)


GET = frozenset({"GET"})
POST = frozenset({"POST"})
SUB = ("subscriptions", ANY)
GROUP = (*SUB, "resourcegroups", ANY)

# Before any subscription is looked up.
TENANT_ROUTES: tuple[Route, ...] = (
    Route(("subscriptions",), lambda arm, c: arm._list_subscriptions(c.req, c.oid, c.claims), GET),
    Route(("tenants",), lambda arm, c: arm._list_tenants(c.req, c.oid, c.claims), GET),
    Route(
        ("providers", "microsoft.authorization", "roledefinitions", ANY),
        lambda arm, c: arm._role_definition_get(c.req, "/", c.seg[3]),
        prefix=True,
    ),
)

# Below /subscriptions/{id}, in order.
SUBSCRIPTION_ROUTES: tuple[Route, ...] = (
    Route(SUB, lambda arm, c: arm._subscription_get(c.req, c.sub)),
    Route(
        SUB,
        lambda arm, c: arm._authorization(c.req, c.oid, c.sub, *_scope_and_rest(c.req)),
        prefix=True,
        when=_is_extension,
    ),
    Route((*SUB, "providers"), lambda arm, c: arm._subscription_providers(c.req, c.oid, c.sub, c.seg), prefix=True),
    Route((*SUB, "operationresults", ANY), lambda arm, c: arm._operation_result(c.seg[3], c.req.base_url), GET),
    Route((*SUB, "asyncoperations", ANY), lambda arm, c: arm._async_update_status(c.seg[3]), GET),
    Route((*SUB, "resources"), lambda arm, c: arm._list_subscription_resources(c.req, c.oid, c.sub), GET),
    Route((*SUB, "resourcegroups"), lambda arm, c: arm._list_groups(c.req, c.oid, c.sub)),
    Route(GROUP, lambda arm, c: arm._resource_group(c.req, c.oid, c.sub, c.group_id)),
    Route((*GROUP, "resources"), lambda arm, c: arm._list_group_resources(c.req, c.oid, c.group_id), GET),
    Route(
        (*GROUP, "validatemoveresources"),
        lambda arm, c: arm._move(c.req, c.oid, c.sub.subscription_id, c.seg[3], "validate"),
        POST,
    ),
    Route(
        (*GROUP, "moveresources"), lambda arm, c: arm._move(c.req, c.oid, c.sub.subscription_id, c.seg[3], "move"), POST
    ),
    Route(
        (*GROUP, "providers", ANY, ANY),
        lambda arm, c: arm._resource(c.req, c.oid, c.sub, c.group_id, c.seg),
        prefix=True,
    ),
)


def _scope_and_rest(req: Request) -> tuple[str, list[str]]:
    scope, _, rest = ids.split_extension(req.path)
    return scope, rest


def first_match(routes: tuple[Route, ...], req: Request) -> Route | None:
    return next((route for route in routes if route.matches(req)), None)


def no_route(req: Request) -> ArmError:
    """What ARM answers a path no route takes: an unknown type below the subscription names the type."""
    low = req.lower
    if len(low) >= 3 and low[0] == "subscriptions" and low[2] != "resourcegroups":
        return ArmError(404, "InvalidResourceType", f"The resource type '{req.segments[2]}' could not be found.")
    return ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")
