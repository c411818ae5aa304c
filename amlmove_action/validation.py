"""ARM's own dry run: `validateMoveResources` on the exact resource list apply will move. Its verdict is kept verbatim
(code, message, every details[] entry, correlation id) so reviewers read what ARM said, not our paraphrase."""

from __future__ import annotations

from typing import Any

from . import inventory as inv
from .azure import Clients, from_http_error, no_verdict

# Used only when ARM sends no Retry-After (it normally does); azure-core's own default would be 30 s.
FALLBACK_POLL_SECONDS = 5
RESOURCES_API = "2025-04-01"  # what azure-mgmt-resource's ResourceManagementClient sends
# What a plan says when ARM's validation is left to apply (the destination group does not exist yet, or the plan
# identity may not validate): the summary, the finding and the terminal use these exact words.
DEFERRED_LINE = "validation deferred: the move identity validates before anything is written"


def validate_move(
    clients: Clients, source_group_id: str, resources: list[str], target_group_id: str
) -> inv.ValidationResult:
    """POST validateMoveResources and follow it with azure-core's ARM poller (Retry-After honoured), exactly as
    ResourceManagementClient.begin_validate_move_resources does, but through the run's shared ARM pipeline: a plan
    then never loads the management SDK (~0.1 s of CPU, taken from discovery's reads while they page)."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.polling import LROPoller
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    source = inv.ResourceId.parse(source_group_id)
    url = (
        f"{clients.cloud.arm_endpoint}/subscriptions/{source.subscription_id}/resourcegroups/"
        f"{source.resource_group}/validateMoveResources?api-version={RESOURCES_API}"
    )
    body = {"resources": resources, "targetResourceGroup": target_group_id}
    pipeline = clients.arm()
    try:
        initial = pipeline.send_request(HttpRequest("POST", url, json=body), _return_pipeline_response=True)
        if initial.http_response.status_code not in (202, 204):
            raise HttpResponseError(response=initial.http_response, error_format=ARMErrorFormat)
        LROPoller(pipeline, initial, lambda _: None, ARMPolling(FALLBACK_POLL_SECONDS)).result()
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
