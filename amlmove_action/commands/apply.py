"""`apply`: move exactly the approved plan, or refuse. Verify the plan file, re-plan and refuse on drift, prepare
(snapshot, export, opt-in removals, destination group, providers), move with a persisted continuation token and a
heartbeat, resume instead of moving twice, repair what the move leaves broken, and report."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import drift, durations, move, planning
from .. import inventory as inv
from ..errors import AmlMoveError, AzureError, ExitCode, PlanRefused, RuntimeFailure
from ..inputs import Settings
from ..localfiles import prepare_output_dir
from ..planfile import load_plan, verify_plan
from ..report import Report, report_markdown, status_for, write_report
from ..selection import AssociatedResourceChoice, IncludeMode
from ..session import Session, sign_in
from ..state import MoveState, MoveStatus, read_state, save_state


class Phases:
    """Wall time per phase, for the report."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []
        self._name, self._t0 = "", 0.0

    def start(self, name: str) -> None:
        self.stop()
        self._name, self._t0 = name, time.monotonic()

    def stop(self) -> None:
        if self._name:
            self.done.append((self._name, time.monotonic() - self._t0))
            self._name = ""


def planned_settings(settings: Settings, plan: dict[str, Any]) -> Settings:
    """Apply plans and acts with the approved plan's options, not with whatever the apply job's inputs say
    (Terraform); check_opt_ins has already refused inputs that disagree."""
    from ..plan import OPT_INS

    opts = plan["options"]
    include = opts["includeAssociatedResources"]
    if include in {m.value for m in IncludeMode if m is not IncludeMode.LISTED}:
        choice = AssociatedResourceChoice(IncludeMode(include))
    else:
        choice = AssociatedResourceChoice(IncludeMode.LISTED, tuple(i for i in include.split("\n") if i))
    return replace(
        settings,
        include_associated_resources=choice,
        skip_checks=frozenset(opts["skipChecks"]),
        create_destination_resource_group=opts["createDestinationResourceGroup"],
        **{field: opts[key] for field, key, _ in OPT_INS},
    )


def check_opt_ins(settings: Settings, plan: dict[str, Any], path: Path) -> None:
    """Every opt-in is part of the approved plan: an apply whose inputs say otherwise is refused (exit 1) before any
    request, naming every disagreement in one line."""
    from ..plan import OPT_INS

    differ = [
        f"{name} is {str(getattr(settings, field)).lower()} here but the approved plan says "
        f"{str(plan['options'][key]).lower()}"
        for field, key, name in OPT_INS
        if getattr(settings, field) != plan["options"][key]
    ]
    if differ:
        names = ", ".join(name for field, key, name in OPT_INS if getattr(settings, field) != plan["options"][key])
        raise PlanRefused(
            str(path),
            "; ".join(differ),
            f"Set {names} as the approved plan did, or plan again with the new value(s) and get that plan approved",
        )


# Loaded while the token request is in flight: the re-plan's modules, then the move's and the follow-ups'.
PRELOAD = (*planning.PRELOAD, "amlmove_action.postmove")


def run(settings: Settings, env: Mapping[str, str], platform: Any) -> int:
    prepare_output_dir(settings.output_dir)
    approved = load_plan(settings.plan_file)
    ws_id, dest_id = settings.source_workspace.id, settings.destination_group.id
    out = settings.output_dir
    state_path = out / "state.json"
    state = read_state(state_path, approved["digest"], settings.arm_endpoint, approved["source"]["resourceGroupId"])
    report = Report(approved["digest"], approved["source"]["workspaceId"], approved["destination"]["workspaceId"])
    phases = Phases()
    try:
        # A plan refused here (edited, for another workspace or destination, blocked, other opt-ins) gets the same
        # refused report and outputs (status refused, moved false) as one refused after the re-plan: a workflow
        # that branches on `moved` must not read an empty value.
        verify_plan(approved, settings.plan_file, ws_id, dest_id, max_age=None)
        check_opt_ins(settings, approved, settings.plan_file)
        session = sign_in(settings, env, platform, preload=PRELOAD)
        code = _apply(settings, env, platform, approved, session, state, state_path, report, phases)
    except AmlMoveError as exc:
        if report.status is None:
            report.status = status_for(exc.exit_code)
            report.error = report.error or {"code": exc.reference, "message": str(exc)}
        _publish(report, phases, settings, platform)
        raise
    except Exception as exc:
        if not report.writes:
            raise  # nothing changed: the CLI's one-line internal error (exit 3) says it all
        # Anything unexpected after the first write: the report still lists every change and its undo command, and
        # the run ends with one line (the third-party traceback goes only to the debug log).
        import traceback

        from ..errors import one_line

        for line in traceback.format_exc().splitlines():
            platform.debug(line)
        failure = RuntimeFailure(
            "Apply",
            f"unexpected {type(exc).__name__} after {len(report.writes)} change(s) in Azure: "
            f"{one_line(str(exc))[:200]}",
            "report.md lists every change made and the command that undoes or finishes each; re-run apply with the "
            "same plan (it removes only what is still there and never moves twice)",
        )
        if report.status in (None, "refused"):
            report.status = "failed"
        report.error = {"code": failure.reference, "message": str(failure)}
        _publish(report, phases, settings, platform)
        raise failure from None
    _publish(report, phases, settings, platform)
    return code


