"""Issue 4 acceptance, run the way a CI runner runs the action: `entrypoint.py plan` then `entrypoint.py apply` as
subprocesses (tests/support/harness.py) in one runner workspace, against the emulator; the end state is read back
through the emulator's /_emulator/state and /_emulator/requests hooks, nothing in the product is mocked.

1. plan → apply on the clean scenario: workspace and associated resources at the destination, role assignments
   restored at the new scopes, datastores repaired, report and outputs written;
2. drift (a compute created, another destination, a stale plan, an edited plan) → refused, exit 1, and the request
   log shows no write at all;
3. apply killed with SIGKILL mid-move → a second apply resumes and finishes; one moveResources was ever accepted;
4. a move that fails at the provider after moving part of it, and one that times out after moving part of it →
   an exact moved/stayed report, exit 3;
5. remove-computes on a plan that said so: exported (loadable by azure-ai-ml), deleted, moved, and recreated at the
   destination with the exported settings with recreate-computes;
6. apply again after a success changes nothing (no move, no duplicate role assignment, the same Azure state);
7. resume without the state file: the runner that died took its workspace (and state.json) with it, as a re-run of a
   GitHub job does (a fresh workspace), so only ARM's lock on the groups says a move is running; apply waits it out
   and finishes the follow-ups — never a second move, never a new plan; and a resume after move-timeout has passed
   reports the finished move, not a timeout;
8. an azure-ai-ml cloud setting inherited from the environment does not steer the exports.
"""

from __future__ import annotations

import calendar
import json
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import isodate
import pytest

from amlmove_action.ids import moved_id
from amlmove_action.plan import digest_of
from amlmove_emulator import catalog, samples
from tests.support.harness import Run, Runner, camel, inputs, kill_once_accepted, load, resources, writes

RETRY = 0.2
APPLY_OUTPUTS = {"status", "moved", "destination-workspace-id", "report-file", "continuation-token"}


# --- helpers ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def approved(emulator, tmp_path_factory) -> Path:
    """One plan job for the clean scenario, shared: each test downloads its plan.json (the artifact) into its own
    runner workspace. Apply re-plans against the emulator anyway, so an identical scenario reloaded later is the
    Azure the plan was made for."""
    s = samples.WorkspaceScenario()
    load(emulator, s)
    run = planned(Runner(emulator, tmp_path_factory.mktemp("approved")), s, "plan-job")
    return run.out_dir / "plan.json"


def download(runner: Runner, plan_file: Path, name: str, at: str = "amlmove-output/plan.json") -> Path:
    """The plan artifact, placed in runner workspace `name` at `at` (by default where apply looks for it)."""
    dest = runner.tmp / name / "workspace" / at
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(plan_file, dest)
    return dest


def clean(emulator: Any) -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    return s


def planned(runner: Runner, s: samples.WorkspaceScenario, name: str, **more: str) -> Run:
    """The plan job, in the runner workspace `name` (apply then finds amlmove-output/plan.json there)."""
    run = runner.run("plan", inputs(s, **more), name=name)
    assert run.code == 0, run.explain()
    assert run.plan["status"] == "ready"
    return run


def by_id(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["id"].lower(): r["body"] for r in items}


def move_posts(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if r["method"] == "POST" and r["path"].lower().endswith("/moveresources")]


