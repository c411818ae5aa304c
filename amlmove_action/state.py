"""OUTPUT_DIR/state.json, as planfile.py is for plan.json: what a move ARM accepted needs to be resumed (the poller's
continuation token) and never started twice. Written atomically; read back as strictly as the plan, and its token
may only poll this run's ARM endpoint."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import InputError, echo
from .inputs import resource_id_problem
from .localfiles import NotRegularFile, TooLarge, read_regular_file, write_json_atomically


class MoveStatus(StrEnum):
    """Where the move recorded in state.json stands."""

    ACCEPTED = "accepted"  # ARM accepted the move; the continuation token polls it
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed-out"


STATE_VERSION = "1.0"


@dataclass
class MoveState:
    """OUTPUT_DIR/state.json: enough to resume polling after the runner died, and never start a second move."""

    plan_digest: str
    status: MoveStatus
    started_at: str
    resources: list[str]
    target_resource_group: str
    continuation_token: str | None = None
    error: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": STATE_VERSION,
            "planDigest": self.plan_digest,
            "status": self.status,
            "startedAt": self.started_at,
            "resources": self.resources,
            "targetResourceGroup": self.target_resource_group,
            "continuationToken": self.continuation_token,
            "error": self.error,
        }

    def started(self) -> datetime:
        return datetime.strptime(self.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def save_state(path: Path, state: MoveState) -> None:
    write_json_atomically(path, state.to_json())


STATE_STATUSES = tuple(MoveStatus)
# state.json holds at most 800 resource IDs (ARM's limit per move) and one continuation token: far below this.
MAX_STATE_BYTES = 4 * 1024 * 1024


def read_state(
    path: Path, digest: str, arm_endpoint: str | None = None, source_group_id: str | None = None
) -> MoveState | None:
    """OUTPUT_DIR/state.json of an earlier run of this plan (None when absent or written for another plan).

    Checked as strictly as the plan: any field apply would use later (times, the continuation token) must be what
    amlmove writes, and the token may only poll this run's ARM endpoint (it will carry a bearer token there)."""

    def corrupt(problem: str) -> InputError:
        return InputError(
            "output-dir",
            f"its state.json ({path}) {problem}",
            "Delete the corrupt state.json only if no move is running, then re-run apply",
        )

    try:
        data = json.loads(read_regular_file(path, MAX_STATE_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return None
    except NotRegularFile as exc:
        raise corrupt(f"{exc}, not a regular file") from None
    except TooLarge:
        raise corrupt(f"is larger than any state.json amlmove writes ({MAX_STATE_BYTES} bytes)") from None
    except (OSError, ValueError, RecursionError):
        raise corrupt("is unreadable or not JSON") from None
    if not isinstance(data, dict):
        raise corrupt("is not a JSON object")
    if data.get("planDigest") != digest:
        return None
    resources, token, error = data.get("resources"), data.get("continuationToken"), data.get("error")
    if (
        data.get("status") not in STATE_STATUSES
        or not isinstance(data.get("startedAt"), str)
        or not isinstance(resources, list)
        or not all(isinstance(r, str) for r in resources)
        or not isinstance(data.get("targetResourceGroup"), str)
        or not (token is None or isinstance(token, str))
        or not (error is None or isinstance(error, dict))
    ):
        raise corrupt("does not have the fields amlmove writes")
    for rid in resources:  # they go into the body of the move request a resume sends
        group = source_group_id or "/".join(rid.split("/")[:5])
        if resource_id_problem(rid, group) is not None:
            raise corrupt(f"lists {echo(rid, 120)}, which is not a top-level resource ID in the source group")
    state = MoveState(
        data["planDigest"],
        MoveStatus(data["status"]),
        data["startedAt"],
        resources,
        data["targetResourceGroup"],
        token,
        error,
    )
    try:
        if not state.started_at.isascii():
            raise ValueError(state.started_at)
        state.started()
    except ValueError:
        raise corrupt("has a startedAt that is not a UTC date and time") from None
    if state.status == "accepted" and token and arm_endpoint is not None and not token_targets(token, arm_endpoint):
        raise corrupt(f"has a continuation token that does not poll {arm_endpoint}")
    return state


def token_targets(token: str, arm_endpoint: str) -> bool:
    """True when `token` is azure-core's continuation token and every URL in it is on `arm_endpoint`'s host."""
    try:
        data = json.loads(base64.b64decode(token, validate=True).decode("utf-8"))
        if not isinstance(data, dict) or data.get("version") != 1:
            return False
        inner = data["data"]
        urls = [inner["request"]["url"]]
        headers = inner["response"]["headers"]
        polled = ("location", "azure-asyncoperation", "operation-location")
        urls += [v for k, v in headers.items() if k.lower() in polled]
        want = urlsplit(arm_endpoint)
        for url in urls:
            got = urlsplit(url)
            if got.scheme.lower() != "https" or got.netloc.lower() != want.netloc.lower() or got.username:
                return False
        return True
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False
