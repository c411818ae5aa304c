"""What apply restores after the move, decided exactly (pure functions, shared by plan and apply so the plan's counts
are what apply does): the role-assignment snapshot and its mapped scopes, which datastores are repaired and how,
which private endpoint connections are approved again, and the new names of recreated compute instances."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from . import ids
from . import inventory as inv
from .ids import mapped_scope, role_guid

# --- role assignments --------------------------------------------------------------------------------------------


def snapshot_entry(a: inv.RoleAssignment, new_scope: str) -> dict[str, Any]:
    """One assignment of the plan's `roleAssignmentSnapshot`: everything a restore reproduces."""
    return {
        "id": a.id,
        "scope": a.scope,
        "newScope": new_scope,
        "roleDefinitionId": a.role_definition_id,
        "roleName": a.role_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "condition": a.condition,
        "conditionVersion": a.condition_version,
        "description": a.description,
        "delegatedManagedIdentityResourceId": a.delegated_managed_identity_resource_id,
    }


def assignment_key(principal_id: str, role_definition_id: str, condition: str | None) -> tuple[str, str, str]:
    """What makes two assignments at one scope the same grant: principal, role and condition."""
    return (principal_id.lower(), role_guid(role_definition_id).lower(), (condition or "").strip())


def restore_body(entry: dict[str, Any], dest_subscription: str, renames: dict[str, str]) -> dict[str, Any]:
    """The RoleAssignments_Create body reproducing `entry` (principal, type, role, condition, conditionVersion,
    description, delegated managed identity) in the destination subscription."""
    props: dict[str, Any] = {
        "roleDefinitionId": f"/subscriptions/{dest_subscription}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{role_guid(entry['roleDefinitionId'])}",
        "principalId": entry["principalId"],
        "principalType": entry.get("principalType") or "User",
    }
    for key in ("description", "condition", "conditionVersion"):
        if entry.get(key):
            props[key] = entry[key]
    delegated = entry.get("delegatedManagedIdentityResourceId")
    if delegated:
        props["delegatedManagedIdentityResourceId"] = mapped_scope(delegated, renames) or delegated
    return {"properties": props}


# --- datastores --------------------------------------------------------------------------------------------------

# Decision (README "Datastores"): real Azure ML returns subscriptionId/resourceGroup null on every datastore but the
# default one (Azure/azure-powershell Get-AzMLWorkspaceDatastore.Recording.json); Microsoft's docs give no fallback
# for a null. A null names no location, so it is "not recorded": on a moved account apply writes the account's new
# subscription and group explicitly, which is right however Azure ML resolves a null.
LIST_SECRETS_ACTION = "Microsoft.MachineLearningServices/workspaces/datastores/listSecrets/action"
SECRET_FIELDS = {  # credentialsType → (secrets field of DatastoreSecrets, azure-ai-ml YAML field)
    "AccountKey": ("key", "account_key"),
    "Sas": ("sasToken", "sas_token"),
    "ServicePrincipal": ("clientSecret", "client_secret"),
    "Certificate": ("certificate", "certificate"),
}
READ_ONLY_DATASTORE_FIELDS = ("isDefault", "provisioningState")


def needs_repair(
    subscription_id: str | None,
    resource_group: str | None,
    account_name: str | None,
    moved_accounts: Iterable[str],
    dest: ids.ResourceId,
) -> bool:
    """A datastore on a moved storage account that does not name the account's new subscription and group (stale
    values, or null ones)."""
    if not account_name or account_name.lower() not in {a.lower() for a in moved_accounts}:
        return False
    return not (
        (subscription_id or "").lower() == dest.subscription_id.lower()
        and (resource_group or "").lower() == (dest.resource_group or "").lower()
    )


def repair_kind(credentials_type: str, may_list_secrets: bool) -> str:
    """update-in-place (identity-based: no secret), recreate-with-secret (its own secret, read with listSecrets),
    or manual (a secret the caller may not read: people re-enter it)."""
    if credentials_type.lower() == "none":
        return "update-in-place"
    return "recreate-with-secret" if may_list_secrets and credentials_type in SECRET_FIELDS else "manual"


def datastore_put_body(
    properties: dict[str, Any], secrets: dict[str, Any] | None, dest: ids.ResourceId
) -> dict[str, Any]:
    """The datastore PUT body: its own properties with the new subscription and group, its own credential (the secret
    listSecrets returned, same kind), no read-only field."""
    props = {k: v for k, v in properties.items() if k not in READ_ONLY_DATASTORE_FIELDS}
    creds = dict(props.get("credentials") or {"credentialsType": "None"})
    creds.pop("secrets", None)
    if secrets:
        creds["secrets"] = secrets
    props["credentials"] = creds
    props["subscriptionId"] = dest.subscription_id
    props["resourceGroup"] = dest.resource_group
    return {"properties": props}


def datastore_command(name: str, credentials_type: str, workspace: str, dest: ids.ResourceId) -> str:
    """The exact command that finishes a datastore by hand (its secret re-entered)."""
    secret = SECRET_FIELDS.get(credentials_type)
    extra = f" credentials.{secret[1]}=<the datastore's {credentials_type} secret>" if secret else ""
    return (
        f"az ml datastore update --name {name} --workspace-name {workspace} --resource-group {dest.resource_group} "
        f"--subscription {dest.subscription_id} --set subscription_id={dest.subscription_id} "
        f"resource_group={dest.resource_group}{extra}"
    )


# --- private endpoint connections --------------------------------------------------------------------------------


def approve_again(before_status: str | None, now_status: str) -> bool:
    """Approve a connection again only when it was Approved before the move and is not now (Pending or
    Disconnected): never one that was not Approved before (a stranger's Pending one stays Pending)."""
    return (before_status or "").lower() == "approved" and now_status.lower() != "approved"


# --- compute instances -------------------------------------------------------------------------------------------

NAME_RULE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{2,23}$")


def new_instance_name(name: str) -> str:
    """A compute instance's name after the move (reusing the old one fails with an Etag conflict, Microsoft's known
    issue): `{name}-m{4 hex}` (hash of the old name, so a re-run picks the same one), the old name cut to fit Azure
    ML's rule (3–24 characters, letters, digits and hyphens, starting with a letter)."""
    suffix = "-m" + hashlib.sha256(name.lower().encode()).hexdigest()[:4]
    base = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-") or "ci"
    if not base[0].isalpha():
        base = "ci" + base
    base = base[: 24 - len(suffix)].rstrip("-")
    return base + suffix
