"""`apply`: move exactly the approved plan, or refuse. It only orchestrates — verify the plan file, locate the planned
resources, decide (resume, follow-ups only, or move), re-plan and refuse on drift, prepare (prepare.py), move
(move.py: persisted continuation token, heartbeat, resume instead of moving twice), follow-ups (postmove.py), and
publish the report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import drift, move, planning
from .. import inventory as inv
from ..applyrun import ApplyRun, Phases
from ..errors import AmlMoveError, AzureError, ExitCode, PlanRefused, RuntimeFailure
from ..inputs import Settings
from ..localfiles import prepare_output_dir
from ..plan import Plan
from ..planfile import check_opt_ins, load_plan, verify_plan
from ..planning import planned_settings
from ..referencescan import scan_root
from ..report import Report, ReportStatus, report_markdown, status_for, write_report
from ..safetext import redact_json
from ..session import sign_in
from ..state import MoveState, MoveStatus, read_state, save_state

# Loaded while the token request is in flight: the re-plan's modules, then the move's and the follow-ups'.
PRELOAD = (*planning.PRELOAD, "amlmove_action.postmove")


def run(settings: Settings, env: Mapping[str, str], platform: Any) -> int:
    prepare_output_dir(settings.output_dir)
    scan = scan_root(settings.scan_path, env, platform.name)  # a scan-path that is not a folder: exit 2, no change
    approved = load_plan(settings.plan_file)
    ws_id, dest_id = settings.source_workspace.id, settings.destination_group.id
    state_path = settings.output_dir / "state.json"
    state = read_state(state_path, approved.digest, settings.arm_endpoint, approved.source.resource_group_id)
    report = Report(approved.digest, approved.source.workspace_id, approved.destination.workspace_id)
    phases = Phases()
    try:
        # A plan refused here (edited, for another workspace or destination, blocked, other opt-ins) gets the same
        # refused report and outputs (status refused, moved false) as one refused after the re-plan: a workflow
        # that branches on `moved` must not read an empty value.
        verify_plan(approved, settings.plan_file, ws_id, dest_id, max_age=None)
        check_opt_ins(settings, approved, settings.plan_file)
        session = sign_in(settings, env, platform, preload=PRELOAD)
        code = _apply(ApplyRun(settings, platform, approved, report, phases, state_path, session, scan), state)
    except AmlMoveError as exc:
        if report.status is None:
            report.status = status_for(exc.exit_code)
            report.error = report.error or {"code": exc.reference, "message": str(exc)}
        _publish(report, phases, settings, platform, approved)
        raise
    except Exception as exc:
        if not report.writes:
            raise  # nothing changed: the CLI's one-line internal error (exit 3) says it all
        raise _unexpected(exc, report, phases, settings, platform, approved) from None
    _publish(report, phases, settings, platform, approved)
    return code


def _apply(run: ApplyRun, state: MoveState | None) -> int:
    from ..postmove import follow_ups

    run.phases.start("locate")
    positions = None if move.resumable(state) else move.locate_planned(run)
    next_step = move.decide(state, positions)
    if next_step is move.Next.RESUME and state is not None:
        run.platform.info(f"Resuming the move ARM accepted at {state.started_at} (state.json) — not starting another")
        run.phases.start("move")
        move.follow(run, move.resume_move(run.clients, run.source_group, state), state)
    elif next_step is move.Next.MOVE:
        _verify_and_move(run)
    elif positions is not None:  # all moved (recorded: already-moved) or some (RuntimeFailure: partial)
        move.own_move_done(run, positions, "an earlier move")
    run.phases.start("follow-ups")
    follow_ups(run)
    run.phases.stop()
    return _finish(run)


def _verify_and_move(run: ApplyRun) -> None:
    """Re-plan (refuse on drift), prepare, then move — unless this plan's own move finished meanwhile."""
    verify_plan(
        run.approved,
        run.settings.plan_file,
        run.settings.source_workspace.id,
        run.settings.destination_group.id,
        max_age=run.settings.max_plan_age,
    )
    run.phases.start("re-plan")
    replanned = _replan(run)
    if replanned is None:
        return
    try:
        _prepare_and_move(run, *replanned)
    except (AzureError, PlanRefused):
        # Before this run's own move (nothing recorded yet) a read or the final validation may fail because another
        # run of the plan moved everything meanwhile: that is the plan's move done.
        if run.report.status is not None or not move.own_move_done_meanwhile(run):
            raise


def _prepare_and_move(run: ApplyRun, fresh: Plan, inventory: inv.Inventory) -> None:
    from ..prepare import prepare

    prepare(run, fresh, inventory)
    run.phases.start("move")
    poller = move.start(run)
    if poller is None:  # this plan's own move finished meanwhile (another run of it): on to the follow-ups
        return
    state = MoveState(
        run.approved.digest,
        MoveStatus.ACCEPTED,
        move.utc_now(),
        run.resources,
        run.target_group,
        poller.continuation_token(),
    )
    save_state(run.state_path, state)
    run.platform.info(f"ARM accepted the move; state saved to {run.state_path}")
    move.follow(run, poller, state)


