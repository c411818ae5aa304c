"""The fault matrix: plan → apply under injected faults, each scenario asserting the END STATE in the emulator.

For every scenario: the move happened exactly once or not at all (moveResources POSTs answered 202, the emulator's
move operations and where every planned resource is now), the report is true (report.json's moved/stayed match
the emulator), and the exit code and the last line say what to do next.

Faults come from the emulator's hooks (faults, lro, settings); nothing in the product is mocked. Most runs are
in-process through `amlmove_action.cli.main` in GitHub mode (outputs file, summary, annotations); the scenarios
that need a real process (SIGKILL, two applies at once) run `entrypoint.py`. Emulator time runs fast
(`clockSpeed`) where a scenario needs hours; Retry-After is 0.1 s.
"""

from __future__ import annotations

import os
import re
import signal
import time
from typing import Any

import pytest

from amlmove_action.ids import moved_id
from amlmove_emulator import catalog, samples
from tests.support.fault_runs import (
    ARM_PATH,
    DEST_ID,
    MOVE_POLL,
    MOVE_POST,
    POLL,
    RETRY,
    SRC,
    STORAGE,
    VALIDATE_POST,
    WS_ID,
    apply,
    arm,
    assert_moved_exactly_once,
    assert_not_moved,
    assert_report_true,
    assert_success,
    fault,
    moves_accepted,
    plan,
    plan_variant,
    scenario,
    spawn_apply,
)
from tests.support.harness import Started

# --- 1. Transient faults that azure-core's retry policy must absorb: the move happens once, exit 0 ------------------

TRANSIENT = {
    "429 storm with Retry-After on reads": [dict(method="GET", path=ARM_PATH, status=429, retryAfter=RETRY, count=8)],
    "429 with Retry-After on the move POST": [
        dict(method="POST", path=MOVE_POST, status=429, retryAfter=RETRY, count=2)
    ],
    "429 with Retry-After on the poll URL": [
        dict(method="GET", path=POLL, status=429, retryAfter=RETRY, count=3, skip=MOVE_POLL)
    ],
    "429 on validateMoveResources": [dict(method="POST", path=VALIDATE_POST, status=429, retryAfter=RETRY, count=2)],
    "503 burst on reads": [dict(method="GET", path=ARM_PATH, status=503, retryAfter=RETRY, count=8)],
    "500 burst on reads without Retry-After": [dict(method="GET", path=r"/providers/", status=500, count=3)],
    "503 burst on the move POST": [dict(method="POST", path=MOVE_POST, status=503, retryAfter=RETRY, count=2)],
    "500 once on the move POST (no Retry-After)": [dict(method="POST", path=MOVE_POST, status=500, count=1)],
    "503 burst on the poll URL": [dict(method="GET", path=POLL, status=503, retryAfter=RETRY, count=3, skip=MOVE_POLL)],
    "connection reset mid-page": [
        dict(method="GET", path=ARM_PATH, queryRegex=r"skiptoken", resetConnection=True, count=3)
    ],
    "504 gateway timeout mid-page": [
        dict(method="GET", path=ARM_PATH, queryRegex=r"skiptoken", status=504, retryAfter=RETRY, count=3)
    ],
    "connection reset mid-poll": [dict(method="GET", path=POLL, resetConnection=True, count=2, skip=MOVE_POLL)],
    "408 request timeout mid-poll": [
        dict(method="GET", path=POLL, status=408, retryAfter=RETRY, count=2, skip=MOVE_POLL)
    ],
    "token endpoint 503 once": [dict(method="POST", path=r"/oauth2/v2\.0/token$", status=503, count=1)],
    "slow ARM (300 ms on every read)": [dict(method="GET", path=ARM_PATH, latencyMs=300, count=40)],
}


@pytest.mark.parametrize("faults", list(TRANSIENT.values()), ids=list(TRANSIENT))
def test_transient_faults_are_absorbed_and_the_move_happens_once(emu, tmp_path, faults) -> None:
    s = scenario(defaultPageSize=2)
    emu.load_scenario(s.build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0.5, outcome="succeeded")
    for f in map(dict, faults):
        fault(emu, f.pop("method"), f.pop("path"), **f)
    run = apply(emu, tmp_path)
    assert_success(emu, run, the_plan)
    assert emu.call("GET", "requests")  # the log is there to read
    hit = [r for r in emu.requests() if r["status"] in (408, 429, 500, 503, 504, 0)]
    assert hit or any("latencyMs" in f for f in faults), "the fault never fired"


