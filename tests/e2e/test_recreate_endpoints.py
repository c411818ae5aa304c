"""Issue 18, part 1 (recreate-endpoints), acceptance 1. Plan and apply run as a CI runner runs them
(`entrypoint.py` subprocesses) against the emulator; the end state is read back through /_emulator/state and the
request log.

The workspace (samples.add_inference): online endpoint churn-endpoint with blue (the workspace's model, by its ARM
id) and green (a registry's model) at 90/10, online endpoint fraud-endpoint with one deployment, batch endpoint
churn-batch on the compute cluster cpu-cluster (removed and recreated with remove-computes/recreate-computes, since
its deployment runs there).

1. plan with remove-endpoints + recreate-endpoints, apply: every endpoint and deployment is back in the moved
   workspace, Succeeded, with the same traffic split; references to the old workspace name the moved one, the
   registry's is kept; the report gives each scoring URI before and after;
2. apply killed while deployments provision, re-run on a fresh runner (new output-dir, the plan artifact): it
   finishes, exit 0, and no deployment or endpoint is PUT twice;
3. must not act: without recreate-endpoints nothing is recreated; an endpoint already there (changed by a person) is
   not written again and its traffic is left as it is;
4. a deployment that fails to provision on demand: listed under "left for people" with its az ml command and the
   traffic command, the endpoint routes nothing, exit 3 (a follow-up failed, README "Report status and exit code").
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from amlmove_action.ids import moved_id
from amlmove_emulator import samples
from tests.support.emulator_clients import product_clients
from tests.support.harness import Run, Runner, inputs, kill_once_logged, load, resources
from tests.support.mermaid_flowchart import check, decoded, mermaid_blocks

OPT_INS = {
    "remove-computes": "true",
    "recreate-computes": "true",
    "remove-endpoints": "true",
    "recreate-endpoints": "true",
}
ONLINE = ("churn-endpoint", "fraud-endpoint")
DEPLOYMENTS = (
    "onlineEndpoints/churn-endpoint/deployments/blue",
    "onlineEndpoints/churn-endpoint/deployments/green",
    "onlineEndpoints/fraud-endpoint/deployments/main",
    "batchEndpoints/churn-batch/deployments/main",
)
KINDS = ("endpoint", "deployment", "traffic")
ENDPOINTS = ("onlineEndpoints/churn-endpoint", "onlineEndpoints/fraud-endpoint", "batchEndpoints/churn-batch")


def scenario() -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario()
    samples.add_inference(s)
    return s


def new_ws(s: samples.WorkspaceScenario) -> str:
    return moved_id(s.workspace_id, s.dest_rg)


def planned(runner: Runner, s: samples.WorkspaceScenario, name: str, **opt_ins: str) -> Run:
    run = runner.run("plan", inputs(s, **opt_ins), name=name)
    assert run.code == 0, run.explain()
    return run


def artifact(run: Run, dest: Path) -> Path:
    """The plan job's artifact (its output directory) downloaded into `dest`; the plan.json path in it."""
    shutil.copytree(run.out_dir, dest)
    return dest / "plan.json"


def puts(log: list[dict[str, Any]], path: str) -> list[int]:
    """The statuses of every PUT to exactly `path`."""
    return [r["status"] for r in log if r["method"] == "PUT" and r["path"].lower() == path.lower()]


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def follow_ups(run: Run) -> dict[str, dict[str, Any]]:
    """The report's endpoint, deployment and traffic follow-ups by "kind target"."""
    return {f"{f['kind']} {f['target']}": f for f in run.report["followUps"] if f["kind"] in KINDS}


# --- 1. recreated, same split, references moved ----------------------------------------------------------------------


