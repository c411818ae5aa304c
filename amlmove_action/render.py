"""Human-readable renderings of a plan (and later a report): the Markdown job summary / plan.md, and the terminal
table. Everything that came from Azure or the user goes through safetext first: names, tags and ARM messages are
untrusted and must neither inject workflow commands nor break the page."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from . import diagram, ids
from .safetext import defuse, for_code_span, for_markdown, printable
from .selection import IncludeMode
from .validation import DEFERRED_LINE

if TYPE_CHECKING:
    from .plan import Plan, PlanDestination, PlanSource

SUMMARY_LIMIT = 1024 * 1024  # GitHub's per-step job summary limit
_ICON = {"blocker": "⛔", "warning": "⚠️", "info": "ℹ️"}


def md(text: Any) -> str:
    return for_markdown("" if text is None else str(text))


def code(text: Any) -> str:
    """An inline code span of untrusted text."""
    return f"`{for_code_span('' if text is None else text)}`"


def plain_text(markdown: str) -> str:
    """Markdown that amlmove rendered, for a terminal (which does not render it): the escapes amlmove added for
    Markdown (`\\.`, `&#x27;`, `&lt;`) and the heading markers undone, then made inert for a CI log again."""
    unescaped = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown))
    unescaped = re.sub(r"(?m)^#{1,6} ", "", unescaped)  # headings read as plain lines
    lines = [defuse(printable(line)) for line in unescaped.splitlines()]
    return "\n".join(lines) + ("\n" if markdown.endswith("\n") else "")


def code_block(text: str) -> str:
    """A multi-line command block; HTML-escaped inside <pre> so nothing in it renders or runs."""
    return f"<pre>{html.escape(text, quote=True)}</pre>"


# The eight opt-ins apply may act on, as plan.json's options name them, with action.yml's defaults. The plan records
# those it knows; the others are apply's inputs (shown with their defaults).
OPT_INS = (
    ("removeComputes", "remove-computes", False),
    ("removeEndpoints", "remove-endpoints", False),
    ("restoreRoleAssignments", "restore-role-assignments", True),
    ("repairDatastores", "repair-datastores", True),
    ("approvePrivateEndpoints", "approve-private-endpoints", False),
    ("recreateComputes", "recreate-computes", False),
    ("recreateEndpoints", "recreate-endpoints", False),
    ("registerProviders", "register-providers", False),
)
WRITE_LOCK_HOURS = 4  # ARM locks both groups for up to four hours (Microsoft's move documentation)


def headline(plan: Plan) -> str:
    """The verdict and how ARM's validation stands: never a bare "Ready" when ARM did not say yes."""
    return verdict(plan.status, plan.validation["status"])


def verdict(plan_status: str, status: str) -> str:
    """headline's words for a plan status (ready | blocked) and ARM's validation status."""
    if plan_status != "ready":
        return "⛔ Blocked" + (" — ARM validation failed" if status == "failed" else "")
    return {
        "passed": "✅ Ready — validated by ARM",
        "deferred": "✅ Ready — ARM validation at apply",
        "skipped": "⚠️ Ready — ARM validation skipped",
        "failed": "⚠️ Ready — ARM validation failed (accepted by skip-checks; apply validates again)",
    }.get(status, f"⚠️ Ready — ARM validation {status}")


def validation_line(plan: Plan) -> str:
    """One sentence: how the move is validated."""
    v = plan.validation
    if v["status"] == "passed":
        return "ARM validated exactly this move (validateMoveResources); apply asks again before moving."
    if v["status"] == "deferred":
        reason = v["message"] or ""
        reason = reason.replace(f"; {DEFERRED_LINE}", "").replace(DEFERRED_LINE, "").strip(" ;")
        return f"{DEFERRED_LINE}" + (f" ({reason})." if reason else ".")
    if v["status"] == "skipped":
        return f"ARM's validation was skipped: {v['message'] or 'no reason recorded'}."
    return f"ARM's validation failed with {v['code'] or 'an error'}: see below."


def opt_ins(plan: Plan) -> list[tuple[str, str]]:
    """(input name, "on"/"off" or what apply decides) for the eight opt-ins."""
    options = plan.options.to_json()
    out = []
    for key, name, default in OPT_INS:
        if key in options:
            out.append((name, "on" if options[key] else "off"))
        else:
            out.append((name, f"set at apply (default {'on' if default else 'off'})"))
    return out


