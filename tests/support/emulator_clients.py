"""Helpers shared by the tests/emulator/test_*.py modules (no tests here): the real Azure SDK clients aimed at an
emulator (base_url, credential_scopes and the emulator's CA, as `SdkClients` in tests/conftest.py), signed in through
the emulator's Entra ID with a real azure-identity credential, plus scenario builders for the states the emulator tests
need."""

from __future__ import annotations

import copy
import os
from typing import Any

from amlmove_emulator import catalog, samples
from amlmove_emulator.control import EmulatorProcess

ARM_SCOPE = "https://management.azure.com/.default"
ML = "Microsoft.MachineLearningServices"
LABELING_API = "2024-04-01-preview"
GITHUB_REQUEST_TOKEN = "emulated-github-oidc-request-token"
ML_CLOUD_ENV = "AZUREML_CURRENT_CLOUD"


def credential(emu: EmulatorProcess, secret: str | None = None, **kwargs: Any):
    """A real ClientSecretCredential for the scenario's default principal, authority = the emulator."""
    from azure.identity import ClientSecretCredential

    info = emu.info
    return ClientSecretCredential(
        info["tenantId"],
        info["clientId"],
        info["clientSecret"] if secret is None else secret,
        authority=emu.url,
        disable_instance_discovery=True,
        connection_verify=str(emu.ca_file),
        **kwargs,
    )


def product_clients(emu: EmulatorProcess) -> Any:
    """amlmove's own `azure.Clients` (the product's pipeline, retries and pollers) aimed at the emulator, signed in as
    the scenario's default principal: for tests that drive one product step in process."""
    from amlmove_action.azure import Clients, Cloud

    cloud = Cloud("custom", emu.url, emu.url, custom=True)
    return Clients(credential(emu), cloud, connection_verify=str(emu.ca_file))


def client_kwargs(emu: EmulatorProcess, **extra: Any) -> dict[str, Any]:
    return {
        "base_url": emu.url,
        "credential_scopes": [ARM_SCOPE],
        "connection_verify": str(emu.ca_file),
        **extra,
    }


def resources(emu: EmulatorProcess, sub: str = samples.SOURCE_SUB, cred=None, **extra: Any):
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(cred or credential(emu), sub, **client_kwargs(emu, **extra))


def subscriptions(emu: EmulatorProcess, cred=None, **extra: Any):
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    return SubscriptionClient(cred or credential(emu), **client_kwargs(emu, **extra))


def locks(emu: EmulatorProcess, sub: str = samples.SOURCE_SUB, cred=None, **extra: Any):
    from azure.mgmt.resource.locks import ManagementLockClient

    return ManagementLockClient(cred or credential(emu), sub, **client_kwargs(emu, **extra))


def authorization(emu: EmulatorProcess, sub: str = samples.SOURCE_SUB, cred=None, **extra: Any):
    from azure.mgmt.authorization import AuthorizationManagementClient

    # AuthorizationManagementClient's third positional parameter is api_version, so base_url goes by keyword.
    return AuthorizationManagementClient(cred or credential(emu), sub, **client_kwargs(emu, **extra))


def ml_client(emu: EmulatorProcess, group: str, workspace: str | None, sub: str = samples.SOURCE_SUB, cred=None):
    from azure.ai.ml import MLClient

    metadata = {
        "azure_portal": "https://portal.azure.com/",
        "resource_manager": emu.url + "/",
        "active_directory": emu.url,
        "aml_resource_id": "https://ml.azure.com/",
        "storage_endpoint": "core.windows.net",
        "registry_discovery_endpoint": emu.url + "/",
    }
    before = os.environ.get(ML_CLOUD_ENV)
    try:
        return MLClient(
            cred or credential(emu),
            sub,
            group,
            workspace,
            cloud="AzureEmulator",
            cloud_metadata=metadata,
            connection_verify=str(emu.ca_file),
        )
    finally:  # MLClient records the cloud in os.environ, which every later subprocess would inherit
        if before is None:
            os.environ.pop(ML_CLOUD_ENV, None)
        else:
            os.environ[ML_CLOUD_ENV] = before


