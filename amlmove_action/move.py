"""The move itself: start `moveResources` (ARM's LRO, polled with azure-core honouring Retry-After), persist the
poller's continuation token the moment ARM accepts, print a heartbeat while it runs, give up cleanly after
move-timeout, resume a move that a dead runner left behind, and find out exactly what moved when ARM finished only
part of the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import durations
from . import inventory as inv
from .azure import Clients, from_http_error, no_verdict
from .plan import moved_id
from .state import MoveState

HEARTBEAT_SECONDS = 15.0  # at most 30 s between progress lines (the bound), with margin
FALLBACK_POLL_SECONDS = 10  # only when ARM sends no Retry-After; azure-core's default would be 30 s


@dataclass(frozen=True)
class Positions:
    """Where each planned resource is now (both groups re-listed)."""

    moved: list[tuple[str, str]]  # (old id, new id)
    stayed: list[str]
    missing: list[str]  # in neither group (deleted meanwhile, or not readable)

    @property
    def all_moved(self) -> bool:
        return not self.stayed and not self.missing

    @property
    def none_moved(self) -> bool:
        return not self.moved

    @property
    def outcome(self) -> str:
        """`all` (every planned resource is at the destination: the plan's move is done, whoever started it),
        `none` (none is: nothing of this plan moved) or `partial` (some are: people finish by hand)."""
        if self.all_moved:
            return "all"
        return "none" if self.none_moved else "partial"


def locate(clients: Clients, resources: list[str], source_group_id: str, target_group_id: str) -> Positions:
    """Re-list both groups and place every planned resource: ARM can finish a move partially."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    def listing(group_id: str) -> set[str]:
        rid = inv.ResourceId.parse(group_id)
        client = clients.resources(rid.subscription_id)
        try:
            return {r.id.lower() for r in client.resources.list_by_resource_group(rid.resource_group)}
        except ResourceNotFoundError:
            return set()
        except HttpResponseError as exc:
            raise from_http_error(f"list resources in {group_id}", exc) from None

    in_source, in_target = listing(source_group_id), listing(target_group_id)
    moved, stayed, missing = [], [], []
    for rid in resources:
        new = moved_id(rid, target_group_id)
        if new.lower() in in_target:
            moved.append((rid, new))
        elif rid.lower() in in_source:
            stayed.append(rid)
        else:
            missing.append(rid)
    return Positions(moved, stayed, missing)


class MoveFailed(Exception):
    """ARM refused or ended the move with an error, or the poll itself broke (see `lost_track`)."""

    def __init__(
        self,
        code: str | None,
        message: str,
        correlation_id: str | None,
        details: list[dict[str, Any]],
        status: int | None = None,
        lost_track: bool = True,
    ):
        super().__init__(message)
        self.code, self.message, self.correlation_id, self.details = code, message, correlation_id, details
        # True: no verdict of ARM's (see azure.no_verdict, or no answer at all): the move may still be running or
        # done, and only re-reading where the resources are can tell.
        self.status, self.lost_track = status, lost_track


class MoveTimedOut(Exception):
    """move-timeout elapsed while ARM still reported the move as running."""


def start_move(clients: Clients, source_group_id: str, resources: list[str], target_group_id: str) -> Any:
    """POST moveResources; returns the poller once ARM has accepted (202) the move."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    rid = inv.ResourceId.parse(source_group_id)
    client = clients.resources(rid.subscription_id)
    body = {"resources": resources, "targetResourceGroup": target_group_id}
    try:
        return client.resources.begin_move_resources(rid.resource_group, body, polling_interval=FALLBACK_POLL_SECONDS)
    except HttpResponseError as exc:
        raise _failed(exc) from None
    except (ServiceRequestError, ServiceResponseError) as exc:  # no answer: ARM may or may not have accepted
        raise MoveFailed(None, f"{type(exc).__name__}: {exc}"[:300], None, [], None) from None


def resume_move(clients: Clients, source_group_id: str, state: MoveState) -> Any:
    rid = inv.ResourceId.parse(source_group_id)
    client = clients.resources(rid.subscription_id)
    body = {"resources": state.resources, "targetResourceGroup": state.target_resource_group}
    return client.resources.begin_move_resources(
        rid.resource_group, body, continuation_token=state.continuation_token, polling_interval=FALLBACK_POLL_SECONDS
    )


def wait(poller: Any, deadline: datetime, started: datetime, heartbeat: Any) -> None:
    """Wait for the poller, calling heartbeat(elapsed, status) at least every HEARTBEAT_SECONDS."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    while True:
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            raise MoveTimedOut()
        try:
            poller.wait(timeout=min(HEARTBEAT_SECONDS, remaining))
        except HttpResponseError as exc:
            raise _failed(exc) from None
        except (ServiceRequestError, ServiceResponseError) as exc:  # the connection broke after the retries
            raise MoveFailed(None, f"{type(exc).__name__}: {exc}"[:300], None, [], None) from None
        if poller.done():
            try:
                poller.result()
            except HttpResponseError as exc:
                raise _failed(exc) from None
            return
        heartbeat(datetime.now(UTC) - started, poller.status())


def _failed(exc: Any) -> MoveFailed:
    error = getattr(exc, "error", None)
    response = getattr(exc, "response", None)

    def detail(d: Any) -> dict[str, Any]:
        return {
            "code": getattr(d, "code", None),
            "target": getattr(d, "target", None),
            "message": getattr(d, "message", None),
        }

    return MoveFailed(
        getattr(error, "code", None) or f"HTTP{getattr(exc, 'status_code', '')}",
        str(getattr(error, "message", None) or getattr(exc, "message", "") or ""),
        response.headers.get("x-ms-correlation-request-id") if response is not None else None,
        [detail(d) for d in (getattr(error, "details", None) or [])],
        getattr(exc, "status_code", None),
        no_verdict(exc),
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def elapsed_text(delta: timedelta) -> str:
    return durations.text(delta)
