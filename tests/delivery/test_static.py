"""The delivery files keep their promises: action inputs, pinning, permissions, the approval gate, the image.

Each rule is a small function returning the problems it finds, tested on the real files and on a bad sample, so every
rule is shown to be able to fail. The static tools themselves (tests/support/static_checks.py) get the same treatment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from amlmove_action.inputs import INPUT_SPECS
from tests.support import static_checks

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ADO_FILES = sorted((ROOT / "azure-pipelines").glob("*.yml"))

# The action's interface, name -> default, in order: inputs.py's INPUT_SPECS is the one source (its defaults are pinned
# by tests/unit/test_inputs.py); action.yml must declare exactly those, with the same defaults and required flags.
EXPECTED_INPUTS = {spec.name: spec.default for spec in INPUT_SPECS}
REQUIRED_INPUTS = {spec.name for spec in INPUT_SPECS if spec.required}
EXPECTED_OUTPUTS = {
    "status",
    "blockers",
    "warnings",
    "plan-file",
    "plan-digest",
    "moved",
    "destination-workspace-id",
    "report-file",
    "continuation-token",
}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    return workflow.get("on", workflow.get(True)) or {}


def steps_of(workflow: dict) -> list[tuple[str, dict]]:
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])]


# --- action.yml ---------------------------------------------------------------------------------------------------


def action_input_problems(action: dict) -> list[str]:
    inputs = action.get("inputs") or {}
    problems = []
    if list(inputs) != list(EXPECTED_INPUTS):
        missing = sorted(set(EXPECTED_INPUTS) - set(inputs))
        extra = sorted(set(inputs) - set(EXPECTED_INPUTS))
        problems.append(f"inputs differ: missing {missing}, unexpected {extra} (or out of order)")
    for name, spec in inputs.items():
        spec = spec or {}
        if not str(spec.get("description", "")).strip():
            problems.append(f"{name}: no description")
        if "default" not in spec:
            problems.append(f"{name}: no explicit default")
        elif name in EXPECTED_INPUTS and spec["default"] != EXPECTED_INPUTS[name]:
            problems.append(f"{name}: default {spec['default']!r}, expected {EXPECTED_INPUTS[name]!r}")
        if bool(spec.get("required")) != (name in REQUIRED_INPUTS):
            problems.append(f"{name}: required={spec.get('required')!r}")
    return problems


def test_action_inputs_are_exactly_the_interface():
    assert action_input_problems(load_yaml(ROOT / "action.yml")) == []


def test_action_input_rule_can_fail():
    action = load_yaml(ROOT / "action.yml")
    action["inputs"]["max-plan-age"]["default"] = "48h"
    del action["inputs"]["cloud"]
    action["inputs"]["surprise"] = {"description": "x"}
    problems = action_input_problems(action)
    assert any("max-plan-age" in p for p in problems)
    assert any("missing ['cloud']" in p and "surprise" in p for p in problems)
    assert any(p == "surprise: no explicit default" for p in problems)


def test_action_outputs_and_docker_runs():
    action = load_yaml(ROOT / "action.yml")
    assert set(action["outputs"]) == EXPECTED_OUTPUTS
    assert all(str(spec.get("description", "")).strip() for spec in action["outputs"].values())
    # No args/entrypoint/env: inputs reach Python as INPUT_* and never pass through a shell.
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    for key in ("name", "description", "author", "branding"):
        assert action.get(key), f"action.yml has no {key}"


# --- workflows ----------------------------------------------------------------------------------------------------

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} +# v\d+(\.\d+){0,2}$")


def unpinned_uses(text: str) -> list[str]:
    """`uses:` lines that are neither this repository at the running commit ($/) nor pinned by SHA + version comment."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$", line)
        if not match:
            continue
        ref = match.group(1)
        if ref.startswith("$/") and "@" not in ref:
            continue
        if ref.startswith("docker://") and re.search(r"@sha256:[0-9a-f]{64}$", ref):
            continue
        if not SHA_PIN.match(ref):
            problems.append(f"line {number}: {ref}")
    return problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_uses_is_pinned_by_sha_with_version_comment(path):
    assert unpinned_uses(path.read_text(encoding="utf-8")) == []


