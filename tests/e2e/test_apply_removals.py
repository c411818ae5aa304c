"""Issue 11: apply destroys nothing the reviewer did not approve, and nothing it removes is lost. Run as a CI runner
runs the action (`entrypoint.py plan|apply` subprocesses) against the emulator; the end state is read back through
/_emulator/state and /_emulator/requests.

1. plan exports every compute, endpoint and deployment to remove (online, batch, serverless) into the plan artifact
   with SHA-256, each loading with azure-ai-ml's own load_*; apply removes them;
2. attached computes (Kubernetes with its AKS cluster, Databricks) are detached, never deleted;
3. validate, then destroy: a policy denial at apply's first validation deletes nothing (exit 1); a failure only
   about computes/endpoints, in real ARM's shape, lets the removals proceed and the move run;
4. a failure in the middle of the removals: report.json lists what was removed and the exports to recreate it;
5. apply killed after ARM accepted the move, re-run on a fresh runner with the plan artifact: computes recreated;
6. plan against a subscription where Microsoft.Databricks is not registered: zero writes;
7. changing any opt-in between plan and apply is refused before any request; the summary shows every opt-in and
   every object to delete outside any fold.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from amlmove_action import inventory as inv
from amlmove_action.ids import moved_id
from amlmove_action.plan import digest_of
from amlmove_action.validation import addressed_by_removals, removed_types
from amlmove_emulator import samples
from tests.support.harness import Run, Runner, inputs, kill_once_accepted, load, resources, writes

OPT_INS = {"remove-computes": "true", "remove-endpoints": "true"}
ML_TYPE = "Microsoft.MachineLearningServices/workspaces"


def scenario(dest_exists: bool = True) -> samples.WorkspaceScenario:
    """Every kind of object a removal touches: an AmlCompute cluster, a compute instance assigned to a user, an
    attached Kubernetes compute (AKS cluster) and an attached Databricks compute, an online endpoint with a
    deployment, a batch endpoint with a deployment, a serverless endpoint."""
    s = samples.WorkspaceScenario(dest_location="eastus" if dest_exists else None)
    s.compute("cpu-cluster")
    ci = s.compute("ci-dana", "ComputeInstance")
    body = next(r["body"] for r in s.resources if r["id"] == ci)
    body["properties"]["properties"]["personalComputeInstanceSettings"] = {
        "assignedUser": {"objectId": samples.DATA_SCIENTIST["objectId"], "tenantId": samples.TENANT}
    }
    s.online_endpoint("churn-endpoint")
    samples.add_attached_and_batch_and_serverless(s)
    return s


def deletes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if r["method"] == "DELETE"]


def planned(runner: Runner, s: samples.WorkspaceScenario, name: str, **more: str) -> Run:
    run = runner.run("plan", inputs(s, **more), name=name)
    assert run.code == 0, run.explain()
    return run


def artifact(run: Run, dest: Path) -> Path:
    """The plan job's artifact (its whole output directory) downloaded into `dest`; the plan.json path in it."""
    shutil.copytree(run.out_dir, dest)
    return dest / "plan.json"


# --- 1 + 2 + 3 (second half): exports, detach, validate → remove → validate → move -----------------------------------


