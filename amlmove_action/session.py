"""What both commands do first: sign in (credential chain, token claims for messages) and build the clients."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .azure import Clients, Cloud, build_credential, token_claims
from .inputs import Settings


@dataclass(frozen=True)
class Session:
    clients: Clients
    principal_id: str | None
    method: str


def cloud_of(settings: Settings) -> Cloud:
    return Cloud(
        str(settings.cloud),
        settings.arm_endpoint.rstrip("/"),
        settings.authority_host.rstrip("/"),
        custom=str(settings.cloud).lower() == "custom",
    )


def sign_in(settings: Settings, env: Mapping[str, str], platform: Any) -> Session:
    cloud = cloud_of(settings)
    chosen = build_credential(
        client_id=settings.client_id, tenant_id=settings.tenant_id, cloud=cloud, env=env, on_secret=platform.mask
    )
    platform.info(f"Signing in with {chosen.method} …")
    clients = Clients(chosen.credential, cloud)
    # While the token request is in flight, build the ARM pipeline and load discovery (no network: CPU the first
    # ARM request would otherwise wait for).
    prepare = threading.Thread(target=_prepare, args=(clients,), name="amlmove-prepare", daemon=True)
    prepare.start()
    claims = token_claims(chosen.credential, cloud.scope)
    prepare.join()
    platform.info(
        f"Signed in: tenant {claims.get('tid', '?')}, object id {claims.get('oid', '?')}, "
        f"app id {claims.get('appid', '?')}"
    )
    return Session(clients, claims.get("oid"), chosen.method)


def _prepare(clients: Clients) -> None:
    try:
        clients.arm()
        from . import discovery  # noqa: F401
    except Exception:  # noqa: BLE001, S110 - only a head start: the same calls run again where they are needed
        pass