def test_pinning_rule_can_fail():
    digest = "a" * 64
    sample = f"""
      - uses: actions/checkout@v4
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - uses: ./
      - uses: $/@v1
      - uses: docker://python:3.11-slim
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: $/
      - uses: docker://ghcr.io/o/amlmove@sha256:{digest}"""
    assert [p.split(": ", 1)[1] for p in unpinned_uses(sample)] == [
        "actions/checkout@v4",
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
        "./",
        "$/@v1",
        "docker://python:3.11-slim",
    ]


def expression_in_run(workflow: dict) -> list[str]:
    return [
        f"{job}: {step.get('name', step['run'])}" for job, step in steps_of(workflow) if "${{" in step.get("run", "")
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_run_blocks(path):
    assert expression_in_run(load_yaml(path)) == []


def test_run_block_rule_can_fail():
    workflow = {"jobs": {"j": {"steps": [{"run": "echo ${{ inputs.x }}"}, {"run": "echo $X"}]}}}
    assert expression_in_run(workflow) == ["j: echo ${{ inputs.x }}"]


# The only jobs that may write more than an OIDC token: the release workflow's (tests/delivery/test_release.py pins
# them).
RELEASE_WRITES = {"image": {"packages", "attestations"}, "release-commit": {"contents"}}


def permission_problems(workflow: dict, allowed_writes: dict[str, set[str]] | None = None) -> list[str]:
    problems = [] if workflow.get("permissions") == {} else ["workflow-level permissions is not {}"]
    for job_id, job in workflow["jobs"].items():
        allowed = {"id-token", *(allowed_writes or {}).get(job_id, set())}
        if "permissions" not in job:
            problems.append(f"{job_id}: no job-level permissions")
        elif any(level == "write" for scope, level in job["permissions"].items() if scope not in allowed):
            problems.append(f"{job_id}: a write permission other than id-token")
    return problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_by_default_and_granted_per_job(path):
    assert permission_problems(load_yaml(path), RELEASE_WRITES if path.name == "release.yml" else None) == []


def test_permission_rule_can_fail():
    workflow = {"permissions": {"contents": "read"}, "jobs": {"a": {}, "b": {"permissions": {"contents": "write"}}}}
    assert permission_problems(workflow) == [
        "workflow-level permissions is not {}",
        "a: no job-level permissions",
        "b: a write permission other than id-token",
    ]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_jobs_have_timeouts_and_checkouts_do_not_persist_credentials(path):
    workflow = load_yaml(path)
    for job_id, job in workflow["jobs"].items():
        if "uses" in job:  # a reusable-workflow call: its jobs carry their own timeouts
            continue
        assert 0 < job.get("timeout-minutes", 0) <= 360, f"{job_id}: timeout-minutes"
        if path.name == "ci.yml":
            assert job["timeout-minutes"] <= 90, f"{job_id}: CI must finish within 90 minutes"
    for job_id, step in steps_of(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{job_id}: persist-credentials"


def test_move_workspace_gates_apply_on_a_ready_plan_and_an_environment():
    workflow = load_yaml(ROOT / ".github/workflows/move-workspace.yml")
    assert set(triggers(workflow)) == {"workflow_call"}
    concurrency = workflow["concurrency"]
    assert concurrency == {"group": "amlmove-${{ inputs.source-workspace-id }}", "cancel-in-progress": False}
    jobs = workflow["jobs"]
    oidc = {"contents": "read", "id-token": "write"}
    assert jobs["plan"]["permissions"] == oidc
    apply = jobs["apply"]
    assert apply["needs"] == "plan"
    assert apply["if"] == "needs.plan.outputs.status == 'ready'"
    assert apply["environment"] == "${{ inputs.environment }}"
    assert apply["permissions"] == oidc
    assert triggers(workflow)["workflow_call"]["inputs"]["environment"]["required"] is True

    def action_step(job: dict) -> dict:
        [step] = [s for s in job["steps"] if s.get("uses") == "$/"]
        return step

    assert action_step(jobs["plan"])["with"]["command"] == "plan"
    assert action_step(apply)["with"]["command"] == "apply"
    assert action_step(apply)["with"]["plan-file"] == "amlmove-plan/plan.json"
    [download] = [s for s in apply["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    assert download["with"]["artifact-ids"] == "${{ needs.plan.outputs.artifact-id }}", "download by ID, not by name"
    assert jobs["plan"]["outputs"]["artifact-id"] == "${{ steps.upload.outputs.artifact-id }}"
    # Every input the reusable workflow hands to the action exists in action.yml.
    for job in (jobs["plan"], apply):
        assert set(action_step(job)["with"]) <= set(EXPECTED_INPUTS)


def test_fleet_fans_out_with_bounded_parallelism_through_the_reusable_workflow():
    workflow = load_yaml(ROOT / ".github/workflows/move-fleet.yml")
    move = workflow["jobs"]["move"]
    # Destination groups side by side (at most max-parallel), the moves into one group one at a time.
    assert move["uses"] == "$/.github/workflows/move-group.yml"
    assert move["strategy"]["matrix"]["group"] == "${{ fromJSON(needs.matrix.outputs.groups) }}"
    assert move["strategy"]["max-parallel"] == "${{ inputs.max-parallel }}"
    assert move["strategy"]["fail-fast"] is False
    summary = workflow["jobs"]["summary"]
    assert summary["needs"] == "move" and "!cancelled()" in summary["if"]
    group = load_yaml(ROOT / ".github/workflows/move-group.yml")
    group_move = group["jobs"]["move"]
    assert group_move["uses"] == "$/.github/workflows/move-workspace.yml"
    assert group_move["strategy"]["max-parallel"] == 1 and group_move["strategy"]["fail-fast"] is False
    group_inputs = triggers(group)["workflow_call"]["inputs"]
    assert set(move["with"]) <= set(group_inputs), "the fleet passes an input move-group.yml does not declare"
    called = triggers(load_yaml(ROOT / ".github/workflows/move-workspace.yml"))["workflow_call"]["inputs"]
    assert set(group_move["with"]) <= set(called), "move-group passes an input the reusable workflow does not declare"


def test_ci_runs_the_readme_test_command():
    workflow = load_yaml(ROOT / ".github/workflows/ci.yml")
    assert {"push", "pull_request"} <= set(triggers(workflow))
    runs = [step.get("run", "") for _, step in steps_of(workflow)]
    assert "make test" in runs
    [setup] = [s for _, s in steps_of(workflow) if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "3.11"


# --- Dockerfile ---------------------------------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def dockerfile_problems(text: str) -> list[str]:
    instructions = dockerfile_instructions(text)
    problems = [f"{kw} is not allowed in a container action" for kw, _ in instructions if kw in {"WORKDIR", "USER"}]
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    if not froms or not all(re.search(r"@sha256:[0-9a-f]{64}(\s|$)", f) for f in froms):
        problems.append("FROM is not pinned by digest")
    entrypoints = [rest for kw, rest in instructions if kw == "ENTRYPOINT"]
    try:
        exec_form = len(entrypoints) == 1 and json.loads(entrypoints[0]) == ["python", "/app/entrypoint.py"]
    except json.JSONDecodeError:
        exec_form = False
    if not exec_form:
        problems.append('ENTRYPOINT is not exactly ["python", "/app/entrypoint.py"]')
    copies_lock = any(kw == "COPY" and rest.startswith("requirements/runtime.txt ") for kw, rest in instructions)
    installs = [
        rest
        for kw, rest in instructions
        if kw == "RUN" and "pip install" in rest and "--require-hashes" in rest and "--no-deps" in rest
    ]
    if not (copies_lock and installs and all(re.search(r"-r\s+\S*runtime\.txt", r) for r in installs)):
        problems.append("does not install requirements/runtime.txt with --require-hashes --no-deps")
    if any(kw == "RUN" and "pip install" in rest and "--require-hashes" not in rest for kw, rest in instructions):
        problems.append("a pip install without --require-hashes")
    copied = [i for i, (kw, rest) in enumerate(instructions) if kw == "COPY" and rest.startswith("amlmove_action/")]
    compiled = [
        i
        for i, (kw, rest) in enumerate(instructions)
        if kw == "RUN" and re.search(r"compileall\b.*/app/amlmove_action", rest)
    ]
    if not (copied and compiled and max(compiled) > max(copied)):
        problems.append("does not compile the action's bytecode after copying it (each run would compile it)")
    return problems


def test_dockerfile_is_a_well_behaved_container_action():
    assert dockerfile_problems((ROOT / "Dockerfile").read_text(encoding="utf-8")) == []


def test_dockerfile_rule_can_fail():
    bad = """FROM python:3.11-slim
WORKDIR /app
USER nobody
COPY requirements/runtime.txt /tmp/r.txt
RUN pip install -r /tmp/r.txt
ENTRYPOINT python /app/entrypoint.py
"""
    assert dockerfile_problems(bad) == [
        "WORKDIR is not allowed in a container action",
        "USER is not allowed in a container action",
        "FROM is not pinned by digest",
        'ENTRYPOINT is not exactly ["python", "/app/entrypoint.py"]',
        "does not install requirements/runtime.txt with --require-hashes --no-deps",
        "a pip install without --require-hashes",
        "does not compile the action's bytecode after copying it (each run would compile it)",
    ]
    compiled_too_early = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace(
        "COPY amlmove_action/ /app/amlmove_action/\n", ""
    ) + "COPY amlmove_action/ /app/amlmove_action/\n"
    assert dockerfile_problems(compiled_too_early) == [
        "does not compile the action's bytecode after copying it (each run would compile it)"
    ]


def test_dockerignore_sends_only_the_lock_and_the_code():
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {"!requirements/runtime.txt", "!entrypoint.py", "!amlmove_action/"} <= set(lines)


# --- Azure Pipelines ----------------------------------------------------------------------------------------------


def all_steps(node: Any) -> list[dict]:
    """Every step in an Azure Pipelines document, wherever it is nested (stages, jobs, deployment hooks, ifs)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "steps" and isinstance(value, list):
                found += [s for s in value if isinstance(s, dict)]
            found += all_steps(value)
    elif isinstance(node, list):
        for item in node:
            found += all_steps(item)
    return found


def unrestricted_tool_steps(template: dict) -> list[str]:
    """Steps that run the amlmove image but may emit any logging command."""
    problems = []
    for step in all_steps(template):
        script = str(step.get("bash", step.get("script", "")))
        if "runScript" in script or "docker run" in script:
            target = step.get("target") or {}
            if not (isinstance(target, dict) and target.get("commands") == "restricted"):
                problems.append(f"{step.get('displayName', step.get('name', '?'))}: not commands: restricted")
            elif not target.get("settableVariables"):
                problems.append(f"{step.get('displayName', '?')}: no settableVariables list")
    return problems


def test_ado_tool_steps_are_restricted():
    template = load_yaml(ROOT / "azure-pipelines/move-workspace.yml")
    tool_steps = [s for s in all_steps(template) if "runScript" in str(s.get("bash", ""))]
    assert len(tool_steps) == 2, "one tool step in Plan, one in Apply"
    assert unrestricted_tool_steps(template) == []
    for step in tool_steps:
        assert step["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
        for key in step["env"]:
            if key.startswith("AMLMOVE_IN_"):
                assert key.removeprefix("AMLMOVE_IN_").lower().replace("_", "-") in EXPECTED_INPUTS, key


def test_ado_checks_out_the_repository_to_search_only_inside_what_the_container_sees():
    """With scanRepository (default true) both jobs check out the pipeline's own repository, without credentials,
    into $(Pipeline.Workspace)/amlmove/repository — inside the one folder mounted into the container (-w /amlmove) —
    and pass scan-path `repository`; without it, nothing is checked out and scan-path is `none`."""
    template = load_yaml(ROOT / "azure-pipelines/move-workspace.yml")
    [parameter] = [p for p in template["parameters"] if p["name"] == "scanRepository"]
    assert parameter["type"] == "boolean" and parameter["default"] == "true"

    def checkouts_in(node: Any) -> list[dict]:  # inside `${{ if … }}` insertions too
        if isinstance(node, dict):
            own = [node] if node.get("checkout") == "self" else []
            return own + [c for value in node.values() for c in checkouts_in(value)]
        return [c for item in node for c in checkouts_in(item)] if isinstance(node, list) else []

    checkouts = checkouts_in(template)
    assert len(checkouts) == 2
    for step in checkouts:
        assert step["path"] == "amlmove/repository" and step["persistCredentials"] == "false", step
    assert '-v "$AMLMOVE_DIR:/amlmove" -w /amlmove' in str(template)
    tool_steps = [s for s in all_steps(template) if "runScript" in str(s.get("bash", ""))]
    for step in tool_steps:
        assert step["env"]["AMLMOVE_IN_SCAN_PATH"] == "${{ iif(parameters.scanRepository, 'repository', 'none') }}"


def test_ado_restriction_rule_can_fail():
    template = {"steps": [{"bash": "docker run img", "displayName": "t"}, {"bash": "echo hi"}]}
    assert unrestricted_tool_steps(template) == ["t: not commands: restricted"]


def test_ado_apply_is_a_deployment_on_the_environment_with_optional_manual_validation():
    text = (ROOT / "azure-pipelines/move-workspace.yml").read_text(encoding="utf-8")
    template = yaml.safe_load(text)
    apply_stage = template["stages"][1]
    ready = "eq(dependencies.Plan_${{ parameters.moveName }}.outputs['Plan.amlmove.status'], 'ready')"
    assert ready in apply_stage["condition"]
    jobs = apply_stage["jobs"]
    [deployment] = [j for j in jobs if "deployment" in j]
    assert deployment["environment"] == "${{ parameters.environment }}"
    [manual] = [s for s in all_steps(template) if s.get("task") == "ManualValidation@1"]
    assert manual["inputs"]["allowApproversToApproveTheirOwnRuns"] is False
    assert manual["inputs"]["approvers"] == "${{ parameters.approvers }}"
    [approve_job] = next(v for k, v in jobs[0].items() if "useManualValidation" in k)
    assert approve_job["pool"] == "server"
    assert [s["task"] for s in all_steps(template) if s.get("task", "").startswith("Publish")] == [
        "PublishPipelineArtifact@1",
        "PublishPipelineArtifact@1",
    ]


# --- the static checks themselves ---------------------------------------------------------------------------------


def test_static_checks_pass_on_the_repository():
    results = [check(ROOT) for check in static_checks.CHECKS]
    assert [(r.name, r.problems) for r in results if not r.ok] == []


def test_static_checks_fail_on_bad_delivery_files(tmp_path):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "azure-pipelines").mkdir()
    (tmp_path / "action.yml").write_text("name: x\ndescription: x\nruns:\n  using: dockerz\n  image: Dockerfile\n")
    (tmp_path / ".github/workflows/bad.yml").write_text(
        "on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.issue.title }}"\n'
    )
    (tmp_path / "azure-pipelines/t.yml").write_text("stages:\n  - stage: A\n    jobz: []\n")
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nWORKDIR app\n")

    schemas = static_checks.check_schemas(tmp_path)
    assert any("vendor.github-actions" in p for p in schemas.problems)
    assert any("vendor.azure-pipelines" in p for p in schemas.problems)
    zizmor = static_checks.check_zizmor(tmp_path)
    assert any("template-injection" in p for p in zizmor.problems)
    assert any("unpinned-uses" in p for p in zizmor.problems)
    hadolint = static_checks.check_hadolint(tmp_path)
    assert any("DL3000" in p for p in hadolint.problems)
    assert static_checks.main(tmp_path) == 1
