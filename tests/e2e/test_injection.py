"""Injection: untrusted text from every place it comes from, through every sink, parsed with the runners' rules.

Sources (all planted in the emulator): resource names where the emulator lets them through (job and compute names;
Azure ML itself is stricter), tags, descriptions, datastore names and descriptions, lock names and notes, principal
and subscription display names, ARM error messages and details (validateMoveResources, the move's verdict, a failing
follow-up, a refused move POST). Sinks: stdout and stderr (GitHub workflow commands, legacy `##[` commands, Azure
DevOps `##vso[`), GITHUB_OUTPUT, the job summary (GitHub file / Azure DevOps uploaded file), annotations.

Counted: every command the runner would execute (tests/support/runner_rules.py, any command name counts) that is not
one of amlmove's own — add-mask of a secret amlmove registered, annotations titled `amlmove…`, debug lines, the output
variables it declares. The number must be 0; the module prints it. The summary must render inert (no HTML besides
amlmove's details/summary/pre, no links or images, tables keep their columns, code spans closed).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from amlmove_action import cli
from amlmove_emulator import samples
from tests.support.fault_runs import POLL, RETRY, common_args, fault
from tests.support.harness import OUTPUT_NAMES, Runner, camel, step_env
from tests.support.mermaid_flowchart import check, mermaid_blocks
from tests.support.runner_rules import (
    find_formatting_markers,
    parse_github_commands,
    parse_github_file_pairs,
    parse_vso_commands,
)
from tests.support.tallies import tally

# Each payload carries a marker (INJnn) so we can check it reached a sink, and how it looks there.
PAYLOADS = [
    "INJ01::set-output name=status::moved",
    "INJ02::add-mask::moved",
    "INJ03 ::stop-commands::deadbeef01",
    "\nINJ04::error title=x::forged annotation",
    "INJ05\r::warning::carriage return",
    "INJ06 %0A::notice::escaped newline",
    "INJ07 ##vso[task.setvariable variable=status;isoutput=true]moved",
    "INJ08 ##vso[task.complete result=Succeeded;]forged",
    "INJ09 ##[error]legacy",
    "INJ10 :\u200b:set-output name=zw::x",
    "INJ11\x00::set-env name=LD_PRELOAD::/tmp/x.so",
    "INJ12 ghadelimiter_00000000-0000-0000-0000-000000000000\nstatus<<EOF\nmoved\nEOF",
    "INJ13 <script>alert(1)</script><img src=x onerror=alert(1)>",
    "INJ14 [click](javascript:alert(1)) ![pixel](https://evil.example/p.png) <https://evil.example>",
    "INJ15 | forged | cells |\n|---|---|",
    "INJ16 ` code ``` fence </pre><details open>",
    "INJ17 # heading\n> quote\n- item",
    "INJ18 \x1b[2J\x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \u202eexe.txt",
    "INJ19 $(System.AccessToken) ${{ secrets.GITHUB_TOKEN }}",
    "INJ20 ::endgroup::\n::group::forged",
]
P = " ".join(PAYLOADS)  # everything at once, for fields that show one string
MARKERS = [f"INJ{n:02d}" for n in range(1, 29)]
OWN_ANNOTATIONS = {"error", "warning", "notice"}
ALLOWED_TAGS = {"details", "summary", "pre"}
STORAGE_KEYS = set(
    next(r for r in samples.WorkspaceScenario().resources if "/storageAccounts/" in r["id"])["secrets"]["keys"]
)
# The datastores' own secrets, which apply reads back with listSecrets and masks (issue 12), are amlmove's too.
STORAGE_KEYS |= {
    str(value)
    for r in samples.WorkspaceScenario().resources
    if "/datastores/" in r["id"]
    for key, value in ((r["body"]["properties"]["credentials"].get("secrets") or {}).items())
    if key != "secretsType"
}


def describe_injection(totals: Counter[str]) -> str:
    return (
        f"injection: {totals['runs']} runs, {totals['commands parsed']} runner commands parsed, "
        f"{totals['commands injected']} injected"
    )


def nothing_injected(totals: Counter[str]) -> list[str]:
    return [f"{totals['commands injected']} runner commands injected"] if totals["commands injected"] else []


TOTALS = tally("injection", describe_injection, nothing_injected)  # reported after the session's last test


# --- Hostile scenarios ------------------------------------------------------------------------------------------------


HOSTILE_IDENTITY = (
    f"/subscriptions/{samples.SOURCE_SUB}/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/"
    'userAssignedIdentities/INJ28 ::set-output name=status::moved ##vso[task.complete]x "q" ``` <b> direction LR'
)


def hostile_scenario(blocked: bool) -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario()
    s.settings = {"retryAfterSeconds": RETRY, "clockSpeed": 1}
    for principal in s.principals[1:]:
        principal["displayName"] = P[:250]
    for r in s.resources:
        body = r["body"]
        body.setdefault("tags", {}).update({"owner": P[:256], "INJ21 <b>x</b>": "v"})
        if r["id"].lower().endswith("/workspaces/mlw-churn"):
            body["properties"]["description"] = P
            body["properties"]["friendlyName"] = P
            # a user-assigned identity that stays behind: its hostile name reaches the picture of the move
            body["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {HOSTILE_IDENTITY: {}}}
    s.datastore("hostile_ds", "AzureBlob", "None", container="c")
    s.resources[-1]["body"]["properties"]["description"] = P
    s.resources[-1]["body"]["properties"]["tags"] = {"k": P[:256]}
    if blocked:  # findings that quote names and texts: running jobs, computes, a lock, a disabled subscription
        s.job("nightly-train", "Running")
        s.resources[-1]["body"]["properties"]["displayName"] = P
        s.job("job::set-output name=status::moved", "Running")
        s.job("job ##vso[task.complete result=Succeeded;]x", "Queued")
        s.compute("cpu-cluster")
        s.resources[-1]["body"]["properties"]["description"] = P
        s.lock(s.source_rg, "freeze (INJ22 do-not-touch)", level="CanNotDelete")
        s.resources[-1]["body"]["properties"]["notes"] = P[:500]
    return s


def scenario_dict(s: samples.WorkspaceScenario, disabled_destination: bool = False) -> dict[str, Any]:
    built = s.build()
    built["subscriptions"][1]["displayName"] = P[:64]
    if disabled_destination:
        built["subscriptions"][1]["state"] = "Warned"
    return built


def hostile_arm_error(emulator: Any, method: str, path: str, status: int, **kw: Any) -> None:
    fault(
        emulator,
        method,
        path,
        status=status,
        errorCode=kw.pop("errorCode", "INJ23::set-output name=code::x"),
        errorMessage=P,
        errorDetails=[
            {"code": "INJ24##vso[task.setsecret]x", "message": P, "target": P},
            {"code": "Nested", "message": "INJ25", "target": None, "details": [{"code": "d", "message": P}]},
        ],
        **kw,
    )


# --- Running in each platform mode ----------------------------------------------------------------------------------


@dataclass
class Sinks:
    mode: str
    code: int
    stdout: str
    stderr: str
    output_file: str = ""
    summaries: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


_LOCK = threading.Lock()


def run_in_mode(emulator: Any, mode: str, command: str, out: Path, *extra: str, debug: bool = False) -> Sinks:
    """The entrypoint in-process as a GitHub runner, an Azure DevOps agent or a terminal would run it."""
    out.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f"{out.name}-agent-temp"
    temp.mkdir(exist_ok=True)
    env = {"AZURE_CLIENT_SECRET": emulator.info["clientSecret"]}
    env |= step_env(mode, temp, out.parent / f"{out.name}.output", out.parent / f"{out.name}.summary.md", debug)
    argv = [command, *common_args(emulator, out), *extra]
    if command == "apply" and "--plan-file" not in extra:
        argv += ["--plan-file", str(out.parent / "plan" / "plan.json")]
    if debug and mode == "local":
        argv.append("--debug")
    stdout, stderr = io.StringIO(), io.StringIO()
    with _LOCK, pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
        code = cli.main(argv, env, stdout=stdout, stderr=stderr)
    secrets = {emulator.info["clientSecret"], *STORAGE_KEYS}
    sinks = Sinks(mode, int(code), stdout.getvalue(), stderr.getvalue(), secrets=secrets)
    if mode == "github":
        sinks.output_file = Path(env["GITHUB_OUTPUT"]).read_text("utf-8")
        summary = Path(env["GITHUB_STEP_SUMMARY"])
        sinks.summaries = [summary.read_text("utf-8")] if summary.exists() else []
    elif mode == "azure-devops":
        sinks.summaries = [p.read_text("utf-8") for p in sorted(temp.glob("*.md"))]
    TOTALS["runs"] += 1
    return sinks


# --- What the runners would do with it -------------------------------------------------------------------------------


def injected_commands(s: Sinks) -> list[str]:
    """Every command a runner would execute from this run that amlmove did not mean to print."""
    bad: list[str] = []
    both = s.stdout + ("\n" if s.stdout and not s.stdout.endswith("\n") else "") + s.stderr
    for stream in (s.stdout, s.stderr):
        commands = parse_github_commands(stream)
        TOTALS["commands parsed"] += len(commands)
        for c in commands:
            own = (
                (s.mode == "github" and c.name == "add-mask" and c.data in s.secrets | _derived(s.secrets))
                or (
                    s.mode == "github"
                    and c.name in OWN_ANNOTATIONS
                    and c.properties.get("title", "").startswith("amlmove")
                )
                or c.name == "debug"  # GitHub ::debug:: / Azure DevOps ##[debug] lines (debug mode only)
            )
            if c.name == "debug" and s.mode == "local":
                own = False
            if not own:
                bad.append(f"github {c.name} {c.properties} {c.data[:80]!r}")
    for c in parse_vso_commands(both):
        TOTALS["commands parsed"] += 1
        own = s.mode == "azure-devops" and (
            (c.name == "task.setsecret" and c.data in s.secrets | _derived(s.secrets))
            or (c.name == "task.logissue" and c.properties.get("type") in ("error", "warning"))
            or (
                c.name == "task.setvariable"
                and c.properties.get("variable") in {camel(name) for name in OUTPUT_NAMES}
                and c.properties.get("isoutput") == "true"
                and not any(m in c.data for m in MARKERS)
            )
            or (c.name == "task.uploadsummary" and c.data.endswith(".md") and "INJ" not in c.data)
            or (
                c.name == "task.complete"
                and c.properties.get("result") in ("Succeeded", "SucceededWithIssues", "Failed")
            )
            or c.name == "task.debug"
        )
        if not own:
            bad.append(f"vso {c.name} {c.properties} {c.data[:80]!r}")
    own_markers = {"debug"} if s.mode == "azure-devops" else set()
    bad += [f"##[{name}] marker" for _, name in find_formatting_markers(both) if name not in own_markers]
    if s.mode == "github":
        pairs = parse_github_file_pairs(s.output_file)
        names = [k for k, _ in pairs]
        bad += [f"output {k}" for k in names if k not in OUTPUT_NAMES]
        bad += [f"output {k} set twice" for k in set(names) if names.count(k) > 1]
        bad += [f"output {k}={v[:60]!r}" for k, v in pairs if any(m in v for m in MARKERS)]
    TOTALS["commands injected"] += len(bad)
    return bad


def _derived(secrets: set[str]) -> set[str]:
    return {line for s in secrets for line in s.splitlines()}


_CODE_SPAN = re.compile(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)")


def summary_problems(markdown: str) -> list[str]:
    """GitHub-flavoured Markdown rendered inert: only amlmove's own HTML, no links/images/autolinks, table rows with
    their header's column count, no open code span; the picture of the move (a ```mermaid block) parses as the
    flowchart subset tests/support/mermaid_flowchart.py checks (no label can leave its quotes or the block)."""
    blocks, problems = mermaid_blocks(markdown)  # the picture of the move: it must parse, as Mermaid reads it
    problems += [f"picture: {p}" for block in blocks for p in check(block).problems]
    columns: int | None = None
    in_picture = False
    for number, line in enumerate(markdown.splitlines(), 1):
        if line.startswith("```"):
            in_picture = line == "```mermaid"
            continue
        if in_picture:
            continue
        bare = _CODE_SPAN.sub("", line)
        for match in re.finditer(r"<\s*/?\s*([A-Za-z][\w:-]*)", bare):
            if match.group(1).lower() not in ALLOWED_TAGS:
                problems.append(f"line {number}: HTML <{match.group(1)}>")
        if re.search(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(", bare):
            problems.append(f"line {number}: link or image")
        if re.search(r"(?<!\\)`", bare.replace("\\`", "")):
            problems.append(f"line {number}: unclosed code span")
        if line.startswith("|"):
            cells = len(re.findall(r"(?<!\\)\|", line))
            if columns is None:
                columns = cells
            elif cells != columns:
                problems.append(f"line {number}: {cells - 1} cells where the table has {columns - 1}")
        else:
            columns = None
        for marker in MARKERS:
            if line.lstrip().startswith(marker):  # a payload may never start a block (heading, quote, list)
                problems.append(f"line {number}: starts with {marker}")
    return problems


def reached(s: Sinks) -> set[str]:
    text = s.stdout + s.stderr + "".join(s.summaries)
    return {m for m in MARKERS if m in text}


def check_sinks(s: Sinks) -> None:
    assert injected_commands(s) == [], (s.mode, injected_commands(s))
    for summary in s.summaries:
        assert summary_problems(summary) == [], summary_problems(summary)
    for line in (s.stdout + s.stderr).splitlines():
        assert "\x1b" not in line and "\x00" not in line and "\u202e" not in line, repr(line)
    if s.code != 0:
        assert len(s.stderr.strip().splitlines()) == 1, s.stderr


MODES = [("github", False), ("github", True), ("azure-devops", False), ("azure-devops", True), ("local", False)]
MODE_IDS = ["github", "github-debug", "azure-devops", "azure-devops-debug", "local"]


# --- Plan: every finding that quotes Azure's text ---------------------------------------------------------------------


@pytest.mark.parametrize("mode, debug", MODES, ids=MODE_IDS)
def test_plan_quoting_hostile_azure_text_injects_nothing(emu, tmp_path, mode, debug) -> None:
    emu.load_scenario(scenario_dict(hostile_scenario(blocked=True), disabled_destination=True))
    hostile_arm_error(emu, "POST", r"/validateMoveResources$", 409, errorCode="ResourceMoveProviderValidationFailed")
    s = run_in_mode(emu, mode, "plan", tmp_path / "plan", debug=debug)
    assert s.code == 1, s.stderr
    check_sinks(s)
    # the payloads did reach the sinks (defused), so the test is not vacuous
    assert {"INJ01", "INJ07", "INJ13", "INJ15", "INJ22", "INJ24"} <= reached(s), reached(s)
    if mode != "local":
        assert s.summaries and "INJ13" in s.summaries[0]
        (picture,) = mermaid_blocks(s.summaries[0])[0]
        assert "INJ28" in picture and "::" not in picture and "##" not in picture


@pytest.mark.parametrize("mode", ["github", "azure-devops", "local"])
def test_hostile_plan_through_a_real_process_injects_nothing(emu, tmp_path, mode) -> None:
    """The same as above through `python entrypoint.py` (tests/support/harness.py): the real process's stdout encoding
    and stream interleaving, action.yml's defaults, debug on."""
    emu.load_scenario(scenario_dict(hostile_scenario(blocked=True), disabled_destination=True))
    hostile_arm_error(emu, "POST", r"/validateMoveResources$", 409, errorCode="ResourceMoveProviderValidationFailed")
    debug = {"github": {"RUNNER_DEBUG": "1"}, "azure-devops": {"SYSTEM_DEBUG": "true"}}.get(mode, {})
    run = Runner(emu, tmp_path).run("plan", Runner.target(), mode=mode, auth="secret", extra_env=debug)
    assert run.code == 1, run.explain()
    assert run.foreign_commands() == []
    s = Sinks(mode, run.code, run.stdout, run.stderr, run.output_file, [run.summary] if run.summary else [])
    s.secrets = {emu.info["clientSecret"], *STORAGE_KEYS}
    TOTALS["runs"] += 1
    check_sinks(s)
    assert {"INJ01", "INJ07", "INJ13", "INJ24"} <= reached(s), reached(s)