# --- 2. Faults beyond the retry budget before the move: nothing moved, exit 3 says re-run; the re-run moves once -----


def test_move_post_throttled_beyond_retries_moves_nothing_and_a_rerun_moves_once(emu, tmp_path) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    fault(emu, "POST", MOVE_POST, status=429, retryAfter=RETRY, count=30)
    first = apply(emu, tmp_path, "first")
    assert first.code == 3, first.stderr
    assert "re-run" in first.last_line.lower() and "[" in first.last_line
    assert first.report["status"] == "failed"
    assert first.outputs["moved"] == "false"
    assert moves_accepted(emu) == []
    assert_not_moved(emu, the_plan)
    assert_report_true(emu, first, the_plan)
    emu.call("DELETE", "faults")
    second = apply(emu, tmp_path, "second")
    assert_success(emu, second, the_plan)


# --- 3. The poll URL misbehaves: the report never claims more (or less) than ARM did -------------------------------


def test_poll_url_answering_404_is_not_reported_as_a_failed_move(emu, tmp_path) -> None:
    """ARM accepted; its operation URL then answers 404 once. That is no verdict: apply polls again from the saved
    token, sees the move finish, reports it moved (not failed) and does the follow-ups; a re-run moves nothing."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=1.5, outcome="succeeded")
    fault(
        emu, "GET", POLL, status=404, errorCode="OperationNotFound", errorMessage="Not found.", count=1, skip=MOVE_POLL
    )
    first = apply(emu, tmp_path, "run")
    assert "gave no verdict (OperationNotFound)" in first.stdout
    assert_success(emu, first, the_plan)
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan, status="already-moved")


def test_poll_url_that_keeps_failing_stops_without_claiming_a_failure(emu, tmp_path) -> None:
    """The operation URL never answers usefully again (404 every time) while ARM moves for a long while: apply stops
    after its re-polls, keeps state.json (status accepted), reports 0 moved / 5 stayed and says to re-run; the re-run,
    once ARM is done, finds everything moved and only does the follow-ups."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=3600, outcome="succeeded")
    fault(emu, "GET", POLL, status=404, errorCode="OperationNotFound", errorMessage="Not found.", skip=MOVE_POLL)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("amlmove_action.move.LOST_TRACK_PAUSES", (0.1, 0.1))
        first = apply(emu, tmp_path, "run")
    assert first.code == 3
    assert first.report["status"] == "timed-out" and first.report["error"]["code"] == "OperationNotFound"
    assert first.state["status"] == "accepted"
    assert "re-run apply" in first.last_line and "never starts a second move" in first.last_line
    assert_report_true(emu, first, the_plan)
    assert_not_moved(emu, the_plan)
    emu.settings(clockSpeed=20000)
    time.sleep(0.3)
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan)


@pytest.mark.parametrize("status", [200, 202])
def test_poll_url_answering_garbage_is_not_taken_for_success(emu, tmp_path, status) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=1.0, outcome="succeeded")
    fault(
        emu,
        "GET",
        POLL,
        status=status,
        body="<html><body>Bad gateway</body></html>",
        count=1,
        skip=MOVE_POLL,
        retryAfter=RETRY,
    )
    first = apply(emu, tmp_path, "first")
    assert_success(emu, first, the_plan)  # a 200 garbage "success" is checked against where the resources are
    if status == 200:
        assert "gave no verdict (UnconfirmedSuccess)" in first.stdout


def test_slow_move_an_hour_of_emulator_time(emu, tmp_path) -> None:
    """ARM takes an hour (emulator clock at 3600x): apply keeps polling with ARM's Retry-After, then moves once."""
    emu.load_scenario(scenario(clockSpeed=3600).build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=3600, outcome="succeeded")
    started = time.monotonic()
    run = apply(emu, tmp_path)
    assert_success(emu, run, the_plan)
    polls = [r for r in emu.requests() if re.search(POLL, r["path"]) and r["status"] == 202]
    assert len(polls) >= 3
    assert time.monotonic() - started < 30


