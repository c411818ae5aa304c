"""Plan and apply run in-process against the emulator as a GitHub step (outputs file, summary, annotations), or as a
real `entrypoint.py` process for SIGKILL and concurrency, and the end state read back from the emulator: where every
planned resource is, how many moves ARM accepted, whether report.json says the same. Shared by the fault matrix
(tests/e2e/test_faults.py), races, injection, secrets and hostile paths."""

from __future__ import annotations

import io
import json
import ssl
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from amlmove_action import cli
from amlmove_action.ids import moved_id
from amlmove_emulator import samples
from tests.support.harness import Run as HarnessRun
from tests.support.harness import Runner, Started, cli_flags
from tests.support.readme_tables import status_exit_pairs

RETRY = 0.1
DEFAULT_SUBJECT = "repo:contoso/ml-platform:environment:production"
SRC = samples.WorkspaceScenario()
WS_ID = SRC.workspace_id
DEST_ID = samples.group_id(samples.DEST_SUB, SRC.dest_group)
STORAGE = SRC.associated("storage")


# --- Scenario building ------------------------------------------------------------------------------------------------


def scenario(dest_exists: bool = True, **settings: Any) -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario(dest_location="eastus" if dest_exists else None)
    s.settings = {"retryAfterSeconds": RETRY, "clockSpeed": 1, "tokenLifetimeSeconds": 3600, **settings}
    return s


# --- Running the tool -------------------------------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "report.json").read_text("utf-8"))

    @property
    def state(self) -> dict[str, Any] | None:
        path = self.out / "state.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None


def parse_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT in the heredoc form the platform writes (name<<delimiter … delimiter)."""
    if not path.exists():
        return {}
    outputs: dict[str, str] = {}
    lines = path.read_text("utf-8").splitlines()
    i = 0
    while i < len(lines):
        name, _, delimiter = lines[i].partition("<<")
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


def common_args(emulator: Any, out: Path) -> list[str]:
    return cli_flags(WS_ID, DEST_ID, emulator.url, emulator.info["clientId"], emulator.info["tenantId"], out)


def github_env(emulator: Any, out: Path, oidc: bool = False) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(out.parent / f"{out.name}.github-output"),
        "GITHUB_STEP_SUMMARY": str(out.parent / f"{out.name}.summary.md"),
    }
    if oidc:
        env["ACTIONS_ID_TOKEN_REQUEST_URL"] = f"{emulator.url}/_emulator/github-oidc?x=1"
        env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "emulated-github-oidc-request-token"
    else:
        env["AZURE_CLIENT_SECRET"] = emulator.info["clientSecret"]
    return env


_IN_PROCESS = threading.Lock()


def run_tool(emulator: Any, command: str, out: Path, *extra: str, oidc: bool = False) -> Run:
    """`entrypoint.py <command> …` in-process, as a GitHub runner would run the container."""
    out.mkdir(parents=True, exist_ok=True)
    env = github_env(emulator, out, oidc)
    Path(env["GITHUB_OUTPUT"]).write_text("", "utf-8")
    argv = [command, *common_args(emulator, out), *extra]
    if command == "apply" and "--plan-file" not in extra:
        argv += ["--plan-file", str(out.parent / "plan" / "plan.json")]
    stdout, stderr = io.StringIO(), io.StringIO()
    with _IN_PROCESS, pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
        code = cli.main(argv, env, stdout=stdout, stderr=stderr)
    return Run(code, stdout.getvalue(), stderr.getvalue(), out, parse_outputs(Path(env["GITHUB_OUTPUT"])))


def plan(emulator: Any, tmp: Path, *extra: str) -> dict[str, Any]:
    run = run_tool(emulator, "plan", tmp / "plan", *extra)
    assert run.code == 0, run.stderr
    assert run.outputs["status"] == "ready"
    return json.loads((tmp / "plan" / "plan.json").read_text("utf-8"))


def plan_variant(tmp: Path, the_plan: dict[str, Any], name: str, **options: bool) -> Path:
    """The same plan with other opt-ins, digest recomputed: what a reviewer would approve as a new plan (the opt-ins
    are part of the approved plan, issue 11; once the workspace moved, its plan can no longer be made again)."""
    from amlmove_action.plan import digest_of

    variant = {**the_plan, "options": {**the_plan["options"], **options}}
    variant["digest"] = digest_of(variant)
    path = tmp / name / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(variant), "utf-8")
    return path


def apply(emulator: Any, tmp: Path, name: str = "apply", *extra: str, oidc: bool = False) -> Run:
    """One apply; in every fault, its report status and exit code are a pair the README documents, and the status
    output says the same (issue 15, acceptance 6)."""
    run = run_tool(emulator, "apply", tmp / name, *extra, oidc=oidc)
    assert (run.report["status"], run.code) in status_exit_pairs(), (run.report["status"], run.code, run.stderr)
    assert run.outputs["status"] == run.report["status"]
    return run


def spawn_apply(emulator: Any, tmp: Path, name: str, *extra: str) -> Started:
    """`python entrypoint.py` as a GitHub container step in its own process (tests/support/harness.py), for SIGKILL and
    concurrency; output-dir is tmp/<name>, shared with the in-process re-runs."""
    inputs = {
        "source-workspace-id": WS_ID,
        "destination-resource-group-id": DEST_ID,
        "output-dir": str(tmp / name),
        "plan-file": str(tmp / "plan" / "plan.json"),
    }
    flags = iter(extra)
    for flag in flags:
        inputs[flag.removeprefix("--")] = "true"
    return Runner(emulator, tmp / "runners").start("apply", inputs, name=name, auth="secret")


def finish(started: Started) -> HarnessRun:
    run = started.finish()
    assert (run.report["status"], run.code) in status_exit_pairs(), (run.report["status"], run.code, run.stderr)
    assert run.outputs["status"] == run.report["status"]
    return run


# --- Reading the end state --------------------------------------------------------------------------------------------


def moves_accepted(emulator: Any) -> list[dict[str, Any]]:
    return [
        r
        for r in emulator.requests()
        if r["method"] == "POST" and r["path"].lower().endswith("/moveresources") and r["status"] == 202
    ]


def move_operations(emulator: Any) -> list[dict[str, Any]]:
    return [o for o in emulator.state()["operations"] if o["kind"] == "move"]


def positions(emulator: Any, resources: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(at the destination, still in the source group, nowhere) for each planned resource, from the emulator."""
    stored = {r["id"].lower() for r in emulator.state()["resources"]}
    moved, stayed, missing = [], [], []
    for rid in resources:
        if moved_id(rid, DEST_ID).lower() in stored:
            moved.append(rid)
        elif rid.lower() in stored:
            stayed.append(rid)
        else:
            missing.append(rid)
    return moved, stayed, missing


