"""Azure Resource Manager: routing, authentication, authorization, locks, paging and the handlers for subscriptions,
providers, resource groups, generic resources (ML workspaces and children, storage, key vault, ACR, App Insights,
Log Analytics, Databricks, private endpoints), Microsoft.Authorization (locks, role definitions and assignments,
permissions) and the move operations."""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from . import authz, catalog, entra, ids, moves
from .state import MoveOperation, Store, StoredResource
from .wire import (
    ASSIGNMENT_FIELDS,
    GROUP_FIELDS,
    LOCK_FIELDS,
    RESOURCE_FIELDS,
    ArmError,
    Request,
    Response,
    check_types,
)

_PATH_SAFE = "/-._~!$&'()*+,;=:@"  # RFC 3986 pchar and '/': kept as they are in a nextLink's path
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha|-privatepreview)?$")
AUTHZ = "/providers/microsoft.authorization/"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Arm:
    def __init__(self, store: Store) -> None:
        self.store = store

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
        seg, low, m = req.segments, req.lower, req.method
        if low == ["subscriptions"] and m == "GET":
            return self._page(req, [self._subscription_body(s) for s in self._visible_subscriptions(oid, claims)])
        if low == ["tenants"] and m == "GET":
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
        if len(low) >= 4 and low[:3] == ["providers", "microsoft.authorization", "roledefinitions"]:
            return self._role_definition_get(req, "/", seg[3])
        if not low or low[0] != "subscriptions" or len(low) < 2:
            raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")
        sub = self._subscription_for(req, seg[1], claims)
        if len(low) == 2:
            if m != "GET":
                raise self._method_not_allowed(req)
            return Response(200, self._subscription_body(sub))
        ext = ids.split_extension(req.path)
        if ext is not None and len(ext[2]) >= 1:
            return self._authorization(req, oid, sub, ext[0], ext[2])
        if low[2] == "providers":
            return self._subscription_providers(req, oid, sub, seg)
        if low[2] == "operationresults" and len(low) == 4 and m == "GET":
            return self._operation_result(seg[3], req.base_url)
        if low[2] == "asyncoperations" and len(low) == 4 and m == "GET":
            return self._async_update_status(seg[3])
        if low[2] == "resources" and len(low) == 3 and m == "GET":
            return self._list_subscription_resources(req, oid, sub)
        if low[2] != "resourcegroups":
            raise ArmError(404, "InvalidResourceType", f"The resource type '{seg[2]}' could not be found.")
        if len(low) == 3:
            self._require(
                oid, f"/subscriptions/{sub.subscription_id}", "Microsoft.Resources/subscriptions/resourceGroups/read"
            )
            groups = [self._group_body(r) for r in self.store.children_of(f"/subscriptions/{sub.subscription_id}")]
            return self._page(req, groups, "microsoft.resources/resourcegroups")
        group_id = f"/subscriptions/{sub.subscription_id}/resourceGroups/{seg[3]}"
        if len(low) == 4:
            return self._resource_group(req, oid, sub, group_id)
        if len(low) == 5 and low[4] == "resources" and m == "GET":
            return self._list_group_resources(req, oid, group_id)
        if len(low) == 5 and low[4] in ("validatemoveresources", "moveresources") and m == "POST":
            return self._move(req, oid, sub.subscription_id, seg[3], "validate" if low[4].startswith("v") else "move")
        if low[4] == "providers" and len(low) >= 7:
            return self._resource(req, oid, sub, group_id, seg)
        raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")

    def _method_not_allowed(self, req: Request) -> ArmError:
        return ArmError(405, "MethodNotAllowed", f"The HTTP method '{req.method}' is not supported at '{req.path}'.")

    # ---- subscriptions, tenants, providers ---------------------------------------------------------------------
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

    # ---- resource groups ---------------------------------------------------------------------------------------
    @staticmethod
    def _group_body(stored: StoredResource) -> dict[str, Any]:
        parsed = ids.parse(stored.id)
        body = {
            "id": stored.id,
            "name": parsed.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": stored.body.get("location"),
            "properties": {
                "provisioningState": stored.body.get("properties", {}).get("provisioningState", "Succeeded")
            },
        }
        for optional in ("tags", "managedBy"):
            if stored.body.get(optional) is not None:
                body[optional] = stored.body[optional]
        return body

    def _resource_group(self, req: Request, oid: str, sub, group_id: str) -> Response:
        stored = self.store.get(group_id)
        name = ids.parse(group_id).resource_group
        if req.method in ("GET", "HEAD"):
            self._require(oid, group_id, "Microsoft.Resources/subscriptions/resourceGroups/read")
            if stored is None:
                if req.method == "HEAD":
                    return Response(404)
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
            return Response(204) if req.method == "HEAD" else Response(200, self._group_body(stored))
        if req.method in ("PUT", "PATCH"):
            self._require(oid, group_id, "Microsoft.Resources/subscriptions/resourceGroups/write")
            self._refuse_if_locked(group_id, "write", include_self=stored is not None)
            body = self._json(req, GROUP_FIELDS)
            if not ids.valid_group_name(name):
                raise ArmError(
                    400,
                    "InvalidResourceGroup",
                    f"The provided resource group name '{name}' has these "
                    "invalid characters or length. The name can be up to 90 characters, and can contain "
                    "letters, digits, underscores, periods, parentheses and hyphens, not ending in a "
                    "period.",
                )
            if req.method == "PATCH":
                if stored is None:
                    raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
                if "tags" in body:
                    stored.body["tags"] = body["tags"]
                return Response(200, self._group_body(stored))
            location = body.get("location")
            if not location:
                raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
            if stored is not None:
                existing = stored.body.get("location", "")
                if _norm_location(existing) != _norm_location(location):
                    raise ArmError(
                        409,
                        "InvalidResourceGroupLocation",
                        f"Invalid resource group location "
                        f"'{location}'. The Resource group already exists in location '{existing}'.",
                    )
                stored.body["tags"] = body.get("tags", stored.body.get("tags"))
                return Response(200, self._group_body(stored))
            new = self.store.put(
                group_id,
                {
                    "location": location,
                    "tags": body.get("tags"),
                    "managedBy": body.get("managedBy"),
                    "properties": {"provisioningState": "Succeeded"},
                },
            )
            return Response(201, self._group_body(new))
        if req.method == "DELETE":
            self._require(oid, group_id, "Microsoft.Resources/subscriptions/resourceGroups/delete")
            if stored is None:
                raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
            self._refuse_if_locked(group_id, "delete", include_self=True, include_children=True)
            self.store.delete_tree(group_id)
            return self._accepted(req.base_url, sub.subscription_id, kind="delete", status=200)
        raise self._method_not_allowed(req)

    def _list_group_resources(self, req: Request, oid: str, group_id: str) -> Response:
        if self.store.get(group_id) is None:
            raise ArmError(
                404,
                "ResourceGroupNotFound",
                f"Resource group '{ids.parse(group_id).resource_group}' could not be found.",
            )
        self._require(oid, group_id, "Microsoft.Resources/subscriptions/resourceGroups/resources/read")
        return self._list_resources(req, [group_id])

    def _list_subscription_resources(self, req: Request, oid: str, sub) -> Response:
        """`GET /subscriptions/{sub}/resources`: the top-level resources of every group the caller may read."""
        action = "Microsoft.Resources/subscriptions/resourceGroups/resources/read"
        groups = [
            g.id
            for g in self.store.children_of(f"/subscriptions/{sub.subscription_id}")
            if authz.is_allowed(self.store, oid, g.id, action)
        ]
        return self._list_resources(req, groups)

    def _list_resources(self, req: Request, group_ids: list[str]) -> Response:
        matcher = _odata_filter(req.query.get("$filter"))
        items = []
        stored_resources = [s for group_id in group_ids for s in self.store.children_of(group_id)]
        for stored in stored_resources:  # each group's top-level resources, in store order
            parsed = ids.parse(stored.id)
            if parsed is None or not parsed.is_top_level:
                continue
            item = {
                "id": stored.id,
                "name": parsed.name,
                "type": _canonical_type(parsed.type),
                "location": stored.body.get("location"),
            }
            for optional in ("kind", "tags", "sku", "identity", "managedBy", "plan", "extendedLocation"):
                if stored.body.get(optional) is not None:
                    item[optional] = stored.body[optional]
            if "provisioningState" in (req.query.get("$expand") or ""):
                item["provisioningState"] = stored.body.get("properties", {}).get("provisioningState", "Succeeded")
            if matcher(item):
                items.append(item)
        return self._page(req, items, "microsoft.resources/resources")

    # ---- generic resources -------------------------------------------------------------------------------------
    def _resource(self, req: Request, oid: str, sub, group_id: str, seg: list[str]) -> Response:
        group = self.store.get(group_id)
        if group is None:
            raise ArmError(
                404,
                "ResourceGroupNotFound",
                f"Resource group '{ids.parse(group_id).resource_group}' could not be found.",
            )
        group_id = group.id
        namespace = catalog.canonical_namespace(seg[5])
        rest = seg[6:]
        m = req.method
        if len(rest) % 2 == 1:  # a collection (GET) or an action on a resource (POST)
            if m == "POST" and len(rest) >= 3:
                resource_id = ids.build(
                    sub.subscription_id,
                    ids.parse(group_id).resource_group,
                    namespace,
                    tuple(zip(rest[:-1:2], rest[1:-1:2], strict=True)),
                )
                return self._action(req, oid, resource_id, rest[-1])
            if m != "GET":
                raise self._method_not_allowed(req)
            parent = (
                ids.build(
                    sub.subscription_id,
                    ids.parse(group_id).resource_group,
                    namespace,
                    tuple(zip(rest[:-1:2], rest[1:-1:2], strict=True)),
                )
                if len(rest) > 1
                else group_id
            )
            return self._list_collection(req, oid, parent, f"{namespace}/" + "/".join(rest[0::2]))
        resource_id = ids.build(
            sub.subscription_id,
            ids.parse(group_id).resource_group,
            namespace,
            tuple(zip(rest[0::2], rest[1::2], strict=True)),
        )
        parsed = ids.parse(resource_id)
        rtype = parsed.type
        ptype = catalog.provider_type(rtype)
        stored = self.store.get(resource_id)
        if m == "GET":
            self._require(oid, resource_id, f"{rtype}/read")
            if stored is None:
                raise self._not_found(parsed)
            return Response(200, self._present(stored))
        if m == "HEAD":  # Resources_CheckExistenceById: 204 or 404, no body
            self._require(oid, resource_id, f"{rtype}/read")
            return Response(404 if stored is None else 204)
        if m in ("PUT", "PATCH"):
            self._require(oid, resource_id, f"{rtype}/write")
            if ptype is None:
                raise ArmError(
                    400,
                    "NoRegisteredProviderFound",
                    f"No registered resource provider found for "
                    f"location and API version '{req.query['api-version']}' for type '{rtype}'.",
                )
            if sub.registered.get(namespace.lower()) != "Registered":
                raise ArmError(
                    409,
                    "MissingSubscriptionRegistration",
                    f"The subscription is not registered to use "
                    f"namespace '{namespace}'. See https://aka.ms/rps-not-found for how to register "
                    "subscriptions.",
                )
            if parsed.parent and parsed.parent != group_id and self.store.get(parsed.parent) is None:
                raise ArmError(
                    404,
                    "ParentResourceNotFound",
                    f"Failed to perform 'write' on resource(s) of type "
                    f"'{rtype}', because the parent resource '{parsed.parent}' could not be found.",
                )
            self._refuse_if_locked(resource_id, "write", include_self=stored is not None)
            body = self._json(req, RESOURCE_FIELDS)
            if m == "PATCH":
                if stored is None:
                    raise self._not_found(parsed)
                merged = _merge(copy.deepcopy(stored.body), body)
                stored.body = merged
                return Response(200, self._present(stored))
            if ptype.tracked and not body.get("location"):
                raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
            new_body, secrets = _accept_put_body(resource_id, rtype, body, stored)
            if rtype.lower() == "microsoft.keyvault/vaults/privateendpointconnections" and stored is not None:
                return self._update_later(req, sub.subscription_id, stored, new_body)
            created = stored is None
            stored = self.store.put(resource_id, new_body, secrets if secrets or created else None)
            if rtype.lower() == ML_COMPUTES:
                # Compute_CreateOrUpdate answers 201 + Azure-AsyncOperation with provisioningState Creating, then
                # the client polls (New-AzMLWorkspaceCompute.Recording.json); later GETs show Succeeded.
                shown = copy.deepcopy(self._present(stored))
                shown.setdefault("properties", {})["provisioningState"] = "Creating"
                done = self._ml_async(req, sub.subscription_id, stored.body.get("location") or "eastus")
                return Response(201 if created else 200, shown, {"Azure-AsyncOperation": done.headers[ASYNC_HEADER]})
            return Response(_created_status(rtype) if created else 200, self._present(stored))
        if m == "DELETE":
            self._require(oid, resource_id, f"{rtype}/delete")
            action = None
            if rtype.lower() == ML_COMPUTES:
                # Compute_Delete: underlyingResourceAction is a required query parameter (Delete | Detach).
                action = next((v for k, v in req.query.items() if k.lower() == "underlyingresourceaction"), None)
                if (action or "").lower() not in ("delete", "detach"):
                    raise ArmError(
                        400,
                        "InvalidQueryParameterValue",
                        "The query parameter 'underlyingResourceAction' is required and must be 'Delete' or 'Detach'.",
                    )
            if stored is None:
                return Response(204)
            self._refuse_if_locked(resource_id, "delete", include_self=True, include_children=True)
            underlying = (stored.body.get("properties") or {}).get("resourceId")
            self.store.delete_tree(resource_id)
            if action and action.lower() == "delete" and isinstance(underlying, str) and self.store.get(underlying):
                # Delete on an attached compute removes the customer's own resource too (an AKS cluster, a VM).
                self.store.delete_tree(underlying)
            if rtype.lower() in ML_ASYNC_DELETES:
                return self._ml_async(req, sub.subscription_id, stored.body.get("location") or "eastus")
            return Response(200)
        raise self._method_not_allowed(req)

    def _not_found(self, parsed) -> ArmError:
        if parsed.parent and self.store.get(parsed.parent) is None and len(parsed.chain) > 1:
            return ArmError(
                404,
                "ParentResourceNotFound",
                f"Can not perform requested operation on nested resource. "
                f"Parent resource '{parsed.parent.rsplit('/', 1)[-1]}' not found.",
            )
        return ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{parsed.namespace}/"
            + "/".join(f"{t}/{n}" for t, n in parsed.chain)
            + f"' under resource group '{parsed.resource_group}' was not found. For more details please "
            "go to https://aka.ms/ARMResourceNotFoundFix",
        )

    def _list_collection(self, req: Request, oid: str, parent_id: str, collection_type: str) -> Response:
        if parent_id != ids.parse(parent_id).group_id and self.store.get(parent_id) is None:
            raise self._not_found(ids.parse(parent_id))
        self._require(oid, parent_id, f"{collection_type}/read")
        wanted = collection_type.lower()
        items = [s for s in self.store.children_of(parent_id) if ids.parse(s.id).type.lower() == wanted]
        items = _ml_list_filters(wanted, req.query, items)
        page_size = None
        for name in ("count", "$top", "top"):
            if req.query.get(name, "").isdigit() and int(req.query[name]) > 0:
                page_size = int(req.query[name])
        return self._page(req, items, wanted, page_size, present=self._present)

    def _action(self, req: Request, oid: str, resource_id: str, action: str) -> Response:
        parsed = ids.parse(resource_id)
        stored = self.store.get(resource_id)
        self._require(oid, resource_id, f"{parsed.type}/{action}/action")
        if stored is None:
            raise self._not_found(parsed)
        low = action.lower()
        rtype = parsed.type.lower()
        if rtype == "microsoft.storage/storageaccounts" and low == "listkeys":
            self._refuse_if_locked(resource_id, "write", include_self=True)  # ARM treats listKeys as a write
            keys = stored.secrets.get("keys") or _derived_keys(self.store, stored.id)
            return Response(
                200,
                {
                    "keys": [
                        {"keyName": f"key{i + 1}", "value": k, "permissions": "FULL", "creationTime": now_iso()}
                        for i, k in enumerate(keys)
                    ]
                },
            )
        if rtype == "microsoft.machinelearningservices/workspaces/datastores" and low == "listsecrets":
            secrets = stored.secrets.get("secrets")
            if secrets is None:
                return Response(200, {"secretsType": "None"})
            return Response(200, secrets)
        raise ArmError(404, "InvalidResourceType", f"The action '{action}' is not supported on '{parsed.type}'.")

    def _present(self, stored: StoredResource) -> dict[str, Any]:
        """The GET body of a stored resource: write-only secrets stripped, read-only projections added."""
        parsed = ids.parse(stored.id)
        body = copy.deepcopy(stored.body)
        body["id"] = stored.id
        body["name"] = parsed.name
        body["type"] = _canonical_type(parsed.type)
        if parsed.type.lower() == "microsoft.machinelearningservices/workspaces":
            props = body.setdefault("properties", {})
            props["privateEndpointConnections"] = [
                self._present(c)
                for c in self.store.children_of(stored.id)
                if c.id.lower().split("/")[-2] == "privateendpointconnections"
            ]
            props["privateLinkCount"] = len(props["privateEndpointConnections"])
        elif parsed.type.lower() in catalog.PRIVATE_LINK_TYPES:
            body.setdefault("properties", {})["privateEndpointConnections"] = [
                self._present(c)
                for c in self.store.children_of(stored.id)
                if c.id.lower().split("/")[-2] == "privateendpointconnections"
            ]
        return body

    def _update_later(self, req: Request, sub: str, stored: StoredResource, new_body: dict[str, Any]) -> Response:
        """Key Vault's answer to a private endpoint connection PUT (Azure/azure-cli recording
        test_keyvault_private_endpoint_connection.yaml): 200, provisioningState Updating, and an Azure-AsyncOperation
        header; the change takes effect when the operation is polled to its end (the path of that URL is the
        emulator's own: clients follow the header, whatever it says)."""
        op_id = str(uuid.uuid4())
        self.store.async_updates[op_id] = (stored.id, new_body)
        updating = copy.deepcopy(stored.body)
        updating.setdefault("properties", {})["provisioningState"] = "Updating"
        stored.body = updating
        return Response(
            200,
            self._present(stored),
            {
                "Azure-AsyncOperation": f"{req.base_url}/subscriptions/{sub}/asyncoperations/{op_id}"
                "?api-version=2023-07-01",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
            },
        )

    def _async_update_status(self, op_id: str) -> Response:
        pending = self.store.async_updates.pop(op_id, None)
        if pending is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        resource_id, body = pending
        stored = self.store.get(resource_id)
        if stored is not None:
            stored.body = body
        return Response(200, {"id": op_id, "name": op_id, "status": "Succeeded"})

    # ---- Microsoft.Authorization -------------------------------------------------------------------------------
    def _authorization(self, req: Request, oid: str, sub, scope: str, rest: list[str]) -> Response:
        kind = rest[0].lower()
        scope = ids.normalise(scope)
        self._require_scope_exists(scope)
        if kind == "locks":
            return self._locks(req, oid, scope, rest)
        if kind == "roleassignments":
            return self._role_assignments(req, oid, sub, scope, rest)
        if kind == "roledefinitions":
            if len(rest) == 1 and req.method == "GET":
                self._require(oid, scope, "Microsoft.Authorization/roleDefinitions/read")
                defs = [self._role_definition_body(scope, r) for r in catalog.BUILT_IN_ROLES.values()]
                flt = req.query.get("$filter", "")
                match = re.search(r"roleName eq '([^']*)'", flt)
                if match:
                    defs = [d for d in defs if d["properties"]["roleName"].lower() == match.group(1).lower()]
                return self._page(req, defs, "microsoft.authorization/roledefinitions")
            if len(rest) == 2 and req.method == "GET":
                return self._role_definition_get(req, scope, rest[1])
        if kind == "permissions" and len(rest) == 1 and req.method == "GET":
            perms = []
            for _, props in authz.assignments_for(self.store, oid, scope):
                role = authz.role_definition(self.store, props.get("roleDefinitionId", ""))
                if role is not None:
                    perms.append(
                        {
                            "actions": list(role.actions),
                            "notActions": list(role.not_actions),
                            "dataActions": list(role.data_actions),
                            "notDataActions": [],
                        }
                    )
            return self._page(req, perms, "microsoft.authorization/permissions")
        raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{req.path}'.")

    def _require_scope_exists(self, scope: str) -> None:
        parsed = ids.parse(scope)
        if parsed is None or parsed.resource_group is None:
            return
        if self.store.get(parsed.group_id) is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{parsed.resource_group}' could not be found."
            )

    def _locks(self, req: Request, oid: str, scope: str, rest: list[str]) -> Response:
        if len(rest) == 1 and req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/locks/read")
            at_scope = "atscope()" in req.query.get("$filter", "").lower().replace(" ", "")
            found = []
            for stored in self.store.authz_resources():
                low = stored.id.lower()
                if "/providers/microsoft.authorization/locks/" not in low:
                    continue
                lock_scope = stored.id[: low.index("/providers/microsoft.authorization/locks/")] or "/"
                if at_scope:
                    if ids.is_ancestor_or_self(lock_scope, scope):
                        found.append(self._lock_body(stored))
                elif ids.is_ancestor_or_self(scope, lock_scope):
                    found.append(self._lock_body(stored))
            return self._page(req, found, "microsoft.authorization/locks")
        if len(rest) == 2:
            lock_id = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/locks/{rest[1]}"
            stored = self.store.get(lock_id)
            if req.method == "GET":
                self._require(oid, scope, "Microsoft.Authorization/locks/read")
                if stored is None:
                    raise ArmError(404, "LockNotFound", f"The lock '{rest[1]}' could not be found.")
                return Response(200, self._lock_body(stored))
            if req.method == "PUT":
                self._require(oid, scope, "Microsoft.Authorization/locks/write")
                self._refuse_if_moving(scope)
                body = self._json(req, LOCK_FIELDS)
                level = (body.get("properties") or {}).get("level")
                if level not in ("CanNotDelete", "ReadOnly", "NotSpecified"):
                    raise ArmError(400, "LockLevelRequired", "The lock level must be 'CanNotDelete' or 'ReadOnly'.")
                created = stored is None
                stored = self.store.put(
                    lock_id,
                    {"properties": {k: v for k, v in body["properties"].items() if k in ("level", "notes", "owners")}},
                )
                return Response(201 if created else 200, self._lock_body(stored))
            if req.method == "DELETE":
                self._require(oid, scope, "Microsoft.Authorization/locks/delete")
                if stored is None:
                    return Response(204)
                self.store.delete_tree(lock_id)
                return Response(200)
        raise self._method_not_allowed(req)

    @staticmethod
    def _lock_body(stored: StoredResource) -> dict[str, Any]:
        return {
            "id": stored.id,
            "type": "Microsoft.Authorization/locks",
            "name": stored.id.rsplit("/", 1)[-1],
            "properties": copy.deepcopy(stored.body.get("properties", {})),
        }

    def _role_definition_body(self, scope: str, role: catalog.RoleDefinition) -> dict[str, Any]:
        parsed = ids.parse(scope)
        prefix = f"/subscriptions/{parsed.subscription}" if parsed else ""
        return {
            "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role.guid}",
            "name": role.guid,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": role.role_name,
                "type": "BuiltInRole",
                "description": role.description,
                "assignableScopes": ["/"],
                "permissions": [
                    {
                        "actions": list(role.actions),
                        "notActions": list(role.not_actions),
                        "dataActions": list(role.data_actions),
                        "notDataActions": [],
                    }
                ],
                "createdOn": "2015-02-02T21:55:09.8806423Z",
                "updatedOn": "2024-01-01T00:00:00.0000000Z",
                "createdBy": None,
                "updatedBy": None,
            },
        }

    def _role_definition_get(self, req: Request, scope: str, guid: str) -> Response:
        role = authz.role_definition(self.store, guid)
        if role is None:
            raise ArmError(
                404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
            )
        return Response(200, self._role_definition_body(scope, role))

    def _role_assignments(self, req: Request, oid: str, sub, scope: str, rest: list[str]) -> Response:
        if len(rest) == 1 and req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/read")
            flt = req.query.get("$filter", "").replace(" ", "").lower()
            principal = re.search(r"principalid eq '?([0-9a-f-]+)'?", req.query.get("$filter", "").lower())
            found = []
            for stored in self.store.authz_resources():
                if "/providers/microsoft.authorization/roleassignments/" not in stored.id.lower():
                    continue
                body = self._assignment_body(stored)
                at = body["properties"]["scope"]
                above_or_at = ids.is_ancestor_or_self(at, scope)
                below = ids.is_ancestor_or_self(scope, at)
                if "atscope()" in flt and not above_or_at:
                    continue
                if not (above_or_at or below):
                    continue
                if principal and body["properties"]["principalId"].lower() != principal.group(1):
                    continue
                found.append(body)
            return self._page(req, found, "microsoft.authorization/roleassignments")
        if len(rest) != 2:
            raise self._method_not_allowed(req)
        assignment_id = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{rest[1]}"
        stored = self.store.get(assignment_id)
        if req.method == "GET":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/read")
            if stored is None:
                raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{rest[1]}' is not found.")
            return Response(200, self._assignment_body(stored))
        if req.method == "DELETE":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/delete")
            if stored is None:
                return Response(204)
            body = self._assignment_body(stored)
            self.store.delete_tree(assignment_id)
            return Response(200, body)
        if req.method == "PUT":
            self._require(oid, scope, "Microsoft.Authorization/roleAssignments/write")
            self._refuse_if_moving(scope)
            props = self._json(req, ASSIGNMENT_FIELDS).get("properties") or {}
            role_id, principal_id = props.get("roleDefinitionId"), props.get("principalId")
            if not role_id or not principal_id:
                raise ArmError(
                    400,
                    "InvalidRoleAssignmentRequest",
                    "The request is invalid: 'roleDefinitionId' and 'principalId' are required.",
                )
            if not re.fullmatch(r"[0-9a-fA-F-]{36}", rest[1]):
                raise ArmError(
                    400,
                    "InvalidRoleAssignmentId",
                    f"The role assignment ID '{rest[1]}' is not valid. The role assignment ID must be a GUID.",
                )
            if authz.role_definition(self.store, role_id) is None:
                raise ArmError(
                    400,
                    "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{authz.role_guid(role_id)}' does not exist.",
                )
            if self.store.principal_by_object(principal_id) is None:
                raise ArmError(
                    400,
                    "PrincipalNotFound",
                    f"Principal {principal_id.replace('-', '')} does not exist "
                    "in the directory. Check that you have the correct principal ID.",
                )
            for other in self.store.authz_resources():
                if "/providers/microsoft.authorization/roleassignments/" not in other.id.lower():
                    continue
                ob = self._assignment_body(other)["properties"]
                same = (
                    ids.key(ob["scope"]) == ids.key(scope)
                    and ob["principalId"].lower() == principal_id.lower()
                    and authz.role_guid(ob["roleDefinitionId"]) == authz.role_guid(role_id)
                )
                if same and ids.key(other.id) != ids.key(assignment_id):
                    raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
                if ids.key(other.id) == ids.key(assignment_id) and not same:
                    raise ArmError(
                        409,
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    )
            created = stored is None
            stamp = now_iso()
            record = {
                "properties": {
                    "roleDefinitionId": role_id,
                    "principalId": principal_id,
                    "principalType": props.get("principalType", "User"),
                    "scope": scope,
                    "description": props.get("description"),
                    "condition": props.get("condition"),
                    "conditionVersion": props.get("conditionVersion"),
                    "createdOn": stamp if created else stored.body["properties"].get("createdOn", stamp),
                    "updatedOn": stamp,
                    "createdBy": oid,
                    "updatedBy": oid,
                }
            }
            stored = self.store.put(assignment_id, record)
            return Response(201 if created else 200, self._assignment_body(stored))
        raise self._method_not_allowed(req)

    def _assignment_body(self, stored: StoredResource) -> dict[str, Any]:
        props = copy.deepcopy(stored.body.get("properties", {}))
        scope = props.get("scope") or stored.id[: stored.id.lower().index(AUTHZ.rstrip("/"))] or "/"
        props["scope"] = scope
        parsed = ids.parse(scope)
        guid = authz.role_guid(props.get("roleDefinitionId", ""))
        prefix = f"/subscriptions/{parsed.subscription}" if parsed else ""
        props["roleDefinitionId"] = f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        props.setdefault("principalType", "User")
        for optional in ("description", "condition", "conditionVersion"):
            props.setdefault(optional, None)
        return {
            "id": stored.id,
            "type": "Microsoft.Authorization/roleAssignments",
            "name": stored.id.rsplit("/", 1)[-1],
            "properties": props,
        }

    # ---- moves and async operations ----------------------------------------------------------------------------
    def _move(self, req: Request, oid: str, sub: str, group: str, kind: str) -> Response:
        try:
            op = moves.start(self.store, kind, sub, group, self._json(req), oid)
        except moves.MoveRejected as rejected:
            return Response(rejected.status, rejected.body())
        return self._location(req.base_url, op)

    def _location(self, base_url: str, op: MoveOperation) -> Response:
        retry = self.store.settings.retry_after_seconds
        return Response(
            202,
            None,
            {
                "Location": f"{base_url}/subscriptions/{op.subscription}/operationresults/{op.op_id}"
                f"?api-version=2025-04-01",
                "Retry-After": _format_seconds(retry),
                "x-ms-correlation-request-id": op.correlation_id,
            },
        )

    def _accepted(self, base_url: str, sub: str, kind: str, status: int) -> Response:
        op = MoveOperation(
            op_id=str(uuid.uuid4()),
            kind=kind,
            subscription=sub,
            source_group="",
            target_group="",
            resources=[],
            principal="",
            started_at=self.store.now(),
            duration=0,
            outcome="succeeded",
            partial=[],
            correlation_id=str(uuid.uuid4()),
            result_status=status,
        )
        self.store.operations[op.op_id] = op
        # Whole seconds, as ARM sends them: the SDKs parse this header of a group delete as an int (a fractional
        # retryAfterSeconds, fine for the move polls, made `begin_delete` raise ValueError before polling).
        return Response(
            202,
            None,
            {
                "Location": f"{base_url}/subscriptions/{sub}/operationresults/{op.op_id}?api-version=2025-04-01",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
            },
        )

    def _ml_async(self, req: Request, sub: str, location: str) -> Response:
        """202 with Location (mfeOperationResults) and Azure-AsyncOperation (mfeOperationsStatus), as Azure ML answers
        an endpoint/deployment/compute delete (WorkspaceCleanRemoveOnlineEndpoint.Recording.json). The emulator has
        already done the work, so the status page says Succeeded."""
        op_id = f"odidp:{uuid.uuid4()}:{uuid.uuid4()}"
        self.store.ml_operations[op_id] = {"started": now_iso()}
        base = f"{req.base_url}/subscriptions/{sub}/providers/{ML}/locations/{_norm_location(location)}"
        api = req.query.get("api-version", "2024-10-01")
        return Response(
            202,
            None,
            {
                "Location": f"{base}/mfeOperationResults/{op_id}?api-version={api}",
                ASYNC_HEADER: f"{base}/mfeOperationsStatus/{op_id}?api-version={api}",
                "Retry-After": str(max(1, math.ceil(self.store.settings.retry_after_seconds))),
                "x-ms-async-operation-timeout": "PT30M",
            },
        )

    def _ml_operation(self, req: Request, op_id: str, status_page: bool) -> Response:
        op = self.store.ml_operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
        if not status_page:
            return Response(200, None)
        return Response(
            200,
            {"id": req.path, "name": op_id, "status": "Succeeded", "startTime": op["started"], "endTime": now_iso()},
        )

    def _operation_result(self, op_id: str, base_url: str) -> Response:
        op = self.store.operations.get(op_id.lower()) or self.store.operations.get(op_id)
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{op_id}' could not be found.")
        if op.result_status is None:
            # ARM repeats Location on every 202 poll (tests/recordings/resource-move.json, a real move's polls)
            location = f"{base_url}/subscriptions/{op.subscription}/operationresults/{op.op_id}?api-version=2025-04-01"
            retry = _format_seconds(self.store.settings.retry_after_seconds)
            return Response(202, None, {"Location": location, "Retry-After": retry})
        return Response(op.result_status, op.result_body, {"x-ms-correlation-request-id": op.correlation_id})

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