def test_move_timeout_then_resume_never_starts_a_second_move(emu, tmp_path) -> None:
    """move-timeout elapses while ARM still moves (4 h): exit 3, state.json keeps the token, the report says 0 moved
    and why; the re-run resumes polling the SAME operation and finishes."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=4 * 3600 - 60, outcome="succeeded")
    first = apply(emu, tmp_path, "run", "--move-timeout", "2s")
    assert first.code == 3
    assert "re-run apply" in first.last_line and "resume" in first.last_line
    assert first.report["status"] == "timed-out"
    assert first.state["status"] == "accepted" and first.state["continuationToken"]
    # the move is still ARM's to finish: the token is an output now (and only in this case)
    assert first.outputs["continuation-token"] == first.state["continuationToken"]
    assert_report_true(emu, first, the_plan)
    assert_not_moved(emu, the_plan)
    emu.settings(clockSpeed=20000)  # ARM finishes within a second of real time
    second = apply(emu, tmp_path, "run")
    assert "Resuming the move ARM accepted" in second.stdout
    assert_success(emu, second, the_plan)
    assert "continuation-token" not in second.outputs  # finished: nothing left to follow


@pytest.mark.parametrize("outcome", ["failed", "timeout"])
def test_provider_failure_after_a_partial_move_is_reported_exactly(emu, tmp_path, outcome) -> None:
    """ARM moves two of five resources, then a provider fails (or the 4-hour limit hits): report.json lists exactly
    which moved and which stayed; a re-run refuses to move again and says to finish by hand."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    partial = [r for r in the_plan["resources"] if "/Microsoft.KeyVault/" in r or "/Microsoft.Insights/" in r]
    emu.shape_lro(durationSeconds=0.3, outcome=outcome, partial=partial)
    first = apply(emu, tmp_path, "run")
    assert first.code == 3
    assert first.report["status"] == "failed"
    assert len(first.report["moved"]) == 2 and len(first.report["stayed"]) == 3
    assert_report_true(emu, first, the_plan)
    assert "2 of 5" in first.last_line and "report.md" in first.last_line
    assert first.report["error"]["code"] == ("ResourceMoveFailed" if outcome == "failed" else "ResourceMoveTimedOut")
    second = apply(emu, tmp_path, "run")
    assert second.code == 3
    assert "partially" in second.last_line and "by hand" in second.last_line
    assert len(moves_accepted(emu)) == 1
    assert_report_true(emu, second, the_plan)


# --- 4. Azure changed between plan and apply: refused, nothing moved ---------------------------------------------


@pytest.mark.parametrize("create", ["true", "false"])
def test_destination_group_deleted_between_plan_and_apply_is_drift(emu, tmp_path, create) -> None:
    """The plan saw the destination group (and a reviewer approved a move into it, with its tags, policies and role
    assignments); it is gone at apply. That is drift whatever create-destination-resource-group says: exit 1 before
    any write, and the one-line error names the group."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path, "--create-destination-resource-group", create)
    assert the_plan["destination"]["exists"] is True
    arm(emu, "DELETE", DEST_ID)
    mark = len(emu.requests())
    run = apply(emu, tmp_path, "run", "--create-destination-resource-group", create)
    assert run.code == 1, run.stderr
    assert f"destination group {DEST_ID} was deleted" in run.last_line
    assert "plan again" in run.last_line.lower()
    assert run.report["status"] == "refused" and run.outputs["moved"] == "false"
    assert [r for r in emu.requests()[mark:] if r["method"] in ("PUT", "PATCH", "DELETE")] == []
    assert not [r for r in emu.state()["resources"] if r["id"].lower() == DEST_ID.lower()]
    assert_not_moved(emu, the_plan)


def test_destination_group_missing_at_plan_time_is_created(emu, tmp_path) -> None:
    """A plan that found the group missing says "create it" (create-destination-resource-group): apply creates it in
    the workspace's region and moves once."""
    emu.load_scenario(scenario(dest_exists=False).build())
    the_plan = plan(emu, tmp_path)
    assert the_plan["destination"]["exists"] is False
    run = apply(emu, tmp_path)
    assert_success(emu, run, the_plan)
    group = next(r for r in emu.state()["resources"] if r["id"].lower() == DEST_ID.lower())
    assert group["body"]["location"] == "eastus"


