"""Entra ID, as far as MSAL, azure-identity and az need it: OpenID discovery, the v2.0 token endpoint for
client_credentials (secret or federated assertion), cloud metadata for `az cloud register`, and a managed identity
token endpoint of the App Service kind (what IDENTITY_ENDPOINT + IDENTITY_HEADER point azure-identity at)."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs

import jwt

from .state import Principal, Store

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Audiences ARM accepts in an access token (the public ARM resource ids; the emulator's own URL is added at runtime).
ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# The managed identity endpoint: App Service serves it at IDENTITY_ENDPOINT (e.g. http://localhost:4141/msi/token)
# and requires the secret from IDENTITY_HEADER in the X-IDENTITY-HEADER request header.
MANAGED_IDENTITY_PATH = "/msi/token"
MANAGED_IDENTITY_HEADER = "emulated-identity-header"


def openid_configuration(base_url: str, tenant: str) -> dict[str, Any]:
    issuer_tenant = "{tenantid}" if tenant.lower() in ("organizations", "common", "consumers") else tenant
    return {
        "token_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base_url}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base_url}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base_url}/oidc/userinfo",
        "authorization_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base_url}/{tenant}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid", "appid"],
        "kerberos_endpoint": f"{base_url}/{tenant}/kerberos",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "emulator.local",
        "cloud_graph_host_name": "graph.emulator.local",
        "msgraph_host": "graph.emulator.local",
        "rbac_url": base_url,
    }


def cloud_metadata(base_url: str, api_version: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """ARM's `/metadata/endpoints`: from api-version 2022-09-01 on, the one cloud this host serves (an object: what
    `az cloud register` reads); before it (2019-05-01, MLClient's ARM_CLOUD_METADATA_URL), a list of clouds."""
    cloud = _cloud(base_url)
    return cloud if api_version and api_version >= "2022-09-01" else [cloud]


def _cloud(base_url: str) -> dict[str, Any]:
    return {
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": base_url,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureEmulator",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": base_url + "/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
        "quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "gallery": "https://gallery.azure.com/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
    }


class TokenError(Exception):
    """An Entra error reply: (status, error, AADSTS description)."""

    def __init__(self, status: int, error: str, description: str, code: int) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.code = status, error, description, code

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": f"{self.description}\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: "
            f"{uuid.uuid4()}\r\nTimestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
            "error_codes": [self.code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }


def issue_token(store: Store, base_url: str, tenant: str, raw_form: bytes) -> dict[str, Any]:
    """Handle `POST /{tenant}/oauth2/v2.0/token`; returns the token reply or raises TokenError like Entra."""
    form = {k: v[0] for k, v in parse_qs(raw_form.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if form.get("grant_type") != "client_credentials":
        raise TokenError(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type "
            f"'{form.get('grant_type', '')}'. The emulator supports client_credentials only.",
            70003,
        )
    client_id = form.get("client_id", "")
    principal = store.principal_by_client(client_id)
    tenant_known = any(s.tenant_id.lower() == tenant.lower() for s in store.subscriptions.values()) or any(
        p.tenant_id.lower() == tenant.lower() for p in store.principals.values()
    )
    if not tenant_known:
        raise TokenError(
            400,
            "invalid_request",
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you "
            "have the correct tenant ID and are signing into the correct cloud.",
            90002,
        )
    if principal is None or principal.tenant_id.lower() != tenant.lower():
        raise TokenError(
            400,
            "unauthorized_client",
            f"AADSTS700016: Application with identifier '{client_id}' was "
            f"not found in the directory '{tenant}'. This can happen if the application has not been "
            "installed by the administrator of the tenant.",
            700016,
        )
    if "client_assertion" in form:
        _check_assertion(principal, form)
    elif "client_secret" in form:
        if principal.client_secret is None or form["client_secret"] != principal.client_secret:
            raise TokenError(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                f"being sent in the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{principal.client_id}'.",
                7000215,
            )
    else:
        raise TokenError(
            401,
            "invalid_client",
            "AADSTS7000218: The request body must contain the following "
            "parameter: 'client_assertion' or 'client_secret'.",
            7000218,
        )
    scope = form.get("scope", "").split()
    resource = next((s[: -len("/.default")] for s in scope if s.endswith("/.default")), "")
    if not resource:
        raise TokenError(
            400,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid. Client "
            "credential flows must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
            1002012,
        )
    lifetime = store.settings.token_lifetime_seconds
    token = _access_token(store, principal, resource, lifetime)
    return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}


def _access_token(store: Store, principal: Principal, resource: str, lifetime: int, **extra: Any) -> str:
    now = int(time.time())
    claims = {
        "aud": resource.rstrip("/") if resource.rstrip("/") else resource,
        "iss": f"https://sts.emulator.local/{principal.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": principal.client_id,
        "azp": principal.client_id,
        "oid": principal.object_id,
        "sub": principal.object_id,
        "tid": principal.tenant_id,
        "idtyp": "app",
        "ver": "1.0",
        **extra,
    }
    return jwt.encode(claims, store.secret_issuer, algorithm="HS256")


def issue_managed_identity_token(
    store: Store, query: dict[str, str], headers: dict[str, str], system_assigned: Principal | None
) -> dict[str, Any]:
    """`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=<resource>[&client_id=<id>]` with X-IDENTITY-HEADER,
    as MSAL's `_obtain_token_on_app_service` sends it (azure-identity's AppServiceCredential delegates to MSAL).
    The reply has the shape of App Service's REST endpoint reference (learn.microsoft.com/azure/app-service/
    overview-managed-identity, "REST endpoint reference", which MSAL's code links): access_token, expires_on (epoch
    seconds, a string), resource, token_type and client_id. An error is {"statusCode", "message"}: the two fields
    MSAL reads (no recorded App Service error was available; the status codes here are the emulator's choice).
    Without client_id the system-assigned identity answers (`system_assigned`, the scenario's default principal)."""
    if headers.get("x-identity-header") != MANAGED_IDENTITY_HEADER:
        raise TokenError(401, "unauthorized", "The X-IDENTITY-HEADER header is missing or wrong.", 401)
    if query.get("api-version") != "2019-08-01":
        raise TokenError(400, "bad_request", "Unsupported api-version; this endpoint serves 2019-08-01.", 400)
    resource = query.get("resource", "")
    if not resource:
        raise TokenError(400, "bad_request", "The resource parameter is required.", 400)
    if query.get("mi_res_id") or query.get("object_id"):
        raise TokenError(400, "bad_request", "The emulator selects user-assigned identities by client_id only.", 400)
    client_id = query.get("client_id")
    principal = store.principal_by_client(client_id) if client_id else system_assigned
    if principal is None:
        raise TokenError(400, "bad_request", "Unable to load the proper Managed Identity.", 400)
    lifetime = store.settings.token_lifetime_seconds
    token = _access_token(
        store, principal, resource, lifetime, xms_mirid=f"/emulator/managedIdentities/{principal.object_id}"
    )
    return {
        "access_token": token,
        "expires_on": str(int(time.time()) + lifetime),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": principal.client_id,
    }


def _check_assertion(principal: Principal, form: dict[str, str]) -> None:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise TokenError(
            400,
            "invalid_request",
            "AADSTS50027: JWT token is invalid or malformed: unsupported client_assertion_type.",
            50027,
        )
    try:
        claims = jwt.decode(
            form["client_assertion"], options={"verify_signature": False, "verify_aud": False, "verify_exp": False}
        )
    except jwt.PyJWTError:
        raise TokenError(400, "invalid_client", "AADSTS50027: JWT token is invalid or malformed.", 50027) from None
    now = time.time()
    if "exp" not in claims or float(claims["exp"]) < now:
        raise TokenError(
            400, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range.", 700024
        )
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    for fic in principal.federated_credentials:
        if (
            str(fic.get("issuer", "")).rstrip("/") == str(claims.get("iss", "")).rstrip("/")
            and fic.get("subject") == claims.get("sub")
            and set(fic.get("audiences", ["api://AzureADTokenExchange"])) & set(audiences)
        ):
            return
    raise TokenError(
        400,
        "invalid_client",
        "AADSTS700213: No matching federated identity record found for presented "
        f"assertion subject '{claims.get('sub')}'. Please check your federated identity credential "
        "Subject, Audience and Issuer against the presented assertion.",
        700213,
    )


def mint_external_token(issuer: str, subject: str, audience: str, lifetime: int, key: str, **extra: Any) -> str:
    """A workload token as GitHub Actions or Azure DevOps would issue it (for tests of the federated flows)."""
    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime, **extra}
    return jwt.encode(claims, key, algorithm="HS256")


def verify_access_token(store: Store, token: str, accepted_audiences: tuple[str, ...]) -> dict[str, Any]:
    """Return the claims of a token this emulator minted; raise ValueError(code, message) like ARM otherwise."""
    try:
        claims = jwt.decode(token, store.secret_issuer, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise ValueError(
            "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."
        ) from None
    except jwt.PyJWTError:
        raise ValueError("InvalidAuthenticationToken", "The access token is invalid.") from None
    aud = str(claims.get("aud", "")).rstrip("/").lower()
    if aud not in {a.rstrip("/").lower() for a in accepted_audiences}:
        raise ValueError(
            "InvalidAuthenticationToken",
            f"The access token has been obtained for wrong audience or "
            f"resource '{claims.get('aud')}'. It should exactly match with one of the allowed audiences "
            f"'{', '.join(accepted_audiences)}'.",
        )
    return claims
