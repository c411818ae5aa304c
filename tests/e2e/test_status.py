"""Issue 18, part 2 (acceptance 2): `status` before, during and after a move tells the right state each time, from ARM
alone and without writing — the emulator's request log holds nothing but GETs from it (and the sign-in's token POST).
Run as a CI step and from a terminal (an on-call engineer's laptop: only the plan file, no output-dir of the run).

During: the move is shaped to take an emulated hour (it cannot end while status reads), the apply that started it is
killed the moment ARM accepted it (harness.kill_once_accepted waits for state.json: the event, not a sleep), and the
emulator's clock is sped up afterwards so the resumed apply finishes it. Also: every exit code status documents, and
every bad input as one line, exit 2, zero requests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amlmove_action.api_versions import ML_API
from amlmove_action.ids import moved_id
from amlmove_action.movestatus import schema
from amlmove_emulator import samples
from tests.conftest import SdkClients
from tests.support.harness import Run, Runner, inputs, kill_once_accepted, load

TOKEN_PATH = "/oauth2/v2.0/token"


def scenario() -> samples.WorkspaceScenario:
    """The clean workspace plus an Approved private endpoint connection (the move leaves it Pending)."""
    s = samples.WorkspaceScenario()
    s.private_endpoint("pe-mlw-churn")
    return s


def non_reads(log: list[dict[str, Any]]) -> list[str]:
    """Every request of `log` that is not a GET, except the sign-in's token POST to Entra."""
    return [
        f"{r['method']} {r['path']} -> {r['status']}"
        for r in log
        if r["method"] != "GET" and not (r["method"] == "POST" and r["path"].lower().endswith(TOKEN_PATH))
    ]


