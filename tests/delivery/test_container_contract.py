"""The runner's container-action contract, played without Docker (issue 5, acceptance 3-5).

A fresh virtual environment is installed from requirements/runtime.txt exactly as the Dockerfile does; the action's
code is copied as the Dockerfile copies it; the tool runs with only what the runner gives a container action: INPUT_*
names with hyphens filled from action.yml defaults, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, HOME in a separate
directory, the workspace as working directory, and OIDC request variables (GitHub) or the Azure Pipelines ones (ADO).
Outputs and logs are parsed with the runners' own rules."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from amlmove_emulator import samples
from tests.conftest import NETGUARD, ROOT
from tests.support.harness import action_defaults
from tests.support.image_files import image_files
from tests.support.runner_rules import parse_github_commands, parse_github_file_commands, parse_vso_commands

RUNNER_ONLY = ("PATH", "LANG", "LC_ALL", "TMPDIR")


def _dockerfile_install_command() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"RUN python -m pip install (.*?) -r /tmp/runtime.txt", text)
    assert match, "Dockerfile no longer installs /tmp/runtime.txt with pip"
    return [*match.group(1).split(), "-r", str(ROOT / "requirements" / "runtime.txt")]


@pytest.fixture(scope="session")
def image(tmp_path_factory) -> tuple[Path, Path]:
    """(python of the fresh venv, /app folder) — the container image, without Docker."""
    root = tmp_path_factory.mktemp("image")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *_dockerfile_install_command()], check=True)
    app = root / "app"
    # Exactly the files the Dockerfile copies under /app (build context after .dockerignore): no emulator, no demo.
    for target, source in image_files().items():
        if target.startswith("/app/"):
            dest = app / target[len("/app/") :]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, dest)
    return python, app


def _run(image, workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    python, app = image
    result = subprocess.run(
        [str(python), str(app / "entrypoint.py")],
        cwd=workspace,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result


def _runner_env(emulator, workspace: Path, home: Path, inputs: dict[str, str], platform: str) -> dict[str, str]:
    import os

    env = {k: os.environ[k] for k in RUNNER_ONLY if k in os.environ}
    env.update(action_defaults())
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    env.update(
        {
            "HOME": str(home),
            "CI": "true",
            "PYTHONPATH": f"{NETGUARD}:{workspace.parent / 'app'}",
            "REQUESTS_CA_BUNDLE": str(emulator.ca_file),
            "INPUT_CLOUD": "custom",
            "INPUT_ARM-ENDPOINT": emulator.url,
            "INPUT_AUTHORITY-HOST": emulator.url,
            "INPUT_CLIENT-ID": emulator.info["clientId"],
            "INPUT_TENANT-ID": emulator.info["tenantId"],
            "AMLMOVE_NETGUARD_LOG": os.environ.get("AMLMOVE_NETGUARD_LOG", ""),
        }
    )
    if platform == "github":
        files = workspace.parent / "file_commands"
        files.mkdir(exist_ok=True)
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            path = files / f"{name.lower()}_{len(list(files.iterdir()))}"
            path.write_text("")
            env[name] = str(path)
        env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(workspace),
                "ACTIONS_ID_TOKEN_REQUEST_URL": f"{emulator.url}/_emulator/github-oidc?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "emulated-github-oidc-request-token",
            }
        )
    else:
        env.update(
            {
                "TF_BUILD": "True",
                "AGENT_TEMPDIRECTORY": str(workspace.parent),
                "SYSTEM_OIDCREQUESTURI": f"{emulator.url}/_emulator/ado-oidc",
                "SYSTEM_ACCESSTOKEN": "emulated-ado-system-access-token",
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "amlmove-connection",
            }
        )
    return env


def _layout(tmp_path: Path, image) -> tuple[Path, Path]:
    workspace = tmp_path / "workspace"
    home = tmp_path / "home"
    workspace.mkdir()
    home.mkdir()
    (tmp_path / "app").symlink_to(image[1])
    return workspace, home


def _scenario(**kwargs):
    s = samples.WorkspaceScenario(**kwargs)
    s.settings = {"retryAfterSeconds": 0.2}
    return s


def test_the_image_holds_neither_the_emulator_nor_its_requirements(image):
    """The emulator (and the demo) is a sibling package with its own lock: the image has none of its files, cannot
    import it (nor its deprecated alias), and lacks trustme, which only the emulator needs."""
    python, app = image
    assert not any(s.startswith(("amlmove_emulator/", "amlmove_action/emulator/")) for s in image_files().values())
    assert (app / "amlmove_action" / "cli.py").is_file() and not (app / "amlmove_action" / "emulator").exists()
    assert not (app / "amlmove_emulator").exists()
    for module in ("amlmove_emulator", "amlmove_emulator.demo", "amlmove_action.emulator", "trustme"):
        probe = subprocess.run(
            [str(python), "-c", f"import {module}"], cwd=app, capture_output=True, text=True, timeout=60, check=False
        )
        assert probe.returncode == 1 and f"No module named '{module.split('.')[0]}" in probe.stderr, (module, probe)


def test_github_container_action_plan_then_apply(emulator, image, tmp_path):
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    ids = {"SOURCE-WORKSPACE-ID": scenario.workspace_id, "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg}

    plan_env = _runner_env(emulator, workspace, home, ids, "github")
    plan = _run(image, workspace, plan_env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    outputs = parse_github_file_commands(Path(plan_env["GITHUB_OUTPUT"]).read_text())
    assert outputs["status"] == "ready"
    assert outputs["plan-file"] == "amlmove-output/plan.json"
    assert re.fullmatch(r"[0-9a-f]{64}", outputs["plan-digest"])
    assert (workspace / "amlmove-output" / "plan.json").exists()
    assert "✅ Ready — validated by ARM" in Path(plan_env["GITHUB_STEP_SUMMARY"]).read_text()
    commands = parse_github_commands(plan.stdout) + parse_github_commands(plan.stderr)
    assert {c[0] for c in commands} <= {"add-mask", "warning", "notice", "debug"}

    apply_env = _runner_env(
        emulator, workspace, home, {**ids, "COMMAND": "apply", "PLAN-FILE": outputs["plan-file"]}, "github"
    )
    applied = _run(image, workspace, apply_env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    out = parse_github_file_commands(Path(apply_env["GITHUB_OUTPUT"]).read_text())
    assert out["status"] == "moved" and out["moved"] == "true"
    assert (
        out["destination-workspace-id"].lower()
        == scenario.workspace_id.replace(samples.SOURCE_SUB, samples.DEST_SUB)
        .replace("rg-ml-test", "rg-ml-prod")
        .lower()
    )
    state = {r["id"].lower() for r in emulator.state()["resources"]}
    assert out["destination-workspace-id"].lower() in state
    report = json.loads((workspace / "amlmove-output" / "report.json").read_text())
    assert report["status"] == "moved"
    # The OIDC path really ran: tokens were issued to the federated principal, no secret was configured.
    assert "INPUT_CLIENT-SECRET" not in apply_env and "AZURE_CLIENT_SECRET" not in apply_env


def test_azure_devops_plan_then_apply(emulator, image, tmp_path):
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    ids = {"SOURCE-WORKSPACE-ID": scenario.workspace_id, "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg}

    plan = _run(image, workspace, _runner_env(emulator, workspace, home, ids, "ado"))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    vso = parse_vso_commands(plan.stdout) + parse_vso_commands(plan.stderr)
    variables = {c[1].get("variable"): c[2] for c in vso if c[0] == "task.setvariable"}
    assert variables["status"] == "ready" and variables["planDigest"]
    assert all(c[1].get("isoutput") == "true" for c in vso if c[0] == "task.setvariable")
    summaries = [c[2] for c in vso if c[0] == "task.uploadsummary"]
    assert summaries and Path(summaries[0]).exists()
    assert {c[0] for c in vso} <= {
        "task.setvariable",
        "task.uploadsummary",
        "task.logissue",
        "task.complete",
        "task.setsecret",
    }

    applied = _run(image, workspace, _runner_env(emulator, workspace, home, {**ids, "COMMAND": "apply"}, "ado"))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    vso = parse_vso_commands(applied.stdout)
    variables = {c[1].get("variable"): c[2] for c in vso if c[0] == "task.setvariable"}
    assert variables["status"] == "moved" and variables["moved"] == "true"
    assert any(c[0] == "task.complete" and c[1].get("result") == "Succeeded" for c in vso)


def _more_workspaces(scenario: Any, dest_group: Callable[[str], str]) -> list[samples.WorkspaceScenario]:
    """mlw-fraud and mlw-forecast, each in its own group rg-<name>, added to `scenario` (their resources only: the
    principal's subscription-level Owner assignments, fixed ids, are the scenario's already), moving into
    `dest_group(name)`."""
    others = []
    for name in ("mlw-fraud", "mlw-forecast"):
        other = samples.WorkspaceScenario(workspace=name, source_group=f"rg-{name}", dest_group=dest_group(name))
        scenario.resources += [
            r
            for r in other.resources
            if "/resourceGroups/rg-" + name in r["id"]
            and "/providers/Microsoft.Authorization/roleAssignments/b0" not in r["id"]
        ]
        others.append(other)
    return others


def test_fleet_moves_three_workspaces(emulator, image, tmp_path):
    """The fleet workflow's `moves` list fans out to one plan and one apply per workspace (as its matrix does)."""
    scenario = _scenario()
    extra = _more_workspaces(scenario, lambda name: f"rg-{name}-prod")
    emulator.load_scenario(scenario.build())
    moves = [{"source": s.workspace_id, "destination": s.dest_rg} for s in (scenario, *extra)]
    fleet = json.dumps(moves)
    for i, move in enumerate(json.loads(fleet)):
        (tmp_path / f"m{i}").mkdir()
        workspace, home = _layout(tmp_path / f"m{i}", image)
        ids = {"SOURCE-WORKSPACE-ID": move["source"], "DESTINATION-RESOURCE-GROUP-ID": move["destination"]}
        plan = _run(image, workspace, _runner_env(emulator, workspace, home, ids, "github"))
        assert plan.returncode == 0, plan.stdout + plan.stderr
        applied = _run(image, workspace, _runner_env(emulator, workspace, home, {**ids, "COMMAND": "apply"}, "github"))
        assert applied.returncode == 0, applied.stdout + applied.stderr
    state = {r["id"].lower() for r in emulator.state()["resources"]}
    for move in moves:
        new = (
            move["destination"]
            + "/providers/Microsoft.MachineLearningServices/workspaces/"
            + move["source"].rsplit("/", 1)[-1]
        )
        assert new.lower() in state
    log = emulator.requests()
    assert (
        sum(
            1
            for r in log
            if r["method"] == "POST" and r["path"].lower().endswith("/moveresources") and r["status"] == 202
        )
        == 3
    )


