"""Run `entrypoint.py` as a subprocess the way a CI runner (or a person) runs it, and read back what the runner would.

Three modes:
- `github`: a container action step. GITHUB_ACTIONS=true; every input as `INPUT_<NAME>` with the hyphens kept, filled
  from action.yml's defaults and then the test's overrides; GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files outside the
  workspace; HOME in a separate directory; the workspace as working directory; no argv. Sign-in with GitHub OIDC
  (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN against the emulator) unless `auth="secret"`.
- `azure-devops`: the same inputs, TF_BUILD=True, AGENT_TEMPDIRECTORY for the uploaded summary, client secret.
- `local`: `python entrypoint.py <command> --flag value …` with the client secret in AZURE_CLIENT_SECRET.

Every run returns a `Run` with the exit code, both streams, the commands a runner would execute from each stream
(tests/support/runner_rules.py), the step outputs as the runner reads them, the summary, and plan/report JSON. Every run
asserts that neither stream holds a Python traceback: amlmove must fail with one line, never with a stack.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, subprocess_env
from tests.support.runner_rules import (
    Command,
    parse_github_commands,
    parse_github_file_commands,
    parse_vso_commands,
)

TIMEOUT = 180  # seconds for one run; a stuck run fails the test instead of hanging the suite
MODES = ("github", "azure-devops", "local")
GITHUB_OIDC_REQUEST_TOKEN = "emulated-github-oidc-request-token"  # what the emulator's github-oidc hook accepts
# The step outputs amlmove declares in action.yml (GitHub names) and their Azure DevOps camelCase variables.
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
OUTPUT_NAMES = frozenset(ACTION["outputs"])


@cache
def action_defaults() -> dict[str, str]:
    """`INPUT_<NAME>` for every input of action.yml with its default, as the runner sets them for a container action."""
    return {
        "INPUT_" + name.replace(" ", "_").upper(): str(spec.get("default", ""))
        for name, spec in ACTION["inputs"].items()
    }


def camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass
class Run:
    mode: str
    code: int
    stdout: str
    stderr: str
    workspace: Path  # the working directory of the run
    out_dir: Path  # OUTPUT_DIR as the run resolved it
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    stdout_commands: list[Command] = field(default_factory=list)
    stderr_commands: list[Command] = field(default_factory=list)
    output_file: str = ""  # the raw GITHUB_OUTPUT content (github mode)

    @property
    def commands(self) -> list[Command]:
        return [*self.stdout_commands, *self.stderr_commands]

    @property
    def last_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""

    def _json(self, name: str) -> dict[str, Any]:
        return json.loads((self.out_dir / name).read_text(encoding="utf-8"))

    @property
    def plan(self) -> dict[str, Any]:
        return self._json("plan.json")

    @property
    def report(self) -> dict[str, Any]:
        return self._json("report.json")

    @property
    def state(self) -> dict[str, Any] | None:
        path = self.out_dir / "state.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    @property
    def plan_md(self) -> str:
        return (self.out_dir / "plan.md").read_text(encoding="utf-8")

    def finding(self, check_id: str) -> dict[str, Any]:
        found = [f for f in self.plan["findings"] if f["id"] == check_id]
        assert found, f"no {check_id} finding in {[f['id'] for f in self.plan['findings']]}"
        return found[0]

    def ids(self, severity: str | None = None) -> set[str]:
        return {f["id"] for f in self.plan["findings"] if severity is None or f["severity"] == severity}

    def foreign_commands(self) -> list[Command]:
        """Commands a runner would execute that amlmove did not mean to issue (see `is_own_command`)."""
        return [c for c in self.commands if not is_own_command(self.mode, c)]

    def explain(self) -> str:
        return f"exit {self.code}\n--- stdout (tail) ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


def is_own_command(mode: str, command: Command) -> bool:
    """amlmove's own commands: annotations titled `amlmove…`, debug lines, masks (GitHub); setvariable of a declared
    output, logissue, uploadsummary, complete, setsecret (Azure DevOps). Nothing at all locally."""
    name = command.name.lower()
    if mode == "github":
        if name in ("error", "warning", "notice"):
            return command.properties.get("title", "").startswith("amlmove")
        return name in ("debug", "add-mask")
    if mode == "azure-devops":
        if name == "task.setvariable":
            declared = {camel(n) for n in OUTPUT_NAMES}
            return command.properties.get("variable") in declared and command.properties.get("isoutput") == "true"
        return name in ("task.logissue", "task.uploadsummary", "task.complete", "task.setsecret")
    return False


def load(emulator: Any, scenario: Any, *extra_providers: str, **settings: Any) -> None:
    """Load a `samples.WorkspaceScenario` into the emulator with a short Retry-After (0.2 s unless `settings` says
    otherwise), `extra_providers` registered in its subscriptions."""
    built = scenario.build()
    for sub in built["subscriptions"]:
        sub["registeredProviders"] += list(extra_providers)
    built["settings"] = {"retryAfterSeconds": 0.2, **settings}
    emulator.load_scenario(built)


def inputs(scenario: Any, **more: str) -> dict[str, str]:
    """The scenario's source/destination inputs, plus `more`."""
    return {**Runner.target(scenario), **more}