def _apply(
    settings: Settings,
    env: Mapping[str, str],
    platform: Any,
    approved: dict[str, Any],
    session: Session,
    state: MoveState | None,
    state_path: Path,
    report: Report,
    phases: Phases,
) -> int:
    clients = session.clients
    resources = list(approved["resources"])
    source_group = approved["source"]["resourceGroupId"]
    target_group = approved["destination"]["resourceGroupId"]

    phases.start("locate")
    if state is not None and state.status is MoveStatus.ACCEPTED and state.continuation_token:
        platform.info(f"Resuming the move ARM accepted at {state.started_at} (state.json) — not starting another")
        phases.start("move")
        poller = move.resume_move(clients, source_group, state)
        _wait(clients, poller, state, state_path, settings, platform, report, resources, source_group, target_group)
    else:
        positions = move.locate(clients, resources, source_group, target_group)
        if not _own_move_done(report, platform, positions, len(resources), "an earlier move"):
            verify_plan(
                approved,
                settings.plan_file,
                settings.source_workspace.id,
                settings.destination_group.id,
                max_age=settings.max_plan_age,
            )
            phases.start("re-plan")
            replanned = _replan(settings, session, platform, approved, report, phases)
            if replanned is not None:
                fresh, inventory = replanned
                try:
                    _prepare_and_move(
                        settings, platform, approved, session, state_path, report, phases, fresh, inventory
                    )
                except (AzureError, PlanRefused):
                    # Before this run's own move (nothing recorded yet) a read or the final validation may fail
                    # because another run of the plan moved everything meanwhile: that is the plan's move done.
                    if report.status is not None or not _own_move_done_meanwhile(clients, report, platform, approved):
                        raise
    phases.start("follow-ups")
    _follow_ups(settings, platform, approved, session, report)
    phases.stop()
    failed = [f for f in report.follow_ups if f["status"] == "failed"]
    platform.set_output("moved", "true")
    platform.set_output("destination-workspace-id", approved["destination"]["workspaceId"])
    left = sum(f["status"] in ("manual", "failed") for f in report.follow_ups) + len(report.checklist)
    platform.info(
        f"Apply finished ({report.status}): {len(report.follow_ups)} follow-up(s) checked, {left} item(s) "
        "left for people in report.md"
    )
    if failed:
        raise RuntimeFailure(
            "Follow-up",
            f"the move succeeded but {len(failed)} follow-up(s) failed "
            f"({', '.join(sorted({f['kind'] for f in failed}))})",
            "Re-run apply with the same plan to retry them (the move is not repeated); see "
            "report.md for the manual steps",
        )
    return ExitCode.SUCCESS


def _own_move_done(report: Report, platform: Any, positions: move.Positions, planned: int, cause: str) -> bool:
    """Decide from where the planned resources are now: all at the destination — this plan's move is done, whoever
    ran it (True: record already-moved, go on to the follow-ups); none — False, this run may move; some — the move
    finished partially (RuntimeFailure, the report says which)."""
    outcome = positions.outcome
    if outcome == "all":
        platform.info("Every planned resource is already at the destination: going straight to the follow-ups")
        report.record("already-moved", positions)
        report.drift, report.error = [], None
        return True
    if outcome == "partial":
        raise _finished_partially(
            report,
            positions,
            f"{len(positions.moved)} of {planned} planned resources are already at the destination and the others "
            f"are not ({cause} finished partially)",
        )
    return False


def _replan(
    settings: Settings, session: Session, platform: Any, approved: dict[str, Any], report: Report, phases: Phases
) -> tuple[dict[str, Any], inv.Inventory] | None:
    """The fresh plan (and what it read) when nothing move-relevant changed; None when this plan's own move (another
    run of it) finished meanwhile; PlanRefused on drift. A move in progress on the groups is waited out."""
    clients = session.clients
    resources = list(approved["resources"])
    source_group = approved["source"]["resourceGroupId"]
    target_group = approved["destination"]["resourceGroupId"]
    waited = False
    while True:
        try:
            return _refuse_on_drift(settings, session, platform, approved, report)
        except MoveInProgress:
            if waited:
                raise
            # No state.json of this plan's (a re-run gets a fresh workspace) but ARM holds the groups for a move:
            # maybe this plan's, started by another run (alive or dead). Wait it out, then see where everything is.
            phases.start("wait for the move in progress")
            positions = _wait_out_move_in_progress(clients, settings, platform, resources, source_group, target_group)
            report.drift = []
            if _own_move_done(report, platform, positions, len(resources), "the move in progress"):
                return None
            waited = True  # it was another move, or it failed: plan again, refuse on drift
            phases.start("re-plan")
        except (PlanRefused, AzureError):
            # The re-plan may have read this plan's own move finishing (another run of it): the workspace gone from
            # the source group, ARM refusing to validate resources that left. Where the resources are decides.
            if not _own_move_done_meanwhile(clients, report, platform, approved):
                raise
            return None


