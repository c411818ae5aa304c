"""The emulator's request and response values, and ARM's error body."""

from __future__ import annotations

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
