"""What apply does before the move, in the approved plan's order: the snapshot copy, the exports verified, the
destination group, the providers, then ARM's verdict — and only when it allows, the opt-in removals and one more
validation. Validate, then destroy: nothing is removed unless ARM's answer says the removals are what stands between
the plan and the move."""

from __future__ import annotations

import json
import shutil
import time
from typing import TYPE_CHECKING, Any

from . import ids
from . import inventory as inv
from .errors import PlanRefused, RuntimeFailure
from .move import move_in_progress
from .report import Report, ReportStatus

if TYPE_CHECKING:
    from .applyrun import ApplyRun
    from .plan import Plan
    from .removals import Write


def prepare(run: ApplyRun, fresh: Plan | None = None, inventory: inv.Inventory | None = None) -> None:
    """Everything before the move request; PlanRefused / RuntimeFailure when the move must not be asked for."""
    from .removals import remove
    from .validation import addressed_by_removals, removed_types, validate_move

    approved, platform, phases, report, clients = run.approved, run.platform, run.phases, run.report, run.clients
    out = run.settings.output_dir
    phases.start("snapshot")
    # The snapshot is the approved plan's (taken by plan, covered by its digest): a copy for people, never read back.
    snapshot = list(approved.role_assignment_snapshot)
    (out / "snapshots").mkdir(parents=True, exist_ok=True)
    (out / "snapshots" / "role-assignments.json").write_text(json.dumps(snapshot, indent=2) + "\n", "utf-8")
    platform.info(f"Snapshot: {len(snapshot)} role assignment(s) at and below what moves (the approved plan's)")
    post = approved.post_move
    planned = [*post["computesToRemove"], *post["endpointsToRemove"]]
    # A run that died after its removals left them deleted: remove only what is still there now (the fresh plan lists
    # it), or the re-run would fail on a missing compute forever. Their exports are in the plan artifact.
    if fresh is not None:
        present = {i.lower() for i in (*fresh.post_move["computesToRemove"], *fresh.post_move["endpointsToRemove"])}
        gone = [i for i in planned if i.lower() not in present]
        if gone:
            platform.info(
                f"{len(gone)} compute(s)/endpoint(s) of the plan are already gone (removed by an earlier run of this "
                "plan): not removing them again; their definitions are in the plan artifact's exports/"
            )
        planned = [i for i in planned if i.lower() in present]
    exports_for = verified_exports(run, planned)
    wrote = _destination_group(run)  # anything written since the re-plan's validation (then ARM validates again)
    wrote = _providers(run) or wrote
    # Validate, then destroy: ARM's verdict on the move comes BEFORE any removal, and removals happen only when it
    # passed or failed solely for reasons the approved removals address (validation.addressed_by_removals).
    verdict = _verdict(run, inventory, wrote)
    # A move in progress (ARM's answer just now) is met again at the POST and waited out there — but never with
    # removals still to do: the groups are locked, and what holds them may not be this plan's move.
    in_progress = move_in_progress({"code": verdict.code, "message": verdict.message})
    if planned:
        types = removed_types(approved.options.remove_computes, approved.options.remove_endpoints)
        if verdict.status is not inv.ValidationStatus.PASSED and not addressed_by_removals(verdict, planned, types):
            _refuse_on_verdict(run, verdict, "Nothing was deleted. ")
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
        verdict = validate_move(clients, run.source_group, run.resources, run.target_group)
        in_progress = move_in_progress({"code": verdict.code, "message": verdict.message})
        if verdict.status is not inv.ValidationStatus.PASSED and not in_progress:
            report.status = ReportStatus.FAILED
            report.error = {"code": verdict.code, "message": verdict.message, "correlationId": verdict.correlation_id}
            raise RuntimeFailure(
                "Apply",
                f"after removing {len(planned)} compute(s)/endpoint(s) ARM's validateMoveResources still fails with "
                f"{verdict.code}: {(verdict.message or '')[:200]}",
                "Nothing was moved. report.md lists every removal and the command that recreates it from the plan "
                "artifact's exports; fix what ARM names, plan again and get it approved",
            )
    elif verdict.status is not inv.ValidationStatus.PASSED and not in_progress:
        _refuse_on_verdict(run, verdict, "Nothing was moved. ")
    # A move in progress (ARM's answer to the validation just now) is met again at the POST and waited out there.