# Types whose RP answers a creating PUT with 200, not 201 (Workspaces_CreateOrUpdate lists only 200 and 202).
_CREATED_WITH_200 = frozenset({"microsoft.machinelearningservices/workspaces"})


def _created_status(rtype: str) -> int:
    return 200 if rtype.lower() in _CREATED_WITH_200 else 201


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _norm_location(location: str) -> str:
    return location.replace(" ", "").lower()


def _canonical_type(rtype: str) -> str:
    ns, _, rest = rtype.partition("/")
    ptype = catalog.provider_type(rtype)
    return f"{catalog.canonical_namespace(ns)}/{ptype.resource_type if ptype else rest}"


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


_READ_ONLY_TOP = ("id", "name", "type", "systemData", "etag")


def _accept_put_body(resource_id: str, rtype: str, body: dict[str, Any], existing: StoredResource | None):
    """ARM PUT semantics: read-only fields are the server's; write-only secrets are stored apart."""
    new = {k: copy.deepcopy(v) for k, v in body.items() if k not in _READ_ONLY_TOP}
    props = new.setdefault("properties", {}) if isinstance(new.get("properties", {}), dict) else new["properties"]
    secrets: dict[str, Any] = {}
    low = rtype.lower()
    if low.endswith("/datastores") and isinstance(props.get("credentials"), dict):
        creds = props["credentials"]
        if "secrets" in creds:
            secrets["secrets"] = creds.pop("secrets")
    if low.endswith("/datastores") and isinstance(props, dict):  # read-only (Datastore.isDefault): the server's
        props["isDefault"] = bool(existing and (existing.body.get("properties") or {}).get("isDefault"))
    if low in catalog.PRIVATE_LINK_TYPES and isinstance(props, dict):
        props.pop("privateEndpointConnections", None)
    if low == "microsoft.machinelearningservices/workspaces":
        props.pop("privateEndpointConnections", None)
        props.pop("privateLinkCount", None)
        props.setdefault("workspaceId", str(uuid.uuid5(uuid.NAMESPACE_URL, ids.key(resource_id))))
    if isinstance(props, dict):  # the emulator's providers finish every PUT at once
        props["provisioningState"] = "Succeeded"
    if low.endswith("/jobs") and isinstance(props, dict):
        props.setdefault(
            "status", (existing.body.get("properties", {}).get("status") if existing else None) or "NotStarted"
        )
    new["systemData"] = {
        "createdAt": now_iso(),
        "createdBy": "emulator",
        "createdByType": "Application",
        "lastModifiedAt": now_iso(),
        "lastModifiedBy": "emulator",
        "lastModifiedByType": "Application",
    }
    return new, secrets


