"""Checks on kinds of workspace the documented move procedure does not cover: hubs, projects, feature stores."""

from __future__ import annotations

from ..inventory import Inventory, WorkspaceKind
from .findings import Finding, Severity
from .registry import CheckSpec, registered
from .resource_names import name_of
from .what_moves import Selection
from .wording import destination_fields

HUB_WORKSPACE = CheckSpec(
    "hub-workspace",
    Severity.BLOCKER,
    "The workspace is a hub",
    "Not supported by the documented move procedure: keep hub {workspace} where it is, or create a new hub in the "
    "destination (az ml workspace create --kind hub --resource-group {destination_group} "
    "--subscription {destination_subscription} --name <new-hub>) and recreate its projects there",
)


@registered(HUB_WORKSPACE)
def find_hub(inventory: Inventory, selection: Selection) -> list[Finding]:
    if inventory.workspace.kind != WorkspaceKind.HUB:
        return []
    detail = "Hub workspaces (kind Hub) are not covered by the AML move documentation; their projects point at them."
    command = HUB_WORKSPACE.fill(workspace=inventory.workspace.name, **destination_fields(inventory))
    return [HUB_WORKSPACE.finding(detail, [command], [inventory.workspace.id])]


PROJECT_WORKSPACE = CheckSpec(
    "project-workspace",
    Severity.BLOCKER,
    "The workspace is a project of a hub",
    "Not supported by the documented move procedure: keep project {workspace} with its hub {hub}, or recreate it "
    "under a hub in the destination",
    prose=True,
)


@registered(PROJECT_WORKSPACE)
def find_project(inventory: Inventory, selection: Selection) -> list[Finding]:
    workspace = inventory.workspace
    if workspace.kind != WorkspaceKind.PROJECT and not workspace.hub_resource_id:
        return []
    hub = name_of(workspace.hub_resource_id) if workspace.hub_resource_id else "(unknown hub)"
    detail = f"Project workspaces live under a hub ({hub}) and are not covered by the AML move documentation."
    ids = [workspace.id, *([workspace.hub_resource_id] if workspace.hub_resource_id else [])]
    return [PROJECT_WORKSPACE.finding(detail, [PROJECT_WORKSPACE.fill(workspace=workspace.name, hub=hub)], ids)]


FEATURE_STORE_WORKSPACE = CheckSpec(
    "feature-store-workspace",
    Severity.WARNING,
    "The workspace is a feature store",
    "Disable materialization for each feature set in {workspace} before approving, and check the dry run passed",
    prose=True,
)


@registered(FEATURE_STORE_WORKSPACE)
def find_feature_store(inventory: Inventory, selection: Selection) -> list[Finding]:
    if inventory.workspace.kind != WorkspaceKind.FEATURE_STORE:
        return []
    detail = (
        "Feature stores (kind FeatureStore) are not covered by the AML move documentation; the offline and online "
        "store connections keep pointing at their current resources."
    )
    command = FEATURE_STORE_WORKSPACE.fill(workspace=inventory.workspace.name)
    return [FEATURE_STORE_WORKSPACE.finding(detail, [command], [inventory.workspace.id])]