@pytest.mark.parametrize("where", ["destination", "source"])
def test_group_readonly_locked_between_plan_and_apply_is_refused(emu, tmp_path, where) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    scope = DEST_ID if where == "destination" else SRC.source_rg
    arm(
        emu,
        "PUT",
        f"{scope}/providers/Microsoft.Authorization/locks/freeze",
        {"properties": {"level": "ReadOnly", "notes": "change freeze"}},
    )
    run = apply(emu, tmp_path)
    assert run.code == 1, run.stderr
    assert run.report["status"] == "refused"
    assert "nothing was changed" in run.last_line.lower() or "nothing was moved" in run.last_line.lower()
    assert "plan again" in run.last_line.lower()
    assert moves_accepted(emu) == []
    assert_not_moved(emu, the_plan)


# --- 5. Follow-ups: already done, impossible, throttled or failing — never undo the move ------------------------


def role_assignment_at(scope: str, principal: str, role: str) -> tuple[str, dict[str, Any]]:
    import uuid

    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    sub = scope.split("/")[2]
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": "User",
        }
    }
    return path, body


def test_role_assignment_that_already_exists_is_already_done(emu, tmp_path) -> None:
    """Someone recreated a role assignment at the new scope by hand before apply's follow-ups ran."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    without = plan_variant(tmp_path, the_plan, "plan-without-roles", restoreRoleAssignments=False)
    first = apply(emu, tmp_path, "run", "--restore-role-assignments", "false", "--plan-file", str(without))
    assert_success(emu, first, the_plan)
    new_ws = moved_id(WS_ID, DEST_ID)
    arm(emu, "PUT", *role_assignment_at(new_ws, samples.DATA_SCIENTIST["objectId"], catalog.AZUREML_DATA_SCIENTIST))
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan, status="already-moved")
    roles = [f for f in second.report["followUps"] if f["kind"] == "role-assignment"]
    assert {f["status"] for f in roles} == {"done", "already-done"}
    assert any(f["status"] == "already-done" and samples.DATA_SCIENTIST["objectId"] in f["target"] for f in roles)
    assignments = [
        r
        for r in emu.state()["resources"]
        if "/roleassignments/" in r["id"].lower() and r["id"].lower().startswith(new_ws.lower() + "/")
    ]
    assert len(assignments) == 2  # the hand-made one and the group's; no duplicate


def test_rerun_after_success_repeats_no_move_and_no_duplicate(emu, tmp_path) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    first = apply(emu, tmp_path, "run")
    assert_success(emu, first, the_plan)
    count = len(emu.state()["resources"])
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan, status="already-moved")
    assert len(emu.state()["resources"]) == count
    assert {f["status"] for f in second.report["followUps"] if f["kind"] == "role-assignment"} == {"already-done"}


def test_a_readonly_lock_on_the_moved_storage_account_does_not_stop_the_datastore_repair(emu, tmp_path) -> None:
    """A ReadOnly lock on the moved storage account makes its listKeys 409; the repair never needs it (issue 12):
    each datastore is re-registered with its own credential read back through the workspace's listSecrets."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    without = plan_variant(tmp_path, the_plan, "plan-without-datastores", repairDatastores=False)
    first = apply(emu, tmp_path, "run", "--repair-datastores", "false", "--plan-file", str(without))
    assert_success(emu, first, the_plan)
    new_storage = moved_id(STORAGE, DEST_ID)
    arm(emu, "PUT", f"{new_storage}/providers/Microsoft.Authorization/locks/ro", {"properties": {"level": "ReadOnly"}})
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan, status="already-moved")
    stores = {f["target"]: f["status"] for f in second.report["followUps"] if f["kind"] == "datastore"}
    assert stores == {"workspaceblobstore": "done", "workspacefilestore": "done", "training-data": "done"}
    assert not [r for r in emu.requests() if r["path"].lower().endswith("/listkeys")]


