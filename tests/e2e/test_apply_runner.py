"""Issue 4, "Resume": a move in flight is found through the state file OR through the groups a move holds. The state
file path is in test_apply_command.py; here the runner that died took its workspace (and state.json) with it, as a
re-run of a GitHub job does (a fresh workspace), so only ARM's lock on the groups says a move is running. Apply must
wait it out and finish the follow-ups — never start a second move, never ask for a new plan.

Run like a runner: `entrypoint.py` subprocesses through tests/support/harness.py against the emulator."""

from __future__ import annotations

import json
import shutil
import signal
import time
from typing import Any

import pytest

from amlmove_action.plan import moved_id
from amlmove_emulator import samples
from tests.support.harness import Runner, inputs


def planned(emulator: Any, runner: Runner, s: samples.WorkspaceScenario) -> dict[str, Any]:
    built = s.build()
    built["settings"] = {"retryAfterSeconds": 0.2}
    emulator.load_scenario(built)
    run = runner.run("plan", inputs(s), name="plan-job")
    assert run.code == 0, run.explain()
    return run.plan


def download(runner: Runner, plan_job: str, job: str) -> None:
    """The plan artifact into another job's fresh workspace, at the plan-file input's default relative place."""
    target = runner.tmp / job / "workspace" / "plan" / "plan.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(runner.tmp / plan_job / "workspace" / "amlmove-output" / "plan.json", target)


def kill_once_accepted(runner: Runner, s: samples.WorkspaceScenario, name: str) -> Any:
    """Start apply in job `name` and SIGKILL it the moment ARM has accepted the move (state.json written)."""
    started = runner.start("apply", inputs(s, **{"plan-file": "plan/plan.json"}), name=name)
    deadline = time.monotonic() + 60
    while not (started.out_dir / "state.json").exists():
        assert started.proc.poll() is None and time.monotonic() < deadline, "apply never saved state.json"
        time.sleep(0.02)
    started.proc.send_signal(signal.SIGKILL)
    return started.finish()


def move_posts(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["method"] == "POST" and r["path"].lower().endswith("/moveresources")]