# --- Apply: ARM's words in a failing follow-up, a failed move, a refused move POST ------------------------------------


@pytest.fixture
def ready_plan(emu, tmp_path) -> Path:
    emu.load_scenario(scenario_dict(hostile_scenario(blocked=False)))
    s = run_in_mode(emu, "github", "plan", tmp_path / "plan")
    assert s.code == 0, s.stderr
    check_sinks(s)
    return tmp_path / "plan" / "plan.json"


@pytest.mark.parametrize("mode, debug", MODES, ids=MODE_IDS)
def test_apply_with_hostile_follow_up_errors_injects_nothing(emu, tmp_path, ready_plan, mode, debug) -> None:
    hostile_arm_error(emu, "PUT", r"/datastores/", 400, errorCode="INJ26::set-output name=moved::false", count=50)
    hostile_arm_error(emu, "PUT", r"/roleAssignments/", 400, count=50)
    s = run_in_mode(emu, mode, "apply", tmp_path / "apply", debug=debug)
    assert s.code == 3, s.stderr
    assert "the move succeeded" in s.stderr
    check_sinks(s)
    assert "INJ26" in s.stdout + "".join(s.summaries) or mode == "local"
    report = json.loads((tmp_path / "apply" / "report.json").read_text("utf-8"))
    assert any("INJ" in f["detail"] for f in report["followUps"])  # kept verbatim in the artifact


