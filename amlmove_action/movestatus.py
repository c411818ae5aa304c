"""Where an approved plan's move stands, decided from what `status` read in ARM (pure: nothing here calls Azure):
each planned resource's place, whether a move holds the groups, how long it has run against ARM's four-hour window,
which follow-ups are done and which remain; the document status.json (schemas/status.schema.json), its Markdown
(status.md, the job summary) and its terminal lines.

How a move in progress is known from ARM alone, without writing: ARM sets both groups' provisioningState to
`MovingResources` while a move holds them and rolls it back when the move ends (an ARM engineer comparing both groups'
state after a move, "both 'Succeeded' and not 'MovingResources'", Azure/azure-cli issue 11942; the
ResourceMoveTimedOut message, "Provisioning state of the resource groups will be rolled back"). No recorded GET of a
group during a real move was found, so the value is taken from those two sources; a write would tell for sure (409
ResourceGroupMoveInProgress) but status never writes.

When the move started is recorded only in the state.json of the apply run that started it (ARM's activity log is not
read): without it, the elapsed time is unknown and said so."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from importlib import resources as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, durations, ids
from .localfiles import write_json_atomically
from .render import code, code_block, md, truncate

if TYPE_CHECKING:
    from .plan import Plan
    from .state import MoveState

SCHEMA_VERSION = "1.0"
ARM_MOVE_WINDOW = timedelta(hours=4)  # "Azure Resource Manager allows a move operation four hours to finish"
MOVING_STATE = "MovingResources"


class Stage(StrEnum):
    """Where the plan's move stands (status.json's `state`, the `status` step output)."""

    NOT_STARTED = "not-started"  # every planned resource in the source group, no move holding the groups
    MOVING = "moving"  # ARM holds the groups for a move (source or destination group MovingResources)
    FOLLOW_UPS_LEFT = "follow-ups-left"  # every planned resource at the destination, some follow-up not done
    DONE = "done"  # every planned resource at the destination, every follow-up done
    INCONSISTENT = "inconsistent"  # some at the destination and some not, or one missing or in both groups


class Place(StrEnum):
    SOURCE = "source"
    DESTINATION = "destination"
    BOTH = "both"
    MISSING = "missing"


@dataclass(frozen=True)
class GroupReading:
    """`GET` of one of the plan's two groups."""

    id: str
    role: str  # source | destination
    exists: bool
    provisioning_state: str | None

    @property
    def holds_move(self) -> bool:
        return (self.provisioning_state or "").lower() == MOVING_STATE.lower()


@dataclass(frozen=True)
class Check:
    """One follow-up, as ARM shows it now."""

    kind: str  # role-assignment | datastore | endpoint | compute | private-endpoint
    target: str
    done: bool
    detail: str
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "status": "done" if self.done else "remaining",
            "detail": self.detail,
            "command": self.command,
        }


# --- deciding ------------------------------------------------------------------------------------------------------


def place(resource_id: str, new_id: str, in_source: set[str], in_target: set[str]) -> Place:
    """Where one planned resource is, from the two groups' listings (lower-case ids)."""
    here, there = resource_id.lower() in in_source, new_id.lower() in in_target
    if here and there:
        return Place.BOTH
    if there:
        return Place.DESTINATION
    return Place.SOURCE if here else Place.MISSING


def stage(places: Sequence[Place], groups: Sequence[GroupReading], checks: Sequence[Check] | None) -> Stage:
    """The plan's stage: a move holding either group wins (ARM may still move or roll back anything); then where the
    resources are; all at the destination is done only when every follow-up read is done."""
    if any(g.holds_move for g in groups):
        return Stage.MOVING
    if places and all(p is Place.DESTINATION for p in places):
        return Stage.DONE if all(c.done for c in checks or ()) else Stage.FOLLOW_UPS_LEFT
    if places and all(p is Place.SOURCE for p in places):
        return Stage.NOT_STARTED
    return Stage.INCONSISTENT