def test_apply_recreates_endpoints_deployments_and_their_traffic_split_in_the_moved_workspace(emulator, runner):
    s = scenario()
    load(emulator, s, mlProvisioningSeconds=0.5)
    plan_run = planned(runner, s, "job", **OPT_INS)
    assert plan_run.plan["options"]["recreateEndpoints"] is True
    uris = {e["name"]: e.get("scoringUri") for e in plan_run.plan["exports"] if e["kind"].endswith("-endpoint")}
    assert uris["churn-endpoint"] == "https://churn-endpoint.eastus.inference.ml.azure.com/score"
    unfolded = plan_run.plan_md.split("<details>")[0]  # what the reviewer approves, outside any fold
    assert "Endpoints to recreate in the moved workspace" in unfolded
    assert "churn-endpoint (blue, green)" in unfolded and "`recreate-endpoints`: on" in unfolded
    details = {f["id"]: f["detail"] for f in plan_run.plan["findings"]}
    assert "attached computes are detached" in details["computes-present"]
    assert "attached computes" not in details["online-endpoints-present"]  # a sentence about computes only
    batch_export = next(e for e in plan_run.plan["exports"] if e["kind"] == "batch-deployment")
    exported = (plan_run.out_dir / batch_export["file"]).read_text("utf-8")
    assert "logging_level: Info" in exported  # the value `az ml batch-deployment create --file` sends as it is

    run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert run.code == 0, run.explain()
    assert run.report["status"] == "moved"

    state, ws, old = resources(emulator), new_ws(s), s.workspace_id
    for path in (*ENDPOINTS, *DEPLOYMENTS):
        body = state.get(f"{ws}/{path}".lower())
        assert body is not None, f"{path} not recreated"
        assert body["properties"]["provisioningState"] == "Succeeded", path
        assert not [v for v in strings(body) if old.lower() in v.lower()], f"{path} still names the old workspace"
    churn = state[f"{ws}/onlineEndpoints/churn-endpoint".lower()]["properties"]
    assert churn["traffic"] == {"blue": 90, "green": 10}
    assert state[f"{ws}/onlineEndpoints/fraud-endpoint".lower()]["properties"]["traffic"] == {"main": 100}
    assert state[f"{ws}/batchEndpoints/churn-batch".lower()]["properties"]["defaults"] == {"deploymentName": "main"}
    blue = state[f"{ws}/{DEPLOYMENTS[0]}".lower()]["properties"]
    green = state[f"{ws}/{DEPLOYMENTS[1]}".lower()]["properties"]
    batch = state[f"{ws}/{DEPLOYMENTS[3]}".lower()]["properties"]
    assert blue["model"] == f"{ws}/models/churn/versions/3"
    assert green["model"] == samples.REGISTRY_MODEL  # a registry's model is nobody's workspace: kept
    assert batch["model"]["assetId"] == f"{ws}/models/churn/versions/3"
    assert batch["compute"] == f"{ws}/computes/cpu-cluster"
    assert batch["loggingLevel"] == "Info"
    assert f"{ws}/computes/cpu-cluster".lower() in state  # recreated first: the batch deployment runs there

    log = emulator.requests()
    for path in DEPLOYMENTS:
        assert puts(log, f"{ws}/{path}") == [201], path
    # each online endpoint: created routing nothing (Azure ML refuses traffic to deployments that do not exist yet:
    # the emulator answers such a PUT 400), then its split once its deployments were Succeeded
    for name in ONLINE:
        assert puts(log, f"{ws}/onlineEndpoints/{name}") == [201, 200], name
    assert puts(log, f"{ws}/batchEndpoints/churn-batch") == [201, 200]
    put_order = [r["path"].lower() for r in log if r["method"] == "PUT"]
    traffic_put = max(i for i, p in enumerate(put_order) if p == f"{ws}/onlineEndpoints/churn-endpoint".lower())
    assert all(put_order.index(f"{ws}/{d}".lower()) < traffic_put for d in DEPLOYMENTS[:2])

    done = follow_ups(run)
    assert done["traffic churn-endpoint"]["status"] == "done"
    assert "blue=90 green=10" in done["traffic churn-endpoint"]["detail"]
    assert done["deployment churn-endpoint/green"]["status"] == "done"
    assert samples.REGISTRY_MODEL in done["deployment churn-endpoint/green"]["detail"]
    assert {
        e["name"]: (e["scoringUriBefore"], e["scoringUriAfter"], e["changed"]) for e in run.report["endpoints"]
    } == {
        "churn-endpoint": (uris["churn-endpoint"], uris["churn-endpoint"], False),
        "fraud-endpoint": (uris["fraud-endpoint"], uris["fraud-endpoint"], False),
        "churn-batch": (uris["churn-batch"], uris["churn-batch"], False),
    }
    report_md = (run.out_dir / "report.md").read_text(encoding="utf-8")
    assert "Endpoints recreated: tell their callers" in report_md and uris["churn-endpoint"] in report_md
    assert "Recreate the deleted endpoints" not in report_md  # the generic checklist item is gone: apply did it
    # the pictures of the move (diagram.py) show what is recreated: the plan's promise, the report's outcome, each
    # linked to the endpoint deleted before the move (a dotted edge), and each picture parses
    for markdown, label in ((plan_run.plan_md, "(recreated after the move)"), (report_md, "(recreated)")):
        blocks, problems = mermaid_blocks(markdown)
        chart = check(blocks[0])
        assert problems == [] and chart.problems == [] and len(blocks) == 1
        shown = {decoded(text): node for node, text in chart.nodes.items()}
        for name in ("churn-endpoint", "fraud-endpoint", "churn-batch"):
            node = shown[f"Endpoint {name} {label}"]
            assert any(end == node and text == "recreated after the move" for _, end, text in chart.edges), name
    for d in ("churn-endpoint/blue", "churn-endpoint/green", "fraud-endpoint/main", "churn-batch/main"):
        assert f"deployment {d}: creating in the moved workspace" in run.stdout, d
    moved_file = run.out_dir / "exports" / "moved" / "online-deployment-churn-endpoint-blue.yml"
    assert f"{ws}/models/churn/versions/3" in moved_file.read_text(encoding="utf-8")


