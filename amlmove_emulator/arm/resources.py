"""Generic resources under a group's providers/: GET, HEAD, PUT, PATCH, DELETE, collections and POST actions
(listKeys, listSecrets), with the Azure ML specifics (async deletes, compute PUT, list filters)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .. import catalog, ids, provisioning
from ..state import Store, StoredResource
from ..wire import RESOURCE_FIELDS, ArmError, Request, Response
from .base import ASYNC_HEADER, ML_ASYNC_DELETES, ML_COMPUTES, ArmBase, _canonical_type, now_iso


class Resources(ArmBase):
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
            if rtype.lower() == provisioning.ONLINE_ENDPOINTS:
                try:
                    provisioning.check_traffic(self.store, resource_id, new_body)
                except provisioning.TrafficRejected as rejected:
                    raise ArmError(400, "BadArgument", str(rejected)) from None
            stored = self.store.put(resource_id, new_body, secrets if secrets or created else None)
            if rtype.lower() in provisioning.PROVISIONED_TYPES:
                return self._ml_provision(req, sub.subscription_id, resource_id, created)
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


# Types whose RP answers a creating PUT with 200, not 201 (Workspaces_CreateOrUpdate lists only 200 and 202).
_CREATED_WITH_200 = frozenset({"microsoft.machinelearningservices/workspaces"})


def _created_status(rtype: str) -> int:
    return 200 if rtype.lower() in _CREATED_WITH_200 else 201


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
