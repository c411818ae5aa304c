"""The apply report: report.json (versioned by schemas/report.schema.json) and its Markdown for report.md and the job
summary — what moved (old → new ids), how long each phase took, every follow-up done, and what is left for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, diagram, durations, referencescan, wayback
from .localfiles import write_json_atomically
from .render import code, code_block, md, staying_behind, truncate

if TYPE_CHECKING:
    from .plan import Plan

SCHEMA_VERSION = "1.2"  # 1.1: writes[] (every change apply made before the move, and its undo); 1.2: wayBack
# 1.2 also: references[] and referenceScan (what in the checked-out repository still points at the old workspace)


class ReportStatus(StrEnum):
    """How the apply run ended (report.json's status)."""

    MOVED = "moved"
    ALREADY_MOVED = "already-moved"  # every planned resource was at the destination already: follow-ups only
    FAILED = "failed"
    TIMED_OUT = "timed-out"  # apply stopped waiting; the move is ARM's to finish
    REFUSED = "refused"  # nothing changed


@dataclass
class Report:
    plan_digest: str
    source_workspace_id: str
    destination_workspace_id: str
    status: ReportStatus | None = None  # None until the run decides (see status_for)
    moved: list[tuple[str, str]] = field(default_factory=list)
    stayed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None
    drift: list[dict[str, str]] = field(default_factory=list)
    writes: list[Any] = field(default_factory=list)  # removals.Write, in the order they were made
    way_back: dict[str, Any] | None = None  # wayback.WayBack.to_json(): set once the workspace has moved
    reference_scan: referencescan.ScanResult | None = None  # what in the repository still names the old workspace
    # recreate-endpoints: {kind, name, scoringUriBefore, scoringUriAfter, changed} per recreated endpoint
    endpoints: list[dict[str, Any]] = field(default_factory=list)

    @property
    def references(self) -> list[referencescan.Reference]:
        return self.reference_scan.references if self.reference_scan else []

    def record(self, status: ReportStatus, positions: Any) -> None:
        """`status`, and where every planned resource is (a move.Positions: moved, stayed, missing)."""
        self.status = status
        self.moved, self.stayed, self.missing = positions.moved, positions.stayed, positions.missing

    def to_json(self, created_at: str) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "tool": {"name": "amlmove", "version": __version__},
            "createdAt": created_at,
            "planDigest": self.plan_digest,
            "status": self.status,
            "sourceWorkspaceId": self.source_workspace_id,
            "destinationWorkspaceId": self.destination_workspace_id,
            "moved": [{"from": a, "to": b} for a, b in self.moved],
            "stayed": self.stayed,
            "missing": self.missing,
            "phases": [{"name": n, "seconds": round(s, 3)} for n, s in self.phases],
            "followUps": self.follow_ups,
            "exports": self.exports,
            **({"endpoints": self.endpoints} if self.endpoints else {}),
            "checklist": self.checklist,
            "error": self.error,
            "drift": self.drift,
            # Commands aim at where the workspace is now: the destination once it moved, else the source.
            "writes": [
                w.to_json(
                    self.destination_workspace_id
                    if self.status in (ReportStatus.MOVED, ReportStatus.ALREADY_MOVED)
                    else self.source_workspace_id
                )
                for w in self.writes
            ],
            "wayBack": self.way_back,
            "references": [r.to_json() for r in self.references[: referencescan.REPORT_LIMIT]],
            "referenceScan": self.reference_scan.summary_json() if self.reference_scan else None,
        }


# The report's status for a run that stopped with `exit code` before recording one (README "Report status and exit
# code"): refused is exit 1's word (the plan was judged and refused, nothing changed); any other stop is a failure.
def status_for(exit_code: int) -> ReportStatus:
    return ReportStatus.REFUSED if exit_code == 1 else ReportStatus.FAILED


def write_report(data: dict[str, Any], output_dir: Path) -> Path:
    return write_json_atomically(output_dir / "report.json", data)


_VERDICT = {
    "moved": "✅ Moved",
    "already-moved": "✅ Already moved (follow-ups re-checked)",
    "failed": "❌ Move failed",
    "timed-out": "⏳ Move timed out",
    "refused": "⛔ Refused (nothing changed)",
}


def _verdict(status: str, writes: int) -> str:
    if status == "refused" and writes:
        return f"⛔ Refused before moving ({writes} change(s) made first: listed below)"
    return _VERDICT.get(status, md(status))


def _picture(data: dict[str, Any], approved: Plan | None) -> list[str]:
    """The Mermaid picture of what happened (diagram.py); none when apply neither moved nor removed anything."""
    return diagram.section(diagram.report_lines(data, staying_behind(approved) if approved else ()))