def test_datastore_secrets_cannot_be_listed_without_permission(emu, tmp_path) -> None:
    """The mover may not read the datastores' secrets (403 AuthorizationFailed on listSecrets): the key-based ones
    are listed for people with the exact command, the identity-based one is repaired; exit 0."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    fault(emu, "POST", r"/listSecrets$", status=403, errorCode="AuthorizationFailed", errorMessage="no listSecrets")
    run = apply(emu, tmp_path)
    assert_success(emu, run, the_plan)
    stores = {f["target"]: f for f in run.report["followUps"] if f["kind"] == "datastore"}
    assert {n: f["status"] for n, f in stores.items()} == {
        "workspaceblobstore": "manual",
        "workspacefilestore": "manual",
        "training-data": "done",
    }
    for name in ("workspaceblobstore", "workspacefilestore"):
        assert stores[name]["command"].startswith(f"az ml datastore update --name {name}")
        assert "credentials.account_key=" in stores[name]["command"]


FOLLOW_UP_FAULTS = {
    "role assignment PUTs throttled beyond retries": dict(
        method="PUT", path=r"/roleAssignments/", status=429, retryAfter=RETRY, count=200
    ),
    "datastore PUTs failing with 500": dict(
        method="PUT", path=r"/datastores/", status=500, retryAfter=RETRY, count=200
    ),
    "workspace GET at its new id failing with 503": dict(
        method="GET",
        path=rf"{SRC.dest_group}/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn$",
        status=503,
        retryAfter=RETRY,
        count=200,
    ),
    "datastore listing of the moved workspace throttled": dict(
        method="GET",
        path=rf"{SRC.dest_group}/.*/workspaces/mlw-churn/datastores$",
        status=429,
        retryAfter=RETRY,
        count=200,
    ),
}


@pytest.mark.parametrize("follow_up_fault", list(FOLLOW_UP_FAULTS.values()), ids=list(FOLLOW_UP_FAULTS))
def test_failing_follow_ups_never_undo_the_move_and_a_rerun_finishes_them(emu, tmp_path, follow_up_fault) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0.2, outcome="succeeded")
    # the faults start once ARM has accepted the move, so they hit the follow-ups only
    f = dict(follow_up_fault)
    fault(emu, f.pop("method"), f.pop("path"), **f)
    first = apply(emu, tmp_path, "run")
    assert first.code == 3, first.stderr
    assert first.report["status"] == "moved" and first.outputs["moved"] == "true"
    assert "the move succeeded" in first.last_line and "re-run apply" in first.last_line.lower()
    assert [x for x in first.report["followUps"] if x["status"] == "failed"]
    assert_moved_exactly_once(emu, the_plan)
    assert_report_true(emu, first, the_plan)
    emu.call("DELETE", "faults")
    second = apply(emu, tmp_path, "run")
    assert_success(emu, second, the_plan, status="already-moved")


# --- 6. Token expiry in the middle of the move: the OIDC callback fetches a fresh assertion each time -----------------


def test_token_expiry_mid_move_with_github_oidc(emu, tmp_path) -> None:
    """ARM tokens live 6 s and GitHub's ID tokens 2 s, the move takes 8 s: the first tokens expire mid-move, and
    every new ARM token must come from a fresh GitHub assertion (a cached one would be refused, AADSTS700024)."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.settings(tokenLifetimeSeconds=6, externalTokenLifetimeSeconds=2)
    emu.shape_lro(durationSeconds=8, outcome="succeeded")
    run = apply(emu, tmp_path, oidc=True)
    assert_success(emu, run, the_plan)
    log = emu.requests()
    tokens = [r for r in log if r["path"].endswith("/oauth2/v2.0/token")]
    assert tokens and {r["status"] for r in tokens} == {200}, tokens
    move_at = next(r["startedAt"] for r in log if r["path"].lower().endswith("/moveresources"))
    after = [r for r in tokens if r["startedAt"] > move_at]  # the sign-in token expired while ARM moved
    assert after, "no token was fetched after the first one expired mid-move"
    # A token used in its last instant may expire in flight: a 401 on a poll is no verdict; apply polls again.
    assert all(re.search(POLL, r["path"]) for r in log if r["status"] == 401)
    assert "Signing in with GitHub OIDC" in run.stdout


