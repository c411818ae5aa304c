"""Issue 18, part 6 (acceptance 6): `--output json` prints the plan / report / status object on stdout — exactly the
written file — and every human line on stderr; a failure prints one JSON error object instead, so a script can
always `json.loads(stdout)`. An invalid `--output` is one line on stderr, exit 2, nothing on stdout, no request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amlmove_emulator import samples
from tests.support.harness import Run, Runner, inputs, load

JSON = ["--output", "json"]


def assert_document(run: Run, name: str) -> dict[str, Any]:
    """stdout is the written file, byte for byte, and parses as the same JSON; nothing else is on stdout."""
    assert run.code == 0, run.explain()
    written = (run.out_dir / name).read_text("utf-8")
    assert run.stdout == written
    document = json.loads(run.stdout)
    assert document == json.loads(written)
    assert run.stdout_commands == [] and run.foreign_commands() == []
    return document


@pytest.mark.parametrize("mode", ["local", "github"])
def test_plan_apply_and_status_print_their_document_on_stdout(emulator, runner: Runner, mode: str) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), mode=mode, name="job", argv=JSON)
    plan = assert_document(planned, "plan.json")
    assert plan["status"] == "ready"
    assert "Plan written to" in planned.stderr  # the human lines moved to stderr

    plan_file = str(planned.out_dir / "plan.json")
    applied = runner.run("apply", inputs(s, **{"plan-file": plan_file}), mode=mode, name="job", argv=JSON)
    report = assert_document(applied, "report.json")
    assert report["status"] == "moved"
    assert "Apply finished" in applied.stderr

    read = runner.run("status", {"plan-file": plan_file}, mode=mode, name="job", argv=JSON)
    status = assert_document(read, "status.json")
    assert status["state"] in ("done", "follow-ups-left") and status["planDigest"] == plan["digest"]
    assert "Status:" in read.stderr
    if mode == "local":  # the step outputs a terminal prints at the end went to stderr too
        assert "status = " in read.stderr and "status = " not in read.stdout


def test_a_failure_prints_one_json_error_object(emulator, runner: Runner) -> None:
    """Exit 1 (a refused apply) and exit 2 (a missing plan file): stdout is {"error": {code, message, exitCode}}, the
    same one line as on stderr."""
    s = samples.WorkspaceScenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), mode="local", name="job")
    other = samples.group_id(samples.DEST_SUB, "rg-elsewhere")
    refused = runner.run(
        "apply",
        {**inputs(s), "destination-resource-group-id": other, "plan-file": str(planned.out_dir / "plan.json")},
        mode="local",
        name="refused",
        argv=JSON,
    )
    assert refused.code == 1, refused.explain()
    error = json.loads(refused.stdout)["error"]
    assert error == {"code": "plan-refused", "message": refused.last_line, "exitCode": 1}

    missing = runner.run("status", {"plan-file": "nowhere/plan.json"}, mode="local", name="missing", argv=JSON)
    assert missing.code == 2
    assert json.loads(missing.stdout) == {
        "error": {"code": "invalid-input", "message": missing.last_line, "exitCode": 2}
    }


@pytest.mark.parametrize("argv", [["--output", "yaml"], ["--output=JSONL"], ["--output", "json", "--output", "json"]])
def test_invalid_output_is_one_line_exit_2(emulator, runner: Runner, argv: list[str]) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    before = len(emulator.requests())
    run = runner.run("plan", inputs(s), mode="local", name="bad", argv=argv)
    assert run.code == 2, run.explain()
    assert run.stdout == "" and len(run.stderr.strip().splitlines()) == 1
    assert "Input output" in run.last_line
    assert len(emulator.requests()) == before