def move_window(state: MoveState | None, now: datetime, moving: bool) -> dict[str, Any]:
    """How long the move has run against ARM's four hours: known only from state.json of the apply run that started
    it; `remainingSeconds` only while a move holds the groups."""
    if state is None:
        return {
            "startedAt": None,
            "recordedStatus": None,
            "elapsedSeconds": None,
            "limitSeconds": int(ARM_MOVE_WINDOW.total_seconds()),
            "remainingSeconds": None,
        }
    elapsed = max(int((now - state.started()).total_seconds()), 0)
    limit = int(ARM_MOVE_WINDOW.total_seconds())
    return {
        "startedAt": state.started_at,
        "recordedStatus": str(state.status),
        "elapsedSeconds": elapsed,
        "limitSeconds": limit,
        "remainingSeconds": max(limit - elapsed, 0) if moving else None,
    }


def role_assignment_checks(
    snapshot: Iterable[dict[str, Any]], present: dict[str, set[tuple[str, str, str]]]
) -> list[Check]:
    """Each assignment of the plan's snapshot: present at its new scope (same principal, role and condition) or not.
    `present`: new scope (normalised, lower case) → the grants read there (restore.assignment_key)."""
    from .restore import assignment_key

    out = []
    for a in snapshot:
        key = assignment_key(a["principalId"], a["roleDefinitionId"], a.get("condition"))
        scope = ids.normalise_id(a["newScope"]).lower()
        role = a.get("roleName") or ids.role_guid(a["roleDefinitionId"])
        target = f"{a.get('principalType') or 'User'} {a['principalId']} as {role} at {a['newScope']}"
        found = key in present.get(scope, set())
        out.append(
            Check(
                "role-assignment",
                target,
                found,
                "present at the new scope"
                if found
                else "not at the new scope (apply restores it with restore-role-assignments; a principal deleted "
                "from the directory cannot be restored)",
                ""
                if found
                else f"az role assignment create --assignee-object-id {a['principalId']} "
                f"--assignee-principal-type {a.get('principalType') or 'User'} --role "
                f"{ids.role_guid(a['roleDefinitionId'])} --scope {a['newScope']}",
            )
        )
    return out


def datastore_checks(
    datastores: Iterable[dict[str, Any]], moved_accounts: list[str], dest: ids.ResourceId
) -> list[Check]:
    """Each datastore of the moved workspace on a moved storage account: does it name the account's new subscription
    and group (restore.needs_repair, apply's own rule)?"""
    from .restore import needs_repair

    out = []
    for ds in datastores:
        props = ds.get("properties") or {}
        account = props.get("accountName")
        if not account or account.lower() not in {a.lower() for a in moved_accounts}:
            continue
        stale = needs_repair(props.get("subscriptionId"), props.get("resourceGroup"), account, moved_accounts, dest)
        was = f"{props.get('subscriptionId') or 'null'}/{props.get('resourceGroup') or 'null'}"
        out.append(
            Check(
                "datastore",
                str(ds.get("name")),
                not stale,
                f"still names {was}: apply repairs it with repair-datastores"
                if stale
                else "names the account's new subscription and group",
            )
        )
    return out


_MISSING = {
    "attached-compute": "detached before the move and not attached to the moved workspace: attach it again if it is "
    "still wanted (report.md gives the command; the cluster or workspace it wraps was kept)",
    "": "not in the moved workspace: recreate it from the plan artifact's exports/ (report.md gives the command)",
}


def object_checks(
    expected: Iterable[tuple[str, str, list[str], dict[str, Any] | None]], bodies: Mapping[str, dict[str, Any]]
) -> list[Check]:
    """Each object the plan removed before the move (its exports): back in the moved workspace or not. `expected`:
    (kind, name, the ids it may have there, an endpoint's planned routing from its export or None), `bodies`: what
    ARM returned for the ids found (lower case). Back means present, provisioned (Succeeded; a deployment still
    Creating is not back yet) and, for an endpoint, routing as the plan found it (endpoints.routes_as_held)."""
    from .endpoints import routes_as_held

    out = []
    for kind, name, candidates, split in expected:
        found = next((c for c in candidates if c.lower() in bodies), None)
        if found is None:
            out.append(Check(kind, name, False, _MISSING.get(kind, _MISSING[""])))
            continue
        body = bodies[found.lower()]
        here = ids.ResourceId.parse(found).name
        state = str((body.get("properties") or {}).get("provisioningState") or "")
        if state and state.lower() != "succeeded":
            out.append(Check(kind, name, False, f"in the moved workspace ({here}), provisioningState {state}"))
        elif split is not None and not routes_as_held(kind, body, split):
            out.append(
                Check(
                    kind,
                    name,
                    False,
                    f"in the moved workspace ({here}), but not routing as planned yet (traffic is restored once "
                    "every deployment is Succeeded; report.md gives the command)",
                )
            )
        else:
            out.append(Check(kind, name, True, f"present in the moved workspace ({here})"))
    return out


