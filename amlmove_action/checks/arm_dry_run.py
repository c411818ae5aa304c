"""Checks on ARM's move dry run (validateMoveResources): its failure, with advice chosen by ARM's error code, or
why it did not run."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..inventory import Inventory, ValidationStatus
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .what_moves import Selection

_MOVE_IN_PROGRESS_ADVICE = (
    "Another move holds the source or destination group (ARM locks both for up to 4 hours). Wait until it "
    "finishes, then plan again; when several workspaces move into one group (a fleet), run their applies one after "
    "another (max-parallel: 1)."
)
# ARM's AuthorizationFailed message: "The client '…' with object id '…' does not have authorization to perform
# action '…' over scope '…' or the scope is invalid."
_AUTHORIZATION_FAILED = re.compile(
    r"object id '(?P<who>[^']+)'.*?perform action '(?P<action>[^']+)' over scope '(?P<scope>[^']+)'",
    re.IGNORECASE | re.DOTALL,
)

# What to do for ARM's common move error codes (learn.microsoft.com/azure/azure-resource-manager/management/
# move-resource-group-and-subscription); the first code found wins.
_VALIDATION_ADVICE = {
    "missingregistrationsfortypes": "Register the providers ARM names: az provider register --namespace <namespace> "
    "--subscription <destination-subscription> (or register-providers: true).",
    "missingsubscriptionregistration": "Register the provider ARM names: az provider register --namespace "
    "<namespace> --subscription <destination-subscription> (or register-providers: true).",
    "requestdisallowedbypolicy": "An Azure Policy in the destination denies the resources; ask its owner for an "
    "exemption or fix the resources (tags, SKUs) it requires.",
    "resourcemovepolicyvalidationfailed": "An Azure Policy (or tenant rule) refused the move; read the details, then "
    "ask for a policy exemption in the destination.",
    "linkedauthorizationfailed": "The destination subscription is in another tenant or you lack access there; both "
    "subscriptions must be in one tenant and you need write on the destination group.",
    "movecannotproceedwithresourcesnotinsucceededstate": "A resource or its private endpoint is not Succeeded; fix "
    "or delete it, then plan again.",
    "resourcenotprovisioned": "A resource or its private endpoint is not Succeeded; fix or delete it, then plan again.",
    "resourcemovenotsupported": "Remove the resource types ARM names from include-associated-resources.",
    "movenotsupported": "Remove the resource types ARM names from include-associated-resources.",
    "cannotmoveresource": "Remove the resource ARM names from include-associated-resources.",
    "missingmovedependentresources": "Add the dependent resources ARM lists to include-associated-resources.",
    "incompleterequest": "Add the hidden or dependent resources ARM lists to include-associated-resources.",
    "moveresourceshavependingoperations": "Wait until the pending operations on the resources finish, then plan again.",
    "resourcemoveprovidervalidationfailed": "Azure ML refused the move: delete computes and endpoints, stop jobs, "
    "then plan again; the details say which.",
    "resourcegroupmoveinprogress": _MOVE_IN_PROGRESS_ADVICE,
}
_DEFAULT_VALIDATION_ADVICE = "Fix what ARM reports in the details, then run plan again."

VALIDATION_FAILED = CheckSpec(
    "validation-failed",
    Severity.BLOCKER,
    "ARM's move dry run (validateMoveResources) failed",
    "{advice}",
    skippable=False,  # ARM validates again on moveResources; skipping would only hide the reason the move fails
    prose=True,
    summary="Advice chosen by ARM's error code (register providers, policy exemption, drop an unmovable type, …); "
    "ARM's code, message, details and correlation id are quoted verbatim",
)


def _validation_advice(codes: Iterable[str], messages: Iterable[str] = ()) -> str:
    texts = list(messages)
    for code in codes:
        if code.lower() == "authorizationfailed":
            return _authorization_advice(texts)
        advice = _VALIDATION_ADVICE.get(code.lower())
        if advice:
            return advice
    if any("move operation in progress" in t.lower() or "move is in progress" in t.lower() for t in texts):
        return _MOVE_IN_PROGRESS_ADVICE
    return _DEFAULT_VALIDATION_ADVICE


def _authorization_advice(messages: Iterable[str]) -> str:
    """Which identity lacks which action at which scope, from ARM's own message."""
    for text in messages:
        found = _AUTHORIZATION_FAILED.search(text)
        if found:
            return (
                f"Identity {found['who']} may not {found['action']} on {found['scope']}. Give it a role with that "
                f"action there (az role assignment create --assignee {found['who']} --role Contributor --scope "
                f"{found['scope']}), or, when this identity only plans, set apply-principal-id to the identity "
                "that applies: apply then validates with it before writing anything."
            )
    return (
        "The signed-in identity may not run ARM's validation: it needs validateMoveResources/action on the source "
        "group and write on the destination group; or set apply-principal-id to the identity that applies."
    )


@registered(VALIDATION_FAILED)
def find_failed_validation(inventory: Inventory, selection: Selection) -> list[Finding]:
    result = inventory.validation
    if result.status != ValidationStatus.FAILED:
        return []
    flat = [item for detail in result.details for item in (detail, *detail.flatten())]
    parts = [f"{result.code or 'UnknownError'}: {result.message or '(no message)'}"]
    parts += [f"{item.code}{' on ' + item.target if item.target else ''}: {item.message}" for item in flat]
    if result.correlation_id:
        parts.append(f"correlation id {result.correlation_id}")
    codes = [item.code for item in reversed(flat)] + ([result.code] if result.code else [])
    messages = [result.message or "", *(item.message for item in flat)]
    command = VALIDATION_FAILED.fill(advice=_validation_advice(codes, messages))
    return [VALIDATION_FAILED.finding(" | ".join(parts), [command], selection.moved_ids)]


VALIDATION_NOT_RUN = CheckSpec(
    "validation-not-run",
    Severity.WARNING,
    "ARM's move dry run did not run",
    "Nothing to run now: apply validates again before it moves anything",
    prose=True,
)


@registered(VALIDATION_NOT_RUN)
def find_skipped_validation(inventory: Inventory, selection: Selection) -> list[Finding]:
    result = inventory.validation
    if result.status == ValidationStatus.DEFERRED:  # by design: apply validates with the move identity first
        detail = f"ARM's validation runs at apply: {result.message or 'no reason recorded'}."
        return [
            VALIDATION_NOT_RUN.finding(
                detail, [VALIDATION_NOT_RUN.remediation], selection.moved_ids, severity=Severity.INFO
            )
        ]
    if result.status != ValidationStatus.SKIPPED:
        return []
    detail = f"validateMoveResources was not called: {result.message or 'no reason recorded'}."
    return [VALIDATION_NOT_RUN.finding(detail, [VALIDATION_NOT_RUN.remediation], selection.moved_ids)]
