"""Scenario builders: the realistic sample (a workspace with everything that complicates a move) and the clean one
(ready to move). The YAML files in scenarios/ are generated from these (`python -m amlmove_emulator.samples`)
and a test keeps them in sync. Tests build variants (hostile names, blockers, large workspaces) from the same parts."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import catalog

TENANT = "5a1c7e2d-3f4b-4c6d-9e8f-0a1b2c3d4e5f"
SOURCE_SUB = "a1b2c3d4-0000-4000-8000-000000000001"
DEST_SUB = "a1b2c3d4-0000-4000-8000-000000000002"
SP = {
    "clientId": "0c5d7a36-8f1e-4d2b-9a47-3b6e8c1f2d90",
    "clientSecret": "emulator-secret-not-for-production",
    "objectId": "6f0e3c1a-2b4d-4e8f-9a1c-7d5b3e2f1a08",
    "tenantId": TENANT,
    "displayName": "sp-amlmove-pipeline",
    "federatedCredentials": [
        {
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/ml-platform:environment:production",
            "audiences": ["api://AzureADTokenExchange"],
        },
        {
            "issuer": "https://vstoken.dev.azure.com/emulated-org",
            "subject": "sc://contoso/ml/amlmove-connection",
            "audiences": ["api://AzureADTokenExchange"],
        },
    ],
}
DATA_SCIENTIST = {
    "clientId": "3d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d",
    "objectId": "3d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0e",
    "tenantId": TENANT,
    "displayName": "Dana Scientist",
}
ML_READERS = {
    "clientId": "7b6a5948-3726-4150-8f9e-adbc0e1f2a3b",
    "objectId": "7b6a5948-3726-4150-8f9e-adbc0e1f2a3c",
    "tenantId": TENANT,
    "displayName": "ml-readers",
}
PROVIDERS = [
    "Microsoft.MachineLearningServices",
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.ContainerRegistry",
    "Microsoft.Insights",
    "Microsoft.OperationalInsights",
    "Microsoft.Network",
    "Microsoft.ManagedIdentity",
    "Microsoft.AlertsManagement",
    "Microsoft.Notebooks",
]
ML = "Microsoft.MachineLearningServices"
STRANGER_SUB = "f0e1d2c3-0000-4000-8000-00000000000f"  # a subscription nobody in the scenario can read
CONTAINER_CONDITION = (
    "((!(ActionMatches{{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}})) OR "
    "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals '{container}'))"
)


def group_id(sub: str, group: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}"


@dataclass
class WorkspaceScenario:
    """A builder: one source group with one workspace and its associated resources, one destination subscription."""

    source_group: str = "rg-ml-test"
    dest_group: str = "rg-ml-prod"
    workspace: str = "mlw-churn"
    location: str = "eastus"
    dest_location: str | None = "eastus"  # None: the destination group does not exist yet
    dest_tenant: str = TENANT
    dest_providers: list[str] = field(default_factory=lambda: list(PROVIDERS))
    resources: list[dict[str, Any]] = field(default_factory=list)
    principals: list[dict[str, Any]] = field(default_factory=lambda: [dict(SP), dict(DATA_SCIENTIST), dict(ML_READERS)])
    settings: dict[str, Any] = field(default_factory=dict)
    source_providers: list[str] = field(default_factory=lambda: list(PROVIDERS))

    def __post_init__(self) -> None:
        src, ws = self.source_rg, self.workspace_id
        self.add(src, {"location": self.location, "tags": {"env": "test"}})
        if self.dest_location:
            self.add(self.dest_rg, {"location": self.dest_location, "tags": {"env": "prod"}})
        for sub in (SOURCE_SUB, DEST_SUB):
            self.assign(
                f"/subscriptions/{sub}",
                catalog.OWNER,
                SP["objectId"],
                "ServicePrincipal",
                "b0000000-0000-4000-8000-00000000000" + ("1" if sub == SOURCE_SUB else "2"),
            )
        self.add(
            self.associated("storage"),
            {
                "location": self.location,
                "kind": "StorageV2",
                "sku": {"name": "Standard_LRS", "tier": "Standard"},
                "properties": {"isHnsEnabled": False, "minimumTlsVersion": "TLS1_2"},
            },
            secrets={"keys": ["c3RvcmFnZS1rZXktMS1mb3ItdGhlLWVtdWxhdG9y", "c3RvcmFnZS1rZXktMi1mb3ItdGhlLWVt"]},
        )
        self.add(
            self.associated("keyVault"),
            {
                "location": self.location,
                "properties": {
                    "tenantId": TENANT,
                    "sku": {"family": "A", "name": "standard"},
                    "enableRbacAuthorization": True,
                },
            },
        )
        self.add(
            self.associated("containerRegistry"),
            {"location": self.location, "sku": {"name": "Basic"}, "properties": {"adminUserEnabled": False}},
        )
        log = f"{src}/providers/Microsoft.OperationalInsights/workspaces/log-{self.workspace}"
        self.add(log, {"location": self.location, "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}})
        self.add(
            self.associated("applicationInsights"),
            {
                "location": self.location,
                "kind": "web",
                "properties": {"Application_Type": "web", "WorkspaceResourceId": log},
            },
        )
        self.add(
            ws,
            {
                "location": self.location,
                "kind": "Default",
                "identity": {
                    "type": "SystemAssigned",
                    "principalId": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
                    "tenantId": TENANT,
                },
                "sku": {"name": "Basic", "tier": "Basic"},
                "tags": {"team": "churn"},
                "properties": {
                    "friendlyName": self.workspace,
                    "description": "Customer churn models",
                    "storageAccount": self.associated("storage"),
                    "keyVault": self.associated("keyVault"),
                    "containerRegistry": self.associated("containerRegistry"),
                    "applicationInsights": self.associated("applicationInsights"),
                    "hbiWorkspace": False,
                    "publicNetworkAccess": "Enabled",
                    "v1LegacyMode": False,
                    "discoveryUrl": f"https://{self.location}.api.azureml.ms/discovery",
                    "mlFlowTrackingUri": f"azureml://{self.location}.api.azureml.ms/mlflow/v1.0{ws}",
                    "managedNetwork": {"isolationMode": "Disabled"},
                    "systemDatastoresAuthMode": "AccessKey",
                },
            },
        )
        self.datastore("workspaceblobstore", "AzureBlob", "AccountKey", default=True, container="azureml-blobstore")
        self.datastore("workspacefilestore", "AzureFile", "AccountKey", file_share="code-391ff5ac")
        self.datastore(
            "training-data", "AzureBlob", "None", container="training", identity="WorkspaceSystemAssignedIdentity"
        )
        self.job("quiet_river_1", "Completed")
        self.job("brave_lamp_2", "Failed")
        self.assign(
            ws,
            catalog.AZUREML_DATA_SCIENTIST,
            DATA_SCIENTIST["objectId"],
            "User",
            "c0000000-0000-4000-8000-000000000001",
        )
        self.assign(ws, catalog.READER, ML_READERS["objectId"], "Group", "c0000000-0000-4000-8000-000000000002")
        self.assign(
            self.associated("storage"),
            catalog.STORAGE_BLOB_DATA_READER,
            DATA_SCIENTIST["objectId"],
            "User",
            "c0000000-0000-4000-8000-000000000003",
        )

    # ---- ids ---------------------------------------------------------------------------------------------------
    @property
    def source_rg(self) -> str:
        return group_id(SOURCE_SUB, self.source_group)

    @property
    def dest_rg(self) -> str:
        return group_id(DEST_SUB, self.dest_group)

    @property
    def workspace_id(self) -> str:
        return f"{self.source_rg}/providers/{ML}/workspaces/{self.workspace}"

    def associated(self, kind: str) -> str:
        short = self.workspace.replace("mlw-", "").replace("-", "")
        return {
            "storage": f"{self.source_rg}/providers/Microsoft.Storage/storageAccounts/st{short}01",
            "keyVault": f"{self.source_rg}/providers/Microsoft.KeyVault/vaults/kv-{self.workspace}",
            "containerRegistry": f"{self.source_rg}/providers/Microsoft.ContainerRegistry/registries/cr{short}01",
            "applicationInsights": f"{self.source_rg}/providers/Microsoft.Insights/components/appi-{self.workspace}",
        }[kind]

    # ---- parts -------------------------------------------------------------------------------------------------
    def add(self, resource_id: str, body: dict[str, Any], secrets: dict[str, Any] | None = None) -> str:
        entry: dict[str, Any] = {"id": resource_id, "body": body}
        if secrets:
            entry["secrets"] = secrets
        self.resources.append(entry)
        return resource_id

    def assign(
        self,
        scope: str,
        role_guid: str,
        principal_id: str,
        principal_type: str,
        name: str,
        condition: str | None = None,
        description: str | None = None,
    ) -> str:
        """A role assignment at `scope` (a resource, or below one: a blob container); with an ABAC `condition`
        (conditionVersion 2.0) and a `description` when given, as 2022-04-01 bodies carry them."""
        sub = scope.split("/")[2]
        role = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
        props: dict[str, Any] = {
            "roleDefinitionId": role,
            "principalId": principal_id,
            "principalType": principal_type,
        }
        if condition:
            props["condition"], props["conditionVersion"] = condition, "2.0"
        if description:
            props["description"] = description
        return self.add(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", {"properties": props})

    def container_scope(self, container: str) -> str:
        """The scope of one blob container of the workspace's storage account (a child scope of what moves)."""
        return f"{self.associated('storage')}/blobServices/default/containers/{container}"

    def lock(self, scope: str, name: str, level: str = "ReadOnly") -> str:
        return self.add(
            f"{scope}/providers/Microsoft.Authorization/locks/{name}",
            {"properties": {"level": level, "notes": "Protected by the platform team"}},
        )

    def datastore(
        self,
        name: str,
        kind: str,
        credentials: str,
        default: bool = False,
        container: str | None = None,
        file_share: str | None = None,
        identity: str = "None",
        recorded: bool | None = None,
    ) -> str:
        """A datastore on the workspace's storage account. Like real Azure ML (Azure/azure-powershell
        Get-AzMLWorkspaceDatastore.Recording.json), only the default one records its account's subscription and group
        unless `recorded` says otherwise; the others carry null."""
        account = self.associated("storage").rsplit("/", 1)[-1]
        recorded = default if recorded is None else recorded
        props: dict[str, Any] = {
            "datastoreType": kind,
            "isDefault": default,
            "accountName": account,
            "endpoint": "core.windows.net",
            "protocol": "https",
            "subscriptionId": SOURCE_SUB if recorded else None,
            "resourceGroup": self.source_group if recorded else None,
            "serviceDataAccessAuthIdentity": identity,
            "description": f"{name} datastore",
            "tags": {},
            "properties": {},
            "credentials": {"credentialsType": credentials},
        }
        if container:
            props["containerName"] = container
        if file_share:
            props["fileShareName"] = file_share
        if credentials == "AccountKey":
            props["credentials"]["secrets"] = {"secretsType": "AccountKey", "key": "ZGF0YXN0b3JlLWFjY291bnQta2V5"}
        elif credentials == "Sas":
            props["credentials"]["secrets"] = {"secretsType": "Sas", "sasToken": f"sv=2022-11-02&sig={name}-sas"}
        elif credentials == "ServicePrincipal":
            props["credentials"].update(
                {
                    "authorityUrl": "https://login.microsoftonline.com",
                    "clientId": "5b1f0e2a-7c3d-4e8f-9a1b-2c3d4e5f6a7b",
                    "tenantId": TENANT,
                    "resourceUrl": "https://storage.azure.com/",
                }
            )
            props["credentials"]["secrets"] = {"secretsType": "ServicePrincipal", "clientSecret": f"{name}-sp-secret"}
        return self.add(f"{self.workspace_id}/datastores/{name}", {"properties": props})

    def job(self, name: str, status: str, compute: str | None = None) -> str:
        props: dict[str, Any] = {
            "jobType": "Command",
            "status": status,
            "displayName": name,
            "experimentName": "churn-training",
            "command": "python train.py",
            "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
            "isArchived": False,
            "properties": {},
            "tags": {},
            "services": {},
        }
        if compute:
            props["computeId"] = f"{self.workspace_id}/computes/{compute}"
        return self.add(f"{self.workspace_id}/jobs/{name}", {"properties": props})

    def compute(
        self, name: str, compute_type: str = "AmlCompute", state: str = "Succeeded", assigned_to: str | None = None
    ) -> str:
        inner: dict[str, Any] = {
            "vmSize": "STANDARD_DS3_V2",
            "vmPriority": "Dedicated",
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT120S"},
        }
        if compute_type == "ComputeInstance":
            inner = {"vmSize": "STANDARD_DS3_V2", "state": "Running"}
            if assigned_to:  # personalComputeInstanceSettings: the one user the instance belongs to
                inner["personalComputeInstanceSettings"] = {
                    "assignedUser": {"objectId": assigned_to, "tenantId": TENANT}
                }
        return self.add(
            f"{self.workspace_id}/computes/{name}",
            {
                "location": self.location,
                "properties": {
                    "computeType": compute_type,
                    "computeLocation": self.location,
                    "provisioningState": state,
                    "description": f"{name} compute",
                    "isAttachedCompute": False,
                    "disableLocalAuth": True,
                    "properties": inner,
                },
            },
        )

    def online_endpoint(
        self,
        name: str,
        deployments: tuple[str, ...] = ("blue",),
        traffic: dict[str, int] | None = None,
        models: dict[str, str] | None = None,
    ) -> str:
        """An online endpoint and its deployments: traffic split evenly unless given; each deployment's model is the
        workspace's churn:3 by its ARM id unless `models` names another (a registry's, say)."""
        ep = self.add(
            f"{self.workspace_id}/onlineEndpoints/{name}",
            {
                "location": self.location,
                "kind": "Managed",
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "authMode": "Key",
                    "description": f"{name} endpoint",
                    "properties": {},
                    "traffic": traffic if traffic is not None else {d: 100 // len(deployments) for d in deployments},
                    "scoringUri": f"https://{name}.{self.location}.inference.ml.azure.com/score",
                    "publicNetworkAccess": "Enabled",
                },
            },
        )
        for d in deployments:
            self.add(
                f"{ep}/deployments/{d}",
                {
                    "location": self.location,
                    "kind": "Managed",
                    "sku": {"name": "Default", "capacity": 1},
                    "properties": {
                        "endpointComputeType": "Managed",
                        "instanceType": "Standard_DS3_v2",
                        "model": (models or {}).get(d, f"{self.workspace_id}/models/churn/versions/3"),
                        "scaleSettings": {"scaleType": "Default"},
                        "description": f"{d} deployment",
                        "properties": {},
                    },
                },
            )
        return ep

    def attached_compute(self, name: str, compute_type: str, resource_id: str, inner: dict[str, Any]) -> str:
        """A compute that wraps a resource living elsewhere (isAttachedCompute: true, properties.resourceId)."""
        return self.add(
            f"{self.workspace_id}/computes/{name}",
            {
                "location": self.location,
                "properties": {
                    "computeType": compute_type,
                    "computeLocation": self.location,
                    "provisioningState": "Succeeded",
                    "description": f"{name} attached compute",
                    "isAttachedCompute": True,
                    "resourceId": resource_id,
                    "disableLocalAuth": True,
                    "properties": inner,
                },
            },
        )

    def aks_cluster(self, group: str, name: str) -> str:
        """An AKS cluster (Microsoft.ContainerService/managedClusters) in `group` of the source subscription."""
        return self.add(
            f"{group}/providers/Microsoft.ContainerService/managedClusters/{name}",
            {
                "location": self.location,
                "sku": {"name": "Base", "tier": "Free"},
                "properties": {"kubernetesVersion": "1.30.6", "dnsPrefix": name, "provisioningState": "Succeeded"},
            },
        )

    def databricks_workspace(self, group: str, name: str) -> str:
        """A Databricks workspace in `group`, not linked to the AML workspace (an attached compute uses it)."""
        return self.add(
            f"{group}/providers/Microsoft.Databricks/workspaces/{name}",
            {
                "location": self.location,
                "sku": {"name": "premium"},
                "properties": {
                    "managedResourceGroupId": f"/subscriptions/{SOURCE_SUB}/resourceGroups/{name}-managed",
                    "workspaceId": "4444444444444444",
                    "workspaceUrl": "adb-4444444444444444.4.azuredatabricks.net",
                },
            },
        )

    def batch_endpoint(self, name: str, deployments: tuple[str, ...] = ("main",), compute: str = "cpu-cluster") -> str:
        ep = self.add(
            f"{self.workspace_id}/batchEndpoints/{name}",
            {
                "location": self.location,
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "authMode": "AADToken",
                    "description": f"{name} batch endpoint",
                    "properties": {},
                    "defaults": {"deploymentName": deployments[0]},
                    "scoringUri": f"https://{name}.{self.location}.inference.ml.azure.com/jobs",
                },
            },
        )
        for d in deployments:
            self.add(
                f"{ep}/deployments/{d}",
                {
                    "location": self.location,
                    "properties": {
                        "description": f"{d} batch deployment",
                        "model": {"referenceType": "Id", "assetId": f"{self.workspace_id}/models/churn/versions/3"},
                        "compute": f"{self.workspace_id}/computes/{compute}",
                        "maxConcurrencyPerInstance": 1,
                        "miniBatchSize": 10,
                        "outputAction": "AppendRow",
                        "outputFileName": "predictions.csv",
                        "errorThreshold": -1,
                        "loggingLevel": "Info",
                        "retrySettings": {"maxRetries": 3, "timeout": "PT30S"},
                        "resources": {"instanceCount": 1},
                        "properties": {},
                    },
                },
            )
        return ep

    def serverless_endpoint(self, name: str) -> str:
        return self.add(
            f"{self.workspace_id}/serverlessEndpoints/{name}",
            {
                "location": self.location,
                "sku": {"name": "Consumption"},
                "properties": {
                    "modelSettings": {
                        "modelId": "azureml://registries/azureml-meta/models/Llama-2-7b-chat/versions/24"
                    },
                    "authMode": "Key",
                    "inferenceEndpoint": {"uri": f"https://{name}.{self.location}.models.ai.azure.com"},
                    "endpointState": "Online",
                },
            },
        )

    def shared_compute_group(self) -> str:
        """A group of the source subscription holding what attached computes wrap (it does not move)."""
        group = group_id(SOURCE_SUB, "rg-shared-compute")
        self.add(group, {"location": self.location, "tags": {"env": "shared"}})
        for ns in ("Microsoft.ContainerService", "Microsoft.Databricks"):
            if ns not in self.source_providers:
                self.source_providers.append(ns)
        return group

    def private_endpoint(
        self, name: str, target: str = "workspace", status: str = "Approved", endpoint_group: str | None = None
    ) -> str:
        """A private endpoint to the workspace (or its `storage`, `keyVault`, `containerRegistry`) and its
        connection in `status`. `endpoint_group`: the group id holding the endpoint (another subscription's, for a
        stranger's endpoint); the endpoint itself is created only in the source group."""
        linked = self.workspace_id if target == "workspace" else self.associated(target)
        group = {"workspace": "amlworkspace", "storage": "blob", "keyVault": "vault", "containerRegistry": "registry"}
        pe = f"{endpoint_group or self.source_rg}/providers/Microsoft.Network/privateEndpoints/{name}"
        if endpoint_group is None:
            self.add(
                pe,
                {
                    "location": self.location,
                    "properties": {
                        "subnet": {
                            "id": f"{self.source_rg}/providers/Microsoft.Network/virtualNetworks/vnet-ml/subnets/pe"
                        },
                        "privateLinkServiceConnections": [
                            {"name": name, "properties": {"privateLinkServiceId": linked, "groupIds": [group[target]]}}
                        ],
                    },
                },
            )
        return self.add(
            f"{linked}/privateEndpointConnections/{name}.conn-0001",
            {
                "properties": {
                    "privateEndpoint": {"id": pe},
                    "privateLinkServiceConnectionState": {
                        "status": status,
                        "description": "Auto-approved" if status == "Approved" else "Requested by its owner",
                        "actionsRequired": "None",
                    },
                }
            },
        )

    def build(self) -> dict[str, Any]:
        subs = [
            {
                "subscriptionId": SOURCE_SUB,
                "tenantId": TENANT,
                "displayName": "ml-test",
                "state": "Enabled",
                "registeredProviders": list(self.source_providers),
            },
            {
                "subscriptionId": DEST_SUB,
                "tenantId": self.dest_tenant,
                "displayName": "ml-prod",
                "state": "Enabled",
                "registeredProviders": list(self.dest_providers),
            },
        ]
        scenario: dict[str, Any] = {"subscriptions": subs, "principals": self.principals, "resources": self.resources}
        if self.settings:
            scenario["settings"] = self.settings
        return scenario