def _own_move_done_meanwhile(clients: Any, report: Report, platform: Any, approved: dict[str, Any]) -> bool:
    """After a failed step: whether every planned resource is at the destination now (see _own_move_done); False as
    well when the groups cannot be listed (the step's own error is the one to report)."""
    resources = list(approved["resources"])
    try:
        positions = move.locate(
            clients, resources, approved["source"]["resourceGroupId"], approved["destination"]["resourceGroupId"]
        )
    except AzureError:
        return False
    return _own_move_done(report, platform, positions, len(resources), "a move made meanwhile")


def _finished_partially(report: Report, positions: move.Positions, detail: str) -> RuntimeFailure:
    """Some planned resources moved and the others did not: the report says which, and people finish by hand."""
    report.record("failed", positions)
    return RuntimeFailure(
        "Apply", detail, "Read report.md, move or roll back the rest by hand (az resource move), then plan again"
    )


def _refuse_on_drift(
    settings: Settings, session: Session, platform: Any, approved: dict[str, Any], report: Report
) -> tuple[dict[str, Any], inv.Inventory]:
    """The fresh plan (and what it read), when nothing move-relevant changed; PlanRefused otherwise."""
    fresh, inventory = planning.make_plan(planned_settings(settings, approved), session, platform, for_review=False)
    diffs = drift.differences(approved, fresh)
    if diffs:
        report.drift = [{"what": d.what, "approved": d.approved, "now": d.now} for d in diffs]
        for row in drift.table(diffs):
            platform.info(row)
        verdict = fresh.get("validation") or {}
        if _move_in_progress(verdict):  # not a change to plan for: a move (maybe this plan's) holds the groups
            raise MoveInProgress(
                str(settings.plan_file),
                f"ARM says a move is in progress on these resource groups ({verdict.get('code')})",
                "Nothing was changed. Wait until it finishes (ARM allows it up to 4 hours), then re-run apply with "
                "the same plan: if it is this plan's move (started by a run that died), apply finds the resources "
                "moved and only does the follow-ups",
            )
        raise PlanRefused(
            str(settings.plan_file),
            f"Azure changed since the plan was approved ({len(diffs)} "
            f"difference(s): {', '.join(d.what for d in diffs)})",
            "Nothing was changed. Plan again and have the new plan approved",
        )
    return fresh, inventory


class MoveInProgress(PlanRefused):
    """The re-plan found the groups held by a move in progress (ARM's ResourceGroupMoveInProgress)."""


# While a move that this run did not start holds the groups: look again after these pauses (seconds), then every
# LOCKED_POLL_MAX seconds until move-timeout. Short first pauses: the move may be a few seconds from done.
LOCKED_POLL_START, LOCKED_POLL_MAX = 1.0, 15.0


def _wait_out_move_in_progress(
    clients: Any, settings: Settings, platform: Any, resources: list[str], source_group: str, target_group: str
) -> move.Positions:
    """Wait, with a heartbeat, until every planned resource is at the destination or ARM no longer reports a move in
    progress on the groups (validateMoveResources answers something else); then where everything is. After
    move-timeout: RuntimeFailure, nothing changed by this run."""
    from ..validation import validate_move

    started = datetime.now(UTC)
    deadline = started + settings.move_timeout
    pause = LOCKED_POLL_START
    platform.info(
        "ARM says a move is in progress on these resource groups and this run has no state.json of its own: "
        "waiting for it to finish (it may be this plan's, started by a run that died) instead of starting another"
    )
    while True:
        positions = move.locate(clients, resources, source_group, target_group)
        if positions.all_moved:
            return positions
        verdict = validate_move(clients, source_group, resources, target_group)
        if not _move_in_progress({"code": verdict.code, "message": verdict.message}):
            return positions
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            raise RuntimeFailure(
                "Waiting for the move in progress",
                "ARM still reports a move in progress on the groups after move-timeout "
                f"({durations.text(settings.move_timeout)}); "
                f"{len(positions.moved)} of {len(resources)} planned resource(s) are at the destination",
                "Nothing was changed by this run. Re-run apply with the same plan later: it waits again, or goes "
                "straight to the follow-ups once the resources are at the destination",
            )
        platform.info(
            f"Move in progress (not started by this run): {move.elapsed_text(datetime.now(UTC) - started)} "
            f"waited, {len(positions.moved)} of {len(resources)} planned resource(s) at the destination"
        )
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, LOCKED_POLL_MAX)


def _move_in_progress(validation: dict[str, Any]) -> bool:
    code, message = str(validation.get("code") or ""), str(validation.get("message") or "").lower()
    return code == "ResourceGroupMoveInProgress" or ("move" in message and "in progress" in message)