def follow_ups(plan: Plan) -> list[tuple[str, int, list[str], str]]:
    """(what apply does after the move, exact count, names, the opt-in that decides it) read from plan.json: the one
    place the summary's counts come from."""
    post = plan.post_move
    roles = post["roleAssignments"]
    return [
        (
            "Role assignments to recreate at the new scopes",
            len(roles),
            [
                f"{a.get('roleName') or a['roleDefinitionId'].rsplit('/', 1)[-1]} for {a['principalType']} "
                f"{a['principalId']} on {_name(a['scope'])}"
                for a in roles
            ],
            "restore-role-assignments",
        ),
        (
            "Datastores to point at the moved storage account",
            len(post["datastores"]),
            [
                d["name"] + (" (listed for people: its secret cannot be read back)" if d["repair"] == "manual" else "")
                for d in post["datastores"]
            ],
            "repair-datastores",
        ),
        (
            "Private endpoint connections to approve again (those Approved before the move; others stay as they are)",
            len(again := [c for c in post["privateEndpointConnections"] if c.get("approveAfterMove", True)]),
            [f"{c['name']} on {_name(c.get('resourceId') or plan.source.workspace_id)}" for c in again],
            "approve-private-endpoints",
        ),
        *_endpoints_to_recreate(plan),
    ]


def _endpoints_to_recreate(plan: Plan) -> list[tuple[str, int, list[str], str]]:
    """recreate-endpoints' row, when the plan removes (and exports) online or batch endpoints."""
    exports = [e for e in plan.exports if e["kind"] in ("online-endpoint", "batch-endpoint")]
    if not exports:
        return []
    names = []
    for e in exports:
        kind = e["kind"].replace("-endpoint", "-deployment")
        deployments = [
            d["name"].split("/", 1)[1]
            for d in plan.exports
            if d["kind"] == kind and d["name"].split("/")[0] == e["name"]
        ]
        names.append(f"{e['name']} ({', '.join(deployments) or 'no deployment'})")
    return [
        (
            "Endpoints to recreate in the moved workspace with their deployments, traffic restored once healthy",
            len(exports),
            names,
            "recreate-endpoints",
        )
    ]


def deleted_before_move(plan: Plan) -> list[str]:
    post = plan.post_move
    return [*post["computesToRemove"], *post["endpointsToRemove"]]


STAYS_BEHIND = ("dependency-stays-behind", "associated-resource-shared")  # the findings that name what stays behind


def staying_behind(plan: Plan) -> list[str]:
    """The resources the moved workspace still uses that stay where they are: associated resources that do not move
    and those the stay-behind findings name (user-assigned identities, Log Analytics, resources in other groups)."""
    moving = {ids.id_key(r) for r in plan.resources}
    named = [a["id"] for a in plan.associated_resources if a["decision"] != "move"]
    named += [
        r
        for f in plan.findings
        if f["id"] in (*STAYS_BEHIND, "associated-resource-elsewhere")
        for r in f["resourceIds"]
    ]
    return list(dict.fromkeys(r for r in named if ids.id_key(r) not in moving))


def picture(plan: Plan) -> list[str]:
    """The Mermaid picture of the move (diagram.py), drawn from the lists the tables above show."""
    return diagram.section(diagram.plan_lines(plan, deleted_before_move(plan), staying_behind(plan)))


def _cell(items: list[str], limit: int = 20) -> str:
    shown = [code(_name(i) if i.startswith("/subscriptions/") else i) for i in items[:limit]]
    if len(items) > limit:
        shown.append(f"… and {len(items) - limit} more (plan.json)")
    return ", ".join(shown) if shown else "none"