# --- 2. killed during the recreation, re-run on a fresh runner -------------------------------------------------------


def test_killed_while_deployments_provision_a_fresh_rerun_finishes_without_duplicates(emulator, runner):
    s = scenario()
    load(emulator, s, mlProvisioningSeconds=4)
    plan_run = planned(runner, s, "plan-job", **OPT_INS)
    ws = new_ws(s)
    first = artifact(plan_run, runner.tmp / "first" / "workspace" / "amlmove-output")
    assert first.exists()

    def accepted_deployment(r: dict[str, Any]) -> bool:
        path = r["path"].lower()
        return r["method"] == "PUT" and r["status"] == 201 and path.startswith(ws.lower()) and "/deployments/" in path

    killed = kill_once_logged(runner, emulator, inputs(s, **OPT_INS), "first", accepted_deployment)
    assert killed.code == -signal.SIGKILL
    provisioning = [
        p for p in DEPLOYMENTS if (resources(emulator).get(f"{ws}/{p}".lower()) or {}).get("properties", {}).get(
            "provisioningState") == "Creating"
    ]  # fmt: skip
    assert provisioning, "the kill came after every deployment had finished: nothing to resume"

    assert endpoints_back(runner, emulator, plan_run, "status-during")["churn-endpoint"] is False

    plan_file = artifact(plan_run, runner.tmp / "second" / "workspace" / "plan-artifact")
    run = runner.run("apply", inputs(s, **OPT_INS, **{"plan-file": str(plan_file)}), name="second")
    assert run.code == 0, run.explain()
    assert run.report["status"] == "already-moved"
    log = emulator.requests()
    for path in DEPLOYMENTS:
        assert puts(log, f"{ws}/{path}") == [201], f"{path}: {puts(log, f'{ws}/{path}')}"
    for path in ENDPOINTS:
        assert puts(log, f"{ws}/{path}") in ([201, 200], [201]), path
        assert puts(log, f"{ws}/{path}").count(201) == 1, path
    state = resources(emulator)
    assert state[f"{ws}/onlineEndpoints/churn-endpoint".lower()]["properties"]["traffic"] == {"blue": 90, "green": 10}
    for path in DEPLOYMENTS:
        assert state[f"{ws}/{path}".lower()]["properties"]["provisioningState"] == "Succeeded"
    resumed = follow_ups(run)
    waited = [t for t, f in resumed.items() if "waited for it" in f["detail"] or f["status"] == "already-done"]
    assert waited, resumed
    assert endpoints_back(runner, emulator, plan_run, "status-after") == dict.fromkeys(
        ("churn-endpoint", "fraud-endpoint", "churn-batch"), True
    )


def endpoints_back(runner: Runner, emulator: Any, plan_run: Run, name: str) -> dict[str, bool]:
    """`status` on the plan artifact (read-only: GETs and the token POST only): is each endpoint back? Back means
    provisioned and routing as the plan found it — while deployments still provision, churn-endpoint is not."""
    plan_file = artifact(plan_run, runner.tmp / name / "workspace" / "plan-artifact")
    mark = len(emulator.requests())
    run = runner.run("status", {"plan-file": str(plan_file)}, name=name)
    assert run.code == 0, run.explain()
    writes = [
        r for r in emulator.requests()[mark:] if r["method"] != "GET" and not r["path"].endswith("/oauth2/v2.0/token")
    ]
    assert writes == []
    document = json.loads((run.out_dir / "status.json").read_text("utf-8"))
    return {
        c["target"]: c["status"] == "done"
        for c in document["followUps"] or []
        if c["kind"] in ("online-endpoint", "batch-endpoint")
    }