def status(
    runner: Runner, emulator: Any, plan_file: Path, name: str, mode: str = "github", **more: str
) -> tuple[Run, dict[str, Any]]:
    """One `status` run; asserts it exits 0, wrote a status.json valid against the schema, and made only reads."""
    mark = len(emulator.requests())
    run = runner.run("status", {"plan-file": str(plan_file), **more}, mode=mode, name=name)
    log = emulator.requests()[mark:]
    assert run.code == 0, run.explain()
    assert non_reads(log) == [], "status must not write"
    assert any(r["method"] == "GET" for r in log)
    document = json.loads((run.out_dir / "status.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert run.outputs.get("status") == document["state"]
    assert run.foreign_commands() == []
    return run, document


def places(document: dict[str, Any]) -> set[str]:
    return {r["place"] for r in document["resources"]}


def remaining(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["kind"], f["target"]) for f in document["followUps"] if f["status"] == "remaining"]


def move_running(emulator: Any) -> bool:
    return any(o["kind"] == "move" and o["status"] is None for o in emulator.state()["operations"])


def test_status_before_during_and_after_a_move(emulator, runner) -> None:
    s = scenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    assert planned.code == 0 and planned.plan["status"] == "ready", planned.explain()
    plan_file = planned.out_dir / "plan.json"
    resources = planned.plan["resources"]

    # before: nothing moved, no move holds the groups, follow-ups not read yet, start time unknown
    run, before = status(runner, emulator, plan_file, "laptop-before", mode="local")
    assert before["state"] == "not-started" and places(before) == {"source"}
    assert before["moveInProgress"] is False and before["followUps"] is None
    assert [g["provisioningState"] for g in before["groups"]] == ["Succeeded", "Succeeded"]
    assert before["moveWindow"]["startedAt"] is None
    assert run.outputs["status"] == "not-started" and run.outputs["moved"] == "false"
    assert "Status: not-started" in run.stdout

    # during: ARM accepted the move (state.json written) and the runner died; the move runs on
    emulator.shape_lro(operation="move", durationSeconds=3600)
    apply_inputs = inputs(s, **{"plan-file": str(plan_file)})
    killed = kill_once_accepted(runner, apply_inputs, "apply-job")
    started_at = killed.state["startedAt"]
    run, during = status(runner, emulator, plan_file, "laptop-during", mode="local")
    assert during["state"] == "moving" and during["moveInProgress"] is True
    assert [g["holdsMove"] for g in during["groups"]] == [True, True]
    assert {g["provisioningState"] for g in during["groups"]} == {"MovingResources"}
    assert during["moveWindow"]["startedAt"] is None, "without the run's state.json the start is unknown"
    assert "Move started: unknown" in run.stdout
    # the runner's own output-dir holds state.json: elapsed and what is left of ARM's four hours
    run, during = status(runner, emulator, plan_file, "apply-job", **{"output-dir": str(killed.out_dir)})
    window = during["moveWindow"]
    assert during["state"] == "moving" and window["startedAt"] == started_at
    assert window["recordedStatus"] == "accepted" and window["limitSeconds"] == 4 * 3600
    assert 0 <= window["elapsedSeconds"] < 600 and window["remainingSeconds"] == 4 * 3600 - window["elapsedSeconds"]
    assert "left of ARM" in run.summary and "4-hour window" in run.summary
    assert move_running(emulator), "the move must still run while status read it"

    # after: the resumed apply finishes the move and the follow-ups it may do; the private endpoint connection was
    # not approved (approve-private-endpoints: false), so one follow-up remains
    emulator.settings(clockSpeed=100_000)
    resumed = runner.run("apply", apply_inputs, name="apply-job")
    assert resumed.code == 0, resumed.explain()
    run, after = status(runner, emulator, plan_file, "laptop-after", mode="local")
    assert after["state"] == "follow-ups-left" and places(after) == {"destination"}
    assert after["moveInProgress"] is False and run.outputs["moved"] == "true"
    kinds = {f["kind"] for f in after["followUps"]}
    assert {"role-assignment", "datastore", "private-endpoint"} <= kinds
    snapshot = planned.plan["roleAssignmentSnapshot"]
    assert sum(f["kind"] == "role-assignment" and f["status"] == "done" for f in after["followUps"]) == len(snapshot)
    assert remaining(after) == [("private-endpoint", "pe-mlw-churn.conn-0001 on mlw-churn")]
    assert [r["newId"] for r in after["resources"]] == [moved_id(r, s.dest_rg) for r in resources]

    # a person approves the connection again: status says done
    connection = moved_id(f"{s.workspace_id}/privateEndpointConnections/pe-mlw-churn.conn-0001", s.dest_rg)
    azure = SdkClients(emulator)
    body = azure.send("GET", connection, ML_API).json()
    body["properties"]["privateLinkServiceConnectionState"]["status"] = "Approved"
    assert azure.send("PUT", connection, ML_API, {"properties": body["properties"]}).status_code in (200, 201, 202)
    run, done = status(runner, emulator, plan_file, "laptop-done", mode="local")
    assert done["state"] == "done" and remaining(done) == []
    assert "Status: done" in run.stdout


def test_status_sees_a_follow_up_undone_and_an_inconsistent_move(emulator, runner) -> None:
    """After a finished move, a restored role assignment deleted by someone is a remaining follow-up; a planned
    resource found in neither group makes the state inconsistent (exit 0: the state was read; a warning in CI)."""
    s = samples.WorkspaceScenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    plan_file = planned.out_dir / "plan.json"
    emulator.shape_lro(operation="move", durationSeconds=0)
    applied = runner.run("apply", inputs(s, **{"plan-file": str(plan_file)}), name="apply-job")
    assert applied.code == 0, applied.explain()
    _, after = status(runner, emulator, plan_file, "after")
    assert after["state"] == "done", remaining(after)

    azure = SdkClients(emulator)
    entry = planned.plan["roleAssignmentSnapshot"][0]
    client = azure.authorization(samples.DEST_SUB)
    gone = next(
        a
        for a in client.role_assignments.list_for_scope(entry["newScope"])
        if a.principal_id == entry["principalId"] and a.scope.lower() == entry["newScope"].lower()
    )
    client.role_assignments.delete_by_id(gone.id)
    _, undone = status(runner, emulator, plan_file, "undone")
    assert undone["state"] == "follow-ups-left"
    assert [kind for kind, _ in remaining(undone)] == ["role-assignment"]

    vault = moved_id(s.associated("keyVault"), s.dest_rg)
    assert azure.send("DELETE", vault, "2023-07-01").status_code in (200, 204)
    run, broken = status(runner, emulator, plan_file, "broken")
    assert broken["state"] == "inconsistent" and places(broken) == {"destination", "missing"}
    assert broken["followUps"] is None
    assert [c for c in run.commands if c.name == "warning" and "amlmove status" in c.properties.get("title", "")]


def test_status_before_the_destination_group_exists(emulator, runner) -> None:
    """A plan that creates the destination group: before apply the group is not there (404): not-started, not an
    error."""
    s = samples.WorkspaceScenario(dest_location=None)
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    assert planned.code == 0, planned.explain()
    _, document = status(runner, emulator, planned.out_dir / "plan.json", "laptop", mode="local")
    assert document["state"] == "not-started" and places(document) == {"source"}
    assert [(g["role"], g["exists"], g["provisioningState"]) for g in document["groups"]] == [
        ("source", True, "Succeeded"),
        ("destination", False, None),
    ]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status"], "Input plan-file: is required with command status"),
        (["status", "--plan-file", "nowhere/plan.json"], "does not exist"),
        (["status", "--plan-file", "plan.json", "--output", "yaml"], "Input output (got 'yaml'): is not an output"),
        (["status", "--plan-file", "plan.json", "--output"], "Input output: needs a value"),
    ],
)
def test_bad_status_input_is_one_line_exit_2_and_no_request(emulator, runner, argv, expected) -> None:
    load(emulator, samples.WorkspaceScenario())
    before = len(emulator.requests())
    run = runner.run_raw(argv)
    assert run.code == 2, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and expected in run.last_line, run.stderr
    assert run.stdout == ""
    assert len(emulator.requests()) == before


def test_an_edited_plan_or_another_workspace_is_refused_as_input(emulator, runner, tmp_path) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    document = planned.plan
    document["resources"] = document["resources"][:1]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), "utf-8")
    before = len(emulator.requests())
    run = runner.run("status", {"plan-file": str(edited)}, mode="local", name="edited")
    assert run.code == 2 and "digest does not match" in run.last_line, run.explain()
    other = samples.WorkspaceScenario(workspace="mlw-other").workspace_id
    run = runner.run(
        "status",
        {"plan-file": str(planned.out_dir / "plan.json"), "source-workspace-id": other},
        mode="local",
        name="other",
    )
    assert run.code == 2 and "Input source-workspace-id" in run.last_line, run.explain()
    assert len(emulator.requests()) == before


def test_status_when_azure_cannot_be_read_is_exit_3(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    emulator.fault(
        method="GET", pathRegex=r"/resourcegroups/[^/]+$", status=403, errorCode="AuthorizationFailed", count=50
    )
    run = runner.run("status", {"plan-file": str(planned.out_dir / "plan.json")}, mode="local", name="denied")
    assert run.code == 3, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and "AuthorizationFailed" in run.last_line