def _prepare_and_move(
    settings: Settings,
    platform: Any,
    approved: dict[str, Any],
    session: Session,
    state_path: Path,
    report: Report,
    phases: Phases,
    fresh: dict[str, Any] | None = None,
    inventory: inv.Inventory | None = None,
) -> datetime:
    from ..removals import Write, remove
    from ..validation import addressed_by_removals, removed_types, validate_move

    clients = session.clients
    out = settings.output_dir
    resources = list(approved["resources"])
    source_group = approved["source"]["resourceGroupId"]
    target_group = approved["destination"]["resourceGroupId"]
    phases.start("snapshot")
    # The snapshot is the approved plan's (taken by plan, covered by its digest): a copy for people, never read back.
    snapshot = approved["roleAssignmentSnapshot"]
    (out / "snapshots").mkdir(parents=True, exist_ok=True)
    (out / "snapshots" / "role-assignments.json").write_text(json.dumps(snapshot, indent=2) + "\n", "utf-8")
    platform.info(f"Snapshot: {len(snapshot)} role assignment(s) at and below what moves (the approved plan's)")
    post = approved["postMove"]
    planned = [*post["computesToRemove"], *post["endpointsToRemove"]]
    # A run that died after its removals left them deleted: remove only what is still there now (the fresh plan lists
    # it), or the re-run would fail on a missing compute forever. Their exports are in the plan artifact.
    if fresh is not None:
        present = {i.lower() for i in (*fresh["postMove"]["computesToRemove"], *fresh["postMove"]["endpointsToRemove"])}
        gone = [i for i in planned if i.lower() not in present]
        if gone:
            platform.info(
                f"{len(gone)} compute(s)/endpoint(s) of the plan are already gone (removed by an earlier run of this "
                "plan): not removing them again; their definitions are in the plan artifact's exports/"
            )
        planned = [i for i in planned if i.lower() in present]
    exports_for = _verified_exports(settings, approved, planned, report, phases, platform)
    dest = inv.ResourceId.parse(target_group)
    wrote = False  # anything written since the re-plan's validation (then ARM validates once more)
    # Only a plan that found the group missing creates it (create-destination-resource-group); a group the plan saw
    # and that is gone now is drift, refused by the re-plan before any write.
    if not approved["destination"]["exists"]:
        phases.start("destination group")
        rc = clients.resources(dest.subscription_id)
        if not rc.resource_groups.check_existence(dest.resource_group):
            platform.info(f"Creating resource group {target_group} in {approved['source']['location']}")
            rc.resource_groups.create_or_update(
                dest.resource_group, {"location": approved["source"]["location"], "tags": {"created-by": "amlmove"}}
            )
            report.writes.append(Write("created", target_group, "resource-group"))
            wrote = True
    if approved["options"]["registerProviders"]:
        phases.start("providers")
        for namespace in _register_providers(clients, dest.subscription_id, resources, platform):
            report.writes.append(
                Write("registered", f"/subscriptions/{dest.subscription_id}/providers/{namespace}", "provider")
            )
            wrote = True
    # Validate, then destroy: ARM's verdict on the move comes BEFORE any removal, and removals happen only when it
    # passed or failed solely for reasons the approved removals address (validation.addressed_by_removals).
    verdict = _verdict(clients, platform, phases, source_group, resources, target_group, fresh, inventory, wrote)
    # A move in progress (ARM's answer just now) is met again at the POST and waited out there — but never with
    # removals still to do: the groups are locked, and what holds them may not be this plan's move.
    in_progress = _move_in_progress({"code": verdict.code, "message": verdict.message})
    if planned:
        types = removed_types(approved["options"]["removeComputes"], approved["options"]["removeEndpoints"])
        if verdict.status is not inv.ValidationStatus.PASSED and not addressed_by_removals(verdict, planned, types):
            _refuse_on_verdict(settings, report, verdict, "Nothing was deleted. ")
        phases.start("removals")
        by_id = {c.id.lower(): c for c in (inventory.computes if inventory is not None else ())}
        computes = [by_id.get(i.lower()) or _compute_of(clients, i) for i in planned if "/computes/" in i.lower()]
        endpoints = [i for i in planned if "/computes/" not in i.lower()]
        platform.info(
            f"Removing {len(computes)} compute(s) and {len(endpoints)} endpoint(s) as the approved plan says "
            "(their exports are verified)"
        )
        remove(clients, computes, endpoints, exports_for, _Journal(report), platform.info)
        phases.start("validate")
        platform.info("Asking ARM to validate the move again after the removals …")
        verdict = validate_move(clients, source_group, resources, target_group)
        in_progress = _move_in_progress({"code": verdict.code, "message": verdict.message})
        if verdict.status is not inv.ValidationStatus.PASSED and not in_progress:
            report.status = "failed"
            report.error = {"code": verdict.code, "message": verdict.message, "correlationId": verdict.correlation_id}
            raise RuntimeFailure(
                "Apply",
                f"after removing {len(planned)} compute(s)/endpoint(s) ARM's validateMoveResources still fails with "
                f"{verdict.code}: {(verdict.message or '')[:200]}",
                "Nothing was moved. report.md lists every removal and the command that recreates it from the plan "
                "artifact's exports; fix what ARM names, plan again and get it approved",
            )
    elif verdict.status is not inv.ValidationStatus.PASSED and not in_progress:
        _refuse_on_verdict(settings, report, verdict, "Nothing was moved. ")
    phases.start("move")
    # A move in progress (ARM's answer to the validation just now) is met again at the POST and waited out there.
    poller = _start_move(clients, settings, platform, report, resources, source_group, target_group)
    if poller is None:  # this plan's own move finished meanwhile (another run of it): on to the follow-ups
        return datetime.now(UTC)
    state = MoveState(
        approved["digest"], MoveStatus.ACCEPTED, move.utc_now(), resources, target_group, poller.continuation_token()
    )
    save_state(state_path, state)
    platform.info(f"ARM accepted the move; state saved to {state_path}")
    _wait(clients, poller, state, state_path, settings, platform, report, resources, source_group, target_group)
    return state.started()


