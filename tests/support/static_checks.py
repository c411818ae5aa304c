"""Static checks of the delivery files, run by `make lint` (`python -m tests.support.static_checks`) before pytest.

Schemas (check-jsonschema's vendored GitHub and Azure Pipelines schemas), zizmor on the workflows (0 findings, default
persona, offline) and hadolint on the Dockerfile (0 findings). The tools are taken from the directory of the running
interpreter, so `.venv/bin/python -m tests.support.static_checks` works without activating the venv. Exit status 1 when
any check fails, with each problem printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL_TIMEOUT_S = 300

# (schema, extra check-jsonschema flags, files as globs relative to the repository root)
SCHEMA_TARGETS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("vendor.github-actions", (), ("action.yml",)),
    ("vendor.github-workflows", (), (".github/workflows/*.yml", ".github/workflows/*.yaml")),
    ("vendor.dependabot", (), (".github/dependabot.yml",)),
    (
        "vendor.azure-pipelines",
        ("--data-transform", "azure-pipelines", "--regex-variant", "nonunicode"),
        ("azure-pipelines/*.yml",),
    ),
)
# Files a check must find: a glob that matches nothing would otherwise pass by checking nothing.
REQUIRED_GLOBS = ("action.yml", ".github/workflows/*.yml", "azure-pipelines/*.yml")
ZIZMOR_INPUTS = (".github", "action.yml")


@dataclass(frozen=True)
class CheckResult:
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tool_path(name: str) -> Path:
    """The tool installed next to the running interpreter (the venv's bin directory)."""
    return Path(sys.executable).parent / name


def run_tool(argv: Sequence[str], root: Path) -> subprocess.CompletedProcess[str]:
    exe = tool_path(argv[0])
    if not exe.exists():
        raise FileNotFoundError(f"{argv[0]} is not installed in {exe.parent}; run `make test` to build the venv")
    return subprocess.run(
        [str(exe), *argv[1:]], cwd=root, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
    )


def _files(root: Path, globs: Sequence[str]) -> list[str]:
    return sorted({str(p.relative_to(root)) for pattern in globs for p in root.glob(pattern) if p.is_file()})


def check_schemas(root: Path = ROOT) -> CheckResult:
    problems = [f"no file matches {pattern}" for pattern in REQUIRED_GLOBS if not _files(root, (pattern,))]
    for schema, flags, globs in SCHEMA_TARGETS:
        files = _files(root, globs)
        if not files:
            continue
        proc = run_tool(["check-jsonschema", "--builtin-schema", schema, *flags, *files], root)
        if proc.returncode != 0:
            problems.append(f"{schema}: {', '.join(files)}\n{(proc.stdout + proc.stderr).strip()}")
    return CheckResult("check-jsonschema", problems)


def check_zizmor(root: Path = ROOT) -> CheckResult:
    inputs = [name for name in ZIZMOR_INPUTS if (root / name).exists()]
    if not inputs:
        return CheckResult("zizmor", ["nothing to audit: no .github/ and no action.yml"])
    proc = run_tool(["zizmor", "--offline", "--format", "json", *inputs], root)
    # 0: no findings; 11-14: findings (by highest severity); anything else: zizmor itself failed.
    if proc.returncode not in (0, 11, 12, 13, 14):
        return CheckResult("zizmor", [f"zizmor exited {proc.returncode}:\n{proc.stderr.strip()}"])
    findings = [f for f in json.loads(proc.stdout or "[]") if not f.get("ignored")]
    return CheckResult("zizmor", [_describe_zizmor(f) for f in findings])


def _describe_zizmor(finding: dict) -> str:
    where = ""
    for location in finding.get("locations", []):
        if location.get("symbolic", {}).get("kind") == "Primary":
            path = location["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
            line = location["concrete"]["location"]["start_point"]["row"] + 1
            where = f"{path}:{line}: "
            break
    severity = finding.get("determinations", {}).get("severity", "?")
    return f"{where}{finding['ident']} ({severity}): {finding['desc']} — {finding.get('url', '')}"


def check_hadolint(root: Path = ROOT) -> CheckResult:
    if not (root / "Dockerfile").is_file():
        return CheckResult("hadolint", ["no Dockerfile"])
    proc = run_tool(["hadolint", "--no-color", "--format", "json", "Dockerfile"], root)
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return CheckResult("hadolint", [f"hadolint exited {proc.returncode}:\n{(proc.stdout + proc.stderr).strip()}"])
    problems = [f"Dockerfile:{f['line']}: {f['code']} ({f['level']}): {f['message']}" for f in findings]
    if proc.returncode != 0 and not problems:
        problems.append(f"hadolint exited {proc.returncode}:\n{proc.stderr.strip()}")
    return CheckResult("hadolint", problems)


CHECKS: tuple[Callable[[Path], CheckResult], ...] = (check_schemas, check_zizmor, check_hadolint)


def main(root: Path = ROOT) -> int:
    failed = 0
    for check in CHECKS:
        result = check(root)
        print(f"{'ok    ' if result.ok else 'FAILED'} {result.name}: {len(result.problems)} problem(s)")
        for problem in result.problems:
            print("  - " + problem.replace("\n", "\n    "))
        failed += not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
