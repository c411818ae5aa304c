"""ARM's own dry run: `validateMoveResources` on the exact resource list apply will move. Its verdict is kept verbatim
(code, message, every details[] entry, correlation id) so reviewers read what ARM said, not our paraphrase."""

from __future__ import annotations

from typing import Any

from . import ids
from . import inventory as inv
from .api_versions import RESOURCES_API
from .azure import Clients, from_http_error, no_verdict
from .azure_errors import ErrorPart, sdk_error

# Used only when ARM sends no Retry-After (it normally does); azure-core's own default would be 30 s.
FALLBACK_POLL_SECONDS = 5
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

    source = ids.ResourceId.parse(source_group_id)
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
    said = sdk_error(exc)
    return inv.ValidationResult(
        inv.ValidationStatus.FAILED,
        code=said.code_or_status,
        message=said.message,
        details=tuple(_detail(d) for d in said.details),
        correlation_id=said.correlation_id,
        request_id=said.request_id,
    )


def _detail(d: ErrorPart) -> inv.ErrorDetail:
    return inv.ErrorDetail(
        code=str(d.code or ""),
        message=str(d.message or ""),
        target=d.target,
        details=tuple(_detail(x) for x in d.details),
    )


# Codes that wrap other errors: ARM's batch verdict and a provider's per-resource verdict (each with details[]).
WRAPPER_CODES = frozenset({"ResourceMoveValidationFailed", "ResourceMoveProviderValidationFailed"})
# Codes that say something other than "this object exists": deleting the object they name does not make them go
# away (a policy, a permission, a lock, a registration, another move), so they are never attributed to removals.
NOT_ABOUT_PRESENCE = frozenset(
    {
        "RequestDisallowedByPolicy",
        "AuthorizationFailed",
        "LinkedAuthorizationFailed",
        "ScopeLocked",
        "MissingSubscriptionRegistration",
        "MissingRegistrationsForTypes",
        "ResourceGroupMoveInProgress",
        "ResourceGroupNotFound",
        "InvalidTargetSubscription",
        "CrossTenantMoveNotSupported",
        "InvalidResourceId",
    }
)
ML_CHILD_TYPES = {
    "computes": "microsoft.machinelearningservices/workspaces/computes",
    "onlineendpoints": "microsoft.machinelearningservices/workspaces/onlineendpoints",
    "batchendpoints": "microsoft.machinelearningservices/workspaces/batchendpoints",
    "serverlessendpoints": "microsoft.machinelearningservices/workspaces/serverlessendpoints",
}


def removed_types(remove_computes: bool, remove_endpoints: bool) -> frozenset[str]:
    """The Azure ML child types whose every instance the approved removals delete (lower case)."""
    kinds = (["computes"] if remove_computes else []) + (
        ["onlineendpoints", "batchendpoints", "serverlessendpoints"] if remove_endpoints else []
    )
    return frozenset(ML_CHILD_TYPES[k] for k in kinds)


def addressed_by_removals(verdict: inv.ValidationResult, removed_ids: list[str], types: frozenset[str]) -> bool:
    """True only when ARM's failed verdict is about nothing but objects the approved removals delete.

    Read in the shapes real ARM sends: a top-level ResourceMoveValidationFailed (or a provider's
    ResourceMoveProviderValidationFailed) whose details[] nest per-resource verdicts; a leaf's target may be a resource
    id or a resource TYPE (e.g. Microsoft.Network/networkInterfaces), and details may be null. A leaf counts only
    when its code is not one that deleting cannot cure (policy, permission, lock, registration, another move) and its
    target is a removed object (or below one) or a type every instance of which is removed. Anything else — a
    wrapper without details, a leaf without a target, an unknown shape — is doubt, and doubt is False."""
    if verdict.status is not inv.ValidationStatus.FAILED or not verdict.details:
        return False
    if verdict.code not in WRAPPER_CODES:
        return False
    removed = [r.lower() for r in removed_ids]
    if not removed:
        return False

    def leaf_ok(d: inv.ErrorDetail) -> bool:
        if d.code in NOT_ABOUT_PRESENCE or not d.target:
            return False
        target = d.target.strip()
        if target.startswith("/"):
            return any(ids.is_within(target, r) for r in removed)
        return target.lower() in types

    def ok(d: inv.ErrorDetail) -> bool:
        if d.details:
            return d.code in WRAPPER_CODES and all(ok(x) for x in d.details)
        if d.code in WRAPPER_CODES:  # a wrapper with no details (null): nothing says what it is about
            return False
        return leaf_ok(d)

    return all(ok(d) for d in verdict.details)