# A move of another plan may hold the groups when this run POSTs: wait it out, then ask ARM again, this many times.
MOVE_ATTEMPTS = 3


def _start_move(
    clients: Any,
    settings: Settings,
    platform: Any,
    report: Report,
    resources: list[str],
    source_group: str,
    target_group: str,
) -> Any | None:
    """The poller of the move ARM accepted from this run; None when this plan's own move is done without it (another
    run of the plan moved everything: ARM answered 404 because the resources left, or 409 while that move ran)."""
    for attempt in range(1, MOVE_ATTEMPTS + 1):
        platform.info(f"Moving {len(resources)} resource(s) to {target_group} …")
        try:
            return move.start_move(clients, source_group, resources, target_group)
        except move.MoveFailed as refused:
            if refused.status == 409 and _move_in_progress({"code": refused.code, "message": refused.message}):
                positions = _wait_out_move_in_progress(
                    clients, settings, platform, resources, source_group, target_group
                )
                if _own_move_done(report, platform, positions, len(resources), "the move in progress"):
                    return None
                if attempt < MOVE_ATTEMPTS:
                    continue  # another plan's move held the groups and moved none of these: ask ARM again
            elif refused.status is not None:  # ARM answered: maybe because this plan's move already happened
                positions = move.locate(clients, resources, source_group, target_group)
                if _own_move_done(report, platform, positions, len(resources), "a move made meanwhile"):
                    return None
            _not_started(clients, refused, report, resources, source_group, target_group)
    return None  # not reached: _not_started raises


class _Journal:
    """removals.Journal writing straight into the report (so a failure mid-way reports every removal done)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def add(self, write: Any) -> None:
        self.report.writes.append(write)


def _compute_of(clients: Any, compute_id: str) -> inv.Compute:
    """A compute of the plan the re-plan did not hand over (resume paths): read it, for isAttachedCompute/type."""
    from ..removals import ML_API

    body = clients.get_json(compute_id, ML_API, missing_ok=False, operation="read compute") or {}
    props = body.get("properties") or {}
    return inv.Compute(
        compute_id,
        compute_id.rsplit("/", 1)[-1],
        str(props.get("computeType", "Unknown")),
        str(props.get("provisioningState", "Unknown")),
        bool(props.get("isAttachedCompute")),
        props.get("resourceId"),
    )


def _verified_exports(
    settings: Settings,
    approved: dict[str, Any],
    planned: list[str],
    report: Report,
    phases: Phases,
    platform: Any,
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The approved exports of everything to remove, found next to the plan file (the plan artifact is the
    directory holding plan.json and exports/), each present, unaltered (SHA-256) and loadable with azure-ai-ml —
    else PlanRefused before any write. Copied into output-dir/exports when that is another directory, so this run's
    artifact carries them too. Returns {removed id: ((export kind, file), …)}."""
    import shutil

    from ..exports import Export, ExportProblem, verify

    if not planned:
        return {}
    phases.start("verify exports")
    plan_dir = settings.plan_file.parent
    exports = [Export.from_json(e) for e in approved["exports"]]
    owned = {i.lower(): [e for e in exports if inv.is_within(e.resource_id, i)] for i in planned}
    missing = [i for i, items in owned.items() if not items]
    problem = f"the approved plan has no export of {missing[0]}" if missing else None
    needed = [e for items in owned.values() for e in items]
    if problem is None:
        try:
            verify(needed, plan_dir)
        except ExportProblem as exc:
            problem = str(exc)
    if problem is not None:
        raise PlanRefused(
            str(settings.plan_file),
            f"{problem}; nothing is removed without its approved export",
            "Nothing was changed. Pass the whole plan artifact (plan.json with the exports/ folder next to it), "
            "or plan again and get the new plan approved",
        )
    out = settings.output_dir
    if plan_dir.resolve() != out.resolve():
        for e in needed:
            (out / e.file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plan_dir / e.file, out / e.file)
    report.exports = [e.file for e in needed]
    platform.info(f"Verified {len(needed)} export(s) of the approved plan ({plan_dir / 'exports'})")
    return {i: tuple((e.kind, e.file) for e in items) for i, items in owned.items()}


