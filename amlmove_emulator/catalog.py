"""What the emulated Azure knows before any scenario: resource providers, their types and move capabilities, and the
built-in role definitions (real names and GUIDs)."""

from __future__ import annotations

from dataclasses import dataclass

MOVE_CAPS = "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation"
NO_MOVE_CAPS = "SupportsTags, SupportsLocation"


@dataclass(frozen=True)
class ProviderType:
    resource_type: str  # below the namespace, e.g. "workspaces" or "workspaces/computes"
    api_versions: tuple[str, ...]
    movable: bool = True
    tracked: bool = True  # has a location


_ML_VERSIONS = (
    "2026-07-01",
    "2025-12-01",
    "2025-10-01-preview",
    "2025-01-01-preview",
    "2024-10-01-preview",
    "2024-10-01",
    "2024-07-01-preview",
    "2024-04-01-preview",
    "2024-04-01",
    "2024-01-01-preview",
    "2023-10-01",
    "2023-08-01-preview",
    "2023-04-01-preview",
    "2023-04-01",
    "2022-02-01-preview",
)
_ML_CHILD = (
    "computes",
    "onlineEndpoints",
    "onlineEndpoints/deployments",
    "batchEndpoints",
    "batchEndpoints/deployments",
    "serverlessEndpoints",
    "jobs",
    "datastores",
    "privateEndpointConnections",
    "labelingJobs",
    "schedules",
    "connections",
    "models",
    "environments",
    "data",
    "codes",
    "components",
)

_STORAGE_VERSIONS = ("2025-01-01", "2024-01-01", "2023-05-01", "2023-01-01")
_KEYVAULT_VERSIONS = ("2024-11-01", "2023-07-01", "2022-07-01")
_REGISTRY_VERSIONS = ("2025-04-01", "2023-07-01", "2023-01-01-preview")
# Private link resources (besides the workspace) whose GET body carries properties.privateEndpointConnections.
PRIVATE_LINK_TYPES = (
    "microsoft.storage/storageaccounts",
    "microsoft.keyvault/vaults",
    "microsoft.containerregistry/registries",
)

PROVIDERS: dict[str, tuple[ProviderType, ...]] = {
    "Microsoft.MachineLearningServices": (
        ProviderType("workspaces", _ML_VERSIONS),
        *(ProviderType(f"workspaces/{c}", _ML_VERSIONS, movable=False, tracked=False) for c in _ML_CHILD),
        ProviderType("registries", _ML_VERSIONS, movable=False),
    ),
    "Microsoft.Storage": (
        ProviderType("storageAccounts", _STORAGE_VERSIONS),
        ProviderType("storageAccounts/privateEndpointConnections", _STORAGE_VERSIONS, movable=False, tracked=False),
    ),
    "Microsoft.KeyVault": (
        ProviderType("vaults", _KEYVAULT_VERSIONS),
        ProviderType("vaults/privateEndpointConnections", _KEYVAULT_VERSIONS, movable=False, tracked=False),
    ),
    "Microsoft.ContainerRegistry": (
        ProviderType("registries", _REGISTRY_VERSIONS),
        ProviderType("registries/privateEndpointConnections", _REGISTRY_VERSIONS, movable=False, tracked=False),
    ),
    "Microsoft.Insights": (
        ProviderType("components", ("2020-02-02", "2015-05-01")),
        ProviderType("actionGroups", ("2023-01-01", "2022-06-01")),
        ProviderType("metricAlerts", ("2018-03-01",), movable=False),
    ),
    "Microsoft.OperationalInsights": (ProviderType("workspaces", ("2025-02-01", "2023-09-01", "2022-10-01")),),
    "Microsoft.AlertsManagement": (ProviderType("smartDetectorAlertRules", ("2021-04-01", "2019-06-01")),),
    "Microsoft.Databricks": (
        ProviderType("workspaces", ("2024-05-01", "2023-02-01", "2018-04-01"), movable=False),
        ProviderType("accessConnectors", ("2024-05-01",), movable=False),
    ),
    "Microsoft.Network": (
        ProviderType("privateEndpoints", ("2024-05-01", "2023-11-01", "2023-09-01"), movable=False),
        ProviderType("virtualNetworks", ("2024-05-01", "2023-11-01", "2023-09-01")),
        ProviderType("privateDnsZones", ("2024-06-01", "2020-06-01")),
    ),
    "Microsoft.ManagedIdentity": (ProviderType("userAssignedIdentities", ("2024-11-30", "2023-01-31"), movable=False),),
    "Microsoft.Notebooks": (ProviderType("NotebookProxies", ("2019-10-11-preview",), movable=False),),
    "Microsoft.ContainerService": (ProviderType("managedClusters", ("2025-01-01", "2024-09-01")),),
}

