"""The command-line contract through the real `entrypoint.py` subprocess: `--help` is instant and clean; every invalid
input exits 2 with exactly one line on stderr that names the input, before any request reaches Azure (the emulator);
the same rules hold for the container action (INPUT_* variables) and Azure DevOps. `tests/support/harness.py` asserts on
every run that no stream carries a Python traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from amlmove_emulator import samples
from tests.conftest import ROOT, subprocess_env
from tests.support.harness import Runner

S = samples.WorkspaceScenario()
WS = S.workspace_id
DEST = S.dest_rg
SUB = samples.SOURCE_SUB


@pytest.fixture(scope="module")
def clean_scenario():
    return samples.WorkspaceScenario().build()


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_exits_zero_fast_and_lists_every_input(flag):
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), flag],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("usage: python entrypoint.py [plan|apply]")
    for name in ("--source-workspace-id", "--destination-resource-group-id", "--plan-file", "--remove-computes"):
        assert name in proc.stdout
    # No Azure SDK is imported for --help: a fraction of a second, even on a slow runner.
    assert elapsed < 3.0, f"--help took {elapsed:.2f}s"


# (argv after the command, the input the one line must name)
INVALID = [
    (["--source-workspace-id", "not-an-id", "--destination-resource-group-id", DEST], "source-workspace-id"),
    (
        ["--source-workspace-id", WS.replace(SUB, "not-a-guid"), "--destination-resource-group-id", DEST],
        "source-workspace-id",
    ),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST + "/providers/Microsoft.Storage"],
        "destination-resource-group-id",
    ),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", "/subscriptions/1234/resourceGroups/rg"],
        "destination-resource-group-id",
    ),
    (["--source-workspace-id", WS, "--destination-resource-group-id", S.source_rg], "destination-resource-group-id"),
    (["--destination-resource-group-id", DEST], "source-workspace-id"),
    (["--source-workspace-id", WS], "destination-resource-group-id"),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--skip-checks", "no-such-check"],
        "skip-checks",
    ),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--fail-on-blockers=maybe"],
        "fail-on-blockers",
    ),
    (["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--cloud", "Mars"], "cloud"),
    (["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--max-plan-age", "soon"], "max-plan-age"),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--arm-endpoint", "http://x"],
        "arm-endpoint",
    ),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--recreate-computes"],
        "recreate-computes",
    ),
    (
        ["--source-workspace-id", WS, "--destination-resource-group-id", DEST, "--client-id", "app"],
        "client-id",
    ),
]


def _flags_to_inputs(args: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, given = args[i][2:].partition("=")
        if eq:
            inputs[name] = given
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            inputs[name] = args[i + 1]
            i += 2
        else:
            inputs[name] = "true"
            i += 1
    return inputs


def _assert_one_line_naming(run, name: str) -> None:
    assert run.code == 2, run.explain()
    lines = run.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr:\n{run.stderr}"
    assert name in lines[0] and "[invalid-input]" in lines[0], lines[0]


@pytest.mark.parametrize(("args", "name"), INVALID, ids=[f"{n}-{i}" for i, (_, n) in enumerate(INVALID)])
def test_invalid_input_exits_2_with_one_line_naming_it_and_no_azure_call(
    emulator, tmp_path, clean_scenario, args, name
):
    emulator.load_scenario(clean_scenario)
    runner = Runner(emulator, tmp_path)
    before = len(emulator.requests())
    # Local CLI: bare flags, no connection inputs except what the case gives (validation comes before sign-in).
    local = runner.run_raw(["plan", *args])
    _assert_one_line_naming(local, name)
    # The container action: the same values as INPUT_* on top of action.yml's defaults.
    action = runner.run("plan", _flags_to_inputs(args), mode="github", connect=False)
    _assert_one_line_naming(action, name)
    assert action.outputs == {}, "an invalid input must not set step outputs"
    assert len(emulator.requests()) == before, "an input error must be found before any request to Azure"


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["plan", "--source-workspace-id"], "source-workspace-id"),
        (["plan", "--no-such-flag", "x"], "command line"),
        (["move", "--source-workspace-id", WS, "--destination-resource-group-id", DEST], "command"),
        (
            ["plan", "--source-workspace-id", WS, "--source-workspace-id", WS, "--destination-resource-group-id", DEST],
            "source-workspace-id",
        ),
    ],
)
def test_malformed_command_lines_exit_2_with_one_line(emulator, tmp_path, argv, name):
    run = Runner(emulator, tmp_path).run_raw(argv)
    _assert_one_line_naming(run, name)


def test_invalid_input_in_azure_devops_is_one_line_and_a_logissue(emulator, tmp_path, clean_scenario):
    emulator.load_scenario(clean_scenario)
    run = Runner(emulator, tmp_path).run(
        "plan", {"source-workspace-id": "nope", "destination-resource-group-id": DEST}, mode="azure-devops"
    )
    _assert_one_line_naming(run, "source-workspace-id")
    issues = [c for c in run.stdout_commands if c.name.lower() == "task.logissue"]
    assert issues and issues[0].properties.get("type") == "error"
    assert run.foreign_commands() == []


def test_apply_with_a_missing_plan_file_exits_2_naming_plan_file(emulator, tmp_path, clean_scenario):
    emulator.load_scenario(clean_scenario)
    runner = Runner(emulator, tmp_path)
    before = len(emulator.requests())
    run = runner.run("apply", {**runner.target(), "plan-file": str(tmp_path / "nowhere" / "plan.json")})
    _assert_one_line_naming(run, "plan-file")
    assert len(emulator.requests()) == before


def test_apply_with_a_plan_file_that_is_not_json_exits_2(emulator, tmp_path, clean_scenario):
    emulator.load_scenario(clean_scenario)
    runner = Runner(emulator, tmp_path)
    bad = tmp_path / "plan.json"
    bad.write_text("::set-output name=status::ready\n{not json", encoding="utf-8")
    run = runner.run("apply", {**runner.target(), "plan-file": str(bad)})
    _assert_one_line_naming(run, "plan-file")
    assert run.foreign_commands() == []


def test_local_plan_prints_a_table_and_the_outputs_and_writes_the_files(emulator, tmp_path, clean_scenario):
    emulator.load_scenario(clean_scenario)
    runner = Runner(emulator, tmp_path)
    run = runner.run("plan", runner.target(), mode="local")
    assert run.code == 0, run.explain()
    assert run.stderr == ""
    assert "Plan: ✅ Ready — validated by ARM" in run.stdout
    assert run.outputs["status"] == "ready" and run.outputs["blockers"] == "0"
    assert run.outputs["plan-digest"] == run.plan["digest"]
    assert (run.out_dir / "plan.md").read_text(encoding="utf-8").startswith("## amlmove plan:")
    assert run.commands == [] and run.foreign_commands() == []