# --- Managed identity: only when `auth: managed-identity` asks for it (issue 16, acceptance 5) ----------------------


def _managed_identity_env(emulator, env: dict[str, str]) -> dict[str, str]:
    """What App Service-style hosting gives a process (azure-identity reads IDENTITY_ENDPOINT + IDENTITY_HEADER): the
    emulator's loopback token endpoint, never the link-local IMDS address."""
    from amlmove_emulator import entra

    return {
        **env,
        "IDENTITY_ENDPOINT": f"{emulator.url}{entra.MANAGED_IDENTITY_PATH}",
        "IDENTITY_HEADER": entra.MANAGED_IDENTITY_HEADER,
    }


def _token_requests(emulator) -> tuple[list[dict], list[dict]]:
    from amlmove_emulator import entra

    log = emulator.requests()
    managed = [r for r in log if r["path"].lower() == entra.MANAGED_IDENTITY_PATH]
    entra_token = [r for r in log if r["method"] == "POST" and r["path"].lower().endswith("/oauth2/v2.0/token")]
    return managed, entra_token


def test_managed_identity_plan_then_apply_when_asked(emulator, image, tmp_path):
    """auth: managed-identity with a user-assigned identity's client-id: plan and apply sign in through the managed
    identity endpoint only (the runner's OIDC variables are present and ignored), and the move completes."""
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    ids = {"SOURCE-WORKSPACE-ID": scenario.workspace_id, "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg}
    asked = {**ids, "AUTH": "managed-identity"}

    plan_env = _managed_identity_env(emulator, _runner_env(emulator, workspace, home, asked, "github"))
    plan_env["INPUT_TENANT-ID"] = ""  # a managed identity needs no tenant
    plan = _run(image, workspace, plan_env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "managed identity (user-assigned" in plan.stdout
    apply_env = _managed_identity_env(
        emulator, _runner_env(emulator, workspace, home, {**asked, "COMMAND": "apply"}, "github")
    )
    applied = _run(image, workspace, apply_env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert parse_github_file_commands(Path(apply_env["GITHUB_OUTPUT"]).read_text())["status"] == "moved"

    managed, entra_token = _token_requests(emulator)
    assert managed and all(r["status"] == 200 for r in managed)
    assert {r["query"].get("client_id") for r in managed} == {emulator.info["clientId"]}
    assert entra_token == []  # no federated or secret sign-in happened
    moved_id = scenario.workspace_id.replace(samples.SOURCE_SUB, samples.DEST_SUB).replace("rg-ml-test", "rg-ml-prod")
    assert moved_id.lower() in {r["id"].lower() for r in emulator.state()["resources"]}


def test_managed_identity_system_assigned_on_azure_devops(emulator, image, tmp_path):
    """No client-id: the system-assigned identity (azure-identity sends no client_id), here on an ADO agent."""
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    inputs = {
        "SOURCE-WORKSPACE-ID": scenario.workspace_id,
        "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg,
        "AUTH": "managed-identity",
    }
    env = _managed_identity_env(emulator, _runner_env(emulator, workspace, home, inputs, "ado"))
    env["INPUT_CLIENT-ID"] = env["INPUT_TENANT-ID"] = ""
    plan = _run(image, workspace, env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    managed, entra_token = _token_requests(emulator)
    assert managed and all("client_id" not in r["query"] for r in managed)
    assert entra_token == []


def test_managed_identity_is_never_tried_unless_asked(emulator, image, tmp_path):
    """The managed identity endpoint is there (as on an Azure VM or App Service), but auth is left at `auto`: the
    job signs in with its OIDC token and never calls the managed identity endpoint."""
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    ids = {"SOURCE-WORKSPACE-ID": scenario.workspace_id, "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg}
    env = _managed_identity_env(emulator, _runner_env(emulator, workspace, home, ids, "github"))
    plan = _run(image, workspace, env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    managed, entra_token = _token_requests(emulator)
    assert managed == []
    assert entra_token and all(r["status"] == 200 for r in entra_token)


def test_audience_input_reaches_the_token_exchange(emulator, image, tmp_path):
    """The GitHub OIDC token is requested for the `audience` input: a federated credential that trusts only the
    public audience refuses a token minted for the China audience (AADSTS700213), with one clear line."""
    scenario = _scenario()
    emulator.load_scenario(scenario.build())
    workspace, home = _layout(tmp_path, image)
    inputs = {
        "SOURCE-WORKSPACE-ID": scenario.workspace_id,
        "DESTINATION-RESOURCE-GROUP-ID": scenario.dest_rg,
        "AUDIENCE": "api://AzureADTokenExchangeChina",
    }
    plan = _run(image, workspace, _runner_env(emulator, workspace, home, inputs, "github"))
    assert plan.returncode != 0
    assert "AADSTS700213" in plan.stderr
    _, entra_token = _token_requests(emulator)
    assert entra_token and all(r["status"] == 400 for r in entra_token)


# --- Fleets into one destination group: one move at a time (issue 16, acceptance 6) ---------------------------------


def _expr(value, element: dict, inputs: dict):
    """The few `${{ }}` forms the fleet workflows use to hand values on: matrix.move.x, matrix.move['x'], inputs.x."""
    match = re.fullmatch(r"\$\{\{\s*(.+?)\s*\}\}", str(value))
    if not match:
        return value
    expression = match.group(1)
    if m := re.fullmatch(r"matrix\.move(?:\.(\w+)|\['([\w-]+)'\])", expression):
        return element[m.group(1) or m.group(2)]
    if m := re.fullmatch(r"inputs\.([\w-]+)", expression):
        return inputs[m.group(1)]
    return None  # identities, environments: the test harness sets those itself


def _workflow_inputs(workflow: dict, given: dict) -> dict:
    declared = workflow[True]["workflow_call"]["inputs"]
    return {name: given.get(name, spec.get("default", "")) for name, spec in declared.items()}


def _as_input(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_fleet_into_one_destination_group_runs_one_move_at_a_time(emulator, image, tmp_path):
    workflows = ROOT / ".github" / "workflows"
    fleet = yaml.safe_load((workflows / "move-fleet.yml").read_text(encoding="utf-8"))
    group_wf = yaml.safe_load((workflows / "move-group.yml").read_text(encoding="utf-8"))
    single = yaml.safe_load((workflows / "move-workspace.yml").read_text(encoding="utf-8"))

    scenario = _scenario()  # mlw-churn, into rg-ml-prod
    others = _more_workspaces(scenario, lambda name: "rg-ml-prod")
    emulator.load_scenario(scenario.build())
    moves = [
        {"source": scenario.workspace_id, "destination": scenario.dest_rg},
        # Per-element settings: this one skips a check and opts in to removing computes; the others take defaults.
        {
            "source": others[0].workspace_id,
            "destination": others[0].dest_rg.replace("rg-ml-prod", "RG-ML-PROD"),  # the same group: ARM ignores case
            "skip-checks": ["schedules-enabled"],
            "remove-computes": True,
        },
        {"source": others[1].workspace_id, "destination": others[1].dest_rg},
    ]

    # The fleet's own check step groups the list by destination (case-insensitively) and fills every setting in.
    fleet_inputs = _workflow_inputs(fleet, {"moves": json.dumps(moves), "environment": "aml-move"})
    check = fleet["jobs"]["matrix"]["steps"][0]
    output = tmp_path / "fleet_output"
    output.write_text("")
    env = {k: _as_input(_expr(v, {}, fleet_inputs)) for k, v in check["env"].items()}
    checked = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", check["run"]],
        env={"PATH": "/usr/bin:/bin", **env, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    groups = json.loads(parse_github_file_commands(output.read_text())["groups"])
    assert len(groups) == 1 and [m["source"] for m in groups[0]["moves"]] == [m["source"] for m in moves]

    # One matrix entry per group; inside the group the moves are a matrix with max-parallel 1.
    move_job = fleet["jobs"]["move"]
    assert move_job["strategy"]["matrix"]["group"] == "${{ fromJSON(needs.matrix.outputs.groups) }}"
    assert move_job["uses"] == "$/.github/workflows/move-group.yml"
    group_job = group_wf["jobs"]["move"]
    assert group_job["strategy"]["max-parallel"] == 1
    assert group_job["strategy"]["matrix"]["move"] == "${{ fromJSON(inputs.moves) }}"
    assert group_job["uses"] == "$/.github/workflows/move-workspace.yml"
    group_inputs = _workflow_inputs(
        group_wf,
        {k: _expr(v, {"group": groups[0]}, fleet_inputs) for k, v in move_job["with"].items() if k != "moves"},
    )

    # Play the group's matrix in order, each element plan -> apply to its end before the next starts.
    plan_with = _step_with(single, "plan", "plan")
    apply_with = _step_with(single, "apply", "apply")
    moved_before: list[str] = []
    for i, element in enumerate(groups[0]["moves"]):
        workspace_inputs = _workflow_inputs(
            single, {k: _expr(v, element, group_inputs) for k, v in group_job["with"].items()}
        )
        (tmp_path / f"m{i}").mkdir()
        workspace, home = _layout(tmp_path / f"m{i}", image)
        for with_block in (plan_with, apply_with):
            inputs = {
                k.upper(): _as_input(_expr(v, element, workspace_inputs))
                for k, v in with_block.items()
                if k in _PASSED_ON
            }
            if with_block is apply_with:
                inputs["PLAN-FILE"] = "amlmove-output/plan.json"  # the downloaded artifact, here in place
            run_env = _runner_env(emulator, workspace, home, inputs, "github")
            result = _run(image, workspace, run_env)
            assert result.returncode == 0, result.stdout + result.stderr
            status = parse_github_file_commands(Path(run_env["GITHUB_OUTPUT"]).read_text())["status"]
            assert status == ("ready" if with_block is plan_with else "moved")
        plan = json.loads((workspace / "amlmove-output" / "plan.json").read_text())
        assert plan["options"]["skipChecks"] == (["schedules-enabled"] if i == 1 else [])
        assert plan["options"]["removeComputes"] is (i == 1)
        # The previous moves are finished (at the destination) before this one was planned.
        state = {r["id"].lower() for r in emulator.state()["resources"]}
        assert all(done in state for done in moved_before)
        moved_before.append(
            (
                scenario.dest_rg
                + "/providers/Microsoft.MachineLearningServices/workspaces/"
                + element["source"].rsplit("/", 1)[-1]
            ).lower()
        )

    state = {r["id"].lower() for r in emulator.state()["resources"]}
    assert all(done in state for done in moved_before)
    log = emulator.requests()
    posts = [r for r in log if r["method"] == "POST" and r["path"].lower().endswith("/moveresources")]
    assert [r["status"] for r in posts] == [202, 202, 202]  # none refused: no move found the group locked
    validations = [r for r in log if r["path"].lower().endswith("/validatemoveresources")]
    assert validations and all(r["status"] == 202 for r in validations)


_PASSED_ON = {
    "command",
    "source-workspace-id",
    "destination-resource-group-id",
    "include-associated-resources",
    "skip-checks",
    "create-destination-resource-group",
    "remove-computes",
    "remove-endpoints",
    "recreate-computes",
    "recreate-endpoints",
}


def _step_with(workflow: dict, job: str, step_id: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id)["with"]
