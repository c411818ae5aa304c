"""amlmove_action.validation's attribution: is ARM's failed dry run about nothing but what the approved removals
delete? Read on the failure shapes real ARM sends (no recording of a failed validateMoveResources exists; the shapes
are those quoted from real runs in Azure/azure-docs issue 59719 and the move troubleshooting pages): a top-level
ResourceMoveValidationFailed with details[], per-resource ResourceMoveNotSupported with the full id as target, a
provider's verdict naming a resource TYPE as target, nested details, and details that are null. Doubt is False."""

from __future__ import annotations

import pytest

from amlmove_action import inventory as inv
from amlmove_action.validation import WRAPPER_CODES, addressed_by_removals, removed_types

WS = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw"
CLUSTER = f"{WS}/computes/cpu-cluster"
ENDPOINT = f"{WS}/onlineEndpoints/churn-ep"
COMPUTES = "microsoft.machinelearningservices/workspaces/computes"
ENDPOINT_TYPES = {
    "microsoft.machinelearningservices/workspaces/onlineendpoints",
    "microsoft.machinelearningservices/workspaces/batchendpoints",
    "microsoft.machinelearningservices/workspaces/serverlessendpoints",
}
BATCH = "The resource batch move request has '1' validation errors. Diagnostic information: 'TraceId...'."


def failed(*details: inv.ErrorDetail, code: str = "ResourceMoveValidationFailed") -> inv.ValidationResult:
    return inv.ValidationResult(inv.ValidationStatus.FAILED, code=code, message=BATCH, details=details)


def leaf(code: str, target: str | None) -> inv.ErrorDetail:
    return inv.ErrorDetail(code, f"{code} for {target}", target)


def provider(*details: inv.ErrorDetail) -> inv.ErrorDetail:
    return inv.ErrorDetail("ResourceMoveProviderValidationFailed", "Resource move validation failed.", WS, details)


def test_removed_types_are_the_ml_child_types_each_opt_in_deletes() -> None:
    assert removed_types(False, False) == frozenset()
    assert removed_types(True, False) == {COMPUTES}
    assert removed_types(False, True) == ENDPOINT_TYPES
    assert removed_types(True, True) == ENDPOINT_TYPES | {COMPUTES}


@pytest.mark.parametrize(
    "verdict",
    [
        failed(leaf("ResourceMoveNotSupported", CLUSTER)),  # the full id as target
        failed(leaf("ResourceMoveNotSupported", CLUSTER.upper())),  # ids compare case-insensitively
        failed(leaf("ResourceMoveNotSupported", CLUSTER + "/nodes/n1")),  # below a removed object
        failed(
            provider(
                leaf(
                    "MoveCannotProceedWithResourcesNotInSucceededState",
                    "Microsoft.MachineLearningServices/workspaces/computes",
                )
            )
        ),
        failed(provider(leaf("ComputeExists", CLUSTER)), leaf("ResourceMoveNotSupported", CLUSTER)),
        failed(leaf("ComputeExists", CLUSTER), code="ResourceMoveProviderValidationFailed"),
    ],
    ids=["id", "id-upper-case", "below", "type-target-nested", "two-levels", "provider-at-top"],
)
def test_a_verdict_about_nothing_but_removed_computes_is_addressed(verdict) -> None:
    assert addressed_by_removals(verdict, [CLUSTER], removed_types(True, False))


@pytest.mark.parametrize(
    ("verdict", "why"),
    [
        (failed(leaf("ResourceMoveNotSupported", ENDPOINT)), "an object the removals do not delete"),
        (failed(leaf("ResourceMoveNotSupported", CLUSTER), leaf("ResourceMoveNotSupported", ENDPOINT)), "one of two"),
        (failed(leaf("ResourceMoveNotSupported", CLUSTER + "2")), "a sibling whose name starts the same"),
        (failed(leaf("ScopeLocked", CLUSTER)), "a lock: deleting does not cure it"),
        (failed(leaf("RequestDisallowedByPolicy", CLUSTER)), "a policy"),
        (failed(leaf("AuthorizationFailed", CLUSTER)), "a permission"),
        (failed(leaf("ResourceMoveNotSupported", None)), "a leaf without a target"),
        (failed(provider()), "a provider wrapper whose details are null"),
        (failed(), "a wrapper without details"),
        (failed(leaf("ResourceMoveNotSupported", "Microsoft.Network/networkInterfaces")), "a type not removed"),
        (failed(leaf("ResourceMoveNotSupported", CLUSTER), code="SomethingElse"), "an unknown top-level code"),
        (
            failed(inv.ErrorDetail("InnerError", "x", CLUSTER, (leaf("ComputeExists", CLUSTER),))),
            "a non-wrapper parent",
        ),
        (inv.ValidationResult(inv.ValidationStatus.PASSED), "ARM said yes"),
        (inv.ValidationResult(inv.ValidationStatus.SKIPPED, message="deferred"), "no verdict"),
    ],
)
def test_anything_else_is_doubt_and_doubt_is_false(verdict, why) -> None:
    assert not addressed_by_removals(verdict, [CLUSTER], removed_types(True, False)), why


def test_nothing_removed_addresses_nothing_even_by_type() -> None:
    verdict = failed(leaf("X", "Microsoft.MachineLearningServices/workspaces/computes"))
    assert not addressed_by_removals(verdict, [], removed_types(True, False))
    assert addressed_by_removals(verdict, [CLUSTER], removed_types(True, False))
    assert not addressed_by_removals(verdict, [CLUSTER], removed_types(False, True))  # endpoints only: not computes


def test_the_wrapper_codes_are_arms_batch_and_provider_verdicts() -> None:
    assert WRAPPER_CODES == {"ResourceMoveValidationFailed", "ResourceMoveProviderValidationFailed"}