def step_env(mode: str, temp: Path, output_file: Path, summary_file: Path, debug: bool = False) -> dict[str, str]:
    """The variables a GitHub runner ("github") or an Azure DevOps agent ("azure-devops") gives a step, with debug
    logging on when `debug`; nothing for a terminal ("local"). GITHUB_OUTPUT is created empty, as the runner does."""
    env: dict[str, str] = {}
    if mode == "github":
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "RUNNER_TEMP": str(temp),
        }
        output_file.write_text("", "utf-8")
        if debug:
            env["RUNNER_DEBUG"] = "1"
    elif mode == "azure-devops":
        env |= {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(temp)}
        if debug:
            env["SYSTEM_DEBUG"] = "true"
    return env


def cli_flags(
    workspace_id: str, destination_id: str, arm: str, client_id: str, tenant_id: str, output_dir: Path
) -> list[str]:
    """The command-line flags a local `entrypoint.py plan|apply` against a custom cloud needs (secret from the
    environment)."""
    return [
        "--source-workspace-id",
        workspace_id,
        "--destination-resource-group-id",
        destination_id,
        "--cloud",
        "custom",
        "--arm-endpoint",
        arm,
        "--authority-host",
        arm,
        "--client-id",
        client_id,
        "--tenant-id",
        tenant_id,
        "--output-dir",
        str(output_dir),
    ]