def _replan(run: ApplyRun) -> tuple[Plan, inv.Inventory] | None:
    """The fresh plan (and what it read) when nothing move-relevant changed; None when this plan's own move (another
    run of it) finished meanwhile; PlanRefused on drift. A move in progress on the groups is waited out."""
    waited = False
    while True:
        try:
            return _refuse_on_drift(run)
        except move.MoveInProgress:
            if waited:
                raise
            # No state.json of this plan's (a re-run gets a fresh workspace) but ARM holds the groups for a move:
            # maybe this plan's, started by another run (alive or dead). Wait it out, then see where everything is.
            run.phases.start("wait for the move in progress")
            positions = move.wait_out_move_in_progress(run)
            run.report.drift = []
            if move.own_move_done(run, positions, "the move in progress"):
                return None
            waited = True  # it was another move, or it failed: plan again, refuse on drift
            run.phases.start("re-plan")
        except (PlanRefused, AzureError):
            # The re-plan may have read this plan's own move finishing (another run of it): the workspace gone from
            # the source group, ARM refusing to validate resources that left. Where the resources are decides.
            if not move.own_move_done_meanwhile(run):
                raise
            return None


def _refuse_on_drift(run: ApplyRun) -> tuple[Plan, inv.Inventory]:
    """The fresh plan (and what it read), when nothing move-relevant changed; PlanRefused otherwise."""
    settings, platform = run.settings, run.platform
    fresh, inventory = planning.make_plan(
        planned_settings(settings, run.approved), run.session, platform, for_review=False
    )
    diffs = drift.differences(run.approved, fresh)
    if not diffs:
        return fresh, inventory
    run.report.drift = [{"what": d.what, "approved": d.approved, "now": d.now} for d in diffs]
    for row in drift.table(diffs):
        platform.info(row)
    verdict = fresh.validation or {}
    if move.move_in_progress(verdict):  # not a change to plan for: a move (maybe this plan's) holds the groups
        raise move.MoveInProgress(
            str(settings.plan_file),
            f"ARM says a move is in progress on these resource groups ({verdict.get('code')})",
            "Nothing was changed. Wait until it finishes (ARM allows it up to 4 hours), then re-run apply with "
            "the same plan: if it is this plan's move (started by a run that died), apply finds the resources "
            "moved and only does the follow-ups",
        )
    raise PlanRefused(
        str(settings.plan_file),
        f"Azure changed since the plan was approved ({len(diffs)} difference(s): {', '.join(d.what for d in diffs)})",
        "Nothing was changed. Plan again and have the new plan approved",
    )


def _finish(run: ApplyRun) -> int:
    """Outputs and the closing line; RuntimeFailure when a follow-up failed (the move itself succeeded)."""
    report, platform = run.report, run.platform
    failed = [f for f in report.follow_ups if f["status"] == "failed"]
    platform.set_output("moved", "true")
    platform.set_output("destination-workspace-id", run.approved.destination.workspace_id)
    left = sum(f["status"] in ("manual", "failed") for f in report.follow_ups) + len(report.checklist)
    left += len(report.references)
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


def _unexpected(
    exc: Exception, report: Report, phases: Phases, settings: Settings, platform: Any, approved: Plan
) -> RuntimeFailure:
    """Anything unexpected after the first write: the report still lists every change and its undo command, and the
    run ends with one line (the third-party traceback goes only to the debug log)."""
    import traceback

    from ..errors import one_line

    for line in traceback.format_exc().splitlines():
        platform.debug(line)
    failure = RuntimeFailure(
        "Apply",
        f"unexpected {type(exc).__name__} after {len(report.writes)} change(s) in Azure: {one_line(str(exc))[:200]}",
        "report.md lists every change made and the command that undoes or finishes each; re-run apply with the "
        "same plan (it removes only what is still there and never moves twice)",
    )
    if report.status in (None, ReportStatus.REFUSED):
        report.status = ReportStatus.FAILED
    report.error = {"code": failure.reference, "message": str(failure)}
    _publish(report, phases, settings, platform, approved)
    return failure


def _publish(report: Report, phases: Phases, settings: Settings, platform: Any, approved: Plan) -> None:
    phases.stop()
    report.phases = phases.done
    _record_way_back(report, settings, approved)
    # Artifacts are not masked by any runner: ARM's words kept verbatim in the report (follow-up details, errors)
    # could echo a secret amlmove holds (a listed storage key, say), so the registered secrets are redacted here too.
    data = redact_json(report.to_json(move.utc_now()), getattr(platform, "secrets", ()))
    path = write_report(data, settings.output_dir)
    markdown = report_markdown(data, approved)
    (settings.output_dir / "report.md").write_text(markdown, encoding="utf-8")
    platform.write_summary(markdown)
    platform.set_output("status", report.status)
    platform.set_output("report-file", str(path))
    if report.status not in (ReportStatus.MOVED, ReportStatus.ALREADY_MOVED):
        platform.set_output("moved", "false")


def _record_way_back(report: Report, settings: Settings, approved: Plan) -> None:
    """The reverse plan's inputs, once the workspace has moved (whatever else failed or stayed): report.json's
    wayBack."""
    from ..wayback import connection_inputs, way_back

    connection = connection_inputs(str(settings.cloud), settings.arm_endpoint, settings.authority_host)
    found = way_back(approved, report.moved, connection)
    report.way_back = found.to_json() if found else None