def report_markdown(data: dict[str, Any], approved: Plan | None = None) -> str:
    """report.md and the job summary, from report.json's `data`; `approved` (the plan apply ran) adds to the picture
    what stays behind while the moved workspace still uses it."""
    status = data["status"]
    failed = [f for f in data["followUps"] if f["status"] == "failed"]
    manual = [f for f in data["followUps"] if f["status"] == "manual"]
    lines = [
        f"## amlmove apply: {_verdict(status, len(data.get('writes') or []))}",
        "",
        f"**{len(data['moved'])} moved · {len(data['stayed'])} stayed · {len(failed)} follow-up(s) failed · "
        f"{len(manual) + len(data['checklist']) + len(data.get('references') or [])} item(s) left for people**",
        "",
        f"Workspace {code(data['sourceWorkspaceId'])} → {code(data['destinationWorkspaceId'])}",
        "",
    ]
    if data.get("error"):
        e = data["error"]
        lines += ["### What went wrong", "", f"- Code: {code(e.get('code'))}", f"- Message: {md(e.get('message'))}"]
        if e.get("correlationId"):
            lines.append(f"- Correlation id: {code(e['correlationId'])}")
        lines.append("")
    if data.get("writes"):
        lines += [
            "### Changes apply made before the move",
            "",
            "Each with the command that undoes it (removals: recreates it from the export in the plan artifact, "
            "also copied to this run's `exports/`).",
            "",
        ]
        for w in data["writes"]:
            lines.append(f"- **{md(w['action'])}** {md(w['kind'])} {code(w['target'])}")
            lines.append(f"  {code_block(w['command'])}")
        lines.append("")
    if data.get("drift"):
        lines += [
            "### The approved plan no longer matches Azure",
            "",
            "| What changed | Approved plan | Now |",
            "|---|---|---|",
        ]
        lines += [f"| {md(d['what'])} | {md(d['approved'])} | {md(d['now'])} |" for d in data["drift"]]
        lines.append("")
    if data["moved"] or data["stayed"] or data["missing"]:
        lines += ["### Resources", "", "| Resource | Where it is now |", "|---|---|"]
        lines += [f"| {code(m['from'])} | moved → {code(m['to'])} |" for m in data["moved"]]
        lines += [f"| {code(s)} | **stayed** in the source group |" for s in data["stayed"]]
        lines += [f"| {code(s)} | not found in either group |" for s in data["missing"]]
        lines.append("")
    lines += _picture(data, approved)
    if data["checklist"] or manual or failed or data.get("references"):
        lines += ["### Left for people", ""]
        for f in failed + manual:
            lines.append(f"- [ ] **{md(f['kind'])}** {code(f['target'])}: {md(f['detail'])}")
            if f.get("command"):
                lines.append(f"  {code_block(f['command'])}")
        lines += [f"- [ ] {md(c)}" for c in data["checklist"]]
        lines += referencescan.reference_items(data.get("references") or [])
        lines.append("")
    lines += referencescan.summary_lines(data.get("referenceScan"))
    lines += _scoring_uris(data.get("endpoints") or [])
    skipped = [f for f in data["followUps"] if f["status"] == "skipped"]
    if skipped:
        lines += ["### Skipped (nothing to restore, or not ours to touch)", ""]
        lines += [f"- **{md(f['kind'])}** {code(f['target'])}: {md(f['detail'])}" for f in skipped]
        lines.append("")
    done = [f for f in data["followUps"] if f["status"] in ("done", "already-done")]
    if done:
        lines += [
            f"<details><summary>Follow-ups done ({len(done)})</summary>",
            "",
            "| Kind | Target | Result |",
            "|---|---|---|",
        ]
        lines += [f"| {md(f['kind'])} | {code(f['target'])} | {md(f['status'])}: {md(f['detail'])} |" for f in done]
        lines += ["", "</details>", ""]
    if data["phases"]:
        lines += ["<details><summary>Timings</summary>", "", "| Phase | Duration |", "|---|---|"]
        lines += [f"| {md(p['name'])} | {durations.text(p['seconds'], precise=True)} |" for p in data["phases"]]
        lines += ["", "</details>", ""]
    lines += wayback.markdown(data.get("wayBack"))
    if data["exports"]:
        lines += ["Exported definitions (artifact `exports/`): " + ", ".join(f"{code(e)}" for e in data["exports"]), ""]
    lines.append(f"Plan digest {code(data['planDigest'])} · amlmove {code(data['tool']['version'])}")
    return truncate("\n".join(lines) + "\n", "the report artifact (report.json)")


def _scoring_uris(endpoints: list[dict[str, Any]]) -> list[str]:
    """recreate-endpoints: each endpoint's scoring URI before and after; callers must be told (new keys always)."""
    if not endpoints:
        return []
    lines = [
        "### Endpoints recreated: tell their callers",
        "",
        "Keys and tokens are new in any case. Azure derives a scoring URI from the endpoint's name and region, so it "
        "changes only where the table says so.",
        "",
        "| Endpoint | Scoring URI before | Scoring URI after | Changed |",
        "|---|---|---|---|",
    ]
    for e in endpoints:
        changed = {True: "**yes**", False: "no", None: "unknown"}[e["changed"]]
        lines.append(
            f"| {md(e['kind'])} {code(e['name'])} | {code(e['scoringUriBefore'] or 'unknown')} | "
            f"{code(e['scoringUriAfter'] or 'not yet')} | {changed} |"
        )
    return [*lines, ""]
