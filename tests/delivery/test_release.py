"""Release and adoption (issue 16): the release workflow and the action.yml it writes, what the image holds, the one
version source, and the reusable workflow's status output against every status the action can set."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from amlmove_action import __version__
from tests.conftest import ROOT
from tests.support.image_files import image_files
from tests.support.runner_rules import parse_github_file_commands
from tools import release_action, sbom

WORKFLOWS = ROOT / ".github" / "workflows"
DIGEST = "sha256:" + "0123456789abcdef" * 4
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.MULTILINE)


def _workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def _step(workflow: dict, job: str, name: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("name") == name)


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The runner's `run:` shell: bash -e {0} (plus pipefail). python3 resolves to this test's interpreter.
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": path, "HOME": str(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- 1. The release workflow -----------------------------------------------------------------------------------------


def test_release_workflow_pins_every_action_and_grants_each_job_only_what_it_needs():
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    wf = yaml.safe_load(text)
    for ref, comment in _USES.findall(text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", ref), ref
        assert re.match(r"\s*# v\d+\.\d+\.\d+$", comment), f"{ref}: no version comment"
    assert wf["permissions"] == {}
    assert set(wf[True]) == {"push", "workflow_dispatch"}  # PyYAML reads the key `on` as True
    assert wf[True]["push"] == {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}
    perms = {name: job["permissions"] for name, job in wf["jobs"].items()}
    assert perms == {
        "image": {"contents": "read", "packages": "write", "id-token": "write", "attestations": "write"},
        "release-commit": {"contents": "write"},
    }
    uses = [s.get("uses", "").split("@")[0] for s in wf["jobs"]["image"]["steps"]]
    assert {"actions/attest-build-provenance", "actions/attest-sbom", "docker/build-push-action"} <= set(uses)
    for job in wf["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_release_commit_action_yml_is_what_the_workflow_writes(tmp_path):
    """Run the workflow's own pin step on a copy of the repository: action.yml then runs the image by digest
    (docker://ghcr.io/OWNER/amlmove@sha256:<64 hex>) and nothing else in it changed."""
    wf = _workflow("release.yml")
    step = _step(wf, "release-commit", "Pin the image in action.yml")
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "amlmove_action", tmp_path / "amlmove_action", ignore=shutil.ignore_patterns("*"))
    shutil.copy(ROOT / "amlmove_action" / "__init__.py", tmp_path / "amlmove_action" / "__init__.py")
    # What the image job hands over: the lower-cased GHCR repository of the owner and the pushed digest.
    version_step = _step(wf, "image", "Read the version")
    out = tmp_path / "version_output"
    out.write_text("")
    got = _bash(
        version_step["run"],
        {"EVENT": "push", "REF_NAME": f"v{__version__}", "OWNER": "Contoso-ML", "GITHUB_OUTPUT": str(out)},
        tmp_path,
    )
    assert got.returncode == 0, got.stderr
    handed = parse_github_file_commands(out.read_text())
    assert handed == {"version": __version__, "image": "ghcr.io/contoso-ml/amlmove"}

    pinned = _bash(step["run"], {"IMAGE": handed["image"], "DIGEST": DIGEST}, tmp_path)
    assert pinned.returncode == 0, pinned.stderr

    before = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    after = yaml.safe_load((tmp_path / "action.yml").read_text(encoding="utf-8"))
    assert re.fullmatch(r"docker://ghcr\.io/[a-z0-9-]+/amlmove@sha256:[0-9a-f]{64}", after["runs"]["image"])
    assert after["runs"] == {"using": "docker", "image": f"docker://ghcr.io/contoso-ml/amlmove@{DIGEST}"}
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    schema = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-actions",
            str(tmp_path / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_the_reusable_workflows_of_the_release_commit_run_its_action_yml():
    """They reference the action as `$/` (the action.yml at the caller's pinned commit) and each other as `$/...`,
    so at the release commit they run the digest-pinned image too; no job builds or checks out the action. The only
    checkout is the caller's own repository, into `repository/` without credentials, to search it (scan-repository)."""
    import yaml

    for name in ("move-workspace.yml", "move-group.yml", "move-fleet.yml"):
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        refs = [ref for ref, _ in _USES.findall(text) if not re.search(r"@[0-9a-f]{40}$", ref)]
        assert refs and all(ref == "$/" or ref.startswith("$/.github/workflows/") for ref in refs), (name, refs)
        steps = [step for job in yaml.safe_load(text)["jobs"].values() for step in job.get("steps", [])]
        checkouts = [step for step in steps if str(step.get("uses", "")).startswith("actions/checkout@")]
        for step in checkouts:
            assert step["with"] == {"path": "repository", "persist-credentials": False}, (name, step)
            assert step["if"] == "${{ inputs.scan-repository }}", (name, step)
        assert len(checkouts) == (2 if name == "move-workspace.yml" else 0), name


@pytest.mark.parametrize(
    ("image", "digest"),
    [
        ("ghcr.io/contoso/amlmove", "sha256:" + "0" * 63),
        ("ghcr.io/contoso/amlmove", "sha256:" + "A" * 64),
        ("ghcr.io/contoso/amlmove:latest", DIGEST),
        ("docker.io/contoso/amlmove", DIGEST),
        ("ghcr.io/contoso/amlmove\nimage: evil", DIGEST),
    ],
)
def test_pin_image_refuses_anything_but_a_ghcr_digest(tmp_path, image, digest):
    action = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", action)
    code = release_action.main(["pin-image", "--image", image, "--digest", digest, str(action)])
    assert code == 2
    assert action.read_text(encoding="utf-8") == (ROOT / "action.yml").read_text(encoding="utf-8")


def test_check_tag_accepts_only_the_code_version():
    assert release_action.check_tag(f"v{__version__}") == f"v{__version__}"
    with pytest.raises(release_action.ReleaseError):
        release_action.check_tag("v999.0.0")


def test_sbom_lists_every_package_of_the_runtime_lock_and_the_base_image():
    lock = (ROOT / "requirements" / "runtime.txt").read_text(encoding="utf-8")
    doc = sbom.sbom("ghcr.io/contoso/amlmove", DIGEST, __version__)
    purls = {r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])}
    for name, ver in sbom.locked_packages(lock):
        assert f"pkg:pypi/{name}@{ver}" in purls
    assert len(doc["packages"]) == len(sbom.locked_packages(lock)) + 2
    base = re.search(r"^FROM \S+@(sha256:[0-9a-f]{64})", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert any(p["versionInfo"] == base for p in doc["packages"])
    assert doc["spdxVersion"] == "SPDX-2.3" and json.dumps(doc)


# --- 2. What the image holds -----------------------------------------------------------------------------------------

TEST_ONLY_MODULES = {"trustme", "pytest", "hypothesis", "tests", "amlmove_emulator", "amlmove_action.emulator"}


def _imports(path: Path, package: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
                names.update(f"{base}.{alias.name}" for alias in node.names if not node.module)
            else:
                names.add(node.module or "")
    return names


def test_image_holds_the_action_and_nothing_else():
    files = image_files()
    assert "/app/entrypoint.py" in files and "/tmp/runtime.txt" in files
    assert files["/tmp/runtime.txt"] == "requirements/runtime.txt"
    for target, source in files.items():
        assert target == "/tmp/runtime.txt" or target.startswith("/app/"), target
        assert not source.startswith(("tests/", "benchmarks/", "tools/", "docs/", ".github/")), source
        # the emulator and the demo (a sibling package) and the emulator's deprecated alias stay out
        assert not source.startswith(("amlmove_emulator/", "amlmove_action/emulator/")), source
        assert not source.endswith("/demo.py"), source
        assert "__pycache__" not in source and not source.endswith(".pyc"), source
    # Every module of the action that the image holds is there, and none of them imports test tooling.
    for path in (ROOT / "amlmove_action").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("amlmove_action/emulator/"):  # the deprecated alias of amlmove_emulator, not in the image
            assert f"/app/{rel}" not in files, rel
            continue
        assert f"/app/{rel}" in files, rel
        package = ".".join(Path(rel).with_suffix("").parts[:-1])
        for name in _imports(path, package):
            assert not any(name == t or name.startswith(t + ".") for t in TEST_ONLY_MODULES), (rel, name)


def test_the_emulator_lock_covers_every_package_the_emulator_and_the_demo_import():
    """`make demo` installs runtime.txt + emulator.txt only: each third-party import of amlmove_emulator/ must be a
    distribution of emulator.txt (emulator.in names those the runtime lock happens to hold too: PyYAML, PyJWT)."""
    emulator_lock = _locked("emulator.txt")
    distributions = importlib.metadata.packages_distributions()
    third_party = set()
    for path in (ROOT / "amlmove_emulator").rglob("*.py"):
        for name in _imports(path, "amlmove_emulator"):
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in {"amlmove_emulator", "amlmove_action"}:
                third_party.add(top)
    assert {"trustme", "yaml", "jwt"} <= third_party
    for top in third_party:
        assert {d.lower() for d in distributions[top]} & emulator_lock, top


def _top_level_names(requirements_in: Path) -> set[str]:
    names = set()
    for line in requirements_in.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>\[; ]", line)[0].lower())
    return names


def _locked(name: str) -> set[str]:
    return {package for package, _ in sbom.locked_packages((ROOT / "requirements" / name).read_text())}


def test_runtime_lock_holds_no_test_only_package():
    runtime = _locked("runtime.txt")
    test_only = _top_level_names(ROOT / "requirements" / "test.in")
    assert "pytest" in test_only
    assert runtime & test_only == set()
    # The emulator's own needs (its CA) are in its own lock only: not in the runtime lock (the image), nor in test's.
    assert "trustme" in _locked("emulator.txt") and "trustme" not in runtime | _locked("test.txt")
    # jsonschema stays: the action validates plan.json with it.
    assert "jsonschema" in runtime
    assert "import jsonschema" in (ROOT / "amlmove_action" / "planfile.py").read_text(encoding="utf-8")


# --- 3. One version --------------------------------------------------------------------------------------------------


def test_one_version_source_and_the_files_a_release_needs():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "amlmove_action.__version__"}
    assert release_action.version() == __version__
    printed = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0 and printed.stdout == f"amlmove {__version__}\n" and printed.stderr == ""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in changelog and "## [Unreleased]" in changelog
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert pyproject["project"]["license"] == {"text": "MIT"}
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "make demo" in contributing and "make test" in contributing and "## Adding a check" in contributing


# --- 4. The reusable workflow's outputs ------------------------------------------------------------------------------


def _schema_statuses(name: str) -> list[str]:
    schema = json.loads((ROOT / "amlmove_action" / "schemas" / name).read_text(encoding="utf-8"))
    return schema["properties"]["status"]["enum"]


ACTION_APPLY_STATUSES = _schema_statuses("report.schema.json")  # what apply sets as `status`
ACTION_PLAN_FINAL = [s for s in _schema_statuses("plan.schema.json") if s != "ready"]  # `ready` goes on to apply
# The result job's own words, for runs where the action set no final status.
WORKFLOW_STATUSES = ["plan failed", "failed or rejected", "cancelled", "skipped"]

# (status, the result job's environment that leads to it)
_BASE = {"PLAN_RESULT": "success", "PLAN_STATUS": "ready", "APPLY_RESULT": "success", "APPLY_STATUS": ""}
STATUS_TABLE = [
    *[
        (s, {"APPLY_STATUS": s, "APPLY_RESULT": "success" if s in ("moved", "already-moved") else "failure"})
        for s in ACTION_APPLY_STATUSES
    ],
    *[(s, {"PLAN_STATUS": s, "APPLY_RESULT": "skipped"}) for s in ACTION_PLAN_FINAL],
    ("plan failed", {"PLAN_RESULT": "failure", "PLAN_STATUS": "", "APPLY_RESULT": "skipped"}),
    ("failed or rejected", {"APPLY_RESULT": "failure"}),
    ("cancelled", {"APPLY_RESULT": "cancelled"}),
    ("skipped", {"APPLY_RESULT": "skipped"}),
]


def test_status_table_covers_every_status_and_the_case_list_is_exactly_them():
    assert [s for s, _ in STATUS_TABLE] == [*ACTION_APPLY_STATUSES, *ACTION_PLAN_FINAL, *WORKFLOW_STATUSES]
    script = _step(_workflow("move-workspace.yml"), "result", "Record the outcome")["run"]
    case = re.search(r'case "\$status" in\s*\n\s*(.+?)\)\n', script).group(1)
    allowed = [word.strip().strip('"') for word in case.split("|")]
    assert sorted(allowed) == sorted(s for s, _ in STATUS_TABLE)


@pytest.mark.parametrize(("status", "env"), STATUS_TABLE, ids=[s for s, _ in STATUS_TABLE])
def test_workflow_status_output_passes_every_status(tmp_path, status, env):
    """The result job's own script, run as the runner runs it: the status reaches GITHUB_OUTPUT unchanged."""
    step = _step(_workflow("move-workspace.yml"), "result", "Record the outcome")
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    values = {
        **_BASE,
        **env,
        "SOURCE": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
        "DESTINATION": "/subscriptions/d/resourceGroups/rg2",
        "PLAN_DIGEST": "ab" * 32,
        "BLOCKERS": "0",
        "WARNINGS": "0",
        "MOVED": "",
        "DESTINATION_WORKSPACE_ID": "",
        "ATTEMPT": "1",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    got = _bash(step["run"], values, tmp_path)
    assert got.returncode == 0, got.stderr
    assert parse_github_file_commands(output.read_text()) == {"status": status}
    assert json.loads((tmp_path / "amlmove-outcome" / "outcome.json").read_text())["status"] == status


def test_workflow_outputs_are_described_truthfully():
    outputs = _workflow("move-workspace.yml")[True]["workflow_call"]["outputs"]
    for status, _ in STATUS_TABLE:
        assert f"`{status}`" in outputs["status"]["description"], status
    moved = outputs["moved"]["description"]
    assert "`true`" in moved and "`false`" in moved and "number" not in moved.lower()
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    for status in ACTION_APPLY_STATUSES:
        assert f"`{status}`" in action["outputs"]["status"]["description"], status


# --- Azure DevOps ----------------------------------------------------------------------------------------------------


def _ado_steps(node) -> list[dict]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "steps" and isinstance(value, list):
                found += [s for s in value if isinstance(s, dict)]
            found += _ado_steps(value)
    elif isinstance(node, list):
        for item in node:
            found += _ado_steps(item)
    return found


def test_ado_template_serialises_a_workspace_and_applies_this_runs_plan():
    template = yaml.safe_load((ROOT / "azure-pipelines" / "move-workspace.yml").read_text(encoding="utf-8"))
    plan_stage, apply_stage = template["stages"]
    # The apply stage waits its turn for the environment's exclusive lock instead of racing another run's move.
    assert apply_stage["lockBehavior"] == "sequential"
    [deployment] = [j for j in apply_stage["jobs"] if "deployment" in j]
    assert deployment["environment"] == "${{ parameters.environment }}"
    delivery = (ROOT / "docs" / "delivery.md").read_text(encoding="utf-8")
    assert "Exclusive lock" in delivery and "lockBehavior: sequential" in delivery
    # The plan comes from this very run, named by its ID.
    [download] = [s for s in _ado_steps(apply_stage) if s.get("task") == "DownloadPipelineArtifact@2"]
    assert download["inputs"]["buildType"] == "specific"
    assert download["inputs"]["buildVersionToDownload"] == "specific"
    assert download["inputs"]["pipelineId"] == "$(Build.BuildId)"
    assert download["inputs"]["definition"] == "$(System.DefinitionId)"
    [publish] = [s for s in _ado_steps(plan_stage) if s.get("task") == "PublishPipelineArtifact@1"]
    assert publish["inputs"]["artifact"] == download["inputs"]["artifactName"]


def test_ado_managed_identity_uses_no_service_connection():
    text = (ROOT / "azure-pipelines" / "move-workspace.yml").read_text(encoding="utf-8")
    template = yaml.safe_load(text)
    [auth] = [p for p in template["parameters"] if p["name"] == "auth"]
    assert auth["default"] == "auto" and auth["values"] == ["auto", "managed-identity"]
    # Every AzureCLI@2 (service connection) step sits under `if eq(parameters.auth, 'auto')`.
    guarded = [
        s
        for block in _conditional_blocks(template, "${{ if eq(parameters.auth, 'auto') }}")
        for s in block
        if isinstance(s, dict) and s.get("task") == "AzureCLI@2"
    ]
    assert len(guarded) == len(_tasks(template, "AzureCLI@2")) == 2


def _tasks(node, task: str) -> list[dict]:
    if isinstance(node, dict):
        return ([node] if node.get("task") == task else []) + [t for v in node.values() for t in _tasks(v, task)]
    if isinstance(node, list):
        return [t for item in node for t in _tasks(item, task)]
    return []


def _conditional_blocks(node, key: str) -> list:
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, list):
                found.append(v)
            found += _conditional_blocks(v, key)
    elif isinstance(node, list):
        for item in node:
            found += _conditional_blocks(item, key)
    return found


def test_readme_quick_start_for_azure_devops_passes_the_image_by_digest():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Azure DevOps\n+```yaml\n(.*?)```", readme, re.S).group(1)
    parameters = yaml.safe_load(block)["extends"]["parameters"]
    assert re.fullmatch(
        r"ghcr\.io/[\w-]+/amlmove@sha256:<[^>]+>|ghcr\.io/[\w-]+/amlmove@sha256:[0-9a-f]{64}", parameters["image"]
    )
    template = yaml.safe_load((ROOT / "azure-pipelines" / "move-workspace.yml").read_text(encoding="utf-8"))
    required = {p["name"] for p in template["parameters"] if "default" not in p}
    assert required <= set(parameters), required - set(parameters)