def _verdict(
    clients: Any,
    platform: Any,
    phases: Phases,
    source_group: str,
    resources: list[str],
    target_group: str,
    fresh: dict[str, Any] | None,
    inventory: inv.Inventory | None,
    wrote: bool,
) -> inv.ValidationResult:
    """ARM's verdict on the move as things stand now: the re-plan's when nothing was written since (asking again
    would be a duplicate request), else a new validateMoveResources."""
    from ..validation import validate_move

    if not wrote and inventory is not None and inventory.validation.status is not inv.ValidationStatus.SKIPPED:
        platform.info("ARM validated exactly this move during the re-plan and nothing was written since")
        return inventory.validation
    phases.start("validate")
    platform.info("Asking ARM to validate the move …")
    return validate_move(clients, source_group, resources, target_group)


def _refuse_on_verdict(settings: Settings, report: Report, verdict: inv.ValidationResult, done: str) -> None:
    report.error = {"code": verdict.code, "message": verdict.message, "correlationId": verdict.correlation_id}
    if _move_in_progress(report.error):
        raise PlanRefused(
            str(settings.plan_file),
            f"ARM says a move is in progress on these resource groups ({verdict.code})",
            f"{done}Wait until that move finishes, then re-run apply with the same plan (if it was this plan's, "
            "apply finds the resources moved and only does the follow-ups)",
        )
    raise PlanRefused(
        str(settings.plan_file),
        f"ARM's validateMoveResources fails with {verdict.code}: {(verdict.message or '')[:300]}",
        f"{done}Fix what ARM names (report.md), plan again and get it approved",
    )


def _not_started(
    clients: Any, refused: move.MoveFailed, report: Report, resources: list[str], source_group: str, target_group: str
) -> None:
    """ARM did not accept the move (or never answered): say exactly where everything is and what to do."""
    positions = move.locate(clients, resources, source_group, target_group)
    report.record("failed", positions)
    report.error = {"code": refused.code, "message": refused.message, "correlationId": refused.correlation_id}
    where = f"{len(positions.moved)} of {len(resources)} resource(s) are at the destination"
    if refused.status is None:
        fix = (
            f"ARM never answered the move request, so it may or may not have started it ({where} now). Re-run apply "
            "with the same plan in a few minutes: it first checks where each resource is and never starts a "
            "second move while one runs"
        )
    elif refused.lost_track or refused.code == "ResourceGroupMoveInProgress":
        fix = (
            f"ARM did not start the move ({where}): wait until the other operation or the throttling is over, then "
            "re-run apply with the same plan (it checks where each resource is first and never moves twice)"
        )
    else:
        fix = f"ARM refused to start the move ({where}). Fix what ARM names (report.md), plan again and get it approved"
    raise AzureError(
        "moveResources",
        status=refused.status,
        code=refused.code,
        message=refused.message,
        correlation_id=refused.correlation_id,
        fix=fix,
    )


# When ARM's operation URL misbehaves (404, garbage, errors after the retries) the move itself is still ARM's to
# finish: poll again from the saved continuation token after these pauses, then stop and say so.
LOST_TRACK_PAUSES = (1, 2, 4, 8, 15)


def _wait(
    clients: Any,
    poller: Any,
    state: MoveState,
    state_path: Path,
    settings: Settings,
    platform: Any,
    report: Report,
    resources: list[str],
    source_group: str,
    target_group: str,
) -> None:
    started = state.started()
    # move-timeout is how long THIS run waits: a run resuming an older move waits anew. Counted from the move's start
    # a resume after that window could never poll even once, and every re-run would end 'timed-out' forever.
    deadline = datetime.now(UTC) + settings.move_timeout

    def heartbeat(elapsed: Any, status: str) -> None:
        platform.info(f"Move in progress: {move.elapsed_text(elapsed)} elapsed, ARM status {status}")

    lost = 0
    while True:
        try:
            move.wait(poller, deadline, started, heartbeat)
        except move.MoveTimedOut:
            positions = move.locate(clients, resources, source_group, target_group)
            if positions.all_moved:  # ARM finished the move; its operation URL just had not said so yet
                break
            report.record("timed-out", positions)
            # Only here is the move still ARM's to finish: a re-run (or a person) needs the token to follow it.
            platform.set_output("continuation-token", state.continuation_token or "")
            raise RuntimeFailure(
                "Move",
                f"ARM was still moving after move-timeout ({durations.text(settings.move_timeout)}); "
                f"{len(positions.moved)} of {len(resources)} resource(s) are at the destination so far",
                "ARM keeps trying for up to 4 hours: re-run apply with the same plan and output-dir to "
                "resume waiting (it never starts a second move)",
            ) from None
        except move.MoveFailed as failed:
            if not failed.lost_track:  # ARM's verdict: the move failed (maybe after moving part of it)
                positions = move.locate(clients, resources, source_group, target_group)
                if positions.all_moved:  # e.g. ResourceMoveTimedOut after everything moved (the move doc): done
                    platform.info(f"ARM ended the move with {failed.code}, but every planned resource has moved")
                    break
                state.status, state.error = MoveStatus.FAILED, {"code": failed.code, "message": failed.message}
                save_state(state_path, state)
                report.record("failed", positions)
                report.error = {
                    "code": failed.code,
                    "message": failed.message,
                    "correlationId": failed.correlation_id,
                    "details": failed.details,
                }
                raise AzureError(
                    "moveResources",
                    code=failed.code,
                    message=failed.message,
                    correlation_id=failed.correlation_id,
                    fix=f"{len(positions.moved)} of {len(resources)} resource(s) moved, "
                    f"{len(positions.stayed)} stayed in the source group: see report.md before "
                    "planning again",
                ) from None
            problem = failed
            positions = move.locate(clients, resources, source_group, target_group)
            if positions.all_moved:  # it finished meanwhile: that is the verdict
                break
        else:
            positions = move.locate(clients, resources, source_group, target_group)
            if positions.all_moved or not state.continuation_token:
                break
            # "Succeeded" while the resources have not moved is no verdict of ARM's (a garbage answer, say)
            problem = move.MoveFailed(
                "UnconfirmedSuccess", "the operation URL said done but the resources have not moved", None, []
            )
        if lost >= len(LOST_TRACK_PAUSES) or not state.continuation_token:
            _lost_track(clients, problem, state, report, resources, source_group, target_group)
        pause = LOST_TRACK_PAUSES[lost]
        lost += 1
        platform.info(
            f"ARM's operation URL gave no verdict ({problem.code or 'no answer'}); the move it accepted is ARM's "
            f"to finish: polling it again in {pause}s"
        )
        time.sleep(pause)
        poller = move.resume_move(clients, source_group, state)
    state.status = MoveStatus.SUCCEEDED
    save_state(state_path, state)
    report.record("moved", positions)
    platform.info(f"Move finished: {len(positions.moved)} resource(s) now in {target_group}")