def private_endpoint_checks(follow_ups: Iterable[Any]) -> list[Check]:
    """postmove.PostMove.private_endpoints read without approving: already-done (Approved before and now) is done,
    manual (Approved before, not now) remains; a connection that was not Approved before is not amlmove's."""
    out = []
    for f in follow_ups:
        status = str(f.status)
        if status in ("already-done", "manual", "failed"):
            out.append(Check("private-endpoint", f.target, status == "already-done", f.detail, f.command))
    return out


# --- the document --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What status read and decided; `to_json()` is status.json."""

    plan: Plan
    places: tuple[tuple[str, str, Place], ...]  # (planned id, its id at the destination, where it is)
    groups: tuple[GroupReading, ...]
    checks: tuple[Check, ...] | None  # None: not read (the planned resources are not all at the destination)
    state: MoveState | None  # state.json of the apply run that started the move, when output-dir holds it
    now: datetime

    @property
    def stage(self) -> Stage:
        return stage([p for _, _, p in self.places], self.groups, self.checks)

    def to_json(self) -> dict[str, Any]:
        current = self.stage
        moving = any(g.holds_move for g in self.groups)
        return {
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "amlmove", "version": __version__},
            "createdAt": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "planDigest": self.plan.digest,
            "state": str(current),
            "next": next_step(current, self.checks),
            "sourceWorkspaceId": self.plan.source.workspace_id,
            "destinationWorkspaceId": self.plan.destination.workspace_id,
            "resources": [{"id": old, "newId": new, "place": str(where)} for old, new, where in self.places],
            "groups": [
                {
                    "id": g.id,
                    "role": g.role,
                    "exists": g.exists,
                    "provisioningState": g.provisioning_state,
                    "holdsMove": g.holds_move,
                }
                for g in self.groups
            ],
            "moveInProgress": moving,
            "moveWindow": move_window(self.state, self.now, moving),
            "followUps": None if self.checks is None else [c.to_json() for c in self.checks],
        }


def next_step(current: Stage, checks: Sequence[Check] | None) -> str:
    left = sum(not c.done for c in checks or ())
    return {
        Stage.NOT_STARTED: "Nothing of this plan has moved and no move holds the groups: apply the approved plan.",
        Stage.MOVING: "ARM holds the groups for a move (up to 4 hours from its start): wait, run status again, or "
        "re-run apply with the same plan and output-dir to follow it (it never starts a second move).",
        Stage.FOLLOW_UPS_LEFT: f"Every planned resource is at the destination; {left} follow-up(s) remain: re-run "
        "apply with the same plan for those its opt-ins cover (it does not move again), do the others by hand "
        "(status.md lists each).",
        Stage.DONE: "Every planned resource is at the destination and every follow-up is done.",
        Stage.INCONSISTENT: "No move holds the groups, yet the planned resources are not all in one place (a partial "
        "move, or a resource missing or in both groups): read status.md, finish or roll back by hand "
        "(az resource move), then plan again.",
    }[current]


