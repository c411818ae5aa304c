"""ARM's own dry run: `validateMoveResources` on the exact resource list apply will move. Its verdict is kept verbatim
(code, message, every details[] entry, correlation id) so reviewers read what ARM said, not our paraphrase."""

from __future__ import annotations

from typing import Any

from . import inventory as inv
from .azure import Clients, from_http_error, no_verdict

# Used only when ARM sends no Retry-After (it normally does); azure-core's own default would be 30 s.
FALLBACK_POLL_SECONDS = 5


def validate_move(
    clients: Clients, source_group_id: str, resources: list[str], target_group_id: str
) -> inv.ValidationResult:
    from azure.core.exceptions import HttpResponseError

    source = inv.ResourceId.parse(source_group_id)
    client = clients.resources(source.subscription_id)
    body = {"resources": resources, "targetResourceGroup": target_group_id}
    try:
        poller = client.resources.begin_validate_move_resources(
            source.resource_group, body, polling_interval=FALLBACK_POLL_SECONDS
        )
        poller.result()
    except HttpResponseError as exc:
        if exc.status_code in (401,) or no_verdict(exc):  # throttled, failing or lost: no verdict on the move
            raise from_http_error("validateMoveResources", exc) from None
        return failed_result(exc)
    return inv.ValidationResult(inv.ValidationStatus.PASSED)


def failed_result(exc: Any) -> inv.ValidationResult:
    error = getattr(exc, "error", None)
    response = getattr(exc, "response", None)
    headers = response.headers if response is not None else {}
    return inv.ValidationResult(
        inv.ValidationStatus.FAILED,
        code=getattr(error, "code", None) or f"HTTP{getattr(exc, 'status_code', '')}",
        message=str(getattr(error, "message", None) or getattr(exc, "message", "") or ""),
        details=tuple(_detail(d) for d in (getattr(error, "details", None) or [])),
        correlation_id=headers.get("x-ms-correlation-request-id"),
        request_id=headers.get("x-ms-request-id"),
    )


def _detail(d: Any) -> inv.ErrorDetail:
    return inv.ErrorDetail(
        code=str(getattr(d, "code", "") or ""),
        message=str(getattr(d, "message", "") or ""),
        target=getattr(d, "target", None),
        details=tuple(_detail(x) for x in (getattr(d, "details", None) or [])),
    )
