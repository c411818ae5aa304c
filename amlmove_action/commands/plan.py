"""`plan`: sign in, discover, select what moves, run ARM's dry run and every check, write the plan and its summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import checks, render
from .. import inventory as inv
from ..inputs import Settings
from ..plan import PlanOptions, build_plan, write_plan
from ..session import Session, sign_in

REMOVABLE = {
    "computes-present": "remove_computes",
    "online-endpoints-present": "remove_endpoints",
    "batch-endpoints-present": "remove_endpoints",
    "serverless-endpoints-present": "remove_endpoints",
}


@dataclass(frozen=True)
class PlanOutcome:
    plan: dict[str, Any]
    plan_file: Path
    inventory: inv.Inventory
    exit_code: int


def options_of(settings: Settings) -> PlanOptions:
    choice = settings.include_associated_resources
    include = str(choice.mode) if not choice.listed_ids else "\n".join(choice.listed_ids)
    return PlanOptions(
        create_destination_resource_group=settings.create_destination_resource_group,
        remove_computes=settings.remove_computes,
        remove_endpoints=settings.remove_endpoints,
        skip_checks=tuple(sorted(settings.skip_checks)),
        include_associated_resources=include,
    )


def make_plan(settings: Settings, session: Session, platform: Any) -> tuple[dict[str, Any], inv.Inventory]:
    """Discovery → selection → ARM validation → checks → plan document (no files written)."""
    from ..discovery import Discovery
    from ..validation import validate_move

    platform.info(f"Reading workspace {settings.source_workspace.id} and its surroundings …")
    inventory = Discovery(session.clients, settings.source_workspace.id, settings.destination_group.id).run(
        session.principal_id
    )
    selection = checks.select_associated_resources(
        inventory,
        settings.include_associated_resources,
        create_destination_group=settings.create_destination_resource_group,
    )
    if inventory.destination_group.exists:
        platform.info(f"Asking ARM to validate moving {len(selection.moved_ids)} resource(s) (validateMoveResources) …")
        validation = validate_move(
            session.clients, inventory.source_group_id, list(selection.moved_ids), inventory.destination_group.id
        )
    else:
        validation = inv.ValidationResult(
            inv.ValidationStatus.SKIPPED,
            message="The destination group does not exist yet, so ARM cannot validate the move; apply creates the "
            "group and validates again before moving.",
        )
    inventory = replace(inventory, validation=validation)
    findings = checks.run_checks(inventory, selection, settings.skip_checks)
    findings = apply_removal_intent(findings, settings, inventory)
    return build_plan(inventory, selection, findings, options_of(settings)), inventory


def apply_removal_intent(
    findings: list[checks.Finding], settings: Settings, inventory: inv.Inventory
) -> list[checks.Finding]:
    """With remove-computes / remove-endpoints, the plan promises apply deletes them (after export) right before the
    move: their blockers become warnings, and so does an ARM verdict that only names those resources."""
    removed: list[str] = []
    if settings.remove_computes:
        removed += [c.id for c in inventory.computes]
    if settings.remove_endpoints:
        removed += [
            e.id for e in (*inventory.online_endpoints, *inventory.batch_endpoints, *inventory.serverless_endpoints)
        ]
    out = []
    for f in findings:
        opted = REMOVABLE.get(f.id)
        if f.is_blocker and opted and getattr(settings, opted):
            f = replace(
                f,
                severity=checks.Severity.WARNING,
                downgraded_from=checks.Severity.BLOCKER,
                detail=f"{f.detail} Apply deletes these right before the move, after exporting their "
                "definitions to exports/ (they are not moved).",
            )
        elif f.is_blocker and f.id == "validation-failed" and removed and _only_names(inventory.validation, removed):
            f = replace(
                f,
                severity=checks.Severity.WARNING,
                downgraded_from=checks.Severity.BLOCKER,
                detail=f"{f.detail} Every problem ARM named is a compute or endpoint that apply deletes "
                "first; apply asks ARM to validate again after deleting them and stops if it still "
                "refuses.",
            )
        out.append(f)
    return sorted(out, key=lambda f: ("blocker", "warning", "info").index(str(f.severity)))


def _only_names(validation: inv.ValidationResult, removed: list[str]) -> bool:
    details = [d for top in validation.details for d in (top, *top.flatten())]
    targets = [d.target for d in details if d.target]
    return bool(targets) and all(any(inv.is_within(t, r) for r in removed) for t in targets)


def run(settings: Settings, env: Mapping[str, str], platform: Any) -> int:
    session = sign_in(settings, env, platform)
    plan, _ = make_plan(settings, session, platform)
    path = publish_plan(plan, settings, platform)
    blockers = [f for f in plan["findings"] if f["severity"] == "blocker"]
    if blockers and settings.fail_on_blockers:
        from ..errors import Blocked

        raise Blocked(settings.source_workspace.id, [f["id"] for f in blockers])
    platform.info(f"Plan written to {path}")
    return 0


def publish_plan(plan: dict[str, Any], settings: Settings, platform: Any) -> Path:
    """plan.json + plan.md, the job summary, step outputs and (bounded) annotations."""
    path = write_plan(plan, settings.output_dir)
    markdown = render.plan_markdown(plan)
    (settings.output_dir / "plan.md").write_text(markdown, encoding="utf-8")
    platform.write_summary(markdown)
    for line in render.plan_terminal(plan):
        platform.info(line)
    for f in plan["findings"]:
        if f["severity"] in ("blocker", "warning"):
            level = "error" if f["severity"] == "blocker" else "warning"
            platform.annotate(level, f"{f['title']}: {f['detail']}", title=f"amlmove {f['id']}")
    blockers = sum(f["severity"] == "blocker" for f in plan["findings"])
    warnings = sum(f["severity"] == "warning" for f in plan["findings"])
    for name, value in (
        ("status", plan["status"]),
        ("blockers", str(blockers)),
        ("warnings", str(warnings)),
        ("plan-file", str(path)),
        ("plan-digest", plan["digest"]),
    ):
        platform.set_output(name, value)
    return path