def positions(emulator: Any, plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    stored = {r["id"].lower() for r in emulator.state()["resources"]}
    dest = plan["destination"]["resourceGroupId"]
    moved = [r for r in plan["resources"] if moved_id(r, dest).lower() in stored]
    stayed = [r for r in plan["resources"] if r.lower() in stored]
    return moved, stayed


def test_killed_mid_move_rerun_in_a_fresh_workspace_waits_for_that_move_and_finishes(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    plan = planned(emulator, runner, s)
    emulator.shape_lro(durationSeconds=4)  # ARM takes 4 s to move
    download(runner, "plan-job", "attempt-1")
    killed = kill_once_accepted(runner, s, "attempt-1")  # the runner is lost, and its workspace with it
    assert killed.code == -signal.SIGKILL
    assert positions(emulator, plan)[0] == [], "the kill must land while ARM is still moving"

    download(runner, "plan-job", "attempt-2")  # the re-run: a fresh workspace, no state.json
    rerun = runner.run("apply", inputs(s, **{"plan-file": "plan/plan.json"}), name="attempt-2")
    assert rerun.code == 0, rerun.explain()
    assert not (rerun.out_dir / "state.json").exists() or rerun.state["status"] != "accepted"
    assert "waiting for it to finish" in rerun.stdout
    assert rerun.report["status"] == "already-moved" and rerun.outputs["status"] == "already-moved"
    assert rerun.report["drift"] == [] and rerun.report["error"] is None
    assert sorted(m["from"] for m in rerun.report["moved"]) == sorted(plan["resources"])
    moved, stayed = positions(emulator, plan)
    assert sorted(moved) == sorted(plan["resources"]) and stayed == []
    assert [p["status"] for p in move_posts(emulator)] == [202]  # one move, ever
    follow_ups = rerun.report["followUps"]
    assert [f for f in follow_ups if f["status"] == "failed"] == []
    assert {f["status"] for f in follow_ups if f["kind"] == "role-assignment"} == {"done"}  # restored by the re-run
    assert {f["status"] for f in follow_ups if f["kind"] == "datastore"} == {"done"}


def test_a_move_in_progress_that_outlives_move_timeout_changes_nothing_and_says_to_rerun(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    plan = planned(emulator, runner, s)
    emulator.shape_lro(durationSeconds=30)
    download(runner, "plan-job", "attempt-1")
    kill_once_accepted(runner, s, "attempt-1")

    download(runner, "plan-job", "attempt-2")
    mark = len(emulator.requests())
    rerun = runner.run("apply", inputs(s, **{"plan-file": "plan/plan.json", "move-timeout": "2s"}), name="attempt-2")
    assert rerun.code == 3, rerun.explain()
    assert "move in progress" in rerun.last_line and "Re-run apply with the same plan" in rerun.last_line
    assert rerun.outputs["moved"] == "false"
    writes = [
        r
        for r in emulator.requests()[mark:]
        if r["method"] in ("PUT", "PATCH", "DELETE")
        or (r["method"] == "POST" and not r["path"].lower().endswith(("/validatemoveresources", "/token")))
    ]
    assert writes == []  # waiting is reading: no second move, no follow-up on resources that have not moved
    assert positions(emulator, plan)[0] == []
    assert json.loads((rerun.out_dir / "report.json").read_text(encoding="utf-8"))["moved"] == []


@pytest.mark.parametrize("slow_poll", [False, True], ids=["poll-answers", "poll-slower-than-move-timeout"])
def test_resumed_after_move_timeout_has_passed_reports_the_finished_move_not_a_timeout(
    emulator, runner, slow_poll
) -> None:
    """The runner died mid-move; the job is re-run (same output dir) only after move-timeout counted from the move's
    start has passed, and ARM finished meanwhile. Apply resumes from state.json: the move is done, so it is `moved`
    with the follow-ups, not `timed-out` with exit 3 (which every later re-run would repeat). Also when the operation
    URL answers later than move-timeout: where the resources are is the verdict."""
    s = samples.WorkspaceScenario()
    plan = planned(emulator, runner, s)
    emulator.shape_lro(durationSeconds=1.5)
    download(runner, "plan-job", "job")
    kill_once_accepted(runner, s, "job")
    time.sleep(2.0)  # past the move's end and past move-timeout (1s) counted from its start
    if slow_poll:
        emulator.fault(method="GET", pathRegex=r"/operationresults/", latencyMs=2500, count=1)
    rerun = runner.run("apply", inputs(s, **{"plan-file": "plan/plan.json", "move-timeout": "1s"}), name="job")
    assert rerun.code == 0, rerun.explain()
    assert "Resuming the move ARM accepted" in rerun.stdout
    assert rerun.report["status"] == "moved" and rerun.outputs["moved"] == "true"
    assert sorted(positions(emulator, plan)[0]) == sorted(plan["resources"])
    assert [p["status"] for p in move_posts(emulator)] == [202]
    assert rerun.state["status"] == "succeeded"


def test_an_inherited_azure_ai_ml_cloud_setting_does_not_steer_the_exports(emulator, runner) -> None:
    """azure-ai-ml reads AZUREML_CURRENT_CLOUD / ARM_CLOUD_METADATA_URL from the process environment at import and,
    for a cloud name it does not know, fetches metadata from the public cloud (management.azure.com) and fails. The
    cloud is amlmove's input, not the environment's: with such variables inherited, the compute is still exported,
    deleted and recreated against this run's (custom) cloud, and nothing leaves 127.0.0.1 (the session's network
    guard fails the run otherwise)."""
    from azure.ai.ml import load_compute

    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    built = s.build()
    built["settings"] = {"retryAfterSeconds": 0.2}
    emulator.load_scenario(built)
    opt_ins = {"remove-computes": "true", "recreate-computes": "true"}
    inherited = {
        "AZUREML_CURRENT_CLOUD": "AzureSomewhereElse",
        "ARM_CLOUD_METADATA_URL": "https://management.azure.com/metadata/endpoints?api-version=2019-05-01",
    }
    # plan exports (issue 11), apply deletes and recreates: both with the inherited variables
    plan_run = runner.run("plan", inputs(s, **opt_ins), name="job", extra_env=inherited)
    assert plan_run.code == 0, plan_run.explain()
    run = runner.run("apply", inputs(s, **opt_ins), name="job", extra_env=inherited)
    assert run.code == 0, run.explain()
    export = run.out_dir / "exports" / "compute-cpu-cluster.yml"
    assert load_compute(export).size.lower() == "standard_ds3_v2"
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    stored = {r["id"].lower(): r for r in emulator.state()["resources"]}
    assert f"{s.workspace_id}/computes/cpu-cluster".lower() not in stored
    assert stored[f"{new_ws}/computes/cpu-cluster".lower()]["body"]["properties"]["properties"]["vmSize"].lower() == (
        "standard_ds3_v2"
    )
