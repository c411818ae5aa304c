"""Entra ID as the emulator serves it to the real azure-identity credentials (secret and federated assertion from the
GitHub and Azure DevOps OIDC hooks), its errors, and how ARM treats the tokens it issues."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential, ClientSecretCredential

from amlmove_emulator import samples
from amlmove_emulator.control import SCENARIOS
from tests.conftest import SdkClients

SUB = samples.SOURCE_SUB
ARM_SCOPE = "https://management.azure.com/.default"


@pytest.fixture
def emu(emulator):
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    return emulator


def fetch(emulator, method: str, path: str, headers: dict[str, str] | None = None, data: bytes | None = None):
    """(status, headers, JSON body) of one request to the emulator, errors included."""
    context = ssl.create_default_context(cafile=str(emulator.ca_file))
    request = urllib.request.Request(emulator.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            status, head, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, payload = exc.code, exc.headers, exc.read()
    return status, head, json.loads(payload) if payload else None


def github_assertion(emulator, token: str = "emulated-github-oidc-request-token") -> str:  # noqa: S107
    """What a workflow step gets from ACTIONS_ID_TOKEN_REQUEST_URL (the emulator's github-oidc hook)."""
    status, _, body = fetch(
        emulator,
        "GET",
        "/_emulator/github-oidc?audience=api://AzureADTokenExchange",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 200, body
    return body["value"]


def credential(emulator, **overrides: Any) -> ClientSecretCredential:
    return SdkClients(emulator, principal=overrides).credential


def assertion_credential(emulator, get_assertion) -> ClientAssertionCredential:
    return ClientAssertionCredential(
        emulator.info["tenantId"],
        emulator.info["clientId"],
        get_assertion,
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_file),
    )


def subscription_names(emulator, cred) -> list[str]:
    return sorted(s.display_name for s in SdkClients(emulator, credential=cred).subscriptions().subscriptions.list())


def test_client_secret_credential_signs_in_and_arm_accepts_the_token(emu) -> None:
    cred = credential(emu)
    token = cred.get_token(ARM_SCOPE)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["oid"] == samples.SP["objectId"] and claims["tid"] == samples.TENANT
    assert claims["aud"] == "https://management.azure.com"
    assert token.expires_on > time.time() + 3000
    assert subscription_names(emu, cred) == ["ml-prod", "ml-test"]


def test_client_assertion_credential_with_the_github_oidc_token(emu) -> None:
    cred = assertion_credential(emu, lambda: github_assertion(emu))
    assert subscription_names(emu, cred) == ["ml-prod", "ml-test"]
    token_requests = [r for r in emu.requests() if r["path"].endswith("/oauth2/v2.0/token")]
    assert [r["status"] for r in token_requests] == [200]


def test_client_assertion_credential_with_the_azure_devops_oidc_token(emu) -> None:
    def ado_assertion() -> str:
        status, _, body = fetch(
            emu,
            "POST",
            "/_emulator/ado-oidc?api-version=7.1&serviceConnectionId=amlmove-connection",
            {"Authorization": "Bearer emulated-ado-system-access-token"},
            b"{}",
        )
        assert status == 200, body
        return body["oidcToken"]

    assert subscription_names(emu, assertion_credential(emu, ado_assertion)) == ["ml-prod", "ml-test"]


@pytest.mark.parametrize("token", [None, "wrong-request-token"])
def test_github_oidc_hook_wants_the_runner_request_token(emu, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, body = fetch(emu, "GET", "/_emulator/github-oidc", headers)
    assert status == 401 and body == {"message": "Bad credentials"}


def test_assertion_with_a_subject_no_federated_credential_names_is_refused(emu) -> None:
    emu.settings(githubSubject="repo:contoso/ml-platform:ref:refs/heads/feature")
    with pytest.raises(ClientAuthenticationError) as refused:
        assertion_credential(emu, lambda: github_assertion(emu)).get_token(ARM_SCOPE)
    assert "AADSTS700213" in str(refused.value) and "refs/heads/feature" in str(refused.value)
    # Loading a scenario puts the hook settings back: the default subject matches the principal again.
    emu.load_scenario(SCENARIOS / "clean.yaml")
    assert assertion_credential(emu, lambda: github_assertion(emu)).get_token(ARM_SCOPE).token


def test_wrong_secret_raises_client_authentication_error_with_invalid_client(emu) -> None:
    with pytest.raises(ClientAuthenticationError) as refused:
        credential(emu, clientSecret="not-the-secret").get_token(ARM_SCOPE)
    # azure-identity's message carries Entra's error_description; the OAuth error code is on the wire.
    assert "AADSTS7000215: Invalid client secret provided" in str(refused.value)
    assert [r["status"] for r in emu.requests() if r["path"].endswith("/token")] == [401]
    last_token_reply = [
        r for r in map(json.loads, emu.capture.read_text().splitlines()) if r["path"].endswith("/token")
    ]
    assert last_token_reply[-1]["body"]["error"] == "invalid_client"
    assert last_token_reply[-1]["body"]["error_codes"] == [7000215]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"tenantId": "00000000-1111-2222-3333-444444444444"}, "AADSTS90002"),
        ({"clientId": "00000000-1111-2222-3333-444444444444"}, "AADSTS700016"),
    ],
)
def test_unknown_tenant_or_application_is_refused(emu, overrides: dict[str, str], code: str) -> None:
    with pytest.raises(ClientAuthenticationError) as refused:
        credential(emu, **overrides).get_token(ARM_SCOPE)
    assert code in str(refused.value)


