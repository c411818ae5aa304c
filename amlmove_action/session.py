"""What both commands do first: sign in (credential chain, token claims for messages) and build the clients."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .azure import Clients, Cloud, build_credential, token_claims


class SignInSettings(Protocol):
    """What signing in reads of the settings (inputs.Settings for plan and apply, inputs.StatusSettings for status)."""

    @property
    def cloud(self) -> Any: ...
    @property
    def arm_endpoint(self) -> str: ...
    @property
    def authority_host(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def tenant_id(self) -> str | None: ...
    @property
    def auth(self) -> str: ...
    @property
    def audience(self) -> str | None: ...


@dataclass(frozen=True)
class Session:
    clients: Clients
    principal_id: str | None
    method: str


def cloud_of(settings: SignInSettings) -> Cloud:
    return Cloud(
        str(settings.cloud),
        settings.arm_endpoint.rstrip("/"),
        settings.authority_host.rstrip("/"),
        custom=str(settings.cloud).lower() == "custom",
    )


def sign_in(
    settings: SignInSettings,
    env: Mapping[str, str],
    platform: Any,
    preload: tuple[str, ...] = ("amlmove_action.discovery",),
) -> Session:
    """Sign in and check the token. While its request is in flight, a thread builds the ARM pipeline and imports
    `preload` (the command's next modules, in the order it needs them): CPU the first ARM request would otherwise
    wait for. It is not waited for: whatever the command needs before the thread got to it, the command builds or
    imports itself (Clients' lock and the import lock make both wait for a build already under way)."""
    cloud = cloud_of(settings)
    chosen = build_credential(
        client_id=settings.client_id,
        tenant_id=settings.tenant_id,
        cloud=cloud,
        env=env,
        on_secret=platform.mask,
        auth=settings.auth,
        audience=settings.audience,
    )
    platform.info(f"Signing in with {chosen.method} …")
    clients = Clients(chosen.credential, cloud)
    prepare = threading.Thread(target=_prepare, args=(clients, preload), name="amlmove-prepare", daemon=True)
    prepare.start()
    claims = token_claims(chosen.credential, cloud.scope)
    platform.info(
        f"Signed in: tenant {claims.get('tid', '?')}, object id {claims.get('oid', '?')}, "
        f"app id {claims.get('appid', '?')}"
    )
    return Session(clients, claims.get("oid"), chosen.method)


def _prepare(clients: Clients, preload: tuple[str, ...]) -> None:
    import importlib

    try:
        clients.arm()
        for module in preload:
            importlib.import_module(module)
    except Exception:  # noqa: BLE001, S110 - only a head start: the same calls run again where they are needed
        pass