def test_plan_exports_everything_to_remove_and_apply_detaches_deletes_and_moves(emulator, runner) -> None:
    import azure.ai.ml as aml

    s = scenario()
    load(emulator, s)
    plan_run = planned(runner, s, "job", **OPT_INS)
    plan = plan_run.plan
    assert plan["schemaVersion"] == "2.0" and plan["status"] == "ready"

    # ARM refused in its real shape (types as targets, nested) and plan attributes it to the approved removals
    validation = plan["validation"]
    assert validation["code"] == "ResourceMoveValidationFailed"
    leaves = [leaf for d in validation["details"] for leaf in d["details"]]
    assert {leaf["target"] for leaf in leaves} == {
        f"{ML_TYPE}/computes",
        f"{ML_TYPE}/onlineEndpoints",
        f"{ML_TYPE}/batchEndpoints",
        f"{ML_TYPE}/serverlessEndpoints",
    }
    assert plan_run.finding("validation-failed")["severity"] == "warning"

    # one export per object (and per deployment), in the artifact, with its digest, loading with azure-ai-ml
    by_kind: dict[str, list[dict[str, str]]] = {}
    for e in plan["exports"]:
        by_kind.setdefault(e["kind"], []).append(e)
        data = (plan_run.out_dir / e["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"]
    assert sorted(e["name"] for e in by_kind["compute"]) == ["ci-dana", "cpu-cluster"]
    assert sorted(e["name"] for e in by_kind["attached-compute"]) == ["dbx-features", "k8s-inference"]
    assert [e["name"] for e in by_kind["online-endpoint"]] == ["churn-endpoint"]
    assert [e["name"] for e in by_kind["online-deployment"]] == ["churn-endpoint/blue"]
    assert [e["name"] for e in by_kind["batch-endpoint"]] == ["churn-batch"]
    assert [e["name"] for e in by_kind["batch-deployment"]] == ["churn-batch/main"]
    assert [e["name"] for e in by_kind["serverless-endpoint"]] == ["llama-chat"]
    out = plan_run.out_dir
    loaders = {
        "compute": aml.load_compute,
        "online-endpoint": aml.load_online_endpoint,
        "online-deployment": aml.load_online_deployment,
        "batch-endpoint": aml.load_batch_endpoint,
        "batch-deployment": aml.load_batch_deployment,
        "serverless-endpoint": aml.load_serverless_endpoint,
    }
    for kind, load_one in loaders.items():
        for e in by_kind[kind]:
            loaded = load_one(out / e["file"])
            assert loaded.name == e["name"].rsplit("/", 1)[-1]
    instance = aml.load_compute(out / next(e["file"] for e in by_kind["compute"] if e["name"] == "ci-dana"))
    assert instance.create_on_behalf_of.user_object_id == samples.DATA_SCIENTIST["objectId"]  # keeps its user
    k8s = next(e for e in by_kind["attached-compute"] if e["name"] == "k8s-inference")
    assert aml.load_compute(out / k8s["file"]).type == "kubernetes"
    dbx = next(e for e in by_kind["attached-compute"] if e["name"] == "dbx-features")
    assert json.loads((out / dbx["file"]).read_text())["properties"]["computeType"] == "Databricks"
    for e in plan["exports"]:  # no read-only state a create rejects
        text = (out / e["file"]).read_text()
        for key in ("provisioning_state", "provisioningState", "scoring_uri", "\nid:", '"id"', "created_on"):
            assert key not in text, (e["file"], key)
    md = plan_run.plan_md.split("<details>")[0]
    for e in plan["exports"]:
        if "deployment" not in e["kind"]:
            assert f"`{e['resourceId'].rsplit('/', 1)[-1]}`" in md

    aks = next(r["id"] for r in s.resources if r["id"].endswith("/managedClusters/aks-inference"))
    dbw = next(r["id"] for r in s.resources if r["id"].endswith("/Microsoft.Databricks/workspaces/dbw-features"))
    mark = len(emulator.requests())
    run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert run.code == 0, run.explain()
    log = emulator.requests()[mark:]

    # attached computes detached (their AKS cluster and Databricks workspace still exist), the others deleted
    sent = {r["path"].rsplit("/", 1)[-1]: r["query"] for r in deletes(log) if "/computes/" in r["path"]}
    assert sent["k8s-inference"]["underlyingResourceAction"] == "Detach"
    assert sent["dbx-features"]["underlyingResourceAction"] == "Detach"
    assert sent["cpu-cluster"]["underlyingResourceAction"] == "Delete"
    assert sent["ci-dana"]["underlyingResourceAction"] == "Delete"
    state = resources(emulator)
    assert aks.lower() in state and dbw.lower() in state

    # validate (re-plan) → removals → validate again → move
    order = [
        (
            "validate"
            if r["path"].lower().endswith("/validatemoveresources")
            else "move"
            if r["path"].lower().endswith("/moveresources")
            else "delete"
        )
        for r in log
        if r["method"] == "DELETE" or (r["method"] == "POST" and r["path"].lower().endswith("moveresources"))
    ]
    first_delete, last_delete = order.index("delete"), len(order) - 1 - order[::-1].index("delete")
    assert "validate" in order[:first_delete]
    assert order[last_delete + 1 :] == ["validate", "move"]
    assert run.report["status"] == "moved"
    actions = {(w["action"], w["target"].rsplit("/", 1)[-1]) for w in run.report["writes"]}
    assert ("detached", "k8s-inference") in actions and ("deleted", "cpu-cluster") in actions
    assert ("deleted", "llama-chat") in actions and ("deleted", "churn-batch") in actions
    for name in ("cpu-cluster", "churn-endpoint", "llama-chat"):
        assert f"{s.workspace_id}/".lower() not in str(state.get(name, ""))
    assert not any(k.startswith(s.workspace_id.lower() + "/computes/") for k in state)


# --- 3 (first half): a policy denial at apply's first validation deletes nothing --------------------------------------


def test_policy_denial_at_the_first_validation_deletes_nothing(emulator, runner) -> None:
    s = scenario(dest_exists=False)
    load(emulator, s)
    planned(runner, s, "job", **OPT_INS, **{"create-destination-resource-group": "true"})
    emulator.fault(
        method="POST",
        pathRegex=r"/validateMoveResources$",
        status=403,
        errorCode="RequestDisallowedByPolicy",
        errorMessage="Resource 'mlw-churn' was disallowed by policy. Policy identifiers: '[{\"policyAssignment\":"
        '{"name":"Allowed locations"}}]\'.',
        count=1,
    )
    mark = len(emulator.requests())
    run = runner.run("apply", inputs(s, **OPT_INS, **{"create-destination-resource-group": "true"}), name="job")
    assert run.code == 1, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1
    assert "RequestDisallowedByPolicy" in run.last_line and "Nothing was deleted" in run.last_line
    assert deletes(emulator.requests()[mark:]) == []
    assert run.report["status"] == "refused" and run.report["error"]["code"] == "RequestDisallowedByPolicy"
    assert [w["action"] for w in run.report["writes"]] == ["created"]  # the group, with its undo command
    assert run.report["writes"][0]["command"].startswith("az group delete --name rg-ml-prod")
    assert "RequestDisallowedByPolicy" in (run.out_dir / "report.md").read_text()


# --- 4. a failure in the middle of the removals ----------------------------------------------------------------------


def test_a_failure_in_the_middle_of_the_removals_reports_every_removal(emulator, runner) -> None:
    s = scenario()
    load(emulator, s)
    planned(runner, s, "job", **OPT_INS)
    emulator.fault(
        method="DELETE",
        pathRegex=r"/serverlessEndpoints/",
        status=409,
        errorCode="Conflict",
        errorMessage="The serverless endpoint is busy.",
    )
    run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert run.code == 3, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    report = run.report
    assert report["status"] == "failed"
    done = {w["target"].rsplit("/", 1)[-1]: w for w in report["writes"]}
    assert set(done) == {"churn-endpoint", "churn-batch"}  # endpoints first; the serverless one failed
    online = done["churn-endpoint"]
    assert online["exports"] == [
        "exports/online-endpoint-churn-endpoint.yml",
        "exports/online-deployment-churn-endpoint-blue.yml",
    ]
    assert online["command"].startswith("az ml online-endpoint create --file exports/online-endpoint-churn-endpoint")
    for w in report["writes"]:
        for file in w["exports"]:
            assert (run.out_dir / file).exists()
    state = resources(emulator)
    assert any(k.endswith("/computes/cpu-cluster") for k in state), "nothing after the failure was removed"
    assert "online-endpoint create" in (run.out_dir / "report.md").read_text()


# --- 5. a fresh runner re-runs with the plan artifact ----------------------------------------------------------------


def test_fresh_runner_rerun_recreates_the_computes_from_the_plan_artifact(emulator, runner, tmp_path) -> None:
    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    load(emulator, s)
    opt_ins = {"remove-computes": "true", "recreate-computes": "true"}
    plan_run = planned(runner, s, "plan-job", **opt_ins)
    first = artifact(plan_run, runner.tmp / "first" / "workspace" / "amlmove-output")
    assert first.exists()
    emulator.shape_lro(durationSeconds=5)
    assert kill_once_accepted(runner, inputs(s, **opt_ins), "first").code == -signal.SIGKILL

    # a hosted re-run: a new workspace, the plan artifact downloaded into it, a fresh output directory
    plan_file = artifact(plan_run, runner.tmp / "second" / "workspace" / "plan-artifact")
    run = runner.run("apply", inputs(s, **opt_ins, **{"plan-file": str(plan_file)}), name="second")
    assert run.code == 0, run.explain()
    assert run.report["status"] in ("moved", "already-moved")
    state = resources(emulator)
    recreated = (moved_id(s.workspace_id, s.dest_rg) + "/computes/cpu-cluster").lower()
    assert recreated in state
    assert state[recreated]["properties"]["properties"]["vmSize"] == "STANDARD_DS3_V2"
    assert ("compute", "cpu-cluster", "done") in {
        (f["kind"], f["target"], f["status"]) for f in run.report["followUps"]
    }
    assert run.report["exports"] == ["exports/compute-cpu-cluster.yml"]
    assert (run.out_dir / "exports" / "compute-cpu-cluster.yml").exists()  # the report's artifact carries it


# --- 6. plan never writes -------------------------------------------------------------------------------------------


def test_plan_sends_no_write_when_a_provider_is_not_registered(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    assert "Microsoft.Databricks" not in s.source_providers
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert run.code == 0, run.explain()
    log = emulator.requests()
    listed = [r for r in log if r["path"].lower().endswith("/providers/microsoft.databricks/workspaces")]
    assert listed and {r["status"] for r in listed} == {409}  # ARM answered MissingSubscriptionRegistration
    assert writes(log) == []
    assert not any(r["path"].lower().endswith("/register") for r in log)


# --- 7. the opt-ins are the approved plan's --------------------------------------------------------------------------

DEFAULT_ON = {"restoreRoleAssignments", "repairDatastores"}
FLIPS = {
    "remove-computes": ({}, {"remove-computes": "true"}),
    "remove-endpoints": ({}, {"remove-endpoints": "true"}),
    "restore-role-assignments": ({}, {"restore-role-assignments": "false"}),
    "repair-datastores": ({}, {"repair-datastores": "false"}),
    "approve-private-endpoints": ({}, {"approve-private-endpoints": "true"}),
    "recreate-computes": ({"remove-computes": "true"}, {"remove-computes": "true", "recreate-computes": "true"}),
    "recreate-endpoints": (
        {"remove-endpoints": "true"},
        {"remove-endpoints": "true", "recreate-endpoints": "true"},
    ),
    "register-providers": ({}, {"register-providers": "true"}),
}


@pytest.fixture(scope="module")
def plans(emulator, tmp_path_factory) -> dict[str, Path]:
    """Two plan jobs of the clean scenario: with defaults, and with remove-computes."""
    s = samples.WorkspaceScenario()
    load(emulator, s)
    r = Runner(emulator, tmp_path_factory.mktemp("plans"))
    return {
        "": planned(r, s, "defaults").out_dir / "plan.json",
        "remove-computes": planned(r, s, "remove", **{"remove-computes": "true"}).out_dir / "plan.json",
    }


@pytest.mark.parametrize("name", list(FLIPS))
def test_changing_any_opt_in_after_approval_is_refused_before_any_request(emulator, runner, plans, name) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    at_plan, at_apply = FLIPS[name]
    plan = json.loads(plans["remove-computes" if at_plan else ""].read_text())
    key = "".join(p.capitalize() if i else p for i, p in enumerate(name.split("-")))
    assert plan["options"][key] == (at_plan.get(name) == "true" if name in at_plan else key in DEFAULT_ON)
    assert digest_of(plan) == plan["digest"]  # recorded under the digest: editing it is refused
    dest = runner.tmp / "job" / "workspace" / "amlmove-output" / "plan.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(plans["remove-computes" if at_plan else ""], dest)
    run = runner.run("apply", inputs(s, **at_apply), name="job")
    assert run.code == 1, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1
    assert f"{name} is" in run.last_line and "approved plan says" in run.last_line
    assert emulator.requests() == [], "refused before any request (not even sign-in)"
    assert run.report["status"] == "refused"


def test_the_summary_shows_every_opt_in_and_every_removal_outside_any_fold(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    cluster = s.compute("cpu-cluster")
    endpoint = s.online_endpoint("churn-endpoint")
    load(emulator, s)
    run = planned(runner, s, "job", **OPT_INS)
    options = run.plan["options"]
    for key in (
        "removeComputes",
        "removeEndpoints",
        "restoreRoleAssignments",
        "repairDatastores",
        "approvePrivateEndpoints",
        "recreateComputes",
        "recreateEndpoints",
        "registerProviders",
    ):
        assert key in options
    for text in (run.plan_md, run.summary):
        unfolded = text.split("<details>")[0]
        for name in (
            "remove-computes",
            "remove-endpoints",
            "restore-role-assignments",
            "repair-datastores",
            "approve-private-endpoints",
            "recreate-computes",
            "recreate-endpoints",
            "register-providers",
        ):
            assert name in unfolded
        for removed in (cluster, endpoint):  # i13's "What will happen" table names each (by name)
            assert f"`{removed.rsplit('/', 1)[-1]}`" in unfolded


# --- attribution of ARM's verdict (pure) -----------------------------------------------------------------------------

WS = f"/subscriptions/{samples.SOURCE_SUB}/resourceGroups/rg/providers/{ML_TYPE}/w"
COMPUTE = f"{WS}/computes/cpu"


def failed(code: str, *details: inv.ErrorDetail) -> inv.ValidationResult:
    return inv.ValidationResult(inv.ValidationStatus.FAILED, code=code, message="m", details=tuple(details))


def detail(code: str, target: str | None, *nested: inv.ErrorDetail) -> inv.ErrorDetail:
    return inv.ErrorDetail(code, "m", target, tuple(nested))


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        # real ARM: batch verdict → per-resource provider verdict → reasons naming a TYPE
        (
            failed(
                "ResourceMoveValidationFailed",
                detail(
                    "ResourceMoveProviderValidationFailed",
                    WS,
                    detail("WorkspaceMoveComputeExists", f"{ML_TYPE}/computes"),
                ),
            ),
            True,
        ),
        (
            failed(
                "ResourceMoveValidationFailed",
                detail("ResourceMoveProviderValidationFailed", WS, detail("SomeCode", COMPUTE)),
            ),
            True,
        ),
        # a type nobody removes
        (
            failed(
                "ResourceMoveValidationFailed",
                detail(
                    "ResourceMoveProviderValidationFailed",
                    WS,
                    detail("MoveCannotProceedWithResourcesNotInSucceededState", "Microsoft.Network/networkInterfaces"),
                ),
            ),
            False,
        ),
        # a policy denial naming a compute is not cured by deleting it
        (failed("ResourceMoveValidationFailed", detail("RequestDisallowedByPolicy", COMPUTE)), False),
        (failed("RequestDisallowedByPolicy"), False),
        # details null: nothing says what it is about
        (failed("ResourceMoveValidationFailed"), False),
        (failed("ResourceMoveValidationFailed", detail("ResourceMoveProviderValidationFailed", WS)), False),
        # a leaf without a target, and a mixed verdict
        (failed("ResourceMoveValidationFailed", detail("WorkspaceMoveComputeExists", None)), False),
        (
            failed(
                "ResourceMoveValidationFailed",
                detail(
                    "ResourceMoveProviderValidationFailed",
                    WS,
                    detail("WorkspaceMoveComputeExists", f"{ML_TYPE}/computes"),
                    detail("WorkspaceMoveJobRunning", f"{ML_TYPE}/jobs"),
                ),
            ),
            False,
        ),
        # an endpoint type while only computes are removed
        (
            failed(
                "ResourceMoveValidationFailed",
                detail(
                    "ResourceMoveProviderValidationFailed",
                    WS,
                    detail("WorkspaceMoveEndpointExists", f"{ML_TYPE}/onlineEndpoints"),
                ),
            ),
            False,
        ),
    ],
)
def test_only_failures_about_removed_objects_are_attributed_to_removals(verdict, expected) -> None:
    assert addressed_by_removals(verdict, [COMPUTE], removed_types(True, False)) is expected
