"""What every ARM handler shares: the caller's authorization (`_require`), management locks and move locks,
the request's JSON body, paging, and the constants and small helpers of the handler families."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from .. import authz, catalog, ids, moves
from ..state import Store
from ..wire import ArmError, Request, Response, check_types

_PATH_SAFE = "/-._~!$&'()*+,;=:@"  # RFC 3986 pchar and '/': kept as they are in a nextLink's path
AUTHZ = "/providers/microsoft.authorization/"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ArmBase:
    """The store and the shared rules; the handler families (subscriptions, groups, resources, authorization,
    move operations) are mixins of it and call one another through `self` (see arm/__init__.py)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _method_not_allowed(self, req: Request) -> ArmError:
        return ArmError(405, "MethodNotAllowed", f"The HTTP method '{req.method}' is not supported at '{req.path}'.")

    # ---- shared rules ------------------------------------------------------------------------------------------
    def _require(self, oid: str, scope: str, action: str) -> None:
        if not authz.is_allowed(self.store, oid, scope, action):
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client '{oid}' with object id '{oid}' does not have "
                f"authorization to perform action '{action}' over scope '{scope}' or the scope is "
                "invalid. If access was recently granted, please refresh your credentials.",
            )

    def _refuse_if_moving(self, resource_id: str) -> None:
        parsed = ids.parse(resource_id)
        if parsed is not None and parsed.resource_group and ids.key(parsed.group_id) in moves.locked_groups(self.store):
            status, code = moves.FRONT_DOOR_CODES["group-moving"]
            raise ArmError(
                status,
                code,
                f"The resource group '{parsed.group_id}' is locked by a move operation in "
                "progress; write and delete operations are not allowed until the move completes.",
            )

    def _refuse_if_locked(
        self, resource_id: str, operation: str, include_self: bool, include_children: bool = False
    ) -> None:
        """ARM management locks: ReadOnly blocks writes and deletes, CanNotDelete blocks deletes, at any ancestor."""
        self._refuse_if_moving(resource_id)
        for stored in self.store.authz_resources():
            low = stored.id.lower()
            if "/providers/microsoft.authorization/locks/" not in low:
                continue
            lock_scope = stored.id[: low.index("/providers/microsoft.authorization/locks/")] or "/"
            level = stored.body.get("properties", {}).get("level")
            applies = ids.is_ancestor_or_self(lock_scope, resource_id) and (
                include_self or ids.key(lock_scope) != ids.key(resource_id)
            )
            if include_children and ids.is_ancestor_or_self(resource_id, lock_scope):
                applies = True
            if applies and (level == "ReadOnly" or (level == "CanNotDelete" and operation == "delete")):
                raise ArmError(
                    409,
                    "ScopeLocked",
                    f"The scope '{resource_id}' cannot perform {operation} operation "
                    f"because following scope(s) are locked: '{lock_scope}'. Please remove the lock and "
                    "try again.",
                )

    @staticmethod
    def _json(req: Request, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """The request's JSON object; with `fields`, each of those members that is present and not null must have
        its JSON type, as ARM's deserializer insists (it answers 400 before any provider sees the request). Without
        this, `"location": ["x"]` or `"tags": "x"` were stored, broke later reads and made some handlers raise."""
        if not req.body:
            return {}
        try:
            body = json.loads(req.body)
        except ValueError:
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."
            ) from None
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        if fields:
            check_types(body, fields)
        return body

    def _page(
        self, req: Request, items: list[Any], rtype: str = "", page_size: int | None = None, present=None
    ) -> Response:
        """One page of `items`; `present` (when given) turns the page's items into bodies, so a large collection
        is not rendered in full for every page."""
        size = page_size or self.store.settings.page_sizes.get(rtype, self.store.settings.default_page_size)
        token = req.query.get("$skiptoken") or req.query.get("$skipToken") or "0"
        start = int(token) if token.isdigit() else 0
        page = items[start : start + size]
        if present is not None:
            page = [present(item) for item in page]
        body: dict[str, Any] = {"value": page}
        if start + size < len(items):
            query = {k: v for k, v in req.query.items() if k.lower() != "$skiptoken"}
            query["$skiptoken"] = str(start + size)
            # A URI, percent-encoded as ARM's are: a group named 'rg-ü (x)' must not put a raw space in it.
            body["nextLink"] = f"{req.base_url}{quote(req.path, safe=_PATH_SAFE)}?{urlencode(query)}"
        return Response(200, body)


ML = "Microsoft.MachineLearningServices"
ML_COMPUTES = "microsoft.machinelearningservices/workspaces/computes"
# Deletes Azure ML answers as asynchronous operations (202 + Location + Azure-AsyncOperation): the recordings show it
# for online endpoints and deployments; the spec lists 202 for computes, batch and serverless endpoints (serverless:
# 202/204 only) and their deployments.
ML_ASYNC_DELETES = frozenset(
    {
        ML_COMPUTES,
        "microsoft.machinelearningservices/workspaces/onlineendpoints",
        "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments",
        "microsoft.machinelearningservices/workspaces/batchendpoints",
        "microsoft.machinelearningservices/workspaces/batchendpoints/deployments",
        "microsoft.machinelearningservices/workspaces/serverlessendpoints",
    }
)
ASYNC_HEADER = "Azure-AsyncOperation"


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _norm_location(location: str) -> str:
    return location.replace(" ", "").lower()


def _canonical_type(rtype: str) -> str:
    ns, _, rest = rtype.partition("/")
    ptype = catalog.provider_type(rtype)
    return f"{catalog.canonical_namespace(ns)}/{ptype.resource_type if ptype else rest}"
