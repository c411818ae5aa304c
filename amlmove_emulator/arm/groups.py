"""Resource groups: get, create/update, delete, and the resource lists of a group or a subscription ($filter)."""

from __future__ import annotations

import re
from typing import Any

from .. import authz, ids, moves
from ..state import StoredResource
from ..wire import GROUP_FIELDS, ArmError, Request, Response
from .base import ArmBase, _canonical_type, _norm_location


class Groups(ArmBase):
    def _list_groups(self, req: Request, oid: str, sub) -> Response:
        self._require(
            oid, f"/subscriptions/{sub.subscription_id}", "Microsoft.Resources/subscriptions/resourceGroups/read"
        )
        groups = [self._group_body(r) for r in self.store.children_of(f"/subscriptions/{sub.subscription_id}")]
        return self._page(req, groups, "microsoft.resources/resourcegroups")

    def _group_body(self, stored: StoredResource) -> dict[str, Any]:
        """A group as ARM shows it. While a move holds it (source and target alike), its provisioningState is
        `MovingResources`, back to the stored one when the move ends: an ARM engineer's comparison of both groups'
        state after a move ("both 'Succeeded' and not 'MovingResources'", Azure/azure-cli issue 11942) and ARM's
        timeout message ("Provisioning state of the resource groups will be rolled back", ResourceMoveTimedOut)."""
        parsed = ids.parse(stored.id)
        moving = ids.key(stored.id) in moves.locked_groups(self.store)
        body = {
            "id": stored.id,
            "name": parsed.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": stored.body.get("location"),
            "properties": {
                "provisioningState": "MovingResources"
                if moving
                else stored.body.get("properties", {}).get("provisioningState", "Succeeded")
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
