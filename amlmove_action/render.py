"""Human-readable renderings of a plan (and later a report): the Markdown job summary / plan.md, and the terminal
table. Everything that came from Azure or the user goes through safetext first: names, tags and ARM messages are
untrusted and must neither inject workflow commands nor break the page."""

from __future__ import annotations

import html
from typing import Any

from .safetext import for_code_span, for_markdown

SUMMARY_LIMIT = 1024 * 1024  # GitHub's per-step job summary limit
_ICON = {"blocker": "⛔", "warning": "⚠️", "info": "ℹ️"}


def md(text: Any) -> str:
    return for_markdown("" if text is None else str(text))


def code(text: Any) -> str:
    """An inline code span of untrusted text."""
    return f"`{for_code_span('' if text is None else text)}`"


def code_block(text: str) -> str:
    """A multi-line command block; HTML-escaped inside <pre> so nothing in it renders or runs."""
    return f"<pre>{html.escape(text, quote=True)}</pre>"


def plan_markdown(plan: dict[str, Any], artifact_hint: str = "the plan artifact (plan.json)") -> str:
    findings = plan["findings"]
    by = {s: [f for f in findings if f["severity"] == s] for s in ("blocker", "warning", "info")}
    src, dst = plan["source"], plan["destination"]
    ready = plan["status"] == "ready"
    verdict = "✅ Ready to move" if ready else "⛔ Blocked"
    validation = plan["validation"]
    lines = [
        f"## amlmove plan: {verdict} — workspace {code(src['workspaceName'])}",
        "",
        f"**{len(by['blocker'])} blocker(s) · {len(by['warning'])} warning(s) · {len(by['info'])} note(s)** · "
        f"ARM validateMoveResources: **{md(validation['status'])}** · {len(plan['resources'])} resource(s) to move",
        "",
        "| | From | To |",
        "|---|---|---|",
        f"| Subscription | {code(src['subscriptionId'])} | {code(dst['subscriptionId'])} |",
        f"| Resource group | {code(_name(src['resourceGroupId']))} | {code(_name(dst['resourceGroupId']))}"
        f"{_group_note(src, dst)} |",
        f"| Region | {md(src['location'])} | {md(dst['location'] or src['location'])} |",
        f"| Workspace id | {code(src['workspaceId'])} | {code(dst['workspaceId'])} |",
        "",
    ]
    if by["blocker"]:
        lines += ["### Blockers", ""]
        for f in by["blocker"]:
            lines += _finding(f)
    # Each associated resource's decision comes with its reason, moving or staying, so a reviewer sees why `auto`
    # (or the list) chose what it chose without opening plan.json.
    include = plan.get("options", {}).get("includeAssociatedResources", "auto")
    mode = include if include in ("auto", "none", "all") else "a list of resource IDs"
    why = {a["id"].lower(): a["reason"] for a in plan["associatedResources"] if a["decision"] == "move"}
    lines += ["### What moves", "", f"Associated resources chosen by include-associated-resources: {md(mode)}", ""]
    for r in plan["resources"]:
        reason = "the workspace" if r.lower() == src["workspaceId"].lower() else why.get(r.lower())
        lines.append(f"- {code(r)}" + (f" — {md(reason)}" if reason else ""))
    stays = [a for a in plan["associatedResources"] if a["decision"] != "move"]
    if stays:
        lines += ["", "### What stays", ""]
        lines += [f"- {code(a['id'])} — {md(a['reason'])}" for a in stays]
    post = plan["postMove"]
    lines += ["", "### Follow-up after the move", ""]
    lines += [
        f"- Role assignments to restore at the new scopes: **{len(post['roleAssignments'])}**",
        f"- Datastores that still name the old subscription/group: **{len(post['datastores'])}**",
        f"- Private endpoint connections that will need approval again: **{len(post['privateEndpointConnections'])}**",
    ]
    if post["computesToRemove"] or post["endpointsToRemove"]:
        lines.append(
            f"- Deleted right before the move (after export): **{len(post['computesToRemove'])}** "
            f"compute(s), **{len(post['endpointsToRemove'])}** endpoint(s)"
        )
    for severity, heading in (("warning", "Warnings"), ("info", "Notes")):
        if by[severity]:
            lines += ["", f"<details><summary>{heading} ({len(by[severity])})</summary>", ""]
            for f in by[severity]:
                lines += _finding(f)
            lines += ["</details>"]
    if validation["status"] == "failed":
        lines += [
            "",
            "<details><summary>ARM validateMoveResources said</summary>",
            "",
            f"- Code: {code(validation['code'])}",
            f"- Message: {md(validation['message'])}",
            f"- Correlation id: {code(validation['correlationId'])}",
            "",
        ]
        if validation["details"]:
            lines += ["| Code | Target | Message |", "|---|---|---|"]
            lines += [
                f"| {code(d['code'])} | {code(d['target'])} | {md(d['message'])} |"
                for d in _flatten(validation["details"])
            ]
        lines += ["", "</details>"]
    lines += ["", "<details><summary>Inventory</summary>", "", "| What | Count |", "|---|---|"]
    lines += [f"| {md(k)} | {'n/a' if v is None else v} |" for k, v in plan["inventory"].items()]
    lines += [
        "",
        "</details>",
        "",
        f"Plan digest `{plan['digest']}` · created {md(plan['createdAt'])} · amlmove {md(plan['tool']['version'])}",
    ]
    return truncate("\n".join(lines) + "\n", artifact_hint)


def _group_note(src: dict[str, Any], dst: dict[str, Any]) -> str:
    if str(src["tenantId"]).lower() != str(dst["tenantId"]).lower():
        return " (in another tenant: not readable with this sign-in)"
    return "" if dst["exists"] else " (created by apply)"


def _finding(f: dict[str, Any]) -> list[str]:
    skipped = " _(skipped by skip-checks: downgraded)_" if f.get("skipped") else ""
    out = [f"#### {_ICON.get(f['severity'], '')} {code(f['id'])} — {md(f['title'])}{skipped}", "", md(f["detail"]), ""]
    if f["remediation"]:
        out += ["**Fix:**", "", code_block(f["remediation"]), ""]
    return out


def _flatten(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for d in details:
        out.append(d)
        out.extend(_flatten(d.get("details") or []))
    return out


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def truncate(markdown: str, artifact_hint: str, limit: int = SUMMARY_LIMIT) -> str:
    """Keep the summary under GitHub's limit, cutting at a line boundary and pointing at the full artifact."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    note = f"\n\n> Summary truncated to fit the job summary limit; the full text is in {artifact_hint}.\n"
    budget = limit - len(note.encode("utf-8")) - 16
    cut = data[:budget].decode("utf-8", "ignore")
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n</details>" * (cut.count("<details>") - cut.count("</details>"))
    return cut + note


def plan_terminal(plan: dict[str, Any]) -> list[str]:
    """A compact plain-text view for local runs (already one line per entry; callers defuse via the platform)."""
    out = [
        f"Plan: {plan['status'].upper()} — {len(plan['resources'])} resource(s) to move, "
        f"{sum(f['severity'] == 'blocker' for f in plan['findings'])} blocker(s), "
        f"{sum(f['severity'] == 'warning' for f in plan['findings'])} warning(s); validation "
        f"{plan['validation']['status']}"
    ]
    for f in plan["findings"]:
        out.append(f"  [{f['severity']:7}] {f['id']}: {f['title']}")
    return out
