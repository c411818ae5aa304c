"""amlmove_action.azure_errors: what a failed Azure request said, read from azure-core's own HttpResponseError (built by
azure-core from an ARM error body, as the SDK clients raise it) and from a raw response. The body is the shape of
ARM's failed validateMoveResources quoted in tests/unit/test_validation.py: a batch verdict with nested details."""

from __future__ import annotations

import io
import json

import requests
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.core.rest._requests_basic import RestRequestsTransportResponse
from azure.mgmt.core.exceptions import ARMErrorFormat

from amlmove_action.azure_errors import ErrorPart, response_error, sdk_error

WS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw"
BODY = {
    "error": {
        "code": "ResourceMoveValidationFailed",
        "message": "The resource batch move request has '1' validation errors.",
        "details": [
            {
                "code": "ResourceMoveProviderValidationFailed",
                "target": WS,
                "message": "Resource move validation failed.",
                "details": [{"code": "ComputeExists", "target": f"{WS}/computes/c1", "message": "c1 exists."}],
            }
        ],
    }
}


def response(status: int, body: object) -> RestRequestsTransportResponse:
    """The response type the ARM pipeline's `send_request` returns (and the SDK clients' errors carry)."""
    raw = requests.Response()
    raw.status_code = status
    raw.raw = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body).encode())
    raw.headers.update(
        {"Content-Type": "application/json", "x-ms-correlation-request-id": "corr-1", "x-ms-request-id": "req-1"}
    )
    request = HttpRequest("POST", "https://management.azure.com/x")
    answer = RestRequestsTransportResponse(request=request, internal_response=raw)
    answer.read()
    return answer


def test_an_arm_error_reads_code_message_ids_and_nested_details() -> None:
    said = sdk_error(HttpResponseError(response=response(409, BODY), error_format=ARMErrorFormat))
    assert (said.status, said.code, said.code_or_status) == (409, "ResourceMoveValidationFailed", said.code)
    assert said.message == said.arm_message == BODY["error"]["message"]
    assert (said.correlation_id, said.request_id) == ("corr-1", "req-1")
    inner = ErrorPart("ComputeExists", "c1 exists.", f"{WS}/computes/c1")
    assert said.details == (
        ErrorPart("ResourceMoveProviderValidationFailed", "Resource move validation failed.", WS, (inner,)),
    )


def test_a_body_that_is_not_an_arm_error_keeps_the_status_and_azure_cores_message() -> None:
    exc = HttpResponseError(response=response(502, b"<html>bad gateway</html>"), error_format=ARMErrorFormat)
    said = sdk_error(exc)
    assert (said.status, said.code, said.code_or_status, said.arm_message) == (502, None, "HTTP502", "")
    assert said.message  # azure-core's own "Operation returned an invalid status …"
    assert said.details == ()


def test_a_raw_response_reads_the_same_fields() -> None:
    said = response_error(response(409, BODY))
    assert (said.status, said.code, said.message, said.correlation_id) == (
        409,
        "ResourceMoveValidationFailed",
        BODY["error"]["message"],
        "corr-1",
    )
    assert response_error(response(500, b"not json")).code is None