# Namespaces every subscription has, registered or not (Microsoft.Resources and Authorization are always registered).
ALWAYS_REGISTERED = ("Microsoft.Resources", "Microsoft.Authorization")

# Real built-in role definitions (ids are the public GUIDs).
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"


@dataclass(frozen=True)
class RoleDefinition:
    guid: str
    role_name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()


BUILT_IN_ROLES: dict[str, RoleDefinition] = {
    r.guid: r
    for r in (
        RoleDefinition(
            OWNER,
            "Owner",
            "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
            ("*",),
        ),
        RoleDefinition(
            CONTRIBUTOR,
            "Contributor",
            "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
            ("*",),
            (
                "Microsoft.Authorization/*/Delete",
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action",
                "Microsoft.Blueprint/blueprintAssignments/write",
                "Microsoft.Blueprint/blueprintAssignments/delete",
                "Microsoft.Compute/galleries/share/action",
                "Microsoft.Purview/consents/write",
                "Microsoft.Purview/consents/delete",
            ),
        ),
        RoleDefinition(
            READER, "Reader", "View all resources, but does not allow you to make any changes.", ("*/read",)
        ),
        RoleDefinition(
            USER_ACCESS_ADMINISTRATOR,
            "User Access Administrator",
            "Lets you manage user access to Azure resources.",
            ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
        ),
        RoleDefinition(
            RBAC_ADMINISTRATOR,
            "Role Based Access Control Administrator",
            "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to "
            "manage access using other ways, such as Azure Policy.",
            (
                "Microsoft.Authorization/roleAssignments/write",
                "Microsoft.Authorization/roleAssignments/delete",
                "*/read",
                "Microsoft.Support/*",
            ),
        ),
        RoleDefinition(
            AZUREML_DATA_SCIENTIST,
            "AzureML Data Scientist",
            "Can perform all actions within an Azure Machine Learning workspace, except for creating or deleting "
            "compute resources and modifying the workspace itself.",
            (
                "Microsoft.MachineLearningServices/workspaces/*/read",
                "Microsoft.MachineLearningServices/workspaces/*/action",
                "Microsoft.MachineLearningServices/workspaces/*/delete",
                "Microsoft.MachineLearningServices/workspaces/*/write",
            ),
            (
                "Microsoft.MachineLearningServices/workspaces/delete",
                "Microsoft.MachineLearningServices/workspaces/write",
                "Microsoft.MachineLearningServices/workspaces/computes/*/write",
                "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
                "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action",
                "Microsoft.MachineLearningServices/workspaces/listKeys/action",
                "Microsoft.MachineLearningServices/workspaces/hubs/write",
                "Microsoft.MachineLearningServices/workspaces/hubs/delete",
                "Microsoft.MachineLearningServices/workspaces/featurestores/write",
                "Microsoft.MachineLearningServices/workspaces/featurestores/delete",
            ),
        ),
        RoleDefinition(
            STORAGE_BLOB_DATA_READER,
            "Storage Blob Data Reader",
            "Read and list Azure Storage containers and blobs.",
            (
                "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ),
            (),
            ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",),
        ),
    )
}


def provider_type(resource_type: str) -> ProviderType | None:
    """Look up `Namespace/type[/child]` case-insensitively."""
    ns, _, rest = resource_type.partition("/")
    for namespace, types in PROVIDERS.items():
        if namespace.lower() == ns.lower():
            for t in types:
                if t.resource_type.lower() == rest.lower():
                    return t
    return None


def canonical_namespace(namespace: str) -> str:
    for known in (*PROVIDERS, *ALWAYS_REGISTERED):
        if known.lower() == namespace.lower():
            return known
    return namespace
