"""`make bench`: plan and apply of a large workspace against the emulator at 0 ms and 50 ms injected latency, side by
side with the az CLI doing its part of the manual procedure, plus start-up times, LRO completion detection, the
installed size of the locked environment and how plan time grows with the number of jobs.

Prints a table and writes benchmarks/results.json. Definitions: benchmarks/analysis.py and benchmarks/README.md.

    python -m benchmarks.run                   # everything (about 2–3 minutes)
    python -m benchmarks.run --quick           # small scenario, no scaling run, no venv install
    python -m benchmarks.run --only plan,apply --latencies 50
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amlmove_emulator import samples  # noqa: E402
from amlmove_emulator.control import EmulatorProcess  # noqa: E402
from benchmarks import analysis, scenarios  # noqa: E402

AZ = ROOT / ".venv" / "azcli" / "bin" / "az"
RETRY_AFTER = 1.0  # the emulator's Retry-After on every 202 (its default)
LRO_SECONDS = {"validate": 0.0, "move": 1.5}  # how long the emulator's ARM takes to finish each LRO
SECTIONS = ("startup", "plan", "apply", "az", "scaling", "venv")


@dataclass
class Config:
    latencies: tuple[float, ...] = (0.0, 50.0)
    jobs: int = 2000
    scaling_jobs: tuple[int, ...] = (100, 2000, 20000)
    scaling_latencies: tuple[float, ...] = (50.0,)
    sections: tuple[str, ...] = SECTIONS
    scenario_kwargs: dict[str, Any] = field(default_factory=dict)
    repeats: int = 5  # start-up timings: median of this many runs
    runs: int = 3  # plan, apply and az phases: the median of this many runs
    fresh_venv: bool = False
    logs_dir: Path | None = None
    capture: Path | None = None  # the emulator's traffic capture (the tests check it against the specs)
    retry_after: float = RETRY_AFTER
    lro_seconds: dict[str, float] = field(default_factory=lambda: dict(LRO_SECONDS))


# ---- running processes ----------------------------------------------------------------------------------------------
@dataclass
class Timed:
    spawn: float
    exit: float
    code: int
    stdout: str
    stderr: str


def timed(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Timed:
    spawn = time.time()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=cwd)
    return Timed(spawn, time.time(), proc.returncode, proc.stdout, proc.stderr)


class Bench:
    """One emulator, the scenarios loaded into it in turn, and the processes measured against it."""

    def __init__(
        self,
        emu: EmulatorProcess,
        base_env: dict[str, str],
        work: Path,
        log: Callable[[str], None],
        logs_dir: Path | None = None,
        retry_after: float = RETRY_AFTER,
        lro_seconds: dict[str, float] | None = None,
    ):
        self.emu, self.base_env, self.work, self.say = emu, base_env, work, log
        self.retry_after, self.lro_seconds = retry_after, dict(LRO_SECONDS if lro_seconds is None else lro_seconds)
        self.scenario: samples.WorkspaceScenario | None = None
        self.logs_dir = logs_dir  # when set, each measured run's raw request log is kept there

    # ---- emulator state ---------------------------------------------------------------------------------------
    def load(self, scenario: samples.WorkspaceScenario, latency_ms: float) -> float:
        started = time.monotonic()
        self.emu.load_scenario(scenario.build())
        self.scenario = scenario
        self.emu.settings(retryAfterSeconds=self.retry_after)
        for kind, seconds in self.lro_seconds.items():
            self.emu.shape_lro(operation=kind, durationSeconds=seconds)
        self.set_latency(latency_ms)
        return time.monotonic() - started

    def set_latency(self, latency_ms: float) -> None:
        self.emu.call("DELETE", "faults")
        if latency_ms:
            self.emu.fault(latencyMs=latency_ms)

    def context(self) -> analysis.Context:
        s = self.scenario
        assert s is not None
        return analysis.Context(s.workspace_id, s.source_rg, s.dest_rg)

    def measure(self, name: str, argv: list[str], env: dict[str, str], **extra: Any) -> dict[str, Any]:
        before = len(self.emu.requests())
        run = timed(argv, env)
        log = self.emu.requests()[before:]
        if self.logs_dir is not None:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            stem = f"{len(list(self.logs_dir.iterdir())):02d}-{name}-{extra.get('latencyMs', 0):g}ms".replace(" ", "_")
            raw = {"spawn": run.spawn, "exit": run.exit, "context": vars(self.context()), "log": log}
            (self.logs_dir / f"{stem}.json").write_text(json.dumps(raw), encoding="utf-8")
        figures = analysis.summarize(log, self.context(), run.spawn, run.exit, self.lro_seconds, self.retry_after)
        figures = {"phase": name, **extra, "exitCode": run.code, **figures}
        if run.code not in extra.get("expect", (0,)):
            figures["error"] = (run.stderr or run.stdout).strip()[-800:]
        figures.pop("expect", None)
        self.say(_row(figures))
        return figures

    # ---- amlmove ----------------------------------------------------------------------------------------------
    def amlmove_env(self) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(
            {
                "REQUESTS_CA_BUNDLE": str(self.emu.ca_file),
                "AZURE_CLIENT_SECRET": self.emu.info["clientSecret"],
                "PYTHONPATH": os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(ROOT)) if p),
            }
        )
        for key in ("GITHUB_ACTIONS", "TF_BUILD", "ACTIONS_ID_TOKEN_REQUEST_URL", "SYSTEM_OIDCREQUESTURI"):
            env.pop(key, None)
        return env

    def amlmove(self, command: str, out: Path, *extra: str) -> list[str]:
        s = self.scenario
        assert s is not None
        return [
            sys.executable,
            str(ROOT / "entrypoint.py"),
            command,
            "--source-workspace-id",
            s.workspace_id,
            "--destination-resource-group-id",
            s.dest_rg,
            "--cloud",
            "custom",
            "--arm-endpoint",
            self.emu.url,
            "--authority-host",
            self.emu.url,
            "--client-id",
            self.emu.info["clientId"],
            "--tenant-id",
            self.emu.info["tenantId"],
            "--output-dir",
            str(out),
            *extra,
        ]

    def floor(self, latency: float) -> dict[str, Any]:
        """benchmarks/floor.py: sign-in and the jobs list only, the least a Python client can do of the plan."""
        s = self.scenario
        assert s is not None
        argv = [
            sys.executable,
            "-m",
            "benchmarks.floor",
            self.emu.url,
            self.emu.url,
            self.emu.info["tenantId"],
            self.emu.info["clientId"],
            s.workspace_id,
        ]
        return self.measure("floor (sign-in + jobs)", argv, self.amlmove_env(), latencyMs=latency)

    def plan(self, name: str, latency: float, out: Path, **extra: Any) -> dict[str, Any]:
        return self.measure(name, self.amlmove("plan", out), self.amlmove_env(), latencyMs=latency, **extra)

    def apply(self, latency: float, out: Path) -> dict[str, Any]:
        figures = self.measure(
            "apply (clean)",
            self.amlmove("apply", out, "--plan-file", str(out / "plan.json")),
            self.amlmove_env(),
            latencyMs=latency,
        )
        report = out / "report.json"
        if report.exists():
            data = json.loads(report.read_text(encoding="utf-8"))
            figures["status"] = data.get("status")
            figures["subPhases"] = {p["name"]: p["seconds"] for p in data.get("phases") or []}
        return figures

    # ---- az ---------------------------------------------------------------------------------------------------
    def az_env(self, config_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in self.base_env.items() if not k.startswith(("AZURE_", "PYTHON"))}
        env.update(
            {
                "AZURE_CONFIG_DIR": str(config_dir),
                "REQUESTS_CA_BUNDLE": str(self.emu.ca_file),
                "AZURE_CORE_INSTANCE_DISCOVERY": "false",
                "AZURE_CORE_COLLECT_TELEMETRY": "false",
                "AZURE_CORE_SURVEY_MESSAGE": "false",
                "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
                "AZURE_CORE_NO_COLOR": "true",
            }
        )
        if "PYTHONPATH" in self.base_env:  # the tests' network guard (sitecustomize) rides on PYTHONPATH
            env["PYTHONPATH"] = self.base_env["PYTHONPATH"]
        return env

    def az_setup(self, config_dir: Path) -> dict[str, Any]:
        """Isolated config dir, version check pre-seeded (no PyPI call), the emulator as a custom cloud, SP login."""
        s = self.scenario
        assert s is not None
        if not (config_dir / "versionCheck.json").exists():
            config_dir.mkdir(parents=True, exist_ok=True)
            version = _az_version()
            now = str(dt.datetime.now())
            pair = {"local": version, "pypi": version}
            (config_dir / "versionCheck.json").write_text(
                json.dumps({"versions": {"azure-cli": pair, "core": pair}, "update_time": now, "check_time": now}),
                encoding="utf-8",
            )
            env = self.az_env(config_dir)
            for argv in (
                [
                    "cloud",
                    "register",
                    "-n",
                    "AmlmoveEmulator",
                    "--endpoint-resource-manager",
                    self.emu.url + "/",
                    "--endpoint-active-directory",
                    self.emu.url,
                    "--endpoint-active-directory-resource-id",
                    "https://management.core.windows.net/",
                    "--skip-endpoint-discovery",
                ],
                ["cloud", "set", "-n", "AmlmoveEmulator"],
            ):
                run = timed([str(AZ), *argv], env)
                if run.code:
                    raise RuntimeError(f"az {' '.join(argv[:2])} failed: {run.stderr.strip()[-500:]}")
        login = [
            str(AZ),
            "login",
            "--service-principal",
            "-u",
            self.emu.info["clientId"],
            "-p",
            self.emu.info["clientSecret"],
            "--tenant",
            self.emu.info["tenantId"],
        ]
        return self.measure("az login", login, self.az_env(config_dir), latencyMs=0.0)

    def az_procedure(self, config_dir: Path, latency: float, resources: list[str]) -> list[dict[str, Any]]:
        s = self.scenario
        assert s is not None
        env = self.az_env(config_dir)
        body = json.dumps({"resources": resources, "targetResourceGroup": s.dest_rg})
        steps = [
            (
                "az group create",
                ["group", "create", "-n", s.dest_group, "-l", s.location, "--subscription", samples.DEST_SUB],
            ),
            (
                "az validate",
                [
                    "resource",
                    "invoke-action",
                    "--action",
                    "validateMoveResources",
                    "--ids",
                    s.source_rg,
                    "--request-body",
                    body,
                ],
            ),
            (
                "az move",
                [
                    "resource",
                    "move",
                    "--destination-group",
                    s.dest_group,
                    "--destination-subscription-id",
                    samples.DEST_SUB,
                    "--ids",
                    *resources,
                ],
            ),
        ]
        return [self.measure(name, [str(AZ), *argv], env, latencyMs=latency) for name, argv in steps]


def _az_version() -> str:
    out = subprocess.run(
        [str(AZ.parent / "python"), "-c", "from azure.cli.core import __version__; print(__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


# ---- start-up ------------------------------------------------------------------------------------------------------
def startup(env: dict[str, str], repeats: int) -> dict[str, Any]:
    """--help and an invalid input, each the median of `repeats` runs of a fresh process."""

    def median(argv: list[str]) -> tuple[float, int]:
        runs = [timed(argv, env) for _ in range(repeats)]
        return round(statistics.median(r.exit - r.spawn for r in runs), 3), runs[-1].code

    entry = [sys.executable, str(ROOT / "entrypoint.py")]
    bare, _ = median([sys.executable, "-c", "pass"])
    help_s, help_code = median([*entry, "--help"])
    bad_s, bad_code = median(
        [*entry, "plan", "--source-workspace-id", "not-a-workspace-id", "--destination-resource-group-id", "x"]
    )
    out = {
        "pythonStartSeconds": bare,
        "helpSeconds": help_s,
        "helpExitCode": help_code,
        "invalidInputSeconds": bad_s,
        "invalidInputExitCode": bad_code,
    }
    return out


# ---- installed size -------------------------------------------------------------------------------------------------
SIZE_SCRIPT = r"""
import json, os, sys
from importlib import metadata
site = sys.argv[1]
rows = []
for dist in metadata.distributions(path=[site]):
    total = 0
    for f in dist.files or ():
        p = os.path.join(site, str(f))
        if os.path.isfile(p):
            total += os.path.getsize(p)
    rows.append((dist.metadata["Name"], dist.version, total))
