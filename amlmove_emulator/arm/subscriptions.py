"""Subscriptions, tenants and resource providers (registration, provider-wide lists, Azure ML operation pages)."""

from __future__ import annotations

from typing import Any

from .. import catalog, ids
from ..wire import ArmError, Request, Response
from .base import AUTHZ, ML, ArmBase


class Subscriptions(ArmBase):
    def _list_subscriptions(self, req: Request, oid: str, claims: dict[str, Any]) -> Response:
        return self._page(req, [self._subscription_body(s) for s in self._visible_subscriptions(oid, claims)])

    def _list_tenants(self, req: Request, oid: str, claims: dict[str, Any]) -> Response:
        tenants = sorted({s.tenant_id for s in self._visible_subscriptions(oid, claims)} | {claims["tid"]})
        return self._page(
            req,
            [
                {
                    "id": f"/tenants/{t}",
                    "tenantId": t,
                    "tenantCategory": "Home",
                    "displayName": "Emulated tenant",
                    "defaultDomain": "emulator.local",
                }
                for t in tenants
            ],
        )

    def _subscription_get(self, req: Request, sub) -> Response:
        if req.method != "GET":
            raise self._method_not_allowed(req)
        return Response(200, self._subscription_body(sub))

    def _visible_subscriptions(self, oid: str, claims: dict[str, Any]):
        return [
            s
            for s in self.store.subscriptions.values()
            if s.tenant_id.lower() == claims["tid"].lower()
            and s.state != "Deleted"
            and self._has_any_access(oid, f"/subscriptions/{s.subscription_id}")
        ]

    def _has_any_access(self, oid: str, subscription_scope: str) -> bool:
        for stored in self.store.authz_resources():
            low = stored.id.lower()
            if (
                "/providers/microsoft.authorization/roleassignments/" in low
                and ids.is_ancestor_or_self(subscription_scope, low.split(AUTHZ)[0] or "/")
                and str(stored.body.get("properties", {}).get("principalId", "")).lower() == oid.lower()
            ):
                return True
        return False

    def _subscription_for(self, req: Request, sub_id: str, claims: dict[str, Any]):
        sub = self.store.subscription(sub_id)
        if sub is None or sub.state == "Deleted":
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        if sub.tenant_id.lower() != claims["tid"].lower():
            raise ArmError(
                401,
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer "
                f"'https://sts.windows.net/{claims['tid']}/'. It must match the tenant "
                f"'https://sts.windows.net/{sub.tenant_id}/' associated with this subscription. Please "
                "use the authority (URL) 'https://login.windows.net/"
                f"{sub.tenant_id}' to get the token.",
            )
        if not self._has_any_access(claims["oid"], f"/subscriptions/{sub.subscription_id}"):
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client '{claims['oid']}' with object id "
                f"'{claims['oid']}' does not have authorization to perform action "
                f"'Microsoft.Resources/subscriptions/read' over scope '/subscriptions/{sub_id}' or the "
                "scope is invalid. If access was recently granted, please refresh your credentials.",
            )
        if (
            req.method not in ("GET", "HEAD")
            and sub.state in ("Disabled", "Warned", "PastDue")
            and req.lower[-1] not in ("validatemoveresources", "register")
        ):
            if sub.state == "Disabled":
                raise ArmError(
                    409,
                    "ReadOnlyDisabledSubscription",
                    f"The subscription '{sub_id}' is disabled and "
                    "therefore marked as read only. You cannot perform any write actions on this "
                    "subscription until it is re-enabled.",
                )
        return sub

    @staticmethod
    def _subscription_body(sub) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{sub.subscription_id}",
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": sub.subscription_id,
            "tenantId": sub.tenant_id,
            "displayName": sub.display_name,
            "state": sub.state,
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
            "tags": {},
        }

    def _provider_body(self, sub, namespace: str) -> dict[str, Any]:
        ns = catalog.canonical_namespace(namespace)
        types = catalog.PROVIDERS.get(ns, ())
        state = "Registered" if ns in catalog.ALWAYS_REGISTERED else sub.registered.get(ns.lower(), "NotRegistered")
        return {
            "id": f"/subscriptions/{sub.subscription_id}/providers/{ns}",
            "namespace": ns,
            "registrationState": state,
            "registrationPolicy": "RegistrationFree" if ns in catalog.ALWAYS_REGISTERED else "RegistrationRequired",
            "resourceTypes": [
                {
                    "resourceType": t.resource_type,
                    "locations": ["East US", "West Europe", "North Europe", "West US 2"] if t.tracked else [],
                    "apiVersions": list(t.api_versions),
                    "defaultApiVersion": next((v for v in t.api_versions if "preview" not in v), t.api_versions[0]),
                    "capabilities": catalog.MOVE_CAPS if t.movable else catalog.NO_MOVE_CAPS,
                }
                for t in types
            ],
        }

    def _subscription_providers(self, req: Request, oid: str, sub, seg: list[str]) -> Response:
        low, m = req.lower, req.method
        if len(low) == 8 and low[3] == ML.lower() and low[4] == "locations" and m == "GET":
            if low[6] in ("mfeoperationsstatus", "mfeoperationresults"):
                return self._ml_operation(req, seg[7], status_page=low[6] == "mfeoperationsstatus")
        if len(low) == 3 and m == "GET":
            names = [*catalog.ALWAYS_REGISTERED, *catalog.PROVIDERS]
            return self._page(req, [self._provider_body(sub, n) for n in names], "microsoft.resources/providers")
        if len(low) == 3:  # the provider list is read-only; ARM's words for any other method on it
            raise ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{m}'.")
        ns = seg[3]
        known = catalog.canonical_namespace(ns)
        if known not in catalog.PROVIDERS and known not in catalog.ALWAYS_REGISTERED:
            raise ArmError(404, "InvalidResourceNamespace", f"The resource namespace '{ns}' is invalid.")
        if len(low) == 4 and m == "GET":
            return Response(200, self._provider_body(sub, known))
        if len(low) == 5 and m == "POST" and low[4] in ("register", "unregister"):
            self._require(oid, f"/subscriptions/{sub.subscription_id}", f"{known}/register/action")
            sub.registered[known.lower()] = "Registered" if low[4] == "register" else "NotRegistered"
            return Response(200, self._provider_body(sub, known))
        if len(low) == 5 and m == "GET":  # list every resource of a type in the subscription, e.g. Databricks
            rtype = f"{known}/{seg[4]}".lower()
            self._require(oid, f"/subscriptions/{sub.subscription_id}", f"{known}/{seg[4]}/read")
            if known not in catalog.ALWAYS_REGISTERED and sub.registered.get(known.lower()) != "Registered":
                # What ARM answers a request for a namespace the subscription is not registered for, a read
                # included; azure-mgmt-core's ARMAutoResourceProviderRegistrationPolicy parses exactly this (409,
                # code, the namespace quoted in the message) and POSTs /register.
                raise ArmError(
                    409,
                    "MissingSubscriptionRegistration",
                    f"The subscription is not registered to use namespace '{known}'. See "
                    "https://aka.ms/rps-not-found for how to register subscriptions.",
                )
            found = [
                self._present(r)
                for r in self.store.resources.values()
                if (p := ids.parse(r.id)) is not None
                and p.is_top_level
                and p.subscription.lower() == sub.subscription_id.lower()
                and p.type.lower() == rtype
            ]
            return self._page(req, found, rtype)
        raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")
