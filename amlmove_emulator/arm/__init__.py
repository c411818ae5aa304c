"""Azure Resource Manager: authentication, then a route table (routes.py) that hands each request to the handlers of
its resource family — subscriptions and providers (subscriptions.py), resource groups and resource lists (groups.py),
generic resources such as ML workspaces and their children, storage, key vault, ACR, App Insights, Log Analytics,
Databricks and private endpoints (resources.py), Microsoft.Authorization: locks, role definitions and assignments,
permissions (authorization.py), and moves and asynchronous operations (operations.py) — with the shared rules
(authorization checks, locks, paging, JSON bodies) in base.py."""

from __future__ import annotations

import re
from typing import Any

from .. import entra, moves, provisioning
from ..wire import ArmError, Request, Response
from . import routes
from .authorization import Authorization
from .groups import Groups
from .operations import MoveOperations
from .resources import Resources
from .subscriptions import Subscriptions

API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$")

__all__ = ["Arm"]


class Arm(Subscriptions, Groups, Resources, Authorization, MoveOperations):
    """ARM on the emulator's store: `handle` authenticates a request and answers it (or raises ArmError)."""

    # ---- entry ---------------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if "api-version" not in req.query:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION.match(req.query["api-version"]):
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{req.query['api-version']}' is "
                "invalid. The supported versions are dates such as '2025-04-01'.",
            )
        claims = self._authenticate(req)
        oid = claims["oid"]
        with self.store.lock:
            moves.advance(self.store)
            provisioning.advance(self.store)
            resp = self._route(req, oid, claims)
        resp.principal = oid
        return resp

    def _authenticate(self, req: Request) -> dict[str, Any]:
        header = req.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                headers={"WWW-Authenticate": self._challenge(req)},
            )
        try:
            return entra.verify_access_token(self.store, header[7:].strip(), (*entra.ARM_AUDIENCES, req.base_url))
        except ValueError as exc:
            code, message = exc.args
            raise ArmError(401, code, message, headers={"WWW-Authenticate": self._challenge(req)}) from None

    @staticmethod
    def _challenge(req: Request) -> str:
        return (
            f'Bearer authorization_uri="{req.base_url}/common", error="invalid_token", '
            "error_description=\"The authentication failed because of missing 'Authorization' header.\""
        )

    # ---- routing -----------------------------------------------------------------------------------------------
    def _route(self, req: Request, oid: str, claims: dict[str, Any]) -> Response:
        route = routes.first_match(routes.TENANT_ROUTES, req)
        if route is not None:
            return route.answer(self, routes.Call(req, oid, claims))
        low = req.lower
        if not low or low[0] != "subscriptions" or len(low) < 2:
            raise routes.no_route(req)
        sub = self._subscription_for(req, req.segments[1], claims)
        route = routes.first_match(routes.SUBSCRIPTION_ROUTES, req)
        if route is None:
            raise routes.no_route(req)
        return route.answer(self, routes.Call(req, oid, claims, sub))
