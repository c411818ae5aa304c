"""Sign-in and Azure clients: the credential chain (GitHub OIDC, Azure Pipelines, federated token file, client
secret, Azure CLI), the cloud's endpoints, and the azure-mgmt clients built on them. Nothing here decides anything
about a move; it only gives the rest of the tool authenticated, retrying, throttling-aware clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from . import __version__
from .azure_errors import SdkError, response_error, sdk_error
from .clouds import NAMED_CLOUDS, PUBLIC_FEDERATION_AUDIENCE, federation_audience_of
from .errors import AzureError, SignInError

_Client = TypeVar("_Client")

if TYPE_CHECKING:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.resource.locks import ManagementLockClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient

AUTH_AUTO, AUTH_MANAGED_IDENTITY = "auto", "managed-identity"


def federation_audience(cloud: Cloud, audience: str | None = None) -> str:
    """The `audience` input when given, else the cloud's token-exchange audience."""
    return audience or federation_audience_of(cloud.authority_host)


@dataclass(frozen=True)
class Cloud:
    name: str
    arm_endpoint: str  # no trailing slash
    authority_host: str  # https://host, no trailing slash
    custom: bool = False

    @property
    def scope(self) -> str:
        return self.arm_endpoint + "/.default"


@dataclass(frozen=True)
class SignIn:
    """Which credential the chain picked, in words for the log (never a secret)."""

    method: str
    credential: Any