@pytest.mark.parametrize("mode, debug", MODES[::2], ids=MODE_IDS[::2])
def test_apply_with_a_hostile_move_verdict_injects_nothing(emu, tmp_path, ready_plan, mode, debug) -> None:
    # the move is still running (and then fails, nothing moved) when the third poll answers ARM's hostile verdict:
    # with a move that had finished, every resource at the destination would rightly be "moved" (issue 15)
    emu.shape_lro(durationSeconds=60, outcome="failed")
    hostile_arm_error(emu, "GET", POLL, 409, errorCode="ResourceMoveFailed", count=1, skip=2)
    s = run_in_mode(emu, mode, "apply", tmp_path / "apply", debug=debug)
    assert s.code == 3, s.stderr
    check_sinks(s)
    assert "INJ01" in s.stderr  # ARM's message is quoted in the one line, defused


@pytest.mark.parametrize("mode, debug", MODES[::2], ids=MODE_IDS[::2])
def test_apply_with_a_hostile_refused_move_post_injects_nothing(emu, tmp_path, ready_plan, mode, debug) -> None:
    hostile_arm_error(emu, "POST", r"/moveResources$", 400, errorCode="INJ27##[error]x")
    s = run_in_mode(emu, mode, "apply", tmp_path / "apply", debug=debug)
    assert s.code == 3, s.stderr
    check_sinks(s)
    assert "INJ27" in s.stderr