def assert_moved_exactly_once(emulator: Any, the_plan: dict[str, Any]) -> None:
    assert len(moves_accepted(emulator)) == 1, moves_accepted(emulator)
    succeeded = [o for o in move_operations(emulator) if o["status"] == 204]
    assert len(succeeded) == 1, move_operations(emulator)
    moved, stayed, missing = positions(emulator, the_plan["resources"])
    assert (len(moved), stayed, missing) == (len(the_plan["resources"]), [], [])


def assert_not_moved(emulator: Any, the_plan: dict[str, Any]) -> None:
    assert [o for o in move_operations(emulator) if o["status"] == 204] == []
    moved, stayed, missing = positions(emulator, the_plan["resources"])
    assert (moved, missing, len(stayed)) == ([], [], len(the_plan["resources"]))


def assert_report_true(emulator: Any, run: Run, the_plan: dict[str, Any]) -> None:
    """report.json names exactly what the emulator shows: moved (old → new), stayed, missing."""
    report = run.report
    moved, stayed, missing = positions(emulator, the_plan["resources"])
    assert sorted(m["from"].lower() for m in report["moved"]) == sorted(r.lower() for r in moved), report
    assert sorted(r.lower() for r in report["stayed"]) == sorted(r.lower() for r in stayed), report
    assert sorted(r.lower() for r in report["missing"]) == sorted(r.lower() for r in missing), report
    for m in report["moved"]:
        assert m["to"].lower() == moved_id(m["from"], DEST_ID).lower()
    assert run.outputs.get("status") == report["status"]


def assert_success(emulator: Any, run: Run, the_plan: dict[str, Any], status: str = "moved") -> None:
    assert run.code == 0, run.stderr + run.stdout[-3000:]
    assert run.report["status"] == status
    assert run.outputs["moved"] == "true"
    assert [f for f in run.report["followUps"] if f["status"] == "failed"] == []
    assert_moved_exactly_once(emulator, the_plan)
    assert_report_true(emulator, run, the_plan)


# --- Direct ARM calls (what a person or another tool does between runs) -----------------------------------------------


def arm(emulator: Any, method: str, path: str, body: Any = None) -> Any:
    context = ssl.create_default_context(cafile=str(emulator.ca_file))
    form = (
        f"grant_type=client_credentials&client_id={emulator.info['clientId']}"
        f"&client_secret={emulator.info['clientSecret']}&scope={emulator.url}/.default"
    ).encode()
    token_url = f"{emulator.url}/{emulator.info['tenantId']}/oauth2/v2.0/token"
    with urllib.request.urlopen(urllib.request.Request(token_url, data=form), context=context) as reply:
        token = json.loads(reply.read())["access_token"]
    sep = "&" if "?" in path else "?"
    request = urllib.request.Request(
        f"{emulator.url}{path}{sep}api-version=2022-04-01",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, context=context) as reply:
        payload = reply.read()
    return json.loads(payload) if payload else None


def fault(emulator: Any, method: str | None, path: str, **kw: Any) -> None:
    emulator.fault(**({"method": method} if method else {}), pathRegex=path, **kw)


MOVE_POST = r"/moveResources$"
VALIDATE_POST = r"/validateMoveResources$"
POLL = r"/operationresults/"
ARM_PATH = r"^/subscriptions/"  # ARM, not Entra's metadata and token endpoints
MOVE_POLL = 1  # apply polls one validation (the re-plan's) before the move: skip=1 aims at the move's poll