class Runner:
    """Runs amlmove against one emulator in a fresh workspace per run (or a named, reused one)."""

    def __init__(self, emulator: Any, tmp: Path) -> None:
        self.emulator, self.tmp = emulator, tmp

    # ---- building the process -------------------------------------------------------------------------------------
    def _dirs(self, name: str) -> tuple[Path, Path, Path]:
        root = self.tmp / name
        workspace, home, files = root / "workspace", root / "home", root / "runner-files"
        for d in (workspace, home, files):
            d.mkdir(parents=True, exist_ok=True)
        return workspace, home, files

    def connection(self) -> dict[str, str]:
        info = self.emulator.info
        return {
            "cloud": "custom",
            "arm-endpoint": info["url"],
            "authority-host": info["url"],
            "client-id": info["clientId"],
            "tenant-id": info["tenantId"],
        }

    def prepare(
        self,
        mode: str,
        command: str,
        inputs: dict[str, str],
        name: str,
        auth: str | None = None,
        extra_env: dict[str, str] | None = None,
        argv: list[str] | None = None,
        connect: bool = True,
    ) -> tuple[list[str], dict[str, str], Path, dict[str, Path]]:
        """(argv, env, workspace, runner files) for one run."""
        assert mode in MODES, mode
        workspace, home, files = self._dirs(name)
        values = {"command": command, **(self.connection() if connect else {}), **inputs}
        env = subprocess_env(self.emulator.ca_file)
        env["HOME"] = str(home)
        env["CI"] = "true" if mode != "local" else env.get("CI", "")
        out = Path(values.get("output-dir") or "amlmove-output")
        paths: dict[str, Path] = {"out_dir": out if out.is_absolute() else workspace / out}
        auth = auth or ("oidc" if mode == "github" else "secret")
        if mode == "local":
            args = [command]
            for key, value in values.items():
                if key != "command":
                    args += [f"--{key}", value]
            cmd = [sys.executable, str(ROOT / "entrypoint.py"), *args, *(argv or [])]
        else:
            env.update(action_defaults())
            env.update({"INPUT_" + k.replace(" ", "_").upper(): v for k, v in values.items()})
            cmd = [sys.executable, str(ROOT / "entrypoint.py"), *(argv or [])]
        if mode == "github":
            run_id = len(list(files.glob("set_output_*")))
            paths["output"] = files / f"set_output_{run_id}"
            paths["summary"] = files / f"step_summary_{run_id}"
            paths["output"].write_text("", encoding="utf-8")
            paths["summary"].write_text("", encoding="utf-8")
            env.update(
                {
                    "GITHUB_ACTIONS": "true",
                    "GITHUB_WORKSPACE": str(workspace),
                    "GITHUB_OUTPUT": str(paths["output"]),
                    "GITHUB_STEP_SUMMARY": str(paths["summary"]),
                    "RUNNER_TEMP": str(files),
                }
            )
        elif mode == "azure-devops":
            paths["agent_temp"] = files
            env.update(
                {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(files), "BUILD_SOURCESDIRECTORY": str(workspace)}
            )
        if auth == "oidc":
            env["ACTIONS_ID_TOKEN_REQUEST_URL"] = f"{self.emulator.info['url']}/_emulator/github-oidc?api-version=2.0"
            env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = GITHUB_OIDC_REQUEST_TOKEN
        elif auth == "secret":
            env["AZURE_CLIENT_SECRET"] = self.emulator.info["clientSecret"]
        env.update(extra_env or {})
        return cmd, env, workspace, paths

    # ---- running ----------------------------------------------------------------------------------------------------
    def run(
        self,
        command: str,
        inputs: dict[str, str] | None = None,
        *,
        mode: str = "github",
        name: str | None = None,
        auth: str | None = None,
        extra_env: dict[str, str] | None = None,
        argv: list[str] | None = None,
        timeout: float = TIMEOUT,
        connect: bool = True,
    ) -> Run:
        """One run of `command`; `connect=False` leaves out the emulator's cloud and identity inputs."""
        name = name or f"{command}-{mode}-{len(list(self.tmp.glob('*')))}"
        cmd, env, workspace, paths = self.prepare(
            mode, command, dict(inputs or {}), name, auth, extra_env, argv, connect
        )
        proc = subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        return collect(mode, proc.returncode, proc.stdout, proc.stderr, workspace, env, paths)

    def run_raw(self, argv: list[str], name: str | None = None, timeout: float = TIMEOUT) -> Run:
        """`python entrypoint.py <argv>` exactly as given (local mode, nothing added), e.g. to test the parser."""
        name = name or f"raw-{len(list(self.tmp.glob('*')))}"
        workspace, home, _ = self._dirs(name)
        env = subprocess_env(self.emulator.ca_file)
        env["HOME"] = str(home)
        cmd = [sys.executable, str(ROOT / "entrypoint.py"), *argv]
        proc = subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        out_dir = workspace / "amlmove-output"
        return collect("local", proc.returncode, proc.stdout, proc.stderr, workspace, env, {"out_dir": out_dir})

    @staticmethod
    def target(scenario: Any = None) -> dict[str, str]:
        """The source/destination inputs of a `samples.WorkspaceScenario` (the default one when None)."""
        from amlmove_emulator import samples

        s = scenario or samples.WorkspaceScenario()
        return {"source-workspace-id": s.workspace_id, "destination-resource-group-id": s.dest_rg}

    def start(
        self,
        command: str,
        inputs: dict[str, str] | None = None,
        *,
        mode: str = "github",
        name: str,
        auth: str | None = None,
    ) -> Started:
        """The same run as a background process (for signals); `Started.finish()` gives its Run."""
        cmd, env, workspace, paths = self.prepare(mode, command, dict(inputs or {}), name, auth)
        out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        proc = subprocess.Popen(cmd, cwd=workspace, env=env, stdout=out, stderr=err, text=True)
        return Started(proc, mode, workspace, env, paths, out, err)


@dataclass
class Started:
    proc: subprocess.Popen[str]
    mode: str
    workspace: Path
    env: dict[str, str]
    paths: dict[str, Path]
    out: Any
    err: Any

    @property
    def out_dir(self) -> Path:
        return self.paths["out_dir"]

    def finish(self, timeout: float = TIMEOUT, allow_killed: bool = False) -> Run:
        code = self.proc.wait(timeout=timeout)
        self.out.seek(0)
        self.err.seek(0)
        stdout, stderr = self.out.read(), self.err.read()
        self.out.close()
        self.err.close()
        return collect(self.mode, code, stdout, stderr, self.workspace, self.env, self.paths)


