"""The Azure clouds amlmove knows by name, in one table: ARM endpoint, Entra authority host and the audience Entra
expects in a federated (workload identity) token. `cloud: custom` brings its own endpoints and gets the public
audience unless `audience` says otherwise.

Endpoints: `az cloud show` for each cloud. Audiences: learn.microsoft.com/entra/workload-id/
workload-identity-federation-config-app-trust-managed-identity ("Microsoft Entra ID global service:
api://AzureADTokenExchange; US Government: api://AzureADTokenExchangeUSGov; China operated by 21Vianet:
api://AzureADTokenExchangeChina"). azure-ai-ml's own static table (`_azure_environments`) knows the same three names.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC_FEDERATION_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class NamedCloud:
    name: str  # the `cloud` input's value (and azure-ai-ml's / az's cloud name)
    arm_endpoint: str  # https://host, no trailing slash
    authority_host: str  # https://host, no trailing slash
    federation_audience: str


NAMED_CLOUDS: tuple[NamedCloud, ...] = (
    NamedCloud(
        "AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com", PUBLIC_FEDERATION_AUDIENCE
    ),
    NamedCloud(
        "AzureChinaCloud",
        "https://management.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
        "api://AzureADTokenExchangeChina",
    ),
    NamedCloud(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
        "api://AzureADTokenExchangeUSGov",
    ),
)


def federation_audience_of(authority_host: str) -> str:
    """The token-exchange audience of the named cloud signing in at `authority_host`; the public one for any other
    host (a custom cloud)."""
    host = authority_host.rstrip("/").lower()
    return next((c.federation_audience for c in NAMED_CLOUDS if c.authority_host == host), PUBLIC_FEDERATION_AUDIENCE)