# --- 3. must not act -------------------------------------------------------------------------------------------------


def test_without_the_opt_in_no_endpoint_is_recreated(emulator, runner):
    s = scenario()
    load(emulator, s)
    opt_ins = {k: v for k, v in OPT_INS.items() if k != "recreate-endpoints"}
    planned(runner, s, "job", **opt_ins)
    run = runner.run("apply", inputs(s, **opt_ins), name="job")
    assert run.code == 0, run.explain()
    ws = new_ws(s).lower()
    log = emulator.requests()
    assert not [r for r in log if r["method"] == "PUT" and "endpoints" in r["path"].lower()]
    assert not [k for k in resources(emulator) if k.startswith(ws) and "endpoints/" in k]
    assert any("Recreate the deleted endpoints" in c for c in run.report["checklist"])
    assert "endpoints" not in run.report


def test_an_endpoint_already_there_is_not_written_again_and_its_traffic_is_left_alone(emulator, runner):
    from tests.support.emulator_clients import resources as arm
    from tests.support.emulator_clients import send

    s = scenario()
    load(emulator, s)
    plan_run = planned(runner, s, "job", **OPT_INS)
    assert runner.run("apply", inputs(s, **OPT_INS), name="job").code == 0
    ws = new_ws(s)
    # a person changes the recreated churn-endpoint afterwards: their own split and description
    url = f"{emulator.url}{ws}/onlineEndpoints/churn-endpoint?api-version=2024-10-01"
    client = arm(emulator, samples.DEST_SUB, polling_interval=0)
    body = send(client, "GET", url).json()
    body["properties"].update({"traffic": {"blue": 50, "green": 50}, "description": "owned by the ML team now"})
    answer = send(client, "PUT", url, {k: body[k] for k in ("location", "identity", "kind", "properties")})
    assert answer.status_code == 200
    assert send(client, "GET", url).json()["properties"]["provisioningState"] == "Succeeded"  # their update is done
    before = resources(emulator)[f"{ws}/onlineEndpoints/churn-endpoint".lower()]
    first_log = len(emulator.requests())

    plan_file = artifact(plan_run, runner.tmp / "again" / "workspace" / "plan-artifact")
    run = runner.run("apply", inputs(s, **OPT_INS, **{"plan-file": str(plan_file)}), name="again")
    assert run.code == 0, run.explain()
    again = emulator.requests()[first_log:]
    assert not [r for r in again if r["method"] == "PUT" and "endpoints" in r["path"].lower()], again
    after = resources(emulator)[f"{ws}/onlineEndpoints/churn-endpoint".lower()]
    assert after["properties"]["traffic"] == {"blue": 50, "green": 50}
    assert after["properties"]["description"] == "owned by the ML team now"
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    routing = follow_ups(run)["traffic churn-endpoint"]
    assert routing["status"] == "manual" and "left as it is" in routing["detail"]
    assert '--traffic "blue=90 green=10"' in routing["command"]


# --- 4. a deployment fails on demand ---------------------------------------------------------------------------------


def test_an_endpoint_that_fails_leaves_its_deployments_and_routing_to_people(emulator, runner):
    s = scenario()
    load(emulator, s)
    planned(runner, s, "job", **OPT_INS)
    emulator.shape_lro(operation="ml-provision", outcome="failed", targetRegex="/onlineEndpoints/fraud-endpoint$")
    run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert run.code == 3, run.explain()
    items = follow_ups(run)
    assert items["endpoint fraud-endpoint"]["status"] == "failed"
    assert items["endpoint fraud-endpoint"]["command"].startswith(
        "az ml online-endpoint create --file exports/moved/online-endpoint-fraud-endpoint.yml"
    )
    assert items["deployment fraud-endpoint/main"]["status"] == "failed"
    assert items["deployment fraud-endpoint/main"]["command"].startswith("az ml online-deployment create")
    routing = items["traffic fraud-endpoint"]
    assert routing["status"] == "failed" and '--traffic "main=100"' in routing["command"]
    ws = new_ws(s)
    assert puts(emulator.requests(), f"{ws}/onlineEndpoints/fraud-endpoint/deployments/main") == []  # not under it
    assert items["traffic churn-endpoint"]["status"] == "done"  # the others are not held up