def test_openid_configuration_for_a_tenant_and_for_organizations(emu) -> None:
    status, _, tenant = fetch(emu, "GET", f"/{samples.TENANT}/v2.0/.well-known/openid-configuration")
    assert status == 200
    assert tenant["token_endpoint"] == f"{emu.url}/{samples.TENANT}/oauth2/v2.0/token"
    assert tenant["issuer"] == f"{emu.url}/{samples.TENANT}/v2.0"
    status, _, orgs = fetch(emu, "GET", "/organizations/v2.0/.well-known/openid-configuration")
    assert status == 200 and orgs["issuer"] == f"{emu.url}/{{tenantid}}/v2.0"


def token_for(emulator, scope: str = ARM_SCOPE) -> str:
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": emulator.info["clientId"],
            "client_secret": emulator.info["clientSecret"],
            "scope": scope,
        }
    ).encode()
    status, _, body = fetch(emulator, "POST", f"/{emulator.info['tenantId']}/oauth2/v2.0/token", data=form)
    assert status == 200, body
    return body["access_token"]


def arm_get(emulator, token: str | None) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return fetch(emulator, "GET", f"/subscriptions/{SUB}?api-version=2022-12-01", headers)


def test_arm_without_a_token_answers_401_with_a_challenge(emu) -> None:
    status, headers, body = arm_get(emu, None)
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"
    assert headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")


def test_arm_refuses_a_tampered_token_a_wrong_audience_and_an_expired_token(emu) -> None:
    good = token_for(emu)
    assert arm_get(emu, good)[0] == 200
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload}.{signature[::-1]}"
    assert arm_get(emu, tampered)[2]["error"]["code"] == "InvalidAuthenticationToken"
    graph = token_for(emu, "https://graph.microsoft.com/.default")
    status, _, body = arm_get(emu, graph)
    assert status == 401 and "wrong audience" in body["error"]["message"]
    emu.settings(tokenLifetimeSeconds=-60)
    status, _, body = arm_get(emu, token_for(emu))
    assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"


def test_scope_without_default_suffix_is_refused(emu) -> None:
    with pytest.raises(ClientAuthenticationError) as refused:
        credential(emu).get_token("https://management.azure.com/user_impersonation")
    assert "AADSTS1002012" in str(refused.value)


def test_a_signed_in_client_stays_signed_in_when_a_scenario_is_loaded(emu) -> None:
    clients = SdkClients(emu)
    assert [g.name for g in clients.resources(SUB).resource_groups.list()] == ["rg-ml-test"]
    emu.load_scenario(samples.WorkspaceScenario(source_group="rg-other").build())
    assert [g.name for g in clients.resources(SUB).resource_groups.list()] == ["rg-other"]
    assert not [r for r in emu.requests() if r["path"].endswith("/token")]  # the cached token was still good