def sample() -> dict[str, Any]:
    """The realistic sample: a compute cluster, an online endpoint, a private endpoint, datastores, jobs, roles."""
    s = WorkspaceScenario(dest_location=None)
    s.compute("cpu-cluster")
    s.online_endpoint("churn-endpoint")
    s.private_endpoint("pe-mlw-churn")
    add_attached_and_batch_and_serverless(s)
    # What a restore must reproduce exactly, and what it must leave alone:
    s.assign(  # a group limited by an ABAC condition to one blob container
        s.associated("storage"),
        catalog.STORAGE_BLOB_DATA_READER,
        ML_READERS["objectId"],
        "Group",
        "c0000000-0000-4000-8000-000000000004",
        condition=CONTAINER_CONDITION.format(container="training"),
        description="ml-readers read the training container only",
    )
    s.assign(  # an assignment below the storage account: one blob container
        s.container_scope("training"),
        catalog.STORAGE_BLOB_DATA_READER,
        DATA_SCIENTIST["objectId"],
        "User",
        "c0000000-0000-4000-8000-000000000005",
        description="Dana reads the training container",
    )
    s.private_endpoint(  # a stranger's endpoint in another subscription, Pending before the move: stays Pending
        "pe-stranger", status="Pending", endpoint_group=group_id(STRANGER_SUB, "rg-elsewhere")
    )
    return s.build()


