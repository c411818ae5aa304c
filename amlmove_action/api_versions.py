"""Every ARM api-version amlmove sends, in one place. Each is a version the vendored specs (tests/specs) document for
the operation; the azure-mgmt clients send their own (RESOURCES_API, SUBSCRIPTIONS_API, LOCKS_API are what those
clients send, for the reads discovery makes directly)."""

from __future__ import annotations

ML_API = "2024-10-01"  # Microsoft.MachineLearningServices: the workspace and its children (computes, endpoints, …)
LABELING_API = "2024-04-01-preview"
DATABRICKS_API = "2024-05-01"
AUTHZ_API = "2022-04-01"  # Microsoft.Authorization: role assignments and definitions
STORAGE_API = "2023-05-01"
KEYVAULT_API = "2023-07-01"
REGISTRY_API = "2023-07-01"
INSIGHTS_API = "2020-02-02"
RESOURCES_API = "2025-04-01"  # what azure-mgmt-resource's ResourceManagementClient sends
SUBSCRIPTIONS_API = "2022-12-01"
LOCKS_API = "2020-05-01"

# The associated resources discovery reads, by type.
ASSOCIATED_API = {
    "microsoft.storage/storageaccounts": STORAGE_API,
    "microsoft.keyvault/vaults": KEYVAULT_API,
    "microsoft.containerregistry/registries": REGISTRY_API,
    "microsoft.insights/components": INSIGHTS_API,
}
# The private link resources whose connections apply approves again, with the api-version it lists/PUTs them in.
PE_API = {
    "microsoft.machinelearningservices/workspaces": ML_API,
    "microsoft.storage/storageaccounts": STORAGE_API,
    "microsoft.keyvault/vaults": KEYVAULT_API,
    "microsoft.containerregistry/registries": REGISTRY_API,
}