def _ml_list_filters(collection_type: str, query: dict[str, str], items: list[StoredResource]) -> list[StoredResource]:
    """The query filters of the Azure ML lists: jobs by listViewType (ActiveOnly by default, ArchivedOnly, All) and
    jobType; datastores by isDefault and names (MLClient's `datastores.get_default()` asks `isDefault=true`)."""

    def prop(stored: StoredResource, name: str) -> Any:
        return (stored.body.get("properties") or {}).get(name)

    if collection_type.endswith("/jobs"):
        view = query.get("listViewType", "ActiveOnly").lower()
        if view == "activeonly":
            items = [s for s in items if not prop(s, "isArchived")]
        elif view == "archivedonly":
            items = [s for s in items if prop(s, "isArchived")]
        if query.get("jobType"):
            items = [s for s in items if str(prop(s, "jobType")).lower() == query["jobType"].lower()]
    if collection_type.endswith("/datastores"):
        if query.get("isDefault", "").lower() in ("true", "false"):
            wanted = query["isDefault"].lower() == "true"
            items = [s for s in items if bool(prop(s, "isDefault")) == wanted]
        if query.get("names"):
            names = {n.strip().lower() for n in query["names"].split(",") if n.strip()}
            items = [s for s in items if s.id.rsplit("/", 1)[-1].lower() in names]
    return items


