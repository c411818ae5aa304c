"""`plan`: sign in, build the plan (planning.py: discover, select what moves, run ARM's dry run and every check), take
the exports of what apply removes, write the plan and its summary.

Start-up order: this module imports only what signing in needs (see planning.py); the rest is imported inside the
functions that use them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..planning import PRELOAD, make_plan
from ..referencescan import ScanRoot, scan_root
from ..session import Session, sign_in

if TYPE_CHECKING:
    from ..inputs import Settings
    from ..plan import Plan


def run(settings: Settings, env: Mapping[str, str], platform: Any) -> int:
    from ..localfiles import prepare_output_dir

    prepare_output_dir(settings.output_dir)
    scan = scan_root(settings.scan_path, env, platform.name)  # a scan-path that is not a folder: exit 2
    session = sign_in(settings, env, platform, preload=PRELOAD)
    plan, _ = make_plan(settings, session, platform)
    plan = take_exports(plan, session, settings, platform)
    path = publish_plan(plan, settings, platform, scan)
    blockers = plan.blockers()
    if blockers and settings.fail_on_blockers:
        from ..errors import Blocked

        raise Blocked(settings.source_workspace.id, [f["id"] for f in blockers])
    platform.info(f"Plan written to {path}")
    return 0


def take_exports(plan: Plan, session: Session, settings: Settings, platform: Any) -> Plan:
    """Export everything the plan says apply removes into output-dir/exports (read-only GETs), prove each file loads
    with azure-ai-ml's own parser, and list them (with SHA-256) in the plan: they travel in the approved artifact,
    so apply on any runner recreates what it removes from what the reviewer approved."""
    from .. import exports
    from ..errors import RuntimeFailure
    from ..plan import with_exports

    post = plan.post_move
    ids = [*post["computesToRemove"], *post["endpointsToRemove"]]
    if not ids:
        return plan

    def names(kind: str) -> list[str]:
        return [i.rsplit("/", 1)[-1] for i in ids if f"/{kind}/" in i.lower()]

    platform.info(f"Exporting the definitions of {len(ids)} compute(s)/endpoint(s) apply will remove …")
    try:
        taken = exports.take_exports(
            session.clients,
            plan.source.workspace_id,
            settings.output_dir,
            names("computes"),
            names("onlineendpoints"),
            names("batchendpoints"),
            names("serverlessendpoints"),
        )
        exports.verify(taken, settings.output_dir)
    except exports.ExportProblem as problem:
        raise RuntimeFailure(
            "Export", str(problem), "Nothing was changed in Azure. Report it: amlmove cannot export this object"
        ) from None
    platform.info(f"Exported {len(taken)} definition(s) to {settings.output_dir / exports.FOLDER}")
    return with_exports(plan, [e.to_json() for e in taken])


def publish_plan(plan: Plan, settings: Settings, platform: Any, scan: ScanRoot | None = None) -> Path:
    """plan.json + plan.md, the job summary, step outputs and (bounded) annotations; plan.md also lists what in
    `scan`'s folder will need editing after the move (not in plan.json: it is not part of what is approved)."""
    from .. import render
    from ..plan import write_plan
    from ..referencescan import own_output, plan_section

    path = write_plan(plan, settings.output_dir)
    exclude = own_output(settings.output_dir, settings.plan_file)
    markdown = render.plan_markdown(plan) + plan_section(
        scan, plan.source.workspace_id, plan.destination.resource_group_id, plan.resources, exclude
    )
    (settings.output_dir / "plan.md").write_text(markdown, encoding="utf-8")
    platform.write_summary(markdown)
    for line in render.plan_terminal(plan):
        platform.info(line)
    for f in plan.findings:
        if f["severity"] in ("blocker", "warning"):
            level = "error" if f["severity"] == "blocker" else "warning"
            platform.annotate(level, f"{f['title']}: {f['detail']}", title=f"amlmove {f['id']}")
    blockers = len(plan.blockers())
    warnings = sum(f["severity"] == "warning" for f in plan.findings)
    for name, value in (
        ("status", str(plan.status)),
        ("blockers", str(blockers)),
        ("warnings", str(warnings)),
        ("plan-file", str(path)),
        ("plan-digest", plan.digest),
    ):
        platform.set_output(name, value)
    return path