def _lost_track(
    clients: Any,
    problem: move.MoveFailed,
    state: MoveState,
    report: Report,
    resources: list[str],
    source_group: str,
    target_group: str,
) -> None:
    """Stop waiting without a verdict: state.json keeps the token (a re-run resumes), the report says what is known."""
    positions = move.locate(clients, resources, source_group, target_group)
    report.record("timed-out", positions)  # apply stopped waiting; ARM has not said the move failed
    report.error = {
        "code": problem.code or "NoAnswer",
        "message": f"ARM accepted the move at {state.started_at} but its operation URL gave no verdict: "
        f"{problem.message}"[:500],
        "correlationId": problem.correlation_id,
    }
    raise RuntimeFailure(
        "Waiting for the move",
        f"ARM accepted the move but its operation URL keeps failing ({problem.code or 'no answer'}); "
        f"{len(positions.moved)} of {len(resources)} resource(s) are at the destination so far",
        "ARM keeps moving for up to 4 hours: re-run apply with the same plan and output-dir to check again "
        "(it resumes from state.json and never starts a second move)",
    )


def _register_providers(clients: Any, subscription_id: str, resources: list[str], platform: Any) -> list[str]:
    """Register, where they are not, exactly the namespaces the provider-not-registered check requires (the
    workspace's list and the moved resources'); the namespaces registered."""
    from ..checks import required_namespaces

    rc = clients.resources(subscription_id)
    registered: list[str] = []
    for ns in required_namespaces(resources):
        provider = rc.providers.get(ns)
        if (provider.registration_state or "").lower() != "registered":
            platform.info(f"Registering resource provider {ns} in subscription {subscription_id}")
            rc.providers.register(ns)
            registered.append(ns)
            for _ in range(60):
                if (rc.providers.get(ns).registration_state or "").lower() == "registered":
                    break
                time.sleep(5)
    return registered


def _follow_ups(settings: Settings, platform: Any, approved: dict[str, Any], session: Session, report: Report) -> None:
    from ..errors import one_line
    from ..postmove import FollowUp, PostMove, in_parallel

    def post_move() -> PostMove:
        return PostMove(
            session.clients,
            approved["source"]["workspaceId"],
            approved["destination"]["resourceGroupId"],
            report.moved,
            platform.mask,
        )

    def step(pm: PostMove, kind: str, target: str, call: Any) -> None:
        """Run one follow-up; if it breaks (Azure still failing after the retries, an unreadable snapshot) record
        it as failed and go on: a follow-up never undoes the move, never hides the others, and a re-run retries."""
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - reported in report.json and in the exit line
            pm.results.append(FollowUp(kind, target, "failed", one_line(f"{type(exc).__name__}: {exc}")[:400]))

    def restore(pm: PostMove) -> None:
        # Always the approved plan's snapshot (every scope, child scopes included): a fresh runner restores it all.
        pm.restore_role_assignments(approved["roleAssignmentSnapshot"])

    # Independent follow-ups run side by side, each lane on its own PostMove; verify and the datastore repair share
    # one (and its datastore list). The report lists them in this order whatever finishes first.
    def datastores_lane() -> list[FollowUp]:
        pm = post_move()
        expected = approved["inventory"].get("datastores") or 0
        step(pm, "verify", pm.new_workspace_id, lambda: pm.verify(expected_datastores=expected))
        if settings.repair_datastores:
            step(pm, "datastore", "datastores of the moved workspace", pm.repair_datastores)
        return pm.results

    def roles_lane() -> list[FollowUp]:
        pm = post_move()
        if settings.restore_role_assignments:
            step(pm, "role-assignment", "role assignments at the moved scopes", lambda: restore(pm))
        return pm.results

    def endpoints_lane() -> list[FollowUp]:
        pm = post_move()
        step(
            pm,
            "private-endpoint",
            "private endpoint connections of the moved workspace",
            lambda: pm.private_endpoints(
                settings.approve_private_endpoints, approved["postMove"]["privateEndpointConnections"]
            ),
        )
        return pm.results

    order = ("verify", "role-assignment", "datastore", "private-endpoint")
    done = [r for lane in in_parallel(lambda run: run(), [datastores_lane, roles_lane, endpoints_lane]) for r in lane]
    pm = post_move()
    pm.results = sorted(done, key=lambda r: order.index(r.kind) if r.kind in order else len(order))
    if approved["options"]["recreateComputes"] and approved["exports"]:
        pm.results += _recreate_computes(settings, approved, session, report, pm.new_workspace_id)
    report.follow_ups = [r.to_json() for r in pm.results]
    report.checklist = _checklist(approved, report, settings)