print(json.dumps(sorted(rows, key=lambda r: -r[2])))
"""


def _du(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            p = Path(root) / f
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def venv_size(fresh: bool, say: Callable[[str], None]) -> dict[str, Any]:
    """A new venv with requirements/runtime.txt installed as the Dockerfile does; sizes per distribution."""
    lock = ROOT / "requirements" / "runtime.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:12]
    venv = Path(tempfile.gettempdir()) / f"amlmove-bench-venv-{digest}"
    if fresh and venv.exists():
        shutil.rmtree(venv)
    installed_in = None
    if not (venv / ".installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        say(f"installing requirements/runtime.txt into {venv} (as the Dockerfile does) …")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        started = time.monotonic()
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-cache-dir",
                "--disable-pip-version-check",
                "--require-hashes",
                "--no-deps",
                "-r",
                str(lock),
            ],
            check=True,
        )
        installed_in = round(time.monotonic() - started, 1)
        (venv / ".installed").write_text("ok", encoding="utf-8")
    site = next((venv / "lib").glob("python*/site-packages"))
    rows = json.loads(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", SIZE_SCRIPT, str(site)], capture_output=True, text=True, check=True
        ).stdout
    )
    pip_like = {"pip", "setuptools", "wheel"}
    locked = [r for r in rows if r[0].lower() not in pip_like]
    locked_bytes = sum(r[2] for r in locked)
    out = {
        "venv": str(venv),
        "installSeconds": installed_in,
        "venvMB": round(_du(venv) / 1e6, 1),
        "lockedPackagesMB": round(locked_bytes / 1e6, 1),
        "distributions": len(locked),
        "top": [{"name": n, "version": v, "MB": round(b / 1e6, 1)} for n, v, b in locked[:12]],
    }
    if AZ.exists():
        out["azCliVenvMB"] = round(_du(AZ.parents[1]) / 1e6, 1)
    return out


# ---- the whole run --------------------------------------------------------------------------------------------------
def compile_like_the_image() -> None:
    """The container image ships the action's bytecode (Dockerfile: compileall after COPY) and runs with
    PYTHONDONTWRITEBYTECODE, so no run compiles the action. The same here: write amlmove_action's __pycache__
    (git-ignored; Python falls back to the source of any module edited since)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "amlmove_action")], check=True)