def what_will_happen(plan: Plan) -> list[str]:
    """The first table: everything the approver consents to, without folds."""
    src, dst = plan.source, plan.destination
    lock = plan.write_lock or {"groups": [src.resource_group_id, dst.resource_group_id], "otherResources": []}
    stays = [f for f in plan.findings if f["id"] in STAYS_BEHIND]
    stays_text = " ".join(md(f["detail"]) for f in stays) or "none found"
    rows = [
        ("Resources that move", f"**{len(plan.resources)}**: {_cell(list(plan.resources))}"),
        (
            "Deleted right before the move (definitions exported first)",
            f"**{len(deleted_before_move(plan))}**: {_cell(deleted_before_move(plan))}",
        ),
        ("Opt-ins", ", ".join(f"{code(name)}: {md(state)}" for name, state in opt_ins(plan))),
        (
            f"Write lock (up to {WRITE_LOCK_HOURS} hours)",
            f"ARM locks both groups while it moves: {code(_name(lock['groups'][0]))} and "
            f"{code(_name(lock['groups'][1]))}{' (created by apply)' if not dst.exists else ''}. Nothing in them "
            f"can be created, changed or deleted meanwhile, including the **{len(lock['otherResources'])}** other "
            f"resource(s) in them: {_cell(lock['otherResources'])}",
        ),
    ]
    states = dict(opt_ins(plan))
    for what, count, names, opt_in in follow_ups(plan):
        listed = md("; ".join(names)) if names else "none"
        rows.append((what, f"**{count}**: {listed} ({code(opt_in)}: {md(states[opt_in])})"))
    rows.append(("Dependencies that stay behind", stays_text))
    return ["### What will happen", "", "| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]


def plan_markdown(plan: Plan, artifact_hint: str = "the plan artifact (plan.json)") -> str:
    findings = plan.findings
    by = {s: [f for f in findings if f["severity"] == s] for s in ("blocker", "warning", "info")}
    src, dst = plan.source, plan.destination
    validation = plan.validation
    lines = [
        f"## amlmove plan: {headline(plan)} — workspace {code(src.workspace_name)}",
        "",
        f"**{len(by['blocker'])} blocker(s) · {len(by['warning'])} warning(s) · {len(by['info'])} note(s)** · "
        f"{len(plan.resources)} resource(s) to move",
        "",
        md(validation_line(plan)),
        "",
        *what_will_happen(plan),
        "| | From | To |",
        "|---|---|---|",
        f"| Subscription | {code(src.subscription_id)} | {code(dst.subscription_id)} |",
        f"| Resource group | {code(_name(src.resource_group_id))} | {code(_name(dst.resource_group_id))}"
        f"{_group_note(src, dst)} |",
        f"| Region | {md(src.location)} | {md(dst.location or src.location)} |",
        f"| Workspace id | {code(src.workspace_id)} | {code(dst.workspace_id)} |",
        "",
        *picture(plan),
    ]
    if by["blocker"]:
        lines += ["### Blockers", ""]
        for f in by["blocker"]:
            lines += _finding(f)
    # Each associated resource's decision comes with its reason, moving or staying, so a reviewer sees why `auto`
    # (or the list) chose what it chose without opening plan.json.
    choice = plan.options.include_associated_resources
    mode = "a list of resource IDs" if choice.mode is IncludeMode.LISTED else str(choice.mode)
    why = {a["id"].lower(): a["reason"] for a in plan.associated_resources if a["decision"] == "move"}
    lines += ["### What moves", "", f"Associated resources chosen by include-associated-resources: {md(mode)}", ""]
    for r in plan.resources:
        reason = "the workspace" if r.lower() == src.workspace_id.lower() else why.get(r.lower())
        lines.append(f"- {code(r)}" + (f" — {md(reason)}" if reason else ""))
    stays = [a for a in plan.associated_resources if a["decision"] != "move"]
    if stays:
        lines += ["", "### What stays", ""]
        lines += [f"- {code(a['id'])} — {md(a['reason'])}" for a in stays]
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
    lines += [f"| {md(k)} | {'n/a' if v is None else v} |" for k, v in plan.inventory.items()]
    lines += [
        "",
        "</details>",
        "",
        f"Plan digest `{plan.digest}` · created {code(plan.created_at)} · amlmove {code(plan.tool['version'])}",
    ]
    return truncate("\n".join(lines) + "\n", artifact_hint)


def _group_note(src: PlanSource, dst: PlanDestination) -> str:
    if str(src.tenant_id).lower() != str(dst.tenant_id).lower():
        return " (in another tenant: not readable with this sign-in)"
    return "" if dst.exists else " (created by apply)"


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
    fences = [m.start() for m in re.finditer(r"(?m)^```", cut)]
    if len(fences) % 2:  # cut inside a fenced block (the picture): drop the part of it that is left
        cut = cut[: fences[-1]].rstrip("\n")
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n</details>" * (cut.count("<details>") - cut.count("</details>"))
    return cut + note


def plan_terminal(plan: Plan) -> list[str]:
    """A compact plain-text view for local runs (already one line per entry; callers defuse via the platform)."""
    blockers = sum(f["severity"] == "blocker" for f in plan.findings)
    warnings = sum(f["severity"] == "warning" for f in plan.findings)
    out = [
        f"Plan: {headline(plan)} — {len(plan.resources)} resource(s) to move, {blockers} blocker(s), "
        f"{warnings} warning(s)",
        f"  {validation_line(plan)}",
    ]
    for f in plan.findings:
        out.append(f"  [{f['severity']:7}] {f['id']}: {f['title']}")
    return out