def add_attached_and_batch_and_serverless(s: WorkspaceScenario) -> None:
    """An attached Kubernetes compute with its AKS cluster and an attached Databricks compute (both wrapping
    resources in another group that stays), a batch endpoint with a deployment, a serverless endpoint."""
    shared = s.shared_compute_group()
    aks = s.aks_cluster(shared, "aks-inference")
    s.attached_compute("k8s-inference", "Kubernetes", aks, {"namespace": "azureml", "defaultInstanceType": "cpu"})
    dbw = s.databricks_workspace(shared, "dbw-features")
    s.attached_compute(
        "dbx-features", "Databricks", dbw, {"workspaceUrl": "adb-4444444444444444.4.azuredatabricks.net"}
    )
    s.batch_endpoint("churn-batch")
    s.serverless_endpoint("llama-chat")


REGISTRY_MODEL = "azureml://registries/contoso-models/models/churn/versions/4"


def add_inference(s: WorkspaceScenario) -> None:
    """What recreate-endpoints brings back (issue 18): online endpoint churn-endpoint with deployments blue (the
    workspace's model, by its ARM id) and green (a registry's model) at 90/10, online endpoint fraud-endpoint with one
    deployment, and batch endpoint churn-batch on the compute cluster cpu-cluster."""
    s.compute("cpu-cluster")
    s.online_endpoint(
        "churn-endpoint", ("blue", "green"), traffic={"blue": 90, "green": 10}, models={"green": REGISTRY_MODEL}
    )
    s.online_endpoint("fraud-endpoint", ("main",))
    s.batch_endpoint("churn-batch")


def clean() -> dict[str, Any]:
    """Ready to move: no computes, no endpoints, jobs finished, destination group present in the same region."""
    return WorkspaceScenario().build()


def write_files(folder: Path) -> list[Path]:
    out = []
    for name, builder in (("sample", sample), ("clean", clean)):
        path = folder / f"{name}.yaml"
        text = "# Generated by `python -m amlmove_emulator.samples`; edit samples.py instead.\n" + yaml.safe_dump(
            builder(), sort_keys=False, width=120
        )
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":
    for p in write_files(Path(__file__).parent / "scenarios"):
        print(p, file=sys.stderr)