def _destination_group(run: ApplyRun) -> bool:
    """Only a plan that found the group missing creates it (create-destination-resource-group); a group the plan saw
    and that is gone now is drift, refused by the re-plan before any write. True when it was created."""
    from .removals import Write

    approved = run.approved
    if approved.destination.exists:
        return False
    run.phases.start("destination group")
    dest = ids.ResourceId.parse(run.target_group)
    rc = run.clients.resources(dest.subscription_id)
    if rc.resource_groups.check_existence(dest.group):
        return False
    run.platform.info(f"Creating resource group {run.target_group} in {approved.source.location}")
    rc.resource_groups.create_or_update(
        dest.group, {"location": approved.source.location, "tags": {"created-by": "amlmove"}}
    )
    run.report.writes.append(Write("created", run.target_group, "resource-group"))
    return True


def _providers(run: ApplyRun) -> bool:
    """With register-providers: register what the moved resources need in the destination subscription. True when
    anything was registered."""
    from .removals import Write

    if not run.approved.options.register_providers:
        return False
    run.phases.start("providers")
    subscription_id = ids.ResourceId.parse(run.target_group).subscription_id
    wrote = False
    for namespace in register_providers(run.clients, subscription_id, run.resources, run.platform):
        run.report.writes.append(
            Write("registered", f"/subscriptions/{subscription_id}/providers/{namespace}", "provider")
        )
        wrote = True
    return wrote


class _Journal:
    """removals.Journal writing straight into the report (so a failure mid-way reports every removal done)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def add(self, write: Write) -> None:
        self.report.writes.append(write)


def _compute_of(clients: Any, compute_id: str) -> inv.Compute:
    """A compute of the plan the re-plan did not hand over (resume paths): read it, for isAttachedCompute/type."""
    from .api_versions import ML_API

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


def verified_exports(run: ApplyRun, planned: list[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The approved exports of everything to remove, found next to the plan file (the plan artifact is the
    directory holding plan.json and exports/), each present, unaltered (SHA-256) and loadable with azure-ai-ml —
    else PlanRefused before any write. Copied into output-dir/exports when that is another directory, so this run's
    artifact carries them too. Returns {removed id: ((export kind, file), …)}."""
    from .exports import Export, ExportProblem, verify

    if not planned:
        return {}
    settings = run.settings
    run.phases.start("verify exports")
    plan_dir = settings.plan_file.parent
    exports = [Export.from_json(e) for e in run.approved.exports]
    owned = {i.lower(): [e for e in exports if ids.is_within(e.resource_id, i)] for i in planned}
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
    copy_exports(needed, plan_dir, settings.output_dir)
    run.report.exports = [e.file for e in needed]
    run.platform.info(f"Verified {len(needed)} export(s) of the approved plan ({plan_dir / 'exports'})")
    return {i: tuple((e.kind, e.file) for e in items) for i, items in owned.items()}


def copy_exports(exports: list[Any], plan_dir: Any, out: Any) -> None:
    """Copy the plan artifact's export files into output-dir when that is another directory: this run's artifact
    carries them too."""
    if plan_dir.resolve() != out.resolve():
        for e in exports:
            (out / e.file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plan_dir / e.file, out / e.file)


def _verdict(run: ApplyRun, inventory: inv.Inventory | None, wrote: bool) -> inv.ValidationResult:
    """ARM's verdict on the move as things stand now: the re-plan's when nothing was written since (asking again
    would be a duplicate request), else a new validateMoveResources."""
    from .validation import validate_move

    if not wrote and inventory is not None and inventory.validation.status is not inv.ValidationStatus.SKIPPED:
        run.platform.info("ARM validated exactly this move during the re-plan and nothing was written since")
        return inventory.validation
    run.phases.start("validate")
    run.platform.info("Asking ARM to validate the move …")
    return validate_move(run.clients, run.source_group, run.resources, run.target_group)


def _refuse_on_verdict(run: ApplyRun, verdict: inv.ValidationResult, done: str) -> None:
    run.report.error = {"code": verdict.code, "message": verdict.message, "correlationId": verdict.correlation_id}
    if move_in_progress(run.report.error):
        raise PlanRefused(
            str(run.settings.plan_file),
            f"ARM says a move is in progress on these resource groups ({verdict.code})",
            f"{done}Wait until that move finishes, then re-run apply with the same plan (if it was this plan's, "
            "apply finds the resources moved and only does the follow-ups)",
        )
    raise PlanRefused(
        str(run.settings.plan_file),
        f"ARM's validateMoveResources fails with {verdict.code}: {(verdict.message or '')[:300]}",
        f"{done}Fix what ARM names (report.md), plan again and get it approved",
    )


def register_providers(clients: Any, subscription_id: str, resources: list[str], platform: Any) -> list[str]:
    """Register, where they are not, exactly the namespaces the provider-not-registered check requires (the
    workspace's list and the moved resources'); the namespaces registered."""
    from .checks import required_namespaces

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