def _recreate_computes(
    settings: Settings, approved: dict[str, Any], session: Session, report: Report, workspace_id: str
) -> list[Any]:
    """Recreate the deleted (not detached) computes from the plan artifact's exports — found next to the plan file,
    so a re-run on a fresh runner (new output-dir, the downloaded artifact) recreates them too; each verified first.
    A failure is reported, never undoes the move."""
    import shutil

    from ..exports import Export, ExportProblem, recreate_computes, verify

    plan_dir = settings.plan_file.parent
    exports = [Export.from_json(e) for e in approved["exports"] if e["kind"] == "compute"]
    if not exports:
        return []
    try:
        verify(exports, plan_dir)
    except ExportProblem as problem:
        return [_follow("compute", "exports", "failed", f"{problem}: not recreated")]
    out = settings.output_dir
    if plan_dir.resolve() != out.resolve():
        for e in exports:
            (out / e.file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plan_dir / e.file, out / e.file)
    report.exports = sorted(set(report.exports) | {e.file for e in exports})
    from ..postmove import FollowUp

    try:
        done = recreate_computes(session.clients, workspace_id, exports, plan_dir)
    except Exception as exc:  # noqa: BLE001 - a failed recreate must not undo the move; it is reported
        from ..errors import one_line

        return [_follow("compute", "exports", "failed", one_line(f"{type(exc).__name__}: {exc}")[:300])]
    # every compute attempted; a failure is listed with the command that finishes it by hand
    return [FollowUp("compute", r.name, r.status, r.detail, r.command) for r in done]


def _follow(kind: str, target: str, status: str, detail: str) -> Any:
    from ..postmove import FollowUp

    return FollowUp(kind, target, status, detail)


def _checklist(approved: dict[str, Any], report: Report, settings: Settings) -> list[str]:
    items = [
        "Update pipelines, scripts, connections and dashboards that hard-code the old workspace ID "
        f"({approved['source']['workspaceId']})"
    ]
    post = approved["postMove"]
    if post["computesToRemove"] and not approved["options"]["recreateComputes"]:
        items.append(
            "Recreate the deleted computes from the plan artifact's exports/ (report.md gives each command; use new "
            "names for compute instances: reusing a name after a move fails with an Etag conflict; recreate-computes "
            "names them <name>-m<4 hex>)"
        )
    if post["endpointsToRemove"]:
        items.append(
            "Recreate the deleted endpoints and their deployments from the plan artifact's exports/ (az ml "
            "online-endpoint create --file …, then az ml online-deployment create --file …; batch and serverless "
            "alike); model and compute references name the old workspace: point them at the moved one"
        )
    if any(f["id"] == "managed-network" for f in approved["findings"]):
        items.append("Re-provision the managed network's private-endpoint outbound rules (their targets' IDs changed)")
    if any("/microsoft.insights/components/" in m[0].lower() for m in report.moved):
        items.append(
            "Application Insights: data sent before the move is queryable only through its Log Analytics workspace"
        )
    return items


def _publish(report: Report, phases: Phases, settings: Settings, platform: Any) -> None:
    phases.stop()
    report.phases = phases.done
    # Artifacts are not masked by any runner: ARM's words kept verbatim in the report (follow-up details, errors)
    # could echo a secret amlmove holds (a listed storage key, say), so the registered secrets are redacted here too.
    data = _redacted(report.to_json(move.utc_now()), getattr(platform, "secrets", ()))
    path = write_report(data, settings.output_dir)
    markdown = report_markdown(data)
    (settings.output_dir / "report.md").write_text(markdown, encoding="utf-8")
    platform.write_summary(markdown)
    platform.set_output("status", report.status)
    platform.set_output("report-file", str(path))
    if report.status not in ("moved", "already-moved"):
        platform.set_output("moved", "false")


def _redacted(value: Any, secrets: Any) -> Any:
    """`value` (JSON-like) with every registered secret in its strings replaced by *** (see safetext.redact)."""
    from ..safetext import redact

    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redacted(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v, secrets) for k, v in value.items()}
    return value
