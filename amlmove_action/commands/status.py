"""`status`: read, never write, where an approved plan's move stands — from the plan file alone (plus sign-in, and
output-dir's state.json when it holds the apply run's) — and publish status.json, status.md and the summary.

Strictly read-only: every request is a GET (the sign-in's token request aside). It neither validates (a POST) nor
moves; the ARM pipeline has no automatic provider registration (azure.arm_policies). What it reads: both groups
(provisioningState: a move holds them), both groups' resource lists (move.group_listing), and once every planned
resource is at the destination the follow-ups — role assignments at and below the new scopes
(discovery.role_assignments_at), the moved workspace's datastores (postmove.PostMove.datastores), the objects the
plan removed (exports), the private endpoint connections (postmove.PostMove.private_endpoints, without approving)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ids
from ..session import sign_in

if TYPE_CHECKING:
    from ..azure import Clients
    from ..inputs import StatusSettings
    from ..movestatus import Check, GroupReading, Status
    from ..plan import Plan
    from ..state import MoveState

PRELOAD = ("amlmove_action.move", "amlmove_action.movestatus", "amlmove_action.postmove")


def run(settings: StatusSettings, env: Mapping[str, str], platform: Any) -> int:
    from ..localfiles import prepare_output_dir
    from ..planfile import load_plan
    from ..state import read_state

    prepare_output_dir(settings.output_dir)
    plan = load_plan(settings.plan_file)
    check_plan(plan, settings)
    state = read_state(
        settings.output_dir / "state.json", plan.digest, settings.arm_endpoint, plan.source.resource_group_id
    )
    session = sign_in(settings, env, platform, preload=PRELOAD)
    status = read_status(session.clients, plan, state, platform, settings.plan_file.parent)
    publish(status.to_json(), settings, platform)
    return 0


def check_plan(plan: Plan, settings: StatusSettings) -> None:
    """An edited plan, or one for another workspace or destination than the inputs name, is a bad input (exit 2):
    status would report on resources nobody approved."""
    from ..errors import InputError

    if plan.content_digest() != plan.digest:
        raise InputError(
            "plan-file",
            "its digest does not match its content (the file was edited after planning)",
            "Pass the plan.json the plan job wrote, unmodified",
        )
    for given, planned, name in (
        (
            settings.source_workspace.id if settings.source_workspace else None,
            plan.source.workspace_id,
            "source-workspace-id",
        ),
        (
            settings.destination_group.id if settings.destination_group else None,
            plan.destination.resource_group_id,
            "destination-resource-group-id",
        ),
    ):
        if given is not None and not ids.same_id(given, planned):
            raise InputError(
                name,
                f"is not the plan's ({planned})",
                "Leave it out (status reads everything from the plan file) or pass the plan made for it",
                value=given,
            )


def read_status(clients: Clients, plan: Plan, state: MoveState | None, platform: Any, plan_dir: Path) -> Status:
    """Everything status reads, in ARM, then the pure decision (movestatus)."""
    from ..move import group_listing
    from ..movestatus import Place, Status, place

    source, target = plan.source.resource_group_id, plan.destination.resource_group_id
    groups = (group_reading(clients, source, "source"), group_reading(clients, target, "destination"))
    in_source, in_target = group_listing(clients, source), group_listing(clients, target)
    places = tuple(
        (rid, new, place(rid, new, in_source, in_target))
        for rid in plan.resources
        for new in [ids.moved_id(rid, target)]
    )
    all_moved = all(p is Place.DESTINATION for _, _, p in places) and not any(g.holds_move for g in groups)
    checks = (
        tuple(follow_up_checks(clients, plan, [(old, new) for old, new, _ in places], platform, plan_dir))
        if all_moved
        else None
    )
    return Status(plan, places, groups, checks, state, datetime.now(UTC))


def group_reading(clients: Clients, group_id: str, role: str) -> GroupReading:
    from ..api_versions import RESOURCES_API
    from ..movestatus import GroupReading

    rid = ids.ResourceId.parse(group_id)
    body = clients.get_json(
        f"/subscriptions/{rid.subscription_id}/resourcegroups/{rid.resource_group}",
        RESOURCES_API,
        operation=f"GET {role} group",
    )
    if body is None:
        return GroupReading(group_id, role, False, None)
    return GroupReading(body.get("id") or group_id, role, True, (body.get("properties") or {}).get("provisioningState"))


def follow_up_checks(
    clients: Clients, plan: Plan, moved: list[tuple[str, str]], platform: Any, plan_dir: Path
) -> list[Check]:
    """The follow-ups of the approved plan as ARM shows them now (read-only)."""
    from .. import movestatus
    from ..discovery import role_assignments_at
    from ..postmove import PostMove, in_parallel
    from ..restore import assignment_key

    pm = PostMove(clients, plan.source.workspace_id, plan.destination.resource_group_id, moved, platform.mask)
    dest = ids.ResourceId.parse(plan.destination.resource_group_id)
    renames = {ids.normalise_id(old).lower(): new for old, new in moved}
    roots = list(dict.fromkeys(renames.values()))
    present: dict[str, set[tuple[str, str, str]]] = {}
    for found in in_parallel(lambda root: role_assignments_at(clients, root), roots):
        for a in found:
            key = assignment_key(a.principal_id, a.role_definition_id, a.condition)
            present.setdefault(ids.normalise_id(a.scope).lower(), set()).add(key)
    checks = movestatus.role_assignment_checks(plan.role_assignment_snapshot, present)
    moved_accounts = [
        ids.ResourceId.parse(new).name
        for old, new in moved
        if ids.ResourceId.parse(old).type.lower() == "microsoft.storage/storageaccounts"
    ]
    checks += movestatus.datastore_checks(pm.datastores(), moved_accounts, dest)
    checks += object_checks(clients, plan, plan_dir)
    pm.private_endpoints(False, list(plan.post_move["privateEndpointConnections"]))  # approve=False: reads only
    checks += movestatus.private_endpoint_checks(pm.results)
    return checks


def object_checks(clients: Clients, plan: Plan, plan_dir: Path) -> list[Check]:
    """The computes and endpoints the plan removed before the move (its exports): back in the moved workspace? A
    compute instance comes back under restore.new_instance_name (recreate-computes), or its own name by hand. An
    endpoint is back once it routes as its export says (read from the plan artifact's exports/ when it is beside
    plan.json; without it, presence and provisioning state decide)."""
    from .. import movestatus
    from ..api_versions import ML_API
    from ..postmove import in_parallel
    from ..restore import new_instance_name

    target = plan.destination.resource_group_id
    expected = []
    for item in plan.exports:
        new = ids.moved_id(item["resourceId"], target)
        candidates = [new]
        if item["kind"] == "compute":
            candidates.append(f"{new.rsplit('/', 1)[0]}/{new_instance_name(item['name'])}")
        expected.append((item["kind"], item["name"], candidates, planned_split(item, plan_dir)))
    wanted = [c for _, _, candidates, _ in expected for c in candidates]
    found = in_parallel(lambda rid: clients.get_json(rid, ML_API), wanted)
    bodies = {rid.lower(): body for rid, body in zip(wanted, found, strict=True) if body is not None}
    return movestatus.object_checks(expected, bodies)


def planned_split(item: dict[str, Any], plan_dir: Path) -> dict[str, Any] | None:
    """An endpoint's routing as its export holds it, or None (not an endpoint, or the export is not beside the
    plan: status also runs with plan.json alone)."""
    from ..endpoints import definition_of, held_split

    if item["kind"] not in ("online-endpoint", "batch-endpoint"):
        return None
    try:
        text = (plan_dir / item["file"]).read_text(encoding="utf-8")
        return held_split(item["kind"], definition_of(text))
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def publish(data: dict[str, Any], settings: StatusSettings, platform: Any) -> None:
    """status.json + status.md, the job summary, the terminal lines and the step outputs."""
    from ..movestatus import status_markdown, status_terminal, write_status

    path = write_status(data, settings.output_dir)
    markdown = status_markdown(data)
    (settings.output_dir / "status.md").write_text(markdown, encoding="utf-8")
    platform.write_summary(markdown)
    for line in status_terminal(data):
        platform.info(line)
    if data["state"] == "inconsistent":
        platform.annotate("warning", data["next"], title="amlmove status")
    platform.set_output("status", data["state"])
    platform.set_output("moved", "true" if all(r["place"] == "destination" for r in data["resources"]) else "false")
    platform.info(f"Status written to {path}")