def collect(
    mode: str, code: int, stdout: str, stderr: str, workspace: Path, env: dict[str, str], paths: dict[str, Path]
) -> Run:
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        assert "Traceback" not in text, f"a Python traceback on {stream}:\n{text[-4000:]}"
    run = Run(mode, code, stdout, stderr, workspace, paths["out_dir"])
    if mode == "local":  # a terminal runs nothing, but a log pasted into CI would: both runners' rules apply
        run.stdout_commands = parse_github_commands(stdout) + parse_vso_commands(stdout)
        run.stderr_commands = parse_github_commands(stderr) + parse_vso_commands(stderr)
        run.outputs = _local_outputs(stdout)
    elif mode == "github":
        run.stdout_commands = parse_github_commands(stdout)
        run.stderr_commands = parse_github_commands(stderr)
        run.output_file = paths["output"].read_text(encoding="utf-8")
        run.outputs = parse_github_file_commands(run.output_file)
        run.summary = paths["summary"].read_text(encoding="utf-8")
    else:
        run.stdout_commands = parse_vso_commands(stdout)
        run.stderr_commands = parse_vso_commands(stderr)
        run.outputs = {
            c.properties["variable"]: c.data
            for c in run.stdout_commands
            if c.name.lower() == "task.setvariable" and c.properties.get("isoutput") == "true"
        }
        uploads = [Path(c.data) for c in run.stdout_commands if c.name.lower() == "task.uploadsummary"]
        run.summary = "".join(p.read_text(encoding="utf-8") for p in uploads if p.exists())
    return run


def _local_outputs(stdout: str) -> dict[str, str]:
    """The `name = value` lines the local adapter prints at the end, for declared outputs only."""
    outputs = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(" = ")
        if sep and key in OUTPUT_NAMES:
            outputs[key] = value
    return outputs


def copy_plan(run: Run, dest: Path) -> Path:
    """The plan job's artifact, downloaded into another job's workspace."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(run.out_dir / "plan.json", dest)
    return dest


def kill_once_accepted(runner: Runner, given: dict[str, str], name: str) -> Run:
    """Start apply in runner workspace `name` and SIGKILL it the moment ARM has accepted the move (state.json
    written): the runner dies, no handler runs, no report."""
    started = runner.start("apply", given, name=name)
    deadline = time.monotonic() + 60
    while not (started.out_dir / "state.json").exists():
        assert started.proc.poll() is None, "apply ended before the move was accepted"
        assert time.monotonic() < deadline, "apply never saved state.json"
        time.sleep(0.02)
    started.proc.send_signal(signal.SIGKILL)
    return started.finish()


def kill_once_logged(
    runner: Runner, emulator: Any, given: dict[str, str], name: str, seen: Callable[[dict[str, Any]], bool]
) -> Run:
    """Start apply in runner workspace `name` and SIGKILL it the moment the emulator's request log holds a request
    `seen` picks (a deployment PUT ARM accepted, say): the runner dies mid-step, no handler runs, no report."""
    started = runner.start("apply", given, name=name)
    deadline = time.monotonic() + 120
    while not any(seen(r) for r in emulator.requests()):
        assert started.proc.poll() is None, "apply ended before the awaited request"
        assert time.monotonic() < deadline, "the awaited request never came"
        time.sleep(0.05)
    started.proc.send_signal(signal.SIGKILL)
    return started.finish()


def resources(emulator: Any) -> dict[str, dict[str, Any]]:
    """Every resource the emulator holds now, by lower-case id."""
    return {r["id"].lower(): r["body"] for r in emulator.state()["resources"]}


def writes(log: list[dict[str, Any]]) -> list[str]:
    """Every request that could change Azure: any PUT/PATCH/DELETE, any POST except ARM's dry run and sign-in."""
    out = []
    for r in log:
        path = r["path"].lower()
        harmless_post = r["method"] == "POST" and (
            path.endswith("/validatemoveresources") or path.endswith("/oauth2/v2.0/token")
        )
        if r["method"] in ("PUT", "PATCH", "DELETE", "POST") and not harmless_post:
            out.append(f"{r['method']} {r['path']} -> {r['status']}")
    return out