@pytest.mark.parametrize("how", ["provisioning-fails", "put-refused"])
def test_a_failing_deployment_is_listed_with_its_az_ml_command_and_exit_3(emulator, runner, how):
    s = scenario()
    load(emulator, s)
    planned(runner, s, "job", **OPT_INS)
    if how == "provisioning-fails":  # Azure ML accepts the deployment, then its provisioning fails
        emulator.shape_lro(operation="ml-provision", outcome="failed", targetRegex="deployments/green$")
    else:  # Azure ML refuses the PUT itself (quota, say)
        emulator.fault(
            method="PUT",
            pathRegex="/onlineEndpoints/churn-endpoint/deployments/green$",
            status=400,
            errorCode="QuotaExceeded",
            errorMessage="Not enough quota available for Standard_DS3_v2 in SubscriptionId",
        )
    run = runner.run("apply", inputs(s, **OPT_INS), name="job")
    assert run.code == 3, run.explain()
    assert run.report["status"] == "moved"
    ws = new_ws(s)
    items = follow_ups(run)
    green = items["deployment churn-endpoint/green"]
    assert green["status"] == "failed"
    assert green["command"] == (
        "az ml online-deployment create --file exports/moved/online-deployment-churn-endpoint-green.yml "
        f"--endpoint-name churn-endpoint --workspace-name {s.workspace} --resource-group {s.dest_group} "
        f"--subscription {samples.DEST_SUB}"
    )
    assert (run.out_dir / "exports" / "moved" / "online-deployment-churn-endpoint-green.yml").exists()
    routing = items["traffic churn-endpoint"]
    assert routing["status"] == "failed" and "green" in routing["detail"]
    assert routing["command"].startswith(
        'az ml online-endpoint update --name churn-endpoint --traffic "blue=90 green=10"'
    )
    assert items["deployment churn-endpoint/blue"]["status"] == "done"
    assert items["traffic fraud-endpoint"]["status"] == "done"
    state = resources(emulator)
    assert not any(state[f"{ws}/onlineEndpoints/churn-endpoint".lower()]["properties"]["traffic"].values())
    report_md = (run.out_dir / "report.md").read_text(encoding="utf-8")
    left = report_md.split("### Left for people", 1)[1]
    assert "online-deployment-churn-endpoint-green.yml" in left and "blue=90 green=10" in left


# --- the lane itself, in process: side by side within its bound, a heartbeat per deployment --------------------------


def test_deployments_provision_side_by_side_within_the_bound_each_with_heartbeats(emulator, tmp_path):
    import copy

    from amlmove_action.endpoints import Recreation
    from amlmove_action.exports import take_exports

    s = scenario()
    target = new_ws(s)  # the workspace as the move leaves it, here from the start
    s.add(target, copy.deepcopy(next(r["body"] for r in s.resources if r["id"] == s.workspace_id)))
    load(emulator, s, mlProvisioningSeconds=1.5)
    clients = product_clients(emulator)
    exports = take_exports(clients, s.workspace_id, tmp_path, [], list(ONLINE), ["churn-batch"], [])
    lines: list[str] = []
    lane = Recreation(
        clients, lines.append, s.workspace_id, target, "eastus", tmp_path, tmp_path / "out",
        max_deployments=2, heartbeat_seconds=0.25,
    )  # fmt: skip
    mark = len(emulator.requests())
    lane.run(exports)

    assert {o.status for o in lane.outcomes} == {"done"}, lane.outcomes
    labels = [f"deployment {d}" for d in ("churn-endpoint/blue", "churn-endpoint/green", "fraud-endpoint/main")]
    for label in [*labels, "batch deployment churn-batch/main"]:
        beats = [line for line in lines if label in line and "creating in the moved workspace" not in line]
        assert beats, f"no heartbeat for {label}: {lines}"
    # each deployment is in flight from its PUT to the poller's final GET of it: never more than 2 at once, 2 at times
    log = emulator.requests()[mark:]
    spans = []
    for path in DEPLOYMENTS:
        full = f"{target}/{path}".lower()
        times = [r["startedAt"] for r in log if r["path"].lower() == full]
        put = next(r["startedAt"] for r in log if r["path"].lower() == full and r["method"] == "PUT")
        spans.append((put, max(times)))
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    running, most = 0, 0
    for _, step in events:
        running += step
        most = max(most, running)
    assert most == 2