def send(client, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None):
    """One request through a real client's pipeline (bearer token, retries); the response is not raised."""
    from azure.core.rest import HttpRequest

    return client.send_request(HttpRequest(method, url, json=body, headers=headers))


def requests_since(emu: EmulatorProcess, mark: int) -> list[dict[str, Any]]:
    return emu.requests()[mark:]


def find(scenario: dict[str, Any], resource_id: str) -> dict[str, Any]:
    return next(r for r in scenario["resources"] if r["id"].lower() == resource_id.lower())


def rich_workspace(**kwargs: Any) -> samples.WorkspaceScenario:
    """A workspace with every child type the emulator serves and every blocker's resource, each in a state that
    does not block unless a test says so (no computes or endpoints: those always block)."""
    s = samples.WorkspaceScenario(**kwargs)
    s.private_endpoint("pe-mlw-churn")
    for i in range(5):
        s.job(f"finished_job_{i}", "Completed")
    s.add(
        f"{s.workspace_id}/labelingJobs/label-done",
        {"properties": labeling_job_properties("Completed")},
    )
    return s


def labeling_job_properties(status: str) -> dict[str, Any]:
    return {
        "jobType": "Labeling",
        "status": status,
        "displayName": "pet images",
        "description": "labeling project",
        "labelCategories": {},
        "jobInstructions": {"uri": "https://contoso.com/instructions.md"},
        "labelingJobMediaProperties": {"mediaType": "Image"},
        "createdDateTime": "2024-01-01T00:00:00Z",
        "properties": {},
        "tags": {},
    }


def batch_endpoint(s: samples.WorkspaceScenario, name: str) -> str:
    return s.add(
        f"{s.workspace_id}/batchEndpoints/{name}",
        {
            "location": s.location,
            "kind": "Batch",
            "identity": {"type": "SystemAssigned"},
            "properties": {
                "authMode": "AADToken",
                "description": f"{name} batch endpoint",
                "properties": {},
                "scoringUri": f"https://{name}.{s.location}.inference.ml.azure.com/jobs",
                "defaults": {"deploymentName": "default"},
            },
        },
    )


def serverless_endpoint(s: samples.WorkspaceScenario, name: str) -> str:
    return s.add(
        f"{s.workspace_id}/serverlessEndpoints/{name}",
        {
            "location": s.location,
            "sku": {"name": "Consumption"},
            "properties": {
                "authMode": "Key",
                "modelSettings": {"modelId": "azureml://registries/azureml-meta/models/Llama-2-7b/versions/19"},
                "inferenceEndpoint": {"uri": f"https://{name}.{s.location}.models.ai.azure.com"},
                "endpointState": "Online",
            },
        },
    )


def databricks(s: samples.WorkspaceScenario, name: str, linked_to: str | None) -> str:
    props: dict[str, Any] = {
        "managedResourceGroupId": samples.group_id(samples.SOURCE_SUB, f"databricks-rg-{name}"),
        "workspaceUrl": f"adb-1234567890.{name}.azuredatabricks.net",
        "workspaceId": "1234567890",
    }
    if linked_to is not None:
        props["parameters"] = {"amlWorkspaceId": {"type": "String", "value": linked_to}}
    return s.add(
        f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/{name}",
        {"location": s.location, "sku": {"name": "premium"}, "properties": props},
    )


def reader_scenario() -> tuple[dict[str, Any], dict[str, Any]]:
    """The clean scenario with a second principal that is only Reader on the subscriptions; (scenario, principal)."""
    s = samples.WorkspaceScenario()
    reader = {
        "clientId": "5e5e5e5e-0000-4000-8000-00000000aaaa",
        "clientSecret": "reader-secret",
        "objectId": "5e5e5e5e-0000-4000-8000-00000000bbbb",
        "tenantId": samples.TENANT,
        "displayName": "reader-sp",
    }
    s.principals.append(reader)
    for i, sub in enumerate((samples.SOURCE_SUB, samples.DEST_SUB), start=1):
        name = f"d0000000-0000-4000-8000-00000000000{i}"
        s.assign(f"/subscriptions/{sub}", catalog.READER, reader["objectId"], "ServicePrincipal", name)
    return s.build(), copy.deepcopy(reader)