def role_assignments_at(state: dict[str, dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """Assignments made exactly at `scope` (not below it)."""
    prefix = scope.lower() + "/providers/microsoft.authorization/roleassignments/"
    return [b["properties"] for k, b in state.items() if k.startswith(prefix) and "/" not in k[len(prefix) :]]


def grants(assignments: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(a["principalId"], a["roleDefinitionId"].rsplit("/", 1)[-1]) for a in assignments}


def where(emulator: Any, plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(moved, stayed) of the planned resources, read from the emulator itself."""
    state = resources(emulator)
    target = plan["destination"]["resourceGroupId"]
    moved = [r for r in plan["resources"] if moved_id(r, target).lower() in state]
    stayed = [r for r in plan["resources"] if r.lower() in state]
    return moved, stayed


def assert_refused_without_writes(emulator: Any, run: Run, *expected: str) -> None:
    assert run.code == 1, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for text in expected:
        assert text in run.last_line, run.last_line
    assert writes(emulator.requests()) == [], "a refused apply must not change anything in Azure"  # log since load
    assert move_posts(emulator.requests()) == []
    assert run.outputs.get("moved") == "false" and run.outputs.get("status") == "refused"
    assert run.report["status"] == "refused" and run.report["moved"] == []
    assert run.foreign_commands() == []


# --- 1. the clean move ------------------------------------------------------------------------------------------------


def assert_clean_move(
    emulator: Any, s: samples.WorkspaceScenario, before: dict[str, Any], plan: dict[str, Any]
) -> None:
    """The workspace and its four associated resources at the destination, role assignments and datastores fixed."""
    assert len(plan["resources"]) == 5
    moved, stayed = where(emulator, plan)
    assert sorted(moved) == sorted(plan["resources"]) and stayed == []
    state = resources(emulator)
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    assert state[new_ws.lower()]["properties"]["provisioningState"] == "Succeeded"
    assert [p["status"] for p in move_posts(emulator.requests())] == [202]

    # role assignments made at the moved scopes exist again at the new scopes (same principal and role)
    for scope in (s.workspace_id, s.associated("storage")):
        old = grants(role_assignments_at(before, scope))
        assert old, scope
        assert grants(role_assignments_at(state, moved_id(scope, s.dest_rg))) == old, scope
    assert grants(role_assignments_at(state, new_ws)) == {
        (samples.DATA_SCIENTIST["objectId"], catalog.AZUREML_DATA_SCIENTIST),
        (samples.ML_READERS["objectId"], catalog.READER),
    }

    # every datastore names the destination subscription and group (Azure leaves them naming the source)
    prefix = new_ws.lower() + "/datastores/"
    datastores = {k[len(prefix) :]: b["properties"] for k, b in state.items() if k.startswith(prefix)}
    assert set(datastores) == {"workspaceblobstore", "workspacefilestore", "training-data"}
    for name, props in datastores.items():
        assert (props["subscriptionId"], props["resourceGroup"]) == (samples.DEST_SUB, s.dest_group), name


def assert_moved_report(run: Run, s: samples.WorkspaceScenario, plan: dict[str, Any], mode: str) -> None:
    names = {n: camel(n) if mode == "azure-devops" else n for n in APPLY_OUTPUTS}
    outputs = {n: run.outputs.get(names[n]) for n in APPLY_OUTPUTS}
    assert outputs["moved"] == "true" and outputs["status"] == "moved"
    assert outputs["destination-workspace-id"] == moved_id(s.workspace_id, s.dest_rg)
    assert (run.workspace / outputs["report-file"]).resolve() == (run.out_dir / "report.json").resolve()
    assert not outputs["continuation-token"]  # only when the move is still running at exit (move-timeout)
    report = run.report
    assert report["status"] == "moved" and report["planDigest"] == plan["digest"]
    assert sorted((m["from"], m["to"]) for m in report["moved"]) == sorted(
        (r, moved_id(r, s.dest_rg)) for r in plan["resources"]
    )
    assert report["stayed"] == [] and report["missing"] == []
    kinds = {(f["kind"], f["status"]) for f in report["followUps"]}
    assert {("verify", "done"), ("role-assignment", "done"), ("datastore", "done")} <= kinds
    assert not [f for f in report["followUps"] if f["status"] == "failed"]
    assert {p["name"] for p in report["phases"]} >= {"re-plan", "snapshot", "move", "follow-ups"}
    report_md = (run.out_dir / "report.md").read_text(encoding="utf-8")
    assert report_md.startswith("## amlmove apply: ✅ Moved")
    assert run.summary == report_md
    assert run.foreign_commands() == []
    assert run.state is not None and run.state["status"] == "succeeded"


def test_plan_then_apply_moves_restores_and_repairs(emulator, runner) -> None:
    s = clean(emulator)
    before = resources(emulator)
    plan = planned(runner, s, "job").plan
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 0, run.explain()
    assert run.stderr == ""
    assert_clean_move(emulator, s, before, plan)
    assert_moved_report(run, s, plan, "github")


def test_apply_in_azure_devops_sets_its_output_variables(emulator, runner, approved) -> None:
    s = clean(emulator)
    before = resources(emulator)
    download(runner, approved, "ado")
    run = runner.run("apply", inputs(s), name="ado", mode="azure-devops")
    assert run.code == 0, run.explain()
    plan = json.loads(approved.read_text(encoding="utf-8"))
    assert_clean_move(emulator, s, before, plan)
    assert_moved_report(run, s, plan, "azure-devops")


# --- 2. drift: refused, nothing written -------------------------------------------------------------------------------


def test_compute_created_after_the_plan_is_refused_without_any_write(emulator, runner, approved) -> None:
    s = samples.WorkspaceScenario()
    s.compute("late-cluster")
    load(emulator, s)  # the approved plan's Azure plus one compute; the request log starts empty
    download(runner, approved, "job")
    run = runner.run("apply", inputs(s), name="job")
    assert_refused_without_writes(emulator, run, "Azure changed since the plan was approved", "new blockers")
    assert any(d["what"] == "new blockers" and "computes-present" in d["now"] for d in run.report["drift"])
    assert "The approved plan no longer matches Azure" in run.summary
    assert s.workspace_id.lower() in resources(emulator)


def test_another_destination_than_the_plan_is_refused_without_any_write(emulator, runner, approved) -> None:
    s = clean(emulator)
    download(runner, approved, "job")
    other = samples.group_id(samples.DEST_SUB, "rg-elsewhere")
    run = runner.run("apply", {**inputs(s), "destination-resource-group-id": other}, name="job")
    assert_refused_without_writes(emulator, run, "rg-elsewhere", s.dest_rg)


def test_a_plan_older_than_max_plan_age_is_refused_without_any_write(emulator, runner, approved) -> None:
    s = clean(emulator)
    plan = json.loads(download(runner, approved, "job").read_text(encoding="utf-8"))
    created = calendar.timegm(time.strptime(plan["createdAt"], "%Y-%m-%dT%H:%M:%SZ"))
    time.sleep(max(0.0, created + 2.05 - time.time()))  # normally 0: the shared plan was made tests ago
    run = runner.run("apply", inputs(s, **{"max-plan-age": "1s"}), name="job")
    assert_refused_without_writes(emulator, run, "older than max-plan-age")


def test_a_plan_made_long_ago_is_refused_even_with_a_valid_digest(emulator, runner, approved) -> None:
    s = clean(emulator)
    plan_file = download(runner, approved, "job")
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    plan["createdAt"] = "2020-01-01T00:00:00Z"
    plan["digest"] = digest_of(plan)  # anyone can recompute the digest; the age still counts
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    run = runner.run("apply", inputs(s), name="job")
    assert_refused_without_writes(emulator, run, "older than max-plan-age 24h")


def test_an_edited_plan_file_is_refused_without_any_write(emulator, runner, approved) -> None:
    s = clean(emulator)
    plan_file = download(runner, approved, "job")
    original = json.loads(plan_file.read_text(encoding="utf-8"))

    # edited after approval, the digest left as it was
    edited = json.loads(json.dumps(original))
    edited["resources"].remove(s.associated("keyVault"))
    plan_file.write_text(json.dumps(edited), encoding="utf-8")
    run = runner.run("apply", inputs(s), name="job")
    assert_refused_without_writes(emulator, run, "digest does not match")

    # edited and re-digested: the re-plan sees that the key vault would move too, and refuses
    edited["digest"] = digest_of(edited)
    plan_file.write_text(json.dumps(edited), encoding="utf-8")
    run = runner.run("apply", inputs(s), name="job")
    assert_refused_without_writes(emulator, run, "Azure changed since the plan was approved", "resources to move")
    assert where(emulator, original) == ([], original["resources"])


def test_remove_computes_on_apply_only_is_refused_without_any_write(emulator, runner, approved) -> None:
    s = clean(emulator)
    download(runner, approved, "job")  # approved without remove-computes
    run = runner.run("apply", inputs(s, **{"remove-computes": "true"}), name="job")
    assert_refused_without_writes(emulator, run, "remove-computes is true here but the approved plan says false")


# --- 3. killed mid-move, resumed -------------------------------------------------------------------------------------


def test_apply_killed_mid_move_then_resumed_moves_exactly_once(emulator, runner, approved) -> None:
    s = clean(emulator)
    plan = json.loads(download(runner, approved, "job").read_text(encoding="utf-8"))
    emulator.shape_lro(durationSeconds=5)  # ARM takes 5 s to move
    killed = kill_once_accepted(runner, inputs(s), "job")
    assert killed.code == -signal.SIGKILL
    state_file = killed.out_dir / "state.json"
    saved = json.loads(state_file.read_text(encoding="utf-8"))
    assert saved["status"] == "accepted" and saved["continuationToken"] and saved["planDigest"] == plan["digest"]
    assert where(emulator, plan)[0] == [], "the kill must land while ARM is still moving"

    resumed = runner.run("apply", inputs(s), name="job")
    assert resumed.code == 0, resumed.explain()
    assert "Resuming the move ARM accepted" in resumed.stdout
    assert resumed.outputs["moved"] == "true" and resumed.report["status"] == "moved"
    moved, stayed = where(emulator, plan)
    assert sorted(moved) == sorted(plan["resources"]) and stayed == []
    posts = move_posts(emulator.requests())
    assert [p["status"] for p in posts] == [202], posts  # one moveResources request, ever, and ARM accepted it
    assert len([o for o in emulator.state()["operations"] if o["kind"] == "move"]) == 1
    assert json.loads(state_file.read_text(encoding="utf-8"))["status"] == "succeeded"


# --- 4. partial moves: failed at the provider, timed out --------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "code"),
    [("failed", "ResourceMoveFailed"), ("timeout", "ResourceMoveTimedOut")],
    ids=["provider-failure", "timeout"],
)
def test_a_partial_move_ends_with_an_exact_report_and_exit_3(emulator, runner, approved, outcome, code) -> None:
    s = clean(emulator)
    plan = json.loads(download(runner, approved, "job").read_text(encoding="utf-8"))
    partial = [s.workspace_id, s.associated("storage")]
    emulator.shape_lro(durationSeconds=0.5, outcome=outcome, partial=partial)
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 3, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1
    assert code in run.last_line and "2 of 5 resource(s) moved, 3 stayed" in run.last_line

    moved, stayed = where(emulator, plan)  # what Azure says
    assert sorted(moved) == sorted(partial)
    report = run.report  # what the report says: the same, resource by resource
    assert report["status"] == "failed" and report["error"]["code"] == code
    assert sorted((m["from"], m["to"]) for m in report["moved"]) == sorted((r, moved_id(r, s.dest_rg)) for r in moved)
    assert sorted(report["stayed"]) == sorted(stayed) == sorted(set(plan["resources"]) - set(partial))
    assert report["missing"] == []
    assert run.outputs["moved"] == "false" and run.outputs["status"] == "failed"
    md = (run.out_dir / "report.md").read_text(encoding="utf-8")
    assert "❌ Move failed" in md and md.count("**stayed**") == 3 and md.count("moved →") == 2
    assert run.state["status"] == "failed"
    assert [p["status"] for p in move_posts(emulator.requests())] == [202]
    if outcome == "failed":  # a re-run never moves again: it finds the partial result and says so
        again = runner.run("apply", inputs(s), name="job")
        assert again.code == 3, again.explain()
        assert "2 of 5 planned resources are already at the destination" in again.last_line
        assert len(move_posts(emulator.requests())) == 1
        assert sorted(m["from"] for m in again.report["moved"]) == sorted(moved)
        assert sorted(again.report["stayed"]) == sorted(stayed)


# --- 5. remove-computes, recreate-computes ---------------------------------------------------------------------------


def test_remove_computes_exports_deletes_moves_and_recreates(emulator, runner) -> None:
    from azure.ai.ml import load_compute

    s = samples.WorkspaceScenario()
    cluster = s.compute("cpu-cluster")
    load(emulator, s)
    settings = resources(emulator)[cluster.lower()]["properties"]["properties"]
    plan_run = planned(runner, s, "job", **{"remove-computes": "true", "recreate-computes": "true"})
    computes = plan_run.finding("computes-present")  # the plan says so: a warning the reviewer approves
    assert computes["severity"] == "warning" and "deletes these right before the move" in computes["detail"]
    assert plan_run.plan["postMove"]["computesToRemove"] == [cluster]
    run = runner.run("apply", inputs(s, **{"remove-computes": "true", "recreate-computes": "true"}), name="job")
    assert run.code == 0, run.explain()

    # exported by plan (in the plan artifact, with its digest) as YAML that azure-ai-ml (and so
    # `az ml compute create --file`) loads
    assert [(e["kind"], e["file"]) for e in plan_run.plan["exports"]] == [
        ("compute", "exports/compute-cpu-cluster.yml")
    ]
    assert run.report["exports"] == ["exports/compute-cpu-cluster.yml"]
    exported = load_compute(run.out_dir / "exports" / "compute-cpu-cluster.yml")
    assert exported.name == "cpu-cluster" and exported.type == "amlcompute"
    assert exported.size.lower() == settings["vmSize"].lower()
    assert (exported.min_instances, exported.max_instances) == (0, 4)

    # deleted before the move, the move succeeded
    log = emulator.requests()
    deletes = [i for i, r in enumerate(log) if r["method"] == "DELETE" and r["path"].lower() == cluster.lower()]
    posts = [i for i, r in enumerate(log) if r in move_posts(log)]
    assert deletes and posts and deletes[0] < posts[0], "the compute is deleted before the move"
    assert [log[i]["status"] for i in posts] == [202]
    assert run.report["status"] == "moved"
    state = resources(emulator)
    assert cluster.lower() not in state

    # recreated at the destination with the exported settings
    props = state[(moved_id(s.workspace_id, s.dest_rg) + "/computes/cpu-cluster").lower()]["properties"]
    assert props["computeType"] == "AmlCompute"
    assert props["properties"]["vmSize"].lower() == settings["vmSize"].lower()
    scale = props["properties"]["scaleSettings"]
    assert (scale["minNodeCount"], scale["maxNodeCount"]) == (0, 4)
    idle = settings["scaleSettings"]["nodeIdleTimeBeforeScaleDown"]  # PT120S, exported as 120 s, sent back as PT2M
    assert isodate.parse_duration(scale["nodeIdleTimeBeforeScaleDown"]) == isodate.parse_duration(idle)
    assert ("compute", "cpu-cluster", "done") in {
        (f["kind"], f["target"], f["status"]) for f in run.report["followUps"]
    }


# --- 6. apply again after success -------------------------------------------------------------------------------------


def test_apply_again_after_success_changes_nothing(emulator, runner, approved) -> None:
    s = clean(emulator)
    download(runner, approved, "job")
    first = runner.run("apply", inputs(s), name="job")
    assert first.code == 0, first.explain()
    after_first = emulator.state()
    mark = len(emulator.requests())

    second = runner.run("apply", inputs(s), name="job")
    assert second.code == 0, second.explain()
    assert second.outputs["moved"] == "true" and second.outputs["status"] == "already-moved"
    assert "already at the destination" in second.stdout
    log = emulator.requests()[mark:]
    assert move_posts(log) == []
    assert writes(log) == [], "the role assignments and datastores are already done: nothing to write"
    assert by_id(emulator.state()["resources"]) == by_id(after_first["resources"])
    statuses = {f["status"] for f in second.report["followUps"] if f["kind"] in ("role-assignment", "datastore")}
    assert statuses == {"already-done"}
    restored = role_assignments_at(resources(emulator), moved_id(s.workspace_id, s.dest_rg))
    assert len(restored) == len(grants(restored)) == 2  # no duplicate assignment


# --- 7. resumed without the state file: found through the groups a move holds ----------------------------------------


def fresh_plan(emulator: Any, runner: Runner, s: samples.WorkspaceScenario) -> tuple[dict[str, Any], Path]:
    """The plan job for `s` in runner workspace plan-job: (the plan, its plan.json: the artifact to download)."""
    load(emulator, s)
    run = planned(runner, s, "plan-job")
    return run.plan, run.out_dir / "plan.json"


def test_killed_mid_move_rerun_in_a_fresh_workspace_waits_for_that_move_and_finishes(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    plan, artifact = fresh_plan(emulator, runner, s)
    emulator.shape_lro(durationSeconds=4)  # ARM takes 4 s to move
    given = inputs(s, **{"plan-file": "plan/plan.json"})
    download(runner, artifact, "attempt-1", at="plan/plan.json")
    killed = kill_once_accepted(runner, given, "attempt-1")  # the runner is lost, and its workspace with it
    assert killed.code == -signal.SIGKILL
    assert where(emulator, plan)[0] == [], "the kill must land while ARM is still moving"

    download(runner, artifact, "attempt-2", at="plan/plan.json")  # the re-run: a fresh workspace, no state.json
    rerun = runner.run("apply", given, name="attempt-2")
    assert rerun.code == 0, rerun.explain()
    assert not (rerun.out_dir / "state.json").exists() or rerun.state["status"] != "accepted"
    assert "waiting for it to finish" in rerun.stdout
    assert rerun.report["status"] == "already-moved" and rerun.outputs["status"] == "already-moved"
    assert rerun.report["drift"] == [] and rerun.report["error"] is None
    assert sorted(m["from"] for m in rerun.report["moved"]) == sorted(plan["resources"])
    moved, stayed = where(emulator, plan)
    assert sorted(moved) == sorted(plan["resources"]) and stayed == []
    assert [p["status"] for p in move_posts(emulator.requests())] == [202]  # one move, ever
    follow_ups = rerun.report["followUps"]
    assert [f for f in follow_ups if f["status"] == "failed"] == []
    assert {f["status"] for f in follow_ups if f["kind"] == "role-assignment"} == {"done"}  # restored by the re-run
    assert {f["status"] for f in follow_ups if f["kind"] == "datastore"} == {"done"}


def test_a_move_in_progress_that_outlives_move_timeout_changes_nothing_and_says_to_rerun(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    plan, artifact = fresh_plan(emulator, runner, s)
    emulator.shape_lro(durationSeconds=30)
    download(runner, artifact, "attempt-1", at="plan/plan.json")
    kill_once_accepted(runner, inputs(s, **{"plan-file": "plan/plan.json"}), "attempt-1")

    download(runner, artifact, "attempt-2", at="plan/plan.json")
    mark = len(emulator.requests())
    rerun = runner.run("apply", inputs(s, **{"plan-file": "plan/plan.json", "move-timeout": "2s"}), name="attempt-2")
    assert rerun.code == 3, rerun.explain()
    assert "move in progress" in rerun.last_line and "Re-run apply with the same plan" in rerun.last_line
    assert rerun.outputs["moved"] == "false"
    # waiting is reading: no second move, no follow-up on resources that have not moved
    assert writes(emulator.requests()[mark:]) == []
    assert where(emulator, plan)[0] == []
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
    plan, artifact = fresh_plan(emulator, runner, s)
    emulator.shape_lro(durationSeconds=1.5)
    download(runner, artifact, "job", at="plan/plan.json")
    kill_once_accepted(runner, inputs(s, **{"plan-file": "plan/plan.json"}), "job")
    time.sleep(2.0)  # past the move's end and past move-timeout (1s) counted from its start
    if slow_poll:
        emulator.fault(method="GET", pathRegex=r"/operationresults/", latencyMs=2500, count=1)
    rerun = runner.run("apply", inputs(s, **{"plan-file": "plan/plan.json", "move-timeout": "1s"}), name="job")
    assert rerun.code == 0, rerun.explain()
    assert "Resuming the move ARM accepted" in rerun.stdout
    assert rerun.report["status"] == "moved" and rerun.outputs["moved"] == "true"
    assert sorted(where(emulator, plan)[0]) == sorted(plan["resources"])
    assert [p["status"] for p in move_posts(emulator.requests())] == [202]
    assert rerun.state["status"] == "succeeded"


# --- 8. the cloud is amlmove's input, not the environment's ----------------------------------------------------------


def test_an_inherited_azure_ai_ml_cloud_setting_does_not_steer_the_exports(emulator, runner) -> None:
    """azure-ai-ml reads AZUREML_CURRENT_CLOUD / ARM_CLOUD_METADATA_URL from the process environment at import and,
    for a cloud name it does not know, fetches metadata from the public cloud (management.azure.com) and fails. The
    cloud is amlmove's input, not the environment's: with such variables inherited, the compute is still exported,
    deleted and recreated against this run's (custom) cloud, and nothing leaves 127.0.0.1 (the session's network
    guard fails the run otherwise)."""
    from azure.ai.ml import load_compute

    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    load(emulator, s)
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