# --- 7. The runner dies (SIGKILL) at each phase boundary and the job is re-run ------------------------------------

# (stdout line that marks the boundary, a fault that holds the process there so the kill lands inside the phase)
KILL_POINTS = {
    "during the re-plan": ("Reading workspace", dict(method="POST", path=VALIDATE_POST, latencyMs=4000, count=1)),
    "after the snapshot, before the final validation": (
        "Snapshot:",
        dict(method="POST", path=VALIDATE_POST, latencyMs=4000, count=1, skip=1),
    ),
    "while ARM receives the move POST (no state.json yet)": (
        "Moving ",
        dict(method="POST", path=MOVE_POST, latencyMs=1500, count=1),
    ),
    "after ARM accepted the move (state.json saved)": ("ARM accepted the move", None),
    "during the follow-ups": ("Move finished", dict(method="PUT", path=r"/roleAssignments/", latencyMs=4000, count=1)),
}


def kill_at(started: Started, marker: str, timeout: float = 60) -> str:
    """Watch the process's stdout until `marker` appears, then SIGKILL it (no cleanup, like a lost runner)."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = os.pread(started.out.fileno(), 1 << 20, 0).decode("utf-8", "replace")
        if marker in seen:
            time.sleep(0.2)
            started.proc.send_signal(signal.SIGKILL)
            started.proc.wait(timeout=10)
            return seen
        if started.proc.poll() is not None:
            break
        time.sleep(0.02)
    started.proc.kill()
    raise AssertionError(f"never saw {marker!r}: {seen[-2000:]}")


@pytest.mark.parametrize("marker, hold", list(KILL_POINTS.values()), ids=list(KILL_POINTS))
def test_runner_killed_at_a_phase_boundary_then_rerun_moves_exactly_once(emu, tmp_path, marker, hold) -> None:
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=2.5, outcome="succeeded")
    if hold:
        h = dict(hold)
        fault(emu, h.pop("method"), h.pop("path"), **h)
    kill_at(spawn_apply(emu, tmp_path, "run"), marker)
    time.sleep(1.6 if "POST" in marker or "Moving" in marker else 0.1)  # the held request reaches ARM meanwhile
    emu.call("DELETE", "faults")
    rerun = apply(emu, tmp_path, "run")  # ARM may still be moving for the killed run: the re-run waits it out
    assert rerun.code == 0, rerun.stderr + rerun.stdout[-2000:]
    assert rerun.report["status"] in ("moved", "already-moved")
    assert_moved_exactly_once(emu, the_plan)
    assert_report_true(emu, rerun, the_plan)
    assert [f for f in rerun.report["followUps"] if f["status"] == "failed"] == []


def test_runner_killed_after_the_removals_then_rerun_moves_exactly_once(emu, tmp_path) -> None:
    """The killed run had deleted the compute and the endpoint (opt-ins): the re-run does not try to delete them
    again (they are gone), moves once, and the exports (taken by plan, in the plan artifact) are still there."""
    s = scenario()
    s.compute("cpu-cluster")
    s.online_endpoint("churn-endpoint")
    emu.load_scenario(s.build())
    opt_ins = ("--remove-computes", "--remove-endpoints")
    the_plan = plan(emu, tmp_path, *opt_ins)
    fault(emu, "DELETE", r"/computes/", latencyMs=3000, count=1)
    kill_at(spawn_apply(emu, tmp_path, "run", *opt_ins), "Deleting")
    time.sleep(3.2)  # the held DELETE reaches ARM: the compute is gone
    emu.call("DELETE", "faults")
    assert not [r for r in emu.state()["resources"] if "/computes/" in r["id"].lower()]
    rerun = apply(emu, tmp_path, "run", *opt_ins)
    assert_success(emu, rerun, the_plan)
    assert "already gone" in rerun.stdout
    assert (tmp_path / "plan" / "exports" / "compute-cpu-cluster.yml").exists()  # in the plan artifact
    assert (tmp_path / "run" / "exports" / "compute-cpu-cluster.yml").exists()  # and copied to the run's