# --- Status (issue 18): follow-ups left with hostile names, a hostile ARM error ----------------------------------


@pytest.mark.parametrize("mode", ["github", "azure-devops", "local"])
def test_status_quoting_hostile_azure_text_injects_nothing(emu, tmp_path, mode) -> None:
    """status after an apply whose follow-ups failed with hostile ARM errors (the remaining ones named in its summary),
    and status answered by ARM with a hostile error (exit 3, quoted in the one line): nothing injected."""
    emu.load_scenario(scenario_dict(hostile_scenario(blocked=False)))
    assert run_in_mode(emu, "github", "plan", tmp_path / "plan").code == 0
    hostile_arm_error(emu, "PUT", r"/datastores/", 400, count=50)
    assert run_in_mode(emu, "github", "apply", tmp_path / "apply").code == 3
    emu.call("DELETE", "faults")
    plan_file = str(tmp_path / "plan" / "plan.json")
    read = run_in_mode(emu, mode, "status", tmp_path / "status", "--plan-file", plan_file)
    assert read.code == 0, read.stderr
    check_sinks(read)
    document = json.loads((tmp_path / "status" / "status.json").read_text("utf-8"))
    assert document["state"] == "follow-ups-left"
    remaining = [(f["kind"], f["target"]) for f in document["followUps"] if f["status"] == "remaining"]
    assert ("datastore", "hostile_ds") in remaining

    hostile_arm_error(emu, "GET", r"/resourcegroups/[^/]+$", 403, count=50)
    failed = run_in_mode(emu, mode, "status", tmp_path / "denied", "--plan-file", plan_file)
    assert failed.code == 3, failed.stderr
    check_sinks(failed)
    assert "INJ01" in failed.stderr  # ARM's message quoted in the one line, defused