def build_credential(
    *,
    client_id: str | None,
    tenant_id: str | None,
    cloud: Cloud,
    env: Mapping[str, str],
    on_secret: Callable[[str], None] = lambda _s: None,
    auth: str = AUTH_AUTO,
    audience: str | None = None,
) -> SignIn:
    """The credential chain, first match wins; `on_secret` is called with every secret seen (to mask it).

    `auth: managed-identity` is the only way to a managed identity: the chain below never tries one, so a job on an
    Azure VM cannot silently sign in as the VM when its federated sign-in is misconfigured."""
    from azure.identity import (
        AzureCliCredential,
        AzurePipelinesCredential,
        ClientAssertionCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
        WorkloadIdentityCredential,
    )

    if auth == AUTH_MANAGED_IDENTITY:
        # azure-identity picks the hosting environment's endpoint from the process environment (App Service style
        # IDENTITY_ENDPOINT + IDENTITY_HEADER, Azure Arc, ...; otherwise the VM's IMDS). client_id selects a
        # user-assigned identity; without it, the system-assigned one.
        chosen_id = client_id or None
        return SignIn(
            f"managed identity ({'user-assigned ' + chosen_id if chosen_id else 'system-assigned'})",
            ManagedIdentityCredential(client_id=chosen_id) if chosen_id else ManagedIdentityCredential(),
        )

    common: dict[str, Any] = {"authority": cloud.authority_host}
    if cloud.custom:
        common["disable_instance_discovery"] = True
    client_id = client_id or env.get("AZURE_CLIENT_ID") or None
    tenant_id = tenant_id or env.get("AZURE_TENANT_ID") or None

    def need_ids(method: str) -> tuple[str, str]:
        if not client_id or not tenant_id:
            raise SignInError(
                method,
                "client-id and tenant-id are required for this sign-in method",
                "Set the client-id and tenant-id inputs (the app registration or managed identity "
                "that has the federated credential)",
            )
        return client_id, tenant_id

    if env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        cid, tid = need_ids("GitHub OIDC")
        fetch = GitHubOidc(
            env["ACTIONS_ID_TOKEN_REQUEST_URL"],
            env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
            on_secret,
            federation_audience(cloud, audience),
        )
        on_secret(env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
        return SignIn(
            "GitHub OIDC (workload identity federation)", ClientAssertionCredential(tid, cid, fetch, **common)
        )
    if env.get("SYSTEM_OIDCREQUESTURI") and env.get("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"):
        cid, tid = need_ids("Azure Pipelines workload identity")
        token = env.get("SYSTEM_ACCESSTOKEN", "")
        if not token:
            raise SignInError(
                "Azure Pipelines workload identity",
                "SYSTEM_ACCESSTOKEN is not set",
                "Map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)",
            )
        on_secret(token)
        return SignIn(
            "Azure Pipelines service connection (workload identity federation)",
            AzurePipelinesCredential(
                tenant_id=tid,
                client_id=cid,
                service_connection_id=env["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"],
                system_access_token=token,
                **common,
            ),
        )
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        cid, tid = need_ids("federated token file")
        return SignIn(
            "federated token file (AZURE_FEDERATED_TOKEN_FILE)",
            WorkloadIdentityCredential(
                tenant_id=tid, client_id=cid, token_file_path=env["AZURE_FEDERATED_TOKEN_FILE"], **common
            ),
        )
    if env.get("AZURE_CLIENT_SECRET"):
        cid, tid = need_ids("client secret")
        on_secret(env["AZURE_CLIENT_SECRET"])
        return SignIn(
            "client secret (AZURE_CLIENT_SECRET)",
            ClientSecretCredential(tid, cid, env["AZURE_CLIENT_SECRET"], **common),
        )
    return SignIn(
        "Azure CLI (az login)", AzureCliCredential(tenant_id=tenant_id) if tenant_id else AzureCliCredential()
    )


class GitHubOidc:
    """Fetches a fresh GitHub Actions OIDC token on every call (ClientAssertionCredential calls it per token)."""

    def __init__(
        self,
        request_url: str,
        request_token: str,
        on_secret: Callable[[str], None],
        audience: str = PUBLIC_FEDERATION_AUDIENCE,
    ) -> None:
        self.request_url, self.request_token, self.on_secret = request_url, request_token, on_secret
        self.audience = audience

    def __call__(self) -> str:
        import requests

        sep = "&" if "?" in self.request_url else "?"
        url = f"{self.request_url}{sep}audience={quote(self.audience, safe='')}"
        try:
            reply = requests.get(
                url,
                headers={
                    "Authorization": f"Bearer {self.request_token}",
                    "Accept": "application/json; api-version=2.0",
                },
                timeout=30,
            )
        except requests.RequestException as exc:
            raise SignInError(
                "GitHub OIDC",
                f"the runner's token endpoint did not answer ({type(exc).__name__})",
                "Re-run the job; if it persists, check the runner's network",
            ) from None
        if reply.status_code != 200:
            raise SignInError(
                "GitHub OIDC",
                f"the runner refused the ID token request (HTTP {reply.status_code})",
                "Give the job `permissions: id-token: write`",
            ) from None
        try:
            token = str(reply.json()["value"])
        except (ValueError, KeyError, TypeError):
            raise SignInError("GitHub OIDC", "the runner's reply has no token", "Re-run the job") from None
        self.on_secret(token)
        return token


def token_claims(credential: Any, scope: str) -> dict[str, Any]:
    """Get a token once (fail early, with a clear message) and return its non-secret claims (tid, oid, appid)."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        token = credential.get_token(scope).token
    except ClientAuthenticationError as exc:
        raise SignInError(
            type(credential).__name__,
            _first_line(str(exc.message or exc)),
            "Check client-id, tenant-id and the federated credential's subject (issuer, subject and "
            "audience must match exactly)",
        ) from None
    claims = unverified_claims(token)
    return {k: claims.get(k) for k in ("tid", "oid", "appid", "aud") if k in claims}


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, not verified (only for messages); {} for an opaque token. Base64 and JSON by hand:
    importing PyJWT (and through it cryptography) cost ~75 ms of every run's start."""
    import base64

    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except Exception:  # noqa: BLE001 - an opaque token is fine; claims are only for messages
        return {}
    return claims if isinstance(claims, dict) else {}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no detail"


# azure-core retries a throttled or failing request only 3 times (retry_status) by default; ARM throttles in storms
# (token bucket per identity) and always says how long to wait (Retry-After), so allow more tries: a run that can
# take hours should not die on the 4th 429 of one read. Without Retry-After the backoff stays bounded (≤ 30 s each).
RETRY_POLICY = {"retry_total": 15, "retry_status": 8, "retry_backoff_max": 30}
# Prepended to every client's User-Agent (the management clients, the raw ARM pipeline, azure-ai-ml's MLClient): Azure
# support can tell amlmove's calls apart, and the test suite checks exactly these requests against Microsoft's specs.
USER_AGENT = f"amlmove/{__version__}"


class Clients:
    """The azure-mgmt clients for one run, built lazily and shared across threads (they are thread-safe)."""

    def __init__(self, credential: Any, cloud: Cloud, **client_kwargs: Any) -> None:
        self.credential, self.cloud = credential, cloud
        self.kwargs = {
            "base_url": cloud.arm_endpoint,
            "credential_scopes": [cloud.scope],
            **RETRY_POLICY,
            "user_agent": USER_AGENT,
            **client_kwargs,
        }
        self._lock = threading.RLock()  # the client factories take it again for the shared transport
        self._cache: dict[tuple[str, str], Any] = {}
        self._arm: Any = None
        self._pages: Any = None
        self._session: Any = None

    def transport(self) -> Any:
        """A transport on the run's one connection pool (every client shares it; none of them owns it)."""
        from azure.core.pipeline.transport import RequestsTransport

        with self._lock:
            if self._session is None:
                self._session = _pooled_session()
        return RequestsTransport(session=self._session, session_owner=False, **_pipeline_options(self.kwargs))

    def _policies(self) -> list[Any]:
        """A fresh policy list for one management client (no automatic provider registration: arm_policies)."""
        return arm_policies(self.credential, self.cloud, self.kwargs)

    def _get(self, kind: str, subscription_id: str, factory: Callable[[], _Client]) -> _Client:
        with self._lock:
            key = (kind, subscription_id.lower())
            if key not in self._cache:
                self._cache[key] = factory()
            client: _Client = self._cache[key]
            return client

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._get(
            "resources",
            subscription_id,
            lambda: ResourceManagementClient(
                self.credential, subscription_id, transport=self.transport(), policies=self._policies(), **self.kwargs
            ),
        )

    def subscriptions(self) -> SubscriptionClient:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return self._get(
            "subscriptions",
            "",
            lambda: SubscriptionClient(
                self.credential, transport=self.transport(), policies=self._policies(), **self.kwargs
            ),
        )

    def locks(self, subscription_id: str) -> ManagementLockClient:
        from azure.mgmt.resource.locks import ManagementLockClient

        return self._get(
            "locks",
            subscription_id,
            lambda: ManagementLockClient(
                self.credential, subscription_id, transport=self.transport(), policies=self._policies(), **self.kwargs
            ),
        )

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._get(
            "authorization",
            subscription_id,
            lambda: AuthorizationManagementClient(
                self.credential, subscription_id, transport=self.transport(), policies=self._policies(), **self.kwargs
            ),
        )

    # ---- raw ARM calls (reads, and types without a management client in the lock) -------------------------------
    def arm(self) -> Any:
        """One ARM pipeline for raw JSON calls, with the management clients' policies (ARM's challenge-aware auth,
        the same retry settings honouring Retry-After and throttling, redirects, logging) but without importing a
        management SDK (each costs ~0.1 s of CPU to import), and a connection pool as large as discovery's
        concurrency."""
        with self._lock:
            if self._arm is None:
                self._arm = _arm_pipeline(self.credential, self.cloud, self.kwargs, self.transport())
            return self._arm

    def get_json(
        self,
        path: str,
        api_version: str,
        *,
        missing_ok: bool = True,
        operation: str | None = None,
    ) -> dict[str, Any] | None:
        """GET an ARM path (or a nextLink URL) through the ARM pipeline (one for every subscription); None on 404
        unless not `missing_ok`."""
        from azure.core.rest import HttpRequest

        sep = "&" if "?" in path else "?"
        url = path if path.startswith("https://") else f"{self.cloud.arm_endpoint}{path}{sep}api-version={api_version}"
        response = self.arm().send_request(HttpRequest("GET", url))
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code != 200:
            raise arm_error(operation or f"GET {path.split('?')[0]}", response)
        body: dict[str, Any] = response.json()
        return body

    def list_json(
        self,
        path: str,
        api_version: str,
        *,
        missing_ok: bool = True,
        operation: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of an ARM list, following nextLink (each page read once); a 404 on the collection yields
        nothing unless not `missing_ok`. Page n+1 is requested the moment page n has arrived, before the caller
        works through page n's items: a long list costs its pages' round trips, not round trips plus parsing."""
        page = self.get_json(path, api_version, missing_ok=missing_ok, operation=operation)
        while page is not None:
            next_link = page.get("nextLink")
            upcoming = (
                self._prefetcher().submit(
                    self.get_json, next_link, api_version, missing_ok=missing_ok, operation=operation
                )
                if next_link
                else None
            )
            yield from page.get("value") or []
            page = upcoming.result() if upcoming is not None else None

    def _prefetcher(self) -> Any:
        """Threads for the next page of each list being read (as many as the connection pool)."""
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._pages is None:
                self._pages = ThreadPoolExecutor(max_workers=POOL_CONNECTIONS, thread_name_prefix="amlmove-pages")
            return self._pages


POOL_CONNECTIONS = 16  # at least discovery's concurrency: a smaller pool reopens connections (TLS handshakes)


def _pipeline_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The client keyword arguments a pipeline's policies and transport take (not the client's own base_url and
    credential_scopes)."""
    return {k: v for k, v in kwargs.items() if k not in ("base_url", "credential_scopes")}


def _pooled_session() -> Any:
    """What RequestsTransport would make, with a pool as large as the run's concurrency."""
    import requests
    from requests.adapters import HTTPAdapter

    Adapter: type[HTTPAdapter]
    try:
        from azure.core.pipeline.transport._bigger_block_size_http_adapters import BiggerBlockSizeHTTPAdapter

        Adapter = BiggerBlockSizeHTTPAdapter
    except ImportError:  # pragma: no cover - a future azure-core
        Adapter = HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = Adapter(
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),  # retrying is the pipeline's job
        pool_connections=POOL_CONNECTIONS,
        pool_maxsize=POOL_CONNECTIONS,
    )
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return session


def arm_policies(credential: Any, cloud: Cloud, kwargs: dict[str, Any]) -> list[Any]:
    """The policies the azure-mgmt clients build (ResourceManagementClient's list), fresh instances for one pipeline,
    WITHOUT azure-mgmt-core's ARMAutoResourceProviderRegistrationPolicy: that policy answers a 409
    MissingSubscriptionRegistration (to any request, a read included) by POSTing /providers/{ns}/register in the
    request's subscription — a write nobody approved, made by plan too. amlmove registers providers only with
    register-providers, approved in the plan. (azure-mgmt-core 1.6 has no switch for it: ARMPipelineClient adds it
    unless `policies` is given, and the generated clients list it explicitly, so every client gets this list)."""
    from azure.core.pipeline import policies
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

    options = _pipeline_options(kwargs)
    scopes = kwargs.get("credential_scopes") or [cloud.scope]
    return [
        policies.RequestIdPolicy(**options),
        policies.HeadersPolicy(**options),
        policies.UserAgentPolicy(sdk_moniker="amlmove", **options),
        policies.ProxyPolicy(**options),
        policies.ContentDecodePolicy(**options),
        policies.RedirectPolicy(**options),
        policies.RetryPolicy(**options),
        ARMChallengeAuthenticationPolicy(credential, *scopes, **options),
        policies.CustomHookPolicy(**options),
        policies.NetworkTraceLoggingPolicy(**options),
        policies.DistributedTracingPolicy(**options),
        policies.SensitiveHeaderCleanupPolicy(**options),
        ARMHttpLoggingPolicy(**options),
    ]


def _arm_pipeline(credential: Any, cloud: Cloud, kwargs: dict[str, Any], transport: Any) -> Any:
    """An ARMPipelineClient with the policies the azure-mgmt clients build (see arm_policies)."""
    from azure.mgmt.core import ARMPipelineClient

    return ARMPipelineClient(
        base_url=cloud.arm_endpoint,
        policies=arm_policies(credential, cloud, kwargs),
        transport=transport,
        **_pipeline_options(kwargs),
    )


def no_verdict(exc: Any) -> bool:
    """True when an azure-core HttpResponseError is not ARM's answer about the request itself: throttling or server
    errors that outlived the retries, a 401/403/404 from an operation-status URL (the operation is not gone because
    its status page is), or a body that is not an ARM error. A long-running operation is then still ARM's to finish."""
    status = getattr(exc, "status_code", None)
    code = getattr(getattr(exc, "error", None), "code", None)
    request = getattr(getattr(exc, "response", None), "request", None)
    url = str(getattr(request, "url", "") or "").lower()
    if status is None or status in (408, 429) or status >= 500 or not code:
        return True
    # 401/403/404 from an operation-status URL are about the poll (an expired token, a lost status page), not the move
    return status in (401, 403, 404) and "/operationresults/" in url


def fix_for_status(status: int | None) -> str | None:
    """What to do next when ARM still throttles or fails after the retries (None: the caller's own advice)."""
    if status == 429:
        return (
            "ARM kept throttling this identity (HTTP 429) after amlmove's retries: wait a few minutes and re-run "
            "the same command (apply resumes safely and never moves twice)"
        )
    if status is not None and status >= 500:
        return (
            f"Azure kept failing (HTTP {status}) after amlmove's retries: re-run the same command later "
            "(apply resumes safely and never moves twice); quote the correlation id to Azure support if it persists"
        )
    return None


def _azure_error(operation: str, said: SdkError) -> AzureError:
    return AzureError(
        operation,
        status=said.status,
        code=said.code,
        message=said.message,
        correlation_id=said.correlation_id,
        **({"fix": fix} if (fix := fix_for_status(said.status)) else {}),
    )


def arm_error(operation: str, response: Any) -> AzureError:
    """An AzureError from a raw ARM response, keeping ARM's code, message and correlation id."""
    return _azure_error(operation, response_error(response))


def from_http_error(operation: str, exc: Any) -> AzureError:
    """An AzureError from an azure-core HttpResponseError."""
    return _azure_error(operation, sdk_error(exc))


# Clouds azure-ai-ml knows without fetching anything (its _azure_environments table holds the named clouds).
_AZURE_AI_ML_CLOUDS = tuple(c.name for c in NAMED_CLOUDS)


def steer_azure_ai_ml(cloud: Cloud) -> None:
    """Call before the first `import azure.ai.ml`. At import, azure-ai-ml resolves its current cloud from the process
    environment (AZUREML_CURRENT_CLOUD, else ARM_CLOUD_METADATA_URL) and, for a name it does not know, fetches cloud
    metadata from management.azure.com, failing with 'Unknown cloud environment'. This run's cloud comes from its
    inputs: an inherited value must neither send a request elsewhere nor break the exports. A custom cloud starts
    from AzureCloud's static table (nothing fetched) until MLClient registers it from `cloud_metadata`."""
    import os

    os.environ["AZUREML_CURRENT_CLOUD"] = cloud.name if cloud.name in _AZURE_AI_ML_CLOUDS else "AzureCloud"
    os.environ.pop("ARM_CLOUD_METADATA_URL", None)


def ml_client(clients: Clients, workspace_id: str) -> Any:
    """An azure-ai-ml MLClient bound to one workspace, aimed at this run's cloud (custom clouds get their metadata
    in-process, so no metadata URL is fetched)."""
    steer_azure_ai_ml(clients.cloud)
    from azure.ai.ml import MLClient

    from .ids import ResourceId

    rid = ResourceId.parse(workspace_id)
    kwargs: dict[str, Any] = {}
    if clients.cloud.custom:
        kwargs = {
            "cloud": "AmlmoveCustomCloud",
            "cloud_metadata": {
                "azure_portal": "https://portal.azure.com/",
                "resource_manager": clients.cloud.arm_endpoint + "/",
                "active_directory": clients.cloud.authority_host + "/",
                "aml_resource_id": "https://ml.azure.com/",
                "storage_endpoint": "core.windows.net",
                "registry_discovery_endpoint": clients.cloud.arm_endpoint + "/",
            },
        }
    elif clients.cloud.name != "AzureCloud":
        kwargs = {"cloud": clients.cloud.name}
    return MLClient(
        clients.credential, rid.subscription_id, rid.resource_group, rid.name, user_agent=USER_AGENT, **kwargs
    )
