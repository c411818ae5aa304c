"""The emulator's request and response values, ARM's error body, and the JSON types ARM's deserializer insists on
in request bodies (shared by the ARM handlers and scenario loading)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str  # decoded, `//` collapsed, as the client spelled it
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str
    wire_path: str = ""  # as sent, before percent-decoding: what the capture matches against the specs' templates

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    @property
    def lower(self) -> list[str]:
        return [s.lower() for s in self.segments]


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    principal: str | None = None  # who made the request, for the request log
    content_type: str = "application/json; charset=utf-8"
    raw: bytes | None = None  # sent verbatim instead of the JSON of `body` (injected garbage)


class ArmError(Exception):
    """Raise anywhere in a handler to answer with ARM's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return Response(self.status, {"error": error}, dict(self.headers))


def new_request_id() -> str:
    return str(uuid.uuid4())


# The JSON type of each member of a request body ARM deserializes before routing it (a dict: an object whose own
# members are checked too; TAGS: an object of strings, numbers and booleans becoming strings, as Json.NET does).
TAGS = "tags"
RESOURCE_FIELDS: dict[str, Any] = {
    "location": str,
    "kind": str,
    "managedBy": str,
    "etag": str,
    "tags": TAGS,
    "properties": dict,
    "sku": dict,
    "identity": dict,
    "plan": dict,
    "extendedLocation": dict,
    "zones": list,
}
GROUP_FIELDS: dict[str, Any] = {"location": str, "managedBy": str, "tags": TAGS, "properties": dict}
LOCK_FIELDS: dict[str, Any] = {"properties": {"level": str, "notes": str, "owners": list}}
ASSIGNMENT_FIELDS: dict[str, Any] = {
    "properties": {
        name: str
        for name in (
            "roleDefinitionId",
            "principalId",
            "principalType",
            "description",
            "condition",
            "conditionVersion",
            "delegatedManagedIdentityResourceId",
        )
    }
}
_JSON_NAMES = {str: "string", dict: "object", list: "array"}


def check_types(body: dict[str, Any], fields: dict[str, Any], path: str = "") -> None:
    """400 InvalidRequestContent when a member of `fields` that is present and not null has another JSON type
    (tags: normalised in place to strings)."""
    for name, kind in fields.items():
        value = body.get(name)
        if value is None:
            continue
        where = f"{path}{name}"
        if kind == TAGS:
            if not isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in value.values()):
                raise _bad_content(where, "an object of string values", value)
            body[name] = {k: _tag_text(v) for k, v in value.items()}
        elif isinstance(kind, dict):
            if not isinstance(value, dict):
                raise _bad_content(where, "a JSON object", value)
            check_types(value, kind, where + ".")
        elif not isinstance(value, kind):
            raise _bad_content(where, f"a JSON {_JSON_NAMES[kind]}", value)


def _tag_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value) if isinstance(value, (int, float)) else value


def _bad_content(where: str, expected: str, value: Any) -> ArmError:
    got = json.dumps(value)
    got = got if len(got) <= 40 else got[:37] + "..."
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{where}' must be {expected}, got {got}.",
    )
