"""A complete plan.json document (every field the schema requires) for unit tests of the functions that take a typed
Plan (verify_plan, drift.differences, render): tests edit the document, then read it with Plan.from_json, the way
planfile.load_plan does."""

from __future__ import annotations

from typing import Any

from amlmove_action.plan import Plan, digest_of

SOURCE_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
DESTINATION_SUBSCRIPTION = "22222222-2222-2222-2222-222222222222"
TENANT = "33333333-3333-3333-3333-333333333333"
SOURCE_GROUP = f"/subscriptions/{SOURCE_SUBSCRIPTION}/resourceGroups/rg-ml"
DESTINATION_GROUP = f"/subscriptions/{DESTINATION_SUBSCRIPTION}/resourceGroups/rg-prod"
WORKSPACE = f"{SOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw"


def plan_json(**changes: Any) -> dict[str, Any]:
    """A ready plan (valid against schemas/plan.schema.json) moving WORKSPACE from SOURCE_GROUP to
    DESTINATION_GROUP, `changes` replacing top-level fields, with its digest over the result."""
    plan: dict[str, Any] = {
        "schemaVersion": "2.0",
        "tool": {"name": "amlmove", "version": "0.0.0"},
        "createdAt": "2026-03-01T12:00:00Z",
        "status": "ready",
        "source": {
            "workspaceId": WORKSPACE,
            "workspaceName": "mlw",
            "kind": "Default",
            "location": "westeurope",
            "resourceGroupId": SOURCE_GROUP,
            "subscriptionId": SOURCE_SUBSCRIPTION,
            "tenantId": TENANT,
        },
        "destination": {
            "resourceGroupId": DESTINATION_GROUP,
            "subscriptionId": DESTINATION_SUBSCRIPTION,
            "tenantId": TENANT,
            "exists": True,
            "location": "westeurope",
            "workspaceId": WORKSPACE.replace(SOURCE_GROUP, DESTINATION_GROUP),
        },
        "options": {
            "createDestinationResourceGroup": False,
            "removeComputes": False,
            "removeEndpoints": False,
            "skipChecks": [],
            "includeAssociatedResources": "auto",
            "applyPrincipalId": None,
            "restoreRoleAssignments": True,
            "repairDatastores": True,
            "approvePrivateEndpoints": False,
            "recreateComputes": False,
            "recreateEndpoints": False,
            "registerProviders": False,
        },
        "resources": [WORKSPACE],
        "associatedResources": [],
        "inventory": {},
        "findings": [],
        "validation": {"status": "passed", "code": None, "message": None, "details": [], "correlationId": None},
        "roleAssignmentSnapshot": [],
        "postMove": {
            "roleAssignments": [],
            "datastores": [],
            "privateEndpointConnections": [],
            "computesToRemove": [],
            "endpointsToRemove": [],
            "restore": {
                "roleAssignments": 0,
                "datastoresRepaired": 0,
                "datastoresForPeople": 0,
                "privateEndpointConnectionsToApprove": 0,
                "privateEndpointConnectionsLeftAsTheyAre": 0,
            },
        },
        "writeLock": {"groups": [SOURCE_GROUP, DESTINATION_GROUP], "otherResources": []},
        "exports": [],
    }
    plan.update(changes)
    plan["digest"] = digest_of(plan)
    return plan


def typed(document: dict[str, Any]) -> Plan:
    """The document as load_plan returns it (its digest kept as written, so an edit after signing shows)."""
    return Plan.from_json(document)


def finding(finding_id: str, severity: str) -> dict[str, Any]:
    """One entry of plan.json's `findings`, as plan.finding_json writes it."""
    return {
        "id": finding_id,
        "severity": severity,
        "title": finding_id,
        "detail": "",
        "remediation": "",
        "resourceIds": [],
        "skipped": False,
    }


def grant(scope: str, principal_id: str, role_definition_id: str, condition: str | None = None) -> dict[str, Any]:
    """One entry of plan.json's `roleAssignmentSnapshot`, as restore.snapshot_entry writes it."""
    return {
        "id": None,
        "scope": scope,
        "newScope": scope.replace(SOURCE_GROUP, DESTINATION_GROUP),
        "roleDefinitionId": role_definition_id,
        "roleName": None,
        "principalId": principal_id,
        "principalType": "User",
        "condition": condition,
        "conditionVersion": "2.0" if condition else None,
        "description": None,
        "delegatedManagedIdentityResourceId": None,
    }