def run(config: Config, base_env: dict[str, str], work: Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    compile_like_the_image()
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "commit": _git_commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "retryAfterSeconds": config.retry_after,
            "lroServerSeconds": config.lro_seconds,
            "latenciesMs": list(config.latencies),
            "loadAverage": [round(x, 2) for x in os.getloadavg()],  # other work on the machine skews wall times
        },
        "phases": [],
    }
    if "startup" in config.sections:
        say("start-up …")
        results["startup"] = startup(base_env, config.repeats)
        say(json.dumps(results["startup"]))
    needs_emulator = {"plan", "apply", "az", "scaling"} & set(config.sections)
    if needs_emulator:
        (work / "emulator").mkdir(parents=True, exist_ok=True)
        with EmulatorProcess(state_dir=work / "emulator", capture=config.capture, extra_env=base_env) as emu:
            bench = Bench(emu, base_env, work, say, config.logs_dir, config.retry_after, config.lro_seconds)
            results["phases"] = _phases(bench, config, work)
            if "scaling" in config.sections:
                results["scaling"] = _scaling(bench, config, work)
    if "venv" in config.sections:
        results["venv"] = venv_size(config.fresh_venv, say)
    return results


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time, with every run's wall time beside it (the machine may be shared)."""
    ordered = sorted(runs, key=lambda r: r["wallSeconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        chosen["wallRuns"] = [r["wallSeconds"] for r in runs]
    return chosen


def _phases(bench: Bench, config: Config, work: Path) -> list[dict[str, Any]]:
    """Each phase `config.runs` times (the scenario reloaded before each run that changes it); the median run."""
    phases: list[dict[str, Any]] = []
    big = scenarios.large(jobs=config.jobs, **config.scenario_kwargs)
    clean_kwargs = {**config.scenario_kwargs, "clean": True}
    for latency in config.latencies:
        tag = f"{int(latency)}ms"
        if "plan" in config.sections:
            load = bench.load(big, latency)
            runs = [
                bench.plan(
                    "plan (large)",
                    latency,
                    work / f"plan-large-{tag}-{i}",
                    expect=(0, 1),
                    scenario=scenarios.counts(big.build()),
                    loadSeconds=round(load, 2),
                )
                for i in range(config.runs)
            ]
            phases.append(_median(runs))
            phases.append(_median([bench.floor(latency) for _ in range(config.runs)]))
        resources: list[str] = []
        if "apply" in config.sections or "az" in config.sections:
            plans, applies = [], []
            for i in range(config.runs if "apply" in config.sections else 1):
                out = work / f"apply-clean-{tag}-{i}"
                bench.load(scenarios.large(jobs=config.jobs, **clean_kwargs), latency)
                plans.append(bench.plan("plan (clean)", latency, out))
                plan_file = out / "plan.json"
                if plan_file.exists():
                    resources = list(json.loads(plan_file.read_text(encoding="utf-8"))["resources"])
                if "apply" in config.sections:
                    applies.append(bench.apply(latency, out))
            phases.append(_median(plans))
            if applies:
                phases.append(_median(applies))
        if "az" in config.sections and AZ.exists() and resources:
            rounds: list[list[dict[str, Any]]] = []
            for i in range(config.runs):
                bench.load(scenarios.large(jobs=config.jobs, **clean_kwargs), 0.0)
                config_dir = work / f"azconfig-{tag}-{i}"  # a fresh one per scenario load: cached tokens are invalid
                steps = [bench.az_setup(config_dir)]
                bench.set_latency(latency)
                rounds.append(steps + bench.az_procedure(config_dir, latency, resources))
            phases += [_median([r[k] for r in rounds]) for k in range(len(rounds[0]))]
    return phases


def _scaling(bench: Bench, config: Config, work: Path) -> list[dict[str, Any]]:
    rows = []
    for latency in config.scaling_latencies:
        for jobs in config.scaling_jobs:
            s = scenarios.large(jobs=jobs, **config.scenario_kwargs)
            load = bench.load(s, latency)
            fig = bench.plan(
                f"plan {jobs} jobs", latency, work / f"scale-{jobs}-{int(latency)}", expect=(0, 1), jobs=jobs
            )
            fig["loadSeconds"] = round(load, 2)
            rows.append(fig)
    return rows


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# ---- printing ------------------------------------------------------------------------------------------------------
COLUMNS = (
    ("phase", "phase", 16),
    ("latencyMs", "lat ms", 6),
    ("wallSeconds", "wall s", 7),
    ("requests", "reqs", 5),
    ("distinctReadsNeeded", "needed", 6),
    ("duplicates", "dups", 5),
    ("boundSeconds", "bound s", 7),
    ("ratio", "wall/bd", 7),
    ("spanRatio", "span/bd", 7),
    ("firstArmRequestSeconds", "→ARM s", 7),
    ("lro", "LRO done→known s", 17),
)


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "lro":
        return " ".join(
            f"{x['operation'][0]}:{x['detectionDelaySeconds']}" for x in row.get("lros") or [] if "operation" in x
        )
    value = row.get(key)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _row(row: dict[str, Any]) -> str:
    return "  ".join(_cell(row, k).ljust(w) for k, _, w in COLUMNS) + (
        f"  exit {row['exitCode']}" if row.get("exitCode") else ""
    )


def table(results: dict[str, Any]) -> str:
    lines = ["  ".join(h.ljust(w) for _, h, w in COLUMNS)]
    lines += [_row(r) for r in results.get("phases", [])]
    if results.get("scaling"):
        lines += ["", "scaling (plan of the large scenario, jobs varied):"]
        lines += [_row(r) for r in results["scaling"]]
    if results.get("startup"):
        s = results["startup"]
        lines += [
            "",
            f"start-up: python {s['pythonStartSeconds']} s, --help {s['helpSeconds']} s, invalid input "
            f"{s['invalidInputSeconds']} s (exit {s['invalidInputExitCode']})",
        ]
    if results.get("venv"):
        v = results["venv"]
        top = ", ".join(f"{t['name']} {t['MB']}" for t in v["top"][:6])
        lines += [
            f"locked environment: {v['lockedPackagesMB']} MB in {v['distributions']} distributions "
            f"(venv {v['venvMB']} MB; az CLI venv {v.get('azCliVenvMB', '-')} MB); largest: {top}"
        ]
    return "\n".join(lines)


def _find(rows: list[dict[str, Any]], phase: str, latency: float) -> dict[str, Any] | None:
    return next((r for r in rows if r["phase"] == phase and r.get("latencyMs") == latency), None)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _pair(before: dict[str, Any] | None, after: dict[str, Any] | None, key: str) -> str:
    b, a = (before or {}).get(key), (after or {}).get(key)
    return _fmt(a) if before is None or b == a else f"{_fmt(b)} → {_fmt(a)}"


def _lro_cell(row: dict[str, Any] | None) -> str:
    if not row:
        return "–"
    parts = []
    for x in row.get("lros") or []:
        text = (
            f"{x['operation']}: known {x['detectionDelaySeconds']} s after the server finished "
            f"({x['polls']} polls; last poll sent {x.get('finalPollStartVsRetryAfter')} s after Retry-After elapsed)"
        )
        if row["phase"].startswith("az "):
            text += f"; az exits {x.get('finalResponseToExitSeconds')} s after the final answer"
        parts.append(text)
    return "; ".join(parts) or "–"


def markdown(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The README's tables: before → after for amlmove's phases, and the az CLI beside them (same run)."""
    keys = (
        ("wallSeconds", "wall s"),
        ("requests", "requests"),
        ("distinctReadsNeeded", "needed"),
        ("duplicates", "dups"),
        ("boundSeconds", "bound s"),
        ("ratio", "wall / bound"),
        ("spanRatio", "span / bound"),
        ("firstArmRequestSeconds", "start → 1st ARM s"),
    )
    out = ["| phase | latency | " + " | ".join(h for _, h in keys) + " |", "|---|---" + "|---" * len(keys) + "|"]
    for row in after.get("phases", []):
        old = _find(before.get("phases", []), row["phase"], row.get("latencyMs"))
        cells = [_pair(old, row, k) for k, _ in keys]
        out.append(f"| {row['phase']} | {_fmt(row.get('latencyMs'))} ms | " + " | ".join(cells) + " |")
    out += ["", "| phase | latency | LRO: server done → client knows |", "|---|---|---|"]
    for row in after.get("phases", []):
        if row.get("lros"):
            out.append(f"| {row['phase']} | {_fmt(row.get('latencyMs'))} ms | {_lro_cell(row)} |")
    if after.get("scaling"):
        out += ["", "| jobs | latency | " + " | ".join(h for _, h in keys[:6]) + " |", "|---|---" + "|---" * 6 + "|"]
        for row in after["scaling"]:
            old = next(
                (
                    r
                    for r in before.get("scaling", [])
                    if r.get("jobs") == row.get("jobs") and r.get("latencyMs") == row.get("latencyMs")
                ),
                None,
            )
            cells = [_pair(old, row, k) for k, _ in keys[:6]]
            out.append(f"| {row.get('jobs')} | {_fmt(row.get('latencyMs'))} ms | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scenario, no scaling run, no venv install")
    parser.add_argument("--only", help=f"comma-separated sections among {','.join(SECTIONS)}")
    parser.add_argument("--latencies", default="0,50", help="injected latency per request, ms (default 0,50)")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--scaling-jobs", default="100,2000,20000")
    parser.add_argument("--scaling-latencies", default="50")
    parser.add_argument("--fresh-venv", action="store_true", help="reinstall the locked environment")
    parser.add_argument("--runs", type=int, default=3, help="runs per phase; the median is reported (default 3)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--logs", type=Path, help="keep each measured run's raw request log in this directory")
    parser.add_argument(
        "--markdown",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="print README tables comparing two results files, and run nothing",
    )
    args = parser.parse_args(argv)
    if args.markdown:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.markdown)
        print(markdown(before, after))
        return 0
    config = Config(
        latencies=tuple(float(x) for x in args.latencies.split(",") if x),
        jobs=args.jobs,
        scaling_jobs=tuple(int(x) for x in args.scaling_jobs.split(",") if x),
        scaling_latencies=tuple(float(x) for x in args.scaling_latencies.split(",") if x),
        fresh_venv=args.fresh_venv,
        logs_dir=args.logs,
        runs=max(1, args.runs),
    )
    if args.quick:
        config.jobs, config.repeats, config.runs = 200, 3, 1
        config.sections = ("startup", "plan", "apply", "az")
    if args.only:
        config.sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    work = Path(tempfile.mkdtemp(prefix="amlmove-bench-"))
    results = run(config, dict(os.environ), work)
    print()
    print(table(results))
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.output}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
