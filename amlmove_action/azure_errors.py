"""What a failed Azure request said: one parser for azure-core's HttpResponseError and for a raw ARM error response.

ARM answers a failed request with `{"error": {"code", "message", "target", "details": [...]}}`; azure-core parses
that body (ARMErrorFormat, an ODataV4Format) into `HttpResponseError.error`. `sdk_error` reads the exception,
`response_error` the raw response; both give one `SdkError` that callers turn into their own records (AzureError,
ValidationResult, MoveFailed). Pure functions, no Azure calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CORRELATION_HEADER = "x-ms-correlation-request-id"
REQUEST_ID_HEADER = "x-ms-request-id"


@dataclass(frozen=True)
class ErrorPart:
    """One entry of ARM's `error.details[]` (each may hold its own `details`)."""

    code: str | None
    message: str | None
    target: str | None
    details: tuple[ErrorPart, ...] = ()


@dataclass(frozen=True)
class SdkError:
    """ARM's error: HTTP status, `error.code` (None when the body is not an ARM error), `error.message` (else the
    exception's own message), the correlation and request ids ARM sent, and `error.details[]`."""

    status: int | None
    code: str | None
    message: str
    correlation_id: str | None = None
    request_id: str | None = None
    details: tuple[ErrorPart, ...] = ()
    arm_message: str = ""  # `error.message` alone ("" when the body is not an ARM error)

    @property
    def code_or_status(self) -> str:
        """ARM's code, else `HTTP{status}` (a body that is not an ARM error still says something)."""
        return self.code or f"HTTP{self.status}"


def _part(d: Any) -> ErrorPart:
    return ErrorPart(
        code=getattr(d, "code", None),
        message=getattr(d, "message", None),
        target=getattr(d, "target", None),
        details=tuple(_part(x) for x in (getattr(d, "details", None) or [])),
    )


def sdk_error(exc: Any) -> SdkError:
    """What an azure-core HttpResponseError says (its parsed `error`, its response's headers)."""
    error = getattr(exc, "error", None)
    response = getattr(exc, "response", None)
    headers = response.headers if response is not None else {}
    return SdkError(
        status=getattr(exc, "status_code", None),
        code=getattr(error, "code", None),
        message=str(getattr(error, "message", None) or getattr(exc, "message", "") or ""),
        correlation_id=headers.get(CORRELATION_HEADER),
        request_id=headers.get(REQUEST_ID_HEADER),
        details=tuple(_part(d) for d in (getattr(error, "details", None) or [])),
        arm_message=str(getattr(error, "message", "")),
    )


def response_error(response: Any) -> SdkError:
    """What a raw ARM response says (`{"error": {...}}`, or the error object at the top level)."""
    code, message = None, ""
    try:
        body = response.json()
        error = body.get("error", body) if isinstance(body, dict) else {}
        code, message = error.get("code"), str(error.get("message", ""))
    except (ValueError, json.JSONDecodeError, AttributeError):
        message = ""
    return SdkError(
        status=response.status_code,
        code=code,
        message=message,
        correlation_id=response.headers.get(CORRELATION_HEADER),
        request_id=response.headers.get(REQUEST_ID_HEADER),
        arm_message=message,
    )