def schema() -> dict[str, Any]:
    text = package_files.files("amlmove_action.schemas").joinpath("status.schema.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def write_status(data: dict[str, Any], output_dir: Path) -> Path:
    return write_json_atomically(output_dir / "status.json", data)


# --- rendering -----------------------------------------------------------------------------------------------------

_HEADLINE = {
    "not-started": "⏸️ Not started",
    "moving": "🚚 Moving",
    "follow-ups-left": "🧰 Moved, follow-ups left",
    "done": "✅ Done",
    "inconsistent": "⚠️ Inconsistent",
}


def window_line(window: dict[str, Any], moving: bool) -> str:
    if window["startedAt"] is None:
        return (
            "Move started: unknown (recorded only in the state.json of the apply run that started it: pass its "
            "output-dir; ARM's activity log is not read)"
        )
    line = (
        f"Move started {window['startedAt']} (state.json: {window['recordedStatus']}), "
        f"{durations.text(window['elapsedSeconds'])} ago"
    )
    if moving:
        line += f"; {durations.text(window['remainingSeconds'])} left of ARM's 4-hour window"
    return line


def status_markdown(data: dict[str, Any]) -> str:
    places = [r["place"] for r in data["resources"]]
    follow = data["followUps"]
    lines = [
        f"## amlmove status: {_HEADLINE.get(data['state'], md(data['state']))}",
        "",
        f"**{places.count('destination')} at the destination · {places.count('source')} in the source group · "
        f"{places.count('missing')} missing · {places.count('both')} in both · "
        + (
            "follow-ups not read yet**"
            if follow is None
            else f"{sum(f['status'] == 'remaining' for f in follow)} follow-up(s) remaining**"
        ),
        "",
        md(data["next"]),
        "",
        f"Workspace {code(data['sourceWorkspaceId'])} → {code(data['destinationWorkspaceId'])}",
        "",
        "### Groups",
        "",
        "| Group | Role | provisioningState | Held by a move |",
        "|---|---|---|---|",
    ]
    for g in data["groups"]:
        state = code(g["provisioningState"]) if g["exists"] else "not found"
        lines.append(f"| {code(g['id'])} | {md(g['role'])} | {state} | {'yes' if g['holdsMove'] else 'no'} |")
    lines += ["", md(window_line(data["moveWindow"], data["moveInProgress"])), "", "### Resources", ""]
    lines += ["| Resource | Where it is now |", "|---|---|"]
    shown = {
        "destination": "at the destination",
        "source": "in the source group",
        "both": "**in both groups**",
        "missing": "**in neither group**",
    }
    lines += [f"| {code(r['id'])} | {shown[r['place']]} |" for r in data["resources"]]
    lines.append("")
    if follow:
        remaining = [f for f in follow if f["status"] == "remaining"]
        done = [f for f in follow if f["status"] == "done"]
        if remaining:
            lines += ["### Follow-ups remaining", ""]
            for f in remaining:
                lines.append(f"- [ ] **{md(f['kind'])}** {code(f['target'])}: {md(f['detail'])}")
                if f["command"]:
                    lines.append(f"  {code_block(f['command'])}")
            lines.append("")
        if done:
            lines += [f"<details><summary>Follow-ups done ({len(done)})</summary>", ""]
            lines += [f"- **{md(f['kind'])}** {code(f['target'])}: {md(f['detail'])}" for f in done]
            lines += ["", "</details>", ""]
    lines.append(f"Plan digest {code(data['planDigest'])} · amlmove {code(data['tool']['version'])} · read-only")
    return truncate("\n".join(lines) + "\n", "the status artifact (status.json)")


def status_terminal(data: dict[str, Any]) -> list[str]:
    """Plain lines for the log (the platform makes each inert)."""
    places = [r["place"] for r in data["resources"]]
    follow = data["followUps"]
    out = [
        f"Status: {data['state']} — {places.count('destination')} of {len(places)} planned resource(s) at the "
        f"destination, {places.count('source')} in the source group, {places.count('missing')} missing, "
        f"{places.count('both')} in both",
    ]
    for g in data["groups"]:
        out.append(
            f"  {g['role']} group {g['id']}: "
            + (f"provisioningState {g['provisioningState']}" if g["exists"] else "not found")
            + (" (held by a move)" if g["holdsMove"] else "")
        )
    out.append(f"  {window_line(data['moveWindow'], data['moveInProgress'])}")
    if follow is not None:
        remaining = [f for f in follow if f["status"] == "remaining"]
        out.append(f"  Follow-ups: {len(follow) - len(remaining)} done, {len(remaining)} remaining")
        out += [f"    remaining {f['kind']}: {f['target']}" for f in remaining]
    out.append(f"  Next: {data['next']}")
    return out