def _derived_keys(store: Store, resource_id: str) -> list[str]:
    import base64
    import hashlib

    return [
        base64.b64encode(hashlib.sha512(f"{store.secret_issuer}:{resource_id.lower()}:{i}".encode()).digest()).decode()
        for i in (1, 2)
    ]


_FILTER_TERM = re.compile(r"^\s*(resourceType|name|tagName|tagValue)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
_SUBSTRING = re.compile(r"^\s*substringof\(\s*'([^']*)'\s*,\s*name\s*\)\s*$", re.IGNORECASE)


def _unwrap(term: str) -> str:
    """Drop the parentheses that group a term, not the ones it needs (`substringof('x', name)` keeps its own)."""
    term = term.strip()
    while term.startswith("(") and term.count("(") > term.count(")"):
        term = term[1:].strip()
    while term.endswith(")") and term.count(")") > term.count("("):
        term = term[:-1].strip()
    while term.startswith("(") and term.endswith(")"):
        term = term[1:-1].strip()
    return term


def _odata_filter(expression: str | None):
    """The small part of ARM's OData `$filter` that resource listing supports (eq on type/name/tag, substringof)."""
    if not expression:
        return lambda item: True
    alternatives = []
    for alternative in re.split(r"\s+or\s+", expression, flags=re.IGNORECASE):
        terms = []
        for term in re.split(r"\s+and\s+", alternative, flags=re.IGNORECASE):
            term = _unwrap(term)
            if (m := _FILTER_TERM.match(term)) is not None:
                terms.append((m.group(1).lower(), m.group(2).lower()))
            elif (m := _SUBSTRING.match(term)) is not None:
                terms.append(("substringof", m.group(1).lower()))
            else:
                raise ArmError(
                    400, "InvalidFilterInQueryString", f"Invalid $filter '{expression}' specified in the query string."
                )
        alternatives.append(terms)

    def matches(item: dict[str, Any]) -> bool:
        tags = {str(k).lower(): str(v).lower() for k, v in (item.get("tags") or {}).items()}
        for terms in alternatives:
            ok = True
            tag_name = None
            for field_name, value in terms:
                if field_name == "resourcetype":
                    ok &= item["type"].lower() == value
                elif field_name == "name":
                    ok &= item["name"].lower() == value
                elif field_name == "substringof":
                    ok &= value in item["name"].lower()
                elif field_name == "tagname":
                    tag_name = value
                    ok &= value in tags
                elif field_name == "tagvalue":
                    ok &= tag_name is not None and tags.get(tag_name) == value
            if ok:
                return True
        return False

    return matches
